"""Safe arithmetic expressions of phase space, e.g. ``"v*p_x"`` or ``"M - b*(x**2 + y**2)"``.

An expression is parsed with :mod:`ast` (never ``eval``, ``exec`` or sympy) and checked node by
node against a whitelist: numbers (int, float), the names of phase space (``x, y, z`` for r,
``p_x, p_y, p_z`` for p, ``t``; only the first ``dim`` of each), the model's parameters, the
constant ``pi``, the operators ``+ - * / **`` and unary ``+ -``, and calls of the functions in
:data:`FUNCTIONS` with positional arguments. Everything else (attribute access, subscripts,
strings, lambdas, comprehensions, keyword arguments, comparisons, walrus, f-strings, dunder
names ...) is rejected with a :class:`~berrykin.config.errors.ConfigError` naming the key.

:func:`compile_expression` turns the checked tree into a Python closure over ``jax.numpy``
functions (built from the tree, not from text), so the model stays differentiable by
:mod:`berrykin.geometry`. Units: whatever the model's parameters carry (hbar = e = 1).
"""

from __future__ import annotations

import ast
import keyword
import math
import re

from .errors import ConfigError

__all__ = ["FUNCTIONS", "CONSTANTS", "phase_space_symbols", "check_expression",
           "compile_expression", "check_parameter_name", "constant_value", "MAX_LENGTH", "MAX_DEPTH"]

#: Allowed functions: name -> (jax.numpy attribute, number of arguments).
FUNCTIONS = {
    "sin": ("sin", 1), "cos": ("cos", 1), "tan": ("tan", 1), "exp": ("exp", 1),
    "log": ("log", 1), "sqrt": ("sqrt", 1), "tanh": ("tanh", 1), "cosh": ("cosh", 1),
    "sinh": ("sinh", 1), "arctan2": ("arctan2", 2), "atan2": ("arctan2", 2), "abs": ("abs", 1),
}
#: Allowed named constants.
CONSTANTS = {"pi": math.pi}
#: Longest accepted expression (characters) and deepest accepted syntax tree.
MAX_LENGTH = 1000
MAX_DEPTH = 60

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def phase_space_symbols(dim: int) -> tuple[str, ...]:
    """``('x', .., 'p_x', .., 't')`` for ``dim`` = 1, 2 or 3 (order of berrykin.conventions)."""
    axes = "xyz"[:dim]
    return tuple(axes) + tuple(f"p_{a}" for a in axes) + ("t",)


def _reserved() -> set[str]:
    return set(phase_space_symbols(3)) | set(FUNCTIONS) | set(CONSTANTS)


def check_parameter_name(name, path: str) -> None:
    """Raise ConfigError unless ``name`` can be a parameter of an expression model."""
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name) \
            or "__" in name:
        raise ConfigError(path, name, "a parameter name: a letter followed by letters, digits or "
                                      "single underscores (no Python keyword)")
    if name in _reserved():
        raise ConfigError(path, name, "a name other than the phase-space symbols x, y, z, p_x, "
                                      "p_y, p_z, t, the functions and pi")


def _node_name(node) -> str:
    names = {ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
             ast.ListComp: "comprehensions", ast.GeneratorExp: "comprehensions",
             ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
             ast.NamedExpr: "assignment (:=)", ast.JoinedStr: "f-strings",
             ast.Compare: "comparisons", ast.BoolOp: "boolean operators", ast.IfExp: "if-else",
             ast.Starred: "starred arguments", ast.Await: "await", ast.Yield: "yield"}
    return names.get(type(node), f"'{type(node).__name__}' syntax")


def _allowed_text(names) -> str:
    return (f"arithmetic (+ - * / **, unary -) of numbers, the names {', '.join(names)}, "
            f"pi and the functions {', '.join(FUNCTIONS)}")


def _parse(text, path: str, names) -> ast.AST:
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ConfigError(path, text, "an expression (a string such as \"v*p_x\") or a number")
    if not isinstance(text, str):
        if not math.isfinite(float(text)):
            raise ConfigError(path, text, "a finite number")
        text = repr(float(text))
    if len(text) > MAX_LENGTH:
        raise ConfigError(path, text, f"an expression of at most {MAX_LENGTH} characters")
    if not text.strip():
        raise ConfigError(path, text, "a non-empty expression")
    try:
        return ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = getattr(exc, "msg", None) or type(exc).__name__
        raise ConfigError(path, text, f"a valid expression ({reason}); {_allowed_text(names)}") from None


def check_expression(text, path: str, dim: int, parameters) -> frozenset:
    """Check ``text`` (see the module docstring); returns the set of names it uses.

    ``parameters`` are the allowed parameter names. Raises :class:`ConfigError` at ``path``.
    """
    names = tuple(phase_space_symbols(dim)) + tuple(parameters)
    tree = _parse(text, path, names)
    used: set[str] = set()
    stack = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(path, text, f"an expression nested at most {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ConfigError(path, text, f"numbers only (found the constant {v!r}); "
                                              + _allowed_text(names))
            too_big = abs(v) > 1e300 if isinstance(v, int) else not math.isfinite(v)
            if too_big:
                raise ConfigError(path, text, "finite numeric constants")
        elif isinstance(node, ast.Name):
            if node.id in CONSTANTS or node.id in names:
                used.add(node.id)
            elif node.id in FUNCTIONS:
                raise ConfigError(path, text, f"{node.id!r} only as a call, e.g. {node.id}(p_x)")
            else:
                raise ConfigError(path, text, f"known names only (unknown name {node.id!r}); "
                                              + _allowed_text(names))
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            stack += [(node.left, depth + 1), (node.right, depth + 1)]
        elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else None
            if fname not in FUNCTIONS:
                shown = fname if fname is not None else _node_name(node.func)
                raise ConfigError(path, text, f"calls of {', '.join(FUNCTIONS)} only (not {shown})")
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise ConfigError(path, text, f"{fname}(...) with positional arguments only")
            if len(node.args) != FUNCTIONS[fname][1]:
                raise ConfigError(path, text, f"{fname}(...) with {FUNCTIONS[fname][1]} argument(s)")
            stack += [(a, depth + 1) for a in node.args]
        else:
            what = _node_name(node)
            if isinstance(node, (ast.BinOp, ast.UnaryOp)):
                what = f"the operator {type(node.op).__name__}"
            raise ConfigError(path, text, f"no {what}; " + _allowed_text(names))
    return frozenset(used)


def constant_value(text, path: str, dim: int, parameters: dict):
    """Fold the parts of a checked expression that do not depend on phase space, with the
    parameter ``values`` (a dict name -> float), in float64 as :func:`compile_expression`
    would compute them. Returns the value of ``text`` when it is a constant, else None.

    Raises :class:`ConfigError` at ``path`` when a constant part is not finite (``1/0``,
    ``log(0)``, ``10**400``, ``sqrt(-1)``, ``1/m`` with ``m = 0`` ...) or when something is
    divided by a constant 0: such a model is undefined everywhere, which must show at
    ``berrykin validate``, not as a failed run.

    >>> constant_value("2*M + 1", "model.gap[2]", 2, {"M": 0.5})
    2.0
    >>> constant_value("v*p_x", "model.gap[0]", 2, {"v": 1.0}) is None
    True
    """
    import numpy as np

    check_expression(text, path, dim, list(parameters))
    src = text if isinstance(text, str) else repr(float(text))
    tree = ast.parse(src.strip(), mode="eval").body

    def bad(node, value):
        names = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in parameters})
        given = f" with {', '.join(f'{k} = {parameters[k]!r}' for k in names)}" if names else ""
        raise ConfigError(path, text, f"finite values: its part {ast.unparse(node)!r} is {value}"
                                      f"{given}; change the expression or the parameters")

    def fold(node):
        if isinstance(node, ast.Constant):
            return np.float64(node.value) if abs(node.value) <= 1e300 else np.float64(np.inf)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return np.float64(CONSTANTS[node.id])
            return np.float64(parameters[node.id]) if node.id in parameters else None
        if isinstance(node, ast.UnaryOp):
            v = fold(node.operand)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        if isinstance(node, ast.BinOp):
            left, right = fold(node.left), fold(node.right)
            if isinstance(node.op, ast.Div) and right is not None and right == 0:
                bad(node, "a division by 0")
            if left is None or right is None:
                return None
            ops = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                   ast.Div: np.divide, ast.Pow: np.power}
            with np.errstate(all="ignore"):
                v = ops[type(node.op)](left, right)
        else:  # a checked call
            args = [fold(a) for a in node.args]
            if any(a is None for a in args):
                return None
            with np.errstate(all="ignore"):
                v = getattr(np, FUNCTIONS[node.func.id][0])(*args)
        if not np.isfinite(v):
            bad(node, v)
        return v

    v = fold(tree)
    return None if v is None else float(v)


def _build(node, jnp):
    """A closure ``env -> value`` for a checked node (recursion depth <= MAX_DEPTH)."""
    if isinstance(node, ast.Constant):
        value = float(node.value)
        return lambda env: jnp.float64(value)
    if isinstance(node, ast.Name):
        name = node.id
        if name in CONSTANTS:
            value = CONSTANTS[name]
            return lambda env: jnp.float64(value)
        return lambda env: env[name]
    if isinstance(node, ast.UnaryOp):
        inner = _build(node.operand, jnp)
        if isinstance(node.op, ast.USub):
            return lambda env: -inner(env)
        return inner
    if isinstance(node, ast.BinOp):
        left, right = _build(node.left, jnp), _build(node.right, jnp)
        op = type(node.op)
        if op is ast.Add:
            return lambda env: left(env) + right(env)
        if op is ast.Sub:
            return lambda env: left(env) - right(env)
        if op is ast.Mult:
            return lambda env: left(env) * right(env)
        if op is ast.Div:
            return lambda env: left(env) / right(env)
        return lambda env: jnp.power(left(env), right(env))
    # a checked Call
    fn = getattr(jnp, FUNCTIONS[node.func.id][0])
    args = [_build(a, jnp) for a in node.args]
    if len(args) == 1:
        (a0,) = args
        return lambda env: fn(a0(env))
    return lambda env: fn(*(a(env) for a in args))


def compile_expression(text, path: str, dim: int, parameters):
    """Check ``text`` and return ``f(env) -> jax scalar``, where ``env`` maps the names of
    phase space (:func:`phase_space_symbols`) and the parameters to values.

    >>> import jax
    >>> f = compile_expression("v*p_x + sin(pi*t)", "model.eps", 2, ["v"])
    >>> with jax.enable_x64(True):
    ...     float(f({"v": 2.0, "p_x": 0.25, "t": 0.5}))
    1.5
    """
    import jax.numpy as jnp

    check_expression(text, path, dim, parameters)
    src = text if isinstance(text, str) else repr(float(text))
    return _build(ast.parse(src.strip(), mode="eval").body, jnp)

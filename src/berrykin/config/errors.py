"""The one exception of configuration files, and the translation of pydantic's errors into it."""

from __future__ import annotations

from ..errors import ParameterError

__all__ = ["ConfigError", "key_path", "from_validation_error", "short_repr"]


def short_repr(value, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters (error messages stay one line)."""
    try:
        text = repr(value)
    except Exception:  # pragma: no cover - a repr that fails
        text = f"<{type(value).__name__}>"
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ConfigError(ParameterError):
    """A configuration file (or text, or override) that cannot be used.

    ``path`` is the dotted key path (``model.parameters.v``, ``model.gap[1]``), ``value`` the
    offending value and ``allowed`` what would be accepted. The message is one line, e.g.
    ``model.parameters.v = -1.0 is not allowed: a velocity > 0``. It is a
    :class:`~berrykin.errors.ParameterError` (and so a :class:`~berrykin.errors.BerrykinError`).
    """

    def __init__(self, path: str, value, allowed: str, more: int = 0):
        self.path = path
        extra = f" ({more} more problem{'s' if more > 1 else ''} after fixing this one)" if more else ""
        ParameterError.__init__(self, path, value, allowed)
        self.args = (f"{path or '<config>'} = {short_repr(value)} is not allowed: {allowed}{extra}",)

    def __str__(self) -> str:
        return self.args[0]


def key_path(*parts) -> str:
    """Join key parts: strings with dots, integers as ``[i]``: ``('model', 'gap', 1)`` ->
    ``'model.gap[1]'``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "":
            out += f".{part}" if out else str(part)
    return out


_MISSING = object()
_TAGS = {"float", "int", "str", "bool", "none", "list", "dict"}


def _is_tag(part) -> bool:
    """Whether a pydantic location part names a union member (``'list[float]'``), not a key."""
    return isinstance(part, str) and ("[" in part or part in _TAGS)


def _allowed_from(err: dict) -> str:
    kind, msg = err.get("type", ""), err.get("msg", "invalid")
    if kind == "extra_forbidden":
        return "no such key here"
    if kind == "missing":
        return "a value is required here (key missing)"
    if kind == "finite_number":
        return "a finite number (no nan or inf)"
    return msg[0].lower() + msg[1:] if msg else "a valid value"


def _clean(err) -> tuple:
    return tuple(x for x in err.get("loc", ()) if not _is_tag(x))


def from_validation_error(exc, prefix: tuple = (), allowed_keys=None) -> ConfigError:
    """The first error of a :class:`pydantic.ValidationError` as a :class:`ConfigError` whose
    path is ``prefix`` + the error location. Errors of the alternatives of one union are merged
    (a range or finiteness error wins over type errors). ``allowed_keys`` (a list) is named in
    the message of an unknown key."""
    errors = exc.errors(include_url=False)
    loc = _clean(errors[0])
    same = [e for e in errors if _clean(e) == loc]
    specific = [e for e in same if not e.get("type", "").endswith("_type")]
    err = specific[0] if specific else same[0]
    value = err.get("input", _MISSING)
    allowed = _allowed_from(err)
    if not specific and len(same) > 1:
        allowed = " or ".join(dict.fromkeys(_allowed_from(e).replace("input should be ", "")
                                            for e in same))
    if err.get("type") == "extra_forbidden" and allowed_keys:
        allowed = f"unknown key; allowed keys here: {', '.join(allowed_keys)}"
    if err.get("type") == "missing":
        value = None
    more = len({_clean(e) for e in errors}) - 1
    return ConfigError(key_path(*prefix, *loc), None if value is _MISSING else value, allowed,
                       more=more)

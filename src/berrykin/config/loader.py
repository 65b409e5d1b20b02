"""TOML text -> validated :class:`Config`; overrides for sweeps; the model of a config.

Everything is checked before anything runs: the structure and types of every table
(pydantic, strict), expressions (whitelist, :mod:`.expressions`), the parameters of built-in
models (their own checks), vector lengths against the model's dimension, the grid, and the
keyword arguments of the experiment's function. Every failure is one
:class:`~berrykin.config.errors.ConfigError` naming the key path, the value and what is allowed.
"""

from __future__ import annotations

import math
import os
import pathlib
import re
import tomllib
from dataclasses import dataclass
from typing import Any, Optional

from pydantic import ValidationError

from .build import build_field_section, build_grid_section, build_model_section
from .checks import check_experiment, check_field, check_model, check_numerics
from .errors import ConfigError, from_validation_error
from .experiments import EXPERIMENTS
from .schema import FieldSection, GridSection, ModelSection, NumericsSection, OutputSection

__all__ = ["Config", "load_config", "validate", "with_overrides", "build_model", "build_field",
           "SECTIONS", "MAX_BYTES"]

SECTIONS = ("model", "field", "experiment", "grid", "numerics", "output")
_TOP = SECTIONS + ("title",)
MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class Config:
    """A validated configuration: one typed, immutable section per TOML table.

    ``to_dict()`` gives plain data (TOML-compatible: no None) that :func:`validate` turns back
    into an equal Config; it is what results record as provenance.
    """

    model: ModelSection
    experiment: Any
    field: Optional[FieldSection] = None
    grid: Optional[GridSection] = None
    numerics: NumericsSection = NumericsSection()
    output: OutputSection = OutputSection()
    title: Optional[str] = None

    @property
    def experiment_type(self) -> str:
        return self.experiment.type

    def to_dict(self) -> dict:
        """Nested plain dict (sections -> keys), unset optional keys left out."""
        out = {} if self.title is None else {"title": self.title}
        for name in SECTIONS:
            sec = getattr(self, name)
            if sec is not None:
                data = sec.model_dump(exclude_none=True)
                if data or name in ("model", "experiment"):
                    out[name] = data
        return out


def _section(cls, data, name: str):
    if not isinstance(data, dict):
        raise ConfigError(name, data, f"a table [{name}] of keys")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        keys = [k for k in cls.model_fields]
        raise from_validation_error(exc, (name,), allowed_keys=keys) from None


def validate(data) -> Config:
    """A :class:`Config` from parsed TOML data (a dict; a Config is re-validated; a path or
    TOML text goes through :func:`load_config`).

    Raises :class:`ConfigError` (key path, value, what is allowed) for the first problem.
    """
    try:
        return _validate(data)
    except ConfigError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        raise ConfigError("<config>", type(exc).__name__, f"a valid configuration ({exc})") from None


def _validate(data) -> Config:
    if isinstance(data, Config):
        data = data.to_dict()
    if isinstance(data, (str, bytes, os.PathLike)):
        return load_config(data)
    if not isinstance(data, dict):
        raise ConfigError("<config>", data, "a TOML document with [model] and [experiment] tables")
    for key in data:
        if key not in _TOP:
            raise ConfigError(str(key), data[key], f"unknown section; allowed: {', '.join(_TOP)}")
    for key in ("model", "experiment"):
        if key not in data:
            raise ConfigError(key, None, f"a [{key}] table (required)")
    title = data.get("title")
    if title is not None and (not isinstance(title, str) or len(title) > 500):
        raise ConfigError("title", title, "a string of at most 500 characters")
    model_sec = _section(ModelSection, data["model"], "model")
    model = check_model(model_sec)
    field_sec = _section(FieldSection, data["field"], "field") if "field" in data else None
    field = check_field(field_sec, model.dim) if field_sec is not None else None
    exp_data = data["experiment"]
    if not isinstance(exp_data, dict):
        raise ConfigError("experiment", exp_data, "a table [experiment] with a type")
    kind = exp_data.get("type")
    if not isinstance(kind, str) or kind not in EXPERIMENTS:
        raise ConfigError("experiment.type", kind, f"one of {', '.join(EXPERIMENTS)}")
    spec = EXPERIMENTS[kind]
    exp = _section(spec.schema, exp_data, "experiment")
    grid_sec = _section(GridSection, data["grid"], "grid") if "grid" in data else None
    if grid_sec is not None and kind in ("trajectories", "skyrmion"):
        raise ConfigError("grid", data["grid"], f"no [grid] for the {kind} experiment")
    if grid_sec is not None and kind == "streda" and any(
            getattr(grid_sec, k) is not None for k in ("space_half_width", "space_n", "space_periodic")):
        raise ConfigError("grid.space_n", grid_sec.space_n, "no real-space grid for streda "
                                                            "(it solves the homogeneous reduction)")
    check_experiment(exp, model, field_sec, grid_sec)
    if grid_sec is not None or kind == "ske":
        build_grid_section(grid_sec, model)
    if kind in ("trajectories", "ske") and field is not None:
        from ..models import MinimalCoupling
        from .build import _construct

        _construct(MinimalCoupling, dict(model=model, field=field), ("field",))
    numerics = _section(NumericsSection, data.get("numerics", {}), "numerics")
    check_numerics(numerics, kind)
    output = _section(OutputSection, data.get("output", {}), "output")
    return Config(model=model_sec, experiment=exp, field=field_sec, grid=grid_sec,
                  numerics=numerics, output=output, title=title)


def _looks_like_text(source: str) -> bool:
    return "\n" in source or "=" in source or source.lstrip().startswith("[")


def load_config(source) -> Config:
    """Load and validate a configuration from a path (:class:`os.PathLike`, or a ``str`` naming
    an existing file), TOML text (any other string containing a newline, ``=`` or ``[``), or
    parsed data (a dict).

    >>> cfg = load_config('''
    ... [model]
    ... type = "expression"
    ... dim = 2
    ... eps = "0"
    ... gap = ["v*p_x", "v*p_y", "M"]
    ... [model.parameters]
    ... v = 1.0
    ... M = 0.5
    ... [experiment]
    ... type = "trajectories"
    ... ''')
    >>> cfg.experiment.t_span, cfg.model.parameters["M"]
    ([0.0, 10.0], 0.5)
    """
    if isinstance(source, dict):
        return validate(source)
    if isinstance(source, bytes):
        raise ConfigError("<config>", source, "a path or TOML text (str), not bytes")
    if isinstance(source, str) and _looks_like_text(source) and not (
            "\n" not in source and len(source) < 4096 and pathlib.Path(source).is_file()):
        text, where = source, "<text>"
    elif isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ConfigError(str(path), path.stat().st_size, f"a file of at most {MAX_BYTES} bytes")
            text = path.read_text(encoding="utf-8")
        except ConfigError:
            raise
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError("<file>", str(path), f"a readable UTF-8 TOML file ({exc})") from None
        where = str(path)
    else:
        raise ConfigError("<config>", source, "a path, TOML text or a dict")
    if len(text) > MAX_BYTES:
        raise ConfigError("<config>", f"{len(text)} characters", f"at most {MAX_BYTES} characters")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("<toml>", where, f"valid TOML ({exc})") from None
    except (RecursionError, ValueError) as exc:
        raise ConfigError("<toml>", where, f"valid TOML ({type(exc).__name__})") from None
    return validate(data)


_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$")
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _split(path):
    """``'model.gap[1]'`` -> ``['model', 'gap', 1]``."""
    if not isinstance(path, str) or not _PATH.match(path):
        raise ConfigError(str(path), None, "a key path like model.parameters.M or model.gap[1]")
    return [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _PART.finditer(path)]


def with_overrides(config, overrides: dict) -> Config:
    """A new validated Config with the values at the given key paths replaced, e.g.
    ``with_overrides(cfg, {"model.parameters.M": 0.3})`` (used by sweeps). ``model.NAME``,
    where NAME is not a key of [model], is short for ``model.parameters.NAME``. A float with
    an integer value replaces an integer key as an int (so ``grid.n_k`` can be swept)."""
    data = (config if isinstance(config, Config) else validate(config)).to_dict()
    for path, value in overrides.items():
        parts = _split(path)
        if len(parts) == 2 and parts[0] == "model" and parts[1] not in ModelSection.model_fields:
            parts = ["model", "parameters", parts[1]]
        node = data
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if isinstance(part, int):
                ok = isinstance(node, list) and 0 <= part < len(node)
                if not ok:
                    raise ConfigError(path, value, "an index inside the list")
                node = node[part]
            else:
                if not isinstance(node, dict):
                    raise ConfigError(path, value, "a path through tables")
                node = node.setdefault(part, [] if isinstance(nxt, int) else {})
        last = parts[-1]
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            old = node.get(last) if isinstance(node, dict) else (
                node[last] if isinstance(node, list) and isinstance(last, int) and last < len(node) else None)
            if isinstance(old, int) and not isinstance(old, bool):
                value = int(value)
        if isinstance(last, int):
            if not isinstance(node, list) or not 0 <= last < len(node):
                raise ConfigError(path, value, "an index inside the list")
            node[last] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ConfigError(path, value, "a path through tables")
    return validate(data)


def build_model(config: Config, coupled: bool = False):
    """The model of ``config`` (a :class:`berrykin.models.Model`). With ``coupled=True`` and a
    ``[field]``, the model minimally coupled to it (:class:`~berrykin.models.MinimalCoupling`,
    paper Eq. 32), as the trajectories and ske experiments use it."""
    model = build_model_section(config.model)
    if coupled:
        field = build_field(config)
        if field is not None:
            from ..models import MinimalCoupling

            return MinimalCoupling(model, field)
    return model


def build_field(config: Config):
    """The gauge field of ``[field]`` (None without one)."""
    if config.field is None:
        return None
    return build_field_section(config.field, build_model_section(config.model).dim)

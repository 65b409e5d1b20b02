"""Sweep points: the grid of parameter values, per-point directories, markers and the task.

A sweep over ``{"model.m": [..], "field.b": [..]}`` has one point per element of the Cartesian
product (in ``itertools.product`` order of the keys as given). Point ``i`` runs in
``out_dir/point_<i>`` (zero-padded to at least three digits) with the configuration
``with_overrides(config, point)``; a finished point holds ``result.nc`` and the marker
``point.json`` (``config_sha256`` of its configuration, :func:`berrykin.io.netcdf.config_hash`).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import pathlib
import re
import time
import traceback
from dataclasses import dataclass
from numbers import Number

from ..errors import ParameterError
from ..io.atomic import atomic_write
from ..io.netcdf import config_hash

__all__ = ["Point", "make_points", "check_keys", "with_overrides", "plain", "is_finished", "run_point",
           "RESULT", "MARKER"]

RESULT = "result.nc"
MARKER = "point.json"


def _local_overrides(config: dict, overrides: dict) -> dict:
    """Deep copy of ``config`` with ``{"a.b.c": value}`` set (missing tables are created)."""
    out = copy.deepcopy(dict(config))
    for key, value in overrides.items():
        parts = str(key).split(".")
        node = out
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            elif not hasattr(nxt, "items"):
                raise ParameterError("over", key, f"a dotted key into tables of the config ({part!r} is a value)")
            node = nxt
        node[parts[-1]] = value
    return out


def with_overrides(config, overrides: dict):
    """``berrykin.config.with_overrides`` (a validated ``Config``) when available, else a plain
    dotted-key deep update of the dict."""
    try:
        from ..config import with_overrides as wo
    except ImportError:
        return _local_overrides(plain(config), overrides)
    return wo(config, overrides)


def plain(config) -> dict:
    """The configuration as plain data: ``config.to_dict()`` for a ``Config``, else the dict."""
    data = config.to_dict() if hasattr(config, "to_dict") else config
    if not hasattr(data, "items"):
        raise ParameterError("config", config, "a configuration dict or a berrykin.config.Config")
    return data


@dataclass(frozen=True)
class Point:
    """One sweep point: its index, ``{dotted key: value}``, configuration (a ``Config`` or a
    dict, as ``with_overrides`` returns it), directory and configuration hash."""

    index: int
    values: tuple            # ((key, value), ...) in the order of ``over``
    config: object
    directory: str
    key: str

    @property
    def label(self) -> dict:
        return dict(self.values)


def _check_over(over):
    if not hasattr(over, "items") or not over:
        raise ParameterError("over", over, "a non-empty dict {dotted config key: [values]}")
    out = {}
    for k, vals in over.items():
        if not isinstance(k, str) or not k or any(not p for p in k.split(".")):
            raise ParameterError("over", k, "dotted config keys like 'model.m'")
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__iter__"):
            raise ParameterError(f"over[{k!r}]", vals, "a non-empty list of values")
        vals = list(vals)
        ok = all((isinstance(v, Number) and not isinstance(v, bool) and math.isfinite(float(v)))
                 or isinstance(v, str) for v in vals)
        if not vals or not ok:
            raise ParameterError(f"over[{k!r}]", vals, "a non-empty list of finite numbers (or strings)")
        if len(set(vals)) != len(vals):
            raise ParameterError(f"over[{k!r}]", vals, "distinct values (they become coordinates)")
        out[k] = [v.item() if hasattr(v, "item") else v for v in vals]
    return out


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _key_parts(key: str) -> list:
    """``'model.gap[1]'`` -> ``['model', 'gap', 1]``."""
    return [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _KEY_PART.finditer(key)]


def _sweepable(data, prefix="", limit=12) -> list:
    """Dotted keys of the numbers in ``data`` (what a sweep can vary), at most ``limit``."""
    out = []
    for k, v in data.items():
        path = f"{prefix}{k}"
        if path in ("output", "model.dim"):
            continue
        if isinstance(v, dict):
            out += _sweepable(v, path + ".", limit)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(path)
    return out[:limit]


def check_keys(config, over: dict) -> None:
    """Refuse, before anything runs, a key of ``over`` that does not address a field of the
    configuration the run uses (:class:`~berrykin.config.ConfigError`: key, values, allowed).

    The configuration's own validation (run on every point by ``with_overrides``) rejects
    unknown keys of the typed sections and parameters a model does not have; this check adds
    what only a sweep can get wrong: a key under a table the configuration lacks (it would be
    created, e.g. ``field.b`` without ``[field]``), a parameter an expression model does not
    define (``model.parameters.Q``), and a ``[field]`` key that the experiment's own key of the
    same name overrides (``field.b`` with ``experiment.b`` set for streda)."""
    from ..config.errors import ConfigError
    from ..config.schema import ModelSection

    data = plain(config)
    if not hasattr(config, "to_dict"):  # a dict: its validated form has the defaults filled in
        try:
            from ..config import validate
        except ImportError:  # pragma: no cover - berrykin.config absent
            validate = None
        data = validate(data).to_dict() if validate is not None else data
    allowed = ", ".join(_sweepable(data)) or "none"
    for key, values in over.items():
        parts = _key_parts(key)
        if len(parts) == 2 and parts[0] == "model" and parts[1] not in ModelSection.model_fields:
            parts = ["model", "parameters", parts[1]]  # the short form of with_overrides
        if parts[0] == "output":
            raise ConfigError(key, values, f"a key that changes the results ([output] keys do not); "
                                           f"sweepable keys: {allowed}")
        node = data
        for i, part in enumerate(parts[:-1]):
            inside = (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
            if not inside or not isinstance(node[part], (dict, list)):
                table = ".".join(str(p) for p in parts[:i + 1])
                raise ConfigError(key, values, f"a key of this configuration: it has no [{table}] "
                                               f"table (add it to the file first); sweepable keys: {allowed}")
            node = node[part]
        leaf = parts[-1]
        model = data.get("model", {})
        if parts[:2] == ["model", "parameters"] and model.get("type") == "expression" \
                and leaf not in model.get("parameters", {}):
            raise ConfigError(key, values, "a parameter of this expression model: "
                                           f"{', '.join(model.get('parameters', {})) or 'none'}")
        exp = data.get("experiment", {})
        if parts[0] == "field" and len(parts) == 2 and exp.get("type") not in ("trajectories", "ske") \
                and exp.get(leaf) is not None:
            raise ConfigError(key, values, f"a key the {exp.get('type')} experiment uses: "
                                           f"experiment.{leaf} = {exp[leaf]!r} overrides field.{leaf} "
                                           f"(sweep experiment.{leaf} instead)")


def make_points(config: dict, over: dict, out_dir) -> tuple[dict, list[Point]]:
    """The checked ``over`` and the list of :class:`Point` (Cartesian product of the values);
    every key is checked (:func:`check_keys`) and every point validated before any runs."""
    plain(config)
    over = _check_over(over)
    if _has_config():
        check_keys(config, over)
    keys = list(over)
    combos = list(itertools.product(*(over[k] for k in keys)))
    width = max(3, len(str(len(combos) - 1)))
    out = pathlib.Path(out_dir)
    points = []
    for i, combo in enumerate(combos):
        values = tuple(zip(keys, combo))
        cfg = with_overrides(config, dict(values))
        points.append(Point(i, values, cfg, str(out / f"point_{i:0{width}d}"),
                            config_hash(plain(cfg))))
    seen = {}
    for p in points:
        if p.key in seen:
            raise _config_error()(", ".join(over), [seen[p.key].label, p.label],
                                  "values that change the configuration (these two points are the same run)")
        seen[p.key] = p
    return over, points


def _has_config() -> bool:
    try:
        from .. import config  # noqa: F401
    except ImportError:  # pragma: no cover - installations without berrykin.config
        return False
    return True


def _config_error():
    try:
        from ..config.errors import ConfigError
    except ImportError:  # pragma: no cover
        return ParameterError
    return ConfigError


def is_finished(point: Point) -> bool:
    """``result.nc`` exists and the marker (or the file's own config hash) matches the point."""
    d = pathlib.Path(point.directory)
    result = d / RESULT
    if not result.is_file():
        return False
    try:
        if json.loads((d / MARKER).read_text()).get("config_sha256") == point.key:
            return True
    except (OSError, ValueError):
        pass
    try:
        import h5netcdf

        with h5netcdf.File(result, "r") as f:
            return f.attrs.get("berrykin_config_sha256") == point.key
    except Exception:  # unreadable or partial: not finished
        return False


def _default_runner():
    from ..config import run_config

    return run_config


def run_point(runner, point: Point) -> dict:
    """Run one point (in a worker): ``runner(config, directory)``; writes ``result.nc`` (if the
    runner returned a Dataset and did not write it) and the marker. Never raises: returns
    ``{'ok': bool, 'error': str, 'traceback': str, 'seconds': float}``."""
    import xarray as xr

    from ..io.netcdf import write_dataset

    start = time.time()
    d = pathlib.Path(point.directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
        (d / MARKER).unlink(missing_ok=True)
        result = d / RESULT
        before = result.stat().st_mtime_ns if result.exists() else None
        ds = (runner or _default_runner())(point.config, d)
        written = result.exists() and result.stat().st_mtime_ns != before
        if not written:
            if not isinstance(ds, xr.Dataset):
                raise TypeError(f"the runner wrote no {RESULT} and returned {type(ds).__name__}, "
                                "not an xarray.Dataset")
            write_dataset(ds, result, config=plain(point.config))
        marker = {"config_sha256": point.key, "point": point.label, "index": point.index}
        atomic_write(d / MARKER, lambda fh: json.dump(marker, fh, sort_keys=True))
        return {"ok": True, "seconds": time.time() - start}
    except Exception as exc:  # reported to the client, which retries then reports
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                "seconds": time.time() - start}

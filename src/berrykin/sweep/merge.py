"""Merging the per-point result Datasets of a sweep into one Dataset without NaN padding.

Each point's ``result.nc`` has the same variables, but a dimension may differ between points:
an experiment whose times follow the swept parameter (the Streda ramp time ``20/gap``) or a
solver that takes a parameter-dependent number of steps (the sKE ledger). Every dimension of the
per-point results is classified over the finished points:

``shared``
    the same length at every point and, where it has an index coordinate, the same values
    (``band``, grid axes, the save times of an sKE run): kept as it is.
``indexed``
    the same length, but the coordinate values differ (Streda ``time``): the dimension becomes
    ``<dim>_index`` (``0 .. n-1``) and the values become the coordinate ``<dim>`` on
    ``(swept keys..., <dim>_index)``, the per-point time of every sample.
``ragged``
    the length differs (ledger ``step``): the variables on it are stored as CF contiguous
    ragged arrays (CF conventions 9.3.3): the dimension ``<dim>_sample`` holds the samples of all
    points one after another (point order, C order of the swept keys), ``<dim>_count`` on the
    swept keys says how many belong to each point (0 for a failed point) and carries
    ``sample_dimension = '<dim>_sample'``; :func:`point_series` cuts one point out. Along a
    time-like ragged dimension (``time``, ``step``, or one carrying a ``*time`` coordinate) the
    last sample of each point is also stored as ``<name>_final`` on the swept keys (for the
    cumulative ledger: the totals of the run). A variable with more than one ragged dimension
    stays in the point files only; it is listed in ``attrs['sweep_per_point_only']``.

No value is padded: a finished sweep of any experiment gives a NaN-free Dataset (a failed point
is NaN where its data would be, with ``point_ok`` False). ``attrs['sweep_indexed_dims']`` and
``attrs['sweep_ragged_dims']`` (JSON lists) record the layout.
"""

from __future__ import annotations

import json

import numpy as np

from ..errors import ParameterError

__all__ = ["merge_results", "point_series", "classify_dims", "is_time_like"]

SHARED, INDEXED, RAGGED = "shared", "indexed", "ragged"


def _coord_values(ds, dim):
    return ds[dim].values if dim in ds.coords else None


def classify_dims(parts) -> dict:
    """``{dim: 'shared' | 'indexed' | 'ragged'}`` over the per-point Datasets ``parts``."""
    sizes, values, kinds = {}, {}, {}
    for ds in parts:
        for dim, n in ds.sizes.items():
            sizes.setdefault(dim, set()).add(int(n))
            values.setdefault(dim, []).append(_coord_values(ds, dim))
    for dim in sizes:
        if len(sizes[dim]) > 1:
            kinds[dim] = RAGGED
            continue
        vals = values[dim]
        same = all((v is None) == (vals[0] is None) for v in vals) and (
            vals[0] is None or all(np.array_equal(v, vals[0]) for v in vals[1:]))
        kinds[dim] = SHARED if same else INDEXED
    return kinds


def is_time_like(ds, dim) -> bool:
    """A dimension along which samples follow in time: ``time``, ``step``, or one that carries a
    1D coordinate whose name ends with ``time`` (the ledger's ``step_time``)."""
    if dim in ("time", "step"):
        return True
    return any(str(c).endswith("time") and ds[c].dims == (dim,) for c in ds.coords)


def _index_name(dim):
    return f"{dim}_index"


def _prepare(ds, kinds, values):
    """One point's Dataset with indexed dims renamed, its ragged variables split off, and the
    swept keys as leading length-1 dimensions."""
    ragged_names = [v for v in ds.variables if any(kinds.get(d) == RAGGED for d in ds[v].dims)]
    ragged = ds[ragged_names] if ragged_names else None
    ds = ds.drop_vars(ragged_names)
    for dim in [d for d in ds.dims if kinds.get(d) == INDEXED]:
        idx = _index_name(dim)
        n = ds.sizes[dim]
        coord = ds[dim].variable if dim in ds.variables else None
        ds = ds.drop_vars([dim] if coord is not None else []).rename_dims({dim: idx})
        ds = ds.assign_coords({idx: np.arange(n)})
        if coord is not None:
            ds = ds.assign_coords({dim: ((idx,), coord.values, coord.attrs)})
    extra = [c for c in ds.coords if c not in ds.dims]  # non-index coordinates vary by point too
    ds = ds.reset_coords(extra).expand_dims({k: [v] for k, v in values}).set_coords(extra)
    return ds, ragged


def _ragged_variables(over, keys, entries, kinds):
    """CF contiguous ragged arrays of the split-off variables (see the module docstring)."""
    import xarray as xr

    shape = tuple(len(over[k]) for k in keys)
    out, per_point_only, coords = {}, set(), set()
    dims = sorted({d for _, r in entries for v in r.variables for d in r[v].dims if kinds.get(d) == RAGGED})
    for dim in dims:
        sample, count_name = f"{dim}_sample", f"{dim}_count"
        counts = np.zeros(shape, dtype=np.int64)
        names = []
        for _, r in entries:
            for v in r.variables:
                rd = [d for d in r[v].dims if kinds.get(d) == RAGGED]
                if rd == [dim] and v not in names:
                    names.append(v)
                elif len(rd) > 1:
                    per_point_only.add(str(v))
        for index, r in entries:
            if dim in r.dims:
                counts[np.unravel_index(index, shape)] = r.sizes[dim]
        out[count_name] = xr.Variable(tuple(keys), counts, {
            "sample_dimension": sample,
            "description": f"samples of each point along {sample} (CF contiguous ragged array, "
                           "points in C order of the swept keys)"})
        for name in names:
            pieces = [(i, r[name]) for i, r in entries if name in r.variables]
            first = pieces[0][1]
            if any(p.dims != first.dims for _, p in pieces):
                per_point_only.add(str(name))
                continue
            axis = first.dims.index(dim)
            data = np.concatenate([p.values for _, p in pieces], axis=axis)
            rename = {d: (sample if d == dim else _index_name(d) if kinds.get(d) == INDEXED else d)
                      for d in first.dims}
            new_dims = tuple(rename[d] for d in first.dims)
            attrs = dict(first.attrs, sample_count=count_name)
            var_name = str(name)
            out[var_name] = xr.Variable(new_dims, data, attrs)
            if name in first.coords:
                coords.add(var_name)
            if is_time_like(entries[0][1], dim):
                final = np.full(shape + tuple(n for d, n in zip(first.dims, first.shape) if d != dim), np.nan)
                for i, p in pieces:
                    final[np.unravel_index(i, shape)] = p.isel({dim: -1}).values
                other = tuple(rename[d] for d in first.dims if d != dim)
                out[f"{var_name}_final"] = xr.Variable(tuple(keys) + other, final, dict(
                    first.attrs, description=f"{name} at the last sample along {dim} of each point"))
    for name in per_point_only:
        out.pop(name, None)
    return out, sorted(coords & set(out)), sorted(per_point_only)


def merge_results(over: dict, parts: dict):
    """Merge ``parts = {point index: result Dataset}`` of the sweep ``over`` (``{key: values}``,
    Cartesian product in C order) into one Dataset: the swept keys lead every variable, plus
    ``point_ok``; the layout is described in the module docstring."""
    import xarray as xr

    keys = list(over)
    shape = tuple(len(over[k]) for k in keys)
    kinds = classify_dims(list(parts.values()))
    prepared, entries = [], []
    for index in sorted(parts):
        combo = np.unravel_index(index, shape)
        values = [(k, over[k][int(j)]) for k, j in zip(keys, combo)]
        ds, ragged = _prepare(parts[index], kinds, values)
        prepared.append(ds)
        if ragged is not None:
            entries.append((index, ragged))
    merged = xr.merge(prepared, join="outer", compat="no_conflicts", combine_attrs="drop_conflicts") \
        if prepared else xr.Dataset()
    flags = np.zeros(shape, dtype=bool)
    for index in parts:
        flags[np.unravel_index(index, shape)] = True
    status = xr.Dataset({"point_ok": (keys, flags, {"description": "the point finished (else see sweep_failures)"})},
                        coords={k: over[k] for k in keys})
    merged = xr.merge([merged, status], join="outer", compat="no_conflicts", combine_attrs="override")
    per_point_only = []
    if entries:
        ragged, coords, per_point_only = _ragged_variables(over, keys, entries, kinds)
        merged = merged.assign({k: v for k, v in ragged.items()}).set_coords(coords)
    merged.attrs.update({
        "sweep_indexed_dims": json.dumps(sorted(d for d, k in kinds.items() if k == INDEXED)),
        "sweep_ragged_dims": json.dumps(sorted(d for d, k in kinds.items() if k == RAGGED)),
        "sweep_per_point_only": json.dumps(per_point_only),
    })
    return merged.transpose(*keys, ...)


def point_series(ds, name: str, **point):
    """The samples of the ragged variable ``name`` of a merged sweep at one point, given by its
    swept values (``point_series(ds, "ledger_number", **{"model.parameters.m": 1.0})``), as a
    DataArray on the original dimension (``step`` for ``step_sample``), with the ragged
    coordinates of that point (``step_time``).

    >>> import numpy as np, xarray as xr
    >>> parts = {i: xr.Dataset({"N": ("step", np.arange(n) * 1.0)}) for i, n in enumerate([2, 3])}
    >>> ds = merge_results({"m": [1.0, 2.0]}, parts)
    >>> ds["step_count"].values.tolist(), point_series(ds, "N", m=2.0).values.tolist()
    ([2, 3], [0.0, 1.0, 2.0])
    >>> ds["N_final"].values.tolist()
    [1.0, 2.0]
    """
    if name not in ds or not any(str(d).endswith("_sample") for d in ds[name].dims):
        raise ParameterError("name", name, "a ragged variable of a merged sweep (on a *_sample dimension)")
    sample = next(d for d in ds[name].dims if str(d).endswith("_sample"))
    count = ds[f"{sample[:-len('_sample')]}_count"]
    keys = list(count.dims)
    if set(point) != set(keys):
        raise ParameterError("point", point, f"one value for each swept key: {', '.join(keys)}")
    idx = []
    for k in keys:
        where = np.nonzero(np.asarray(ds[k].values) == point[k])[0]
        if where.size != 1:
            raise ParameterError(k, point[k], f"one of the swept values {ds[k].values.tolist()}")
        idx.append(int(where[0]))
    flat = int(np.ravel_multi_index(tuple(idx), count.shape))
    counts = count.values.ravel()
    start = int(counts[:flat].sum())
    out = ds[name].isel({sample: slice(start, start + int(counts[flat]))})
    return out.rename({sample: sample[:-len("_sample")]})

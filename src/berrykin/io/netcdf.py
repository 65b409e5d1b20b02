"""Datasets on disk: NetCDF-4 (HDF5, via h5netcdf) with provenance, written atomically.

:func:`write_dataset` adds provenance attributes to a copy of the Dataset and writes it to a
temporary file in the destination directory, fsyncs it and ``os.replace``-s it onto the
destination: a reader (or a killed writer) never leaves a partial file at ``path`` -- it holds
either the previous file or the complete new one. Provenance attributes (global attrs):

``berrykin_version``
    the package version that wrote the file.
``created_utc``
    ISO 8601 creation time, UTC.
``berrykin_config`` / ``berrykin_config_format`` / ``berrykin_config_sha256``
    the full run configuration as canonical JSON text (keys sorted), its format (``'json'``)
    and the SHA-256 of that text (:func:`config_hash`); absent when no config is given.
``convention_*``
    the units and sign conventions of :mod:`berrykin.conventions` (hbar = e = 1,
    ``H = eps/2 + Delta . tau`` with ``tau = sigma/2``, ``q_s = -s/2``, band order
    ``(s = +1, s = -1)``, coordinate order ``(r_1..r_d, p_1..p_d, t)``).

NetCDF attributes hold strings, numbers and 1D arrays/lists of numbers or of strings; any other
attribute value (bool, None, dict, nested list, objects) is stored as a string (JSON where
possible; bools as ``'True'``/``'False'``). An attribute named ``coordinates`` (which CF
readers would interpret) is stored as ``berrykin_attr_coordinates`` and restored on reading;
times are not CF-decoded (berrykin times are floats in 1/energy). Complex variables (not part of NetCDF) are stored
with a trailing dimension ``complex = (re, im)`` and the attribute ``berrykin_complex = 1``;
:func:`read_dataset` joins them back. Arrays keep float64.

>>> import os, tempfile, numpy as np, xarray as xr
>>> p = os.path.join(tempfile.mkdtemp(), "r.nc")
>>> _ = write_dataset(xr.Dataset({"x": ("t", np.arange(3.0))}), p, config={"model": {"m": 1.0}})
>>> ds = read_dataset(p)
>>> float(ds.x[-1]), dataset_config(ds)
(2.0, {'model': {'m': 1.0}})
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import pathlib
from numbers import Number

import numpy as np

from ..errors import ParameterError, ResultFileError
from .atomic import atomic_path

__all__ = ["write_dataset", "read_dataset", "config_hash", "config_text", "dataset_config",
           "provenance_attrs"]

_ENGINE = "h5netcdf"
_COMPLEX_DIM = "complex"
_COMPLEX_ATTR = "berrykin_complex"
#: attribute names with a CF meaning (a global ``coordinates`` text would turn the variables it
#: happens to name into coordinates on reading); stored as ``berrykin_attr_<name>``.
_RESERVED = ("coordinates",)
_RENAMED = "berrykin_attr_"
#: The first bytes of every HDF5 (NetCDF-4) file.
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


# -- configuration text and hash ----------------------------------------------------------------
def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=repr)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return str(obj)


def config_text(config: dict) -> str:
    """Canonical JSON text of a configuration mapping (keys sorted, no whitespace variation)."""
    if not hasattr(config, "items"):
        raise ParameterError("config", config, "a mapping (dict) of configuration values or None")
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=_json_default,
                      allow_nan=True)


def config_hash(config: dict) -> str:
    """SHA-256 (hex) of :func:`config_text`: equal configurations give equal hashes."""
    return hashlib.sha256(config_text(config).encode("utf-8")).hexdigest()


def dataset_config(ds) -> dict | None:
    """The configuration stored by :func:`write_dataset` (a dict), or None if there is none."""
    text = ds.attrs.get("berrykin_config")
    return None if text is None else json.loads(text)


# -- provenance -------------------------------------------------------------------------------------
def provenance_attrs(config: dict | None = None) -> dict:
    """The provenance attributes :func:`write_dataset` adds (see the module docstring)."""
    from .. import __version__, conventions

    attrs = {
        "berrykin_version": __version__,
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "convention_units": f"hbar = {conventions.HBAR:g}, e = {conventions.CHARGE:g}; charges absorbed "
                            "in the fields (b = eB, e = eE)",
        "convention_hamiltonian": "H = eps/2 + Delta . tau, tau = sigma/2 (paper Eq. 12); "
                                  "eps_s = (eps + s |Delta|)/2",
        "convention_band_order": "bands ordered (s = +1, s = -1); s = +1 is aligned with Delta (upper)",
        "convention_band_labels": np.asarray(conventions.BANDS, dtype=np.int64),
        "convention_fictitious_charge": "q_s = -s/2; band Berry curvature Omega_s = q_s F",
        "convention_coordinates": "(r_1..r_d, p_1..p_d, t); p canonical momentum",
        "convention_hall": "nu = (1/4 pi) z . Int d^2k n_z B_k = -C_lower (errata 4, choice 9)",
    }
    if config is not None:
        attrs["berrykin_config"] = config_text(config)
        attrs["berrykin_config_format"] = "json"
        attrs["berrykin_config_sha256"] = config_hash(config)
    return attrs


# -- attribute and variable sanitising ------------------------------------------------------------
def _attr_value(v):
    """An attribute value NetCDF can store: v itself, or a string."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, str):
        return v
    if isinstance(v, (Number, np.number)) and not isinstance(v, complex) and not np.iscomplexobj(v):
        return v
    if isinstance(v, (list, tuple, np.ndarray)):
        a = np.asarray(v) if not isinstance(v, np.ndarray) else v
        if a.ndim == 1 and a.size > 0 and (a.dtype.kind in "iuf" or
                                           (a.dtype.kind == "U" and all(isinstance(x, str) for x in v))):
            return a if isinstance(v, np.ndarray) else list(v)
    try:
        return json.dumps(v, default=_json_default, sort_keys=True)
    except (TypeError, ValueError):
        return str(v)


def _clean_attrs(attrs: dict) -> dict:
    """Storable values; attribute names that CF decoding would interpret (``coordinates``) are
    stored under a prefixed name and restored by :func:`read_dataset`."""
    return {(_RENAMED + str(k) if str(k) in _RESERVED else str(k)): _attr_value(v) for k, v in attrs.items()}


def _restore_attrs(attrs: dict) -> dict:
    return {(k[len(_RENAMED):] if k.startswith(_RENAMED) else k): v for k, v in attrs.items()}


#: Encodings of a Dataset read from a file that no longer fit once it was reshaped or merged.
_STALE_ENCODING = ("chunksizes", "contiguous", "zlib", "compression", "compression_opts", "complevel",
                   "shuffle", "fletcher32", "source", "original_shape", "preferred_chunks")


def _prepare(ds, config):
    import xarray as xr

    out = ds.copy(deep=False)
    out.encoding = {}
    for name in list(out.variables):
        out[name].encoding = {k: v for k, v in out[name].encoding.items() if k not in _STALE_ENCODING}
        var = out[name].variable
        if np.iscomplexobj(var.values):
            if name in out.coords:
                raise ParameterError("ds", name, "real coordinates (complex coordinates are not supported)")
            data = np.stack([var.values.real, var.values.imag], axis=-1)
            attrs = dict(var.attrs, **{_COMPLEX_ATTR: 1})
            out[name] = xr.Variable(var.dims + (_COMPLEX_DIM,), data, attrs)
        out[name].attrs = _clean_attrs(out[name].attrs)
    out.attrs = _clean_attrs({**ds.attrs, **provenance_attrs(config)})
    return out


# -- public API -----------------------------------------------------------------------------------
def write_dataset(ds, path, *, config: dict | None = None) -> pathlib.Path:
    """Write ``ds`` to ``path`` (NetCDF-4 via h5netcdf) with provenance, atomically.

    Parameters
    ----------
    ds : ``xarray.Dataset`` (not modified; attributes are sanitised on a copy).
    path : destination file; its directory is created if missing.
    config : the full configuration that produced ``ds`` (a dict, or an object with
        ``to_dict()`` such as :class:`berrykin.config.Config`), stored as JSON text with its hash.

    Returns the destination as a ``pathlib.Path``. The write goes to a temporary file
    ``.<name>.<random>.tmp`` in the same directory, is fsynced and then ``os.replace``-d onto
    ``path``; on any exception the temporary file is removed and ``path`` is untouched.
    """
    import xarray as xr

    if not isinstance(ds, xr.Dataset):
        raise ParameterError("ds", type(ds).__name__, "an xarray.Dataset")
    if config is not None and hasattr(config, "to_dict"):  # a berrykin.config.Config
        config = config.to_dict()
    if config is not None and not hasattr(config, "items"):
        raise ParameterError("config", config, "a mapping (dict) of configuration values or None")
    path = pathlib.Path(path)
    if path.exists() and path.is_dir():
        raise ParameterError("path", str(path), "a file path, not a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    prepared = _prepare(ds, config)
    with atomic_path(path) as tmp:
        prepared.to_netcdf(tmp, engine=_ENGINE, mode="w")
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def read_dataset(path):
    """Read a file written by :func:`write_dataset` fully into memory (the file is closed).

    Complex variables stored as ``(..., complex)`` pairs are joined back; the provenance
    attributes are kept (see :func:`dataset_config` for the configuration). A missing file, a
    file that is not NetCDF and a damaged one raise :class:`~berrykin.errors.ResultFileError`
    (the file, what is wrong, what to do).
    """
    import xarray as xr

    path = pathlib.Path(path)
    remedy = "give a result file written by berrykin (result.nc of berrykin run, sweep.nc of berrykin sweep)"
    if not path.is_file():
        raise ResultFileError(path, "no such file" if not path.exists() else "not a file", remedy)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ResultFileError(path, f"cannot be read ({exc.strerror})", "check its permissions") from None
    try:
        with xr.open_dataset(path, engine=_ENGINE, decode_times=False, decode_timedelta=False) as ds:
            ds = ds.load()
    except Exception:  # h5py/h5netcdf/xarray raise OSError, KeyError, ValueError, ... on bad files
        if head[:3] == b"CDF":
            raise ResultFileError(path, "a NetCDF-3 (classic) file; berrykin reads NetCDF-4 (HDF5)",
                                  remedy) from None
        if head != _HDF5_SIGNATURE:
            raise ResultFileError(path, "not a NetCDF file", remedy) from None
        raise ResultFileError(path, "a damaged or truncated NetCDF file (or one berrykin cannot read)",
                              "write it again (berrykin run or sweep)") from None
    ds.attrs = _restore_attrs(ds.attrs)
    for name in list(ds.variables):
        ds[name].attrs = _restore_attrs(ds[name].attrs)
        var = ds[name].variable
        if var.attrs.get(_COMPLEX_ATTR) == 1 and var.dims and var.dims[-1] == _COMPLEX_DIM:
            attrs = {k: v for k, v in var.attrs.items() if k != _COMPLEX_ATTR}
            data = var.values[..., 0] + 1j * var.values[..., 1]
            ds[name] = xr.Variable(var.dims[:-1], data, attrs)
    return ds

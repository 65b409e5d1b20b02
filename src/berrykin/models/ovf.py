"""OOMMF vector-field files (OVF 1.0 and 2.0, rectangular meshes): a small reader and writer.

The format (OOMMF user guide, "OVF 1.0" and "OVF 2.0" vector field formats) is a text header
of ``# key: value`` lines (keys case- and space-insensitive, ``##`` starts a comment) followed
by one data block:

- ``# Begin: Data Text``: the values as decimal numbers, any whitespace between them;
- ``# Begin: Data Binary 4`` / ``Binary 8``: IEEE floats, first the control number
  ``1234567.0`` (4 bytes) or ``123456789012345.0`` (8 bytes), then the values. OVF 2.0 binary
  data are little-endian, OVF 1.0 binary data big-endian (network order).

Values are ordered with x fastest, then y, then z, the components of a node together. The
cell ``(i, j, k)`` has its centre at ``(xbase + i xstepsize, ybase + j ystepsize, zbase + k
zstepsize)`` in ``meshunit``. OVF 1.0 values are multiplied by ``valuemultiplier``.
This module lives in ``models`` (the bottom layer) because textures are read from it; it
imports NumPy only. Every problem with a file raises :class:`~berrykin.errors.OVFError`
naming the file and what is wrong.
"""

from __future__ import annotations

import enum
import io
import math
import os
import re
from dataclasses import dataclass

import numpy as np

from ..errors import OVFError, ParameterError

#: Control numbers that open every binary data block (OVF 1.0 and 2.0).
CONTROL_4 = 1234567.0
CONTROL_8 = 123456789012345.0

_AXES = ("x", "y", "z")
_END_DATA = re.compile(rb"#\s*end\s*:\s*data", re.IGNORECASE)
_TRAILER = re.compile(rb"\s*#\s*end\s*:\s*data", re.IGNORECASE)


class OVFFormat(enum.Enum):
    """Data block encoding: ``TEXT`` (decimal, 17 significant digits when written),
    ``BINARY4`` (float32) or ``BINARY8`` (float64)."""

    TEXT = "text"
    BINARY4 = "binary 4"
    BINARY8 = "binary 8"

    @classmethod
    def parse(cls, value) -> "OVFFormat":
        """``value`` as an OVFFormat (an OVFFormat or one of 'text', 'binary 4', 'binary 8')."""
        if isinstance(value, cls):
            return value
        key = " ".join(str(value).lower().replace("binary", "binary ").split())
        for f in cls:
            if f.value == key:
                return f
        raise ParameterError("format", value, "OVFFormat.TEXT, OVFFormat.BINARY4 or OVFFormat.BINARY8 "
                                              "('text', 'binary 4', 'binary 8')")


@dataclass(frozen=True)
class OVFData:
    """The contents of one OVF file.

    data : (nx, ny, nz, valuedim) float64, the values as in the file (OVF 1.0: times
        ``valuemultiplier``). base : centre of cell (0, 0, 0); step : cell sizes (both in
        ``mesh_unit``). value_units : one label per component. version : 1 or 2.
    """

    data: np.ndarray
    base: tuple
    step: tuple
    mesh_unit: str
    title: str
    value_units: tuple
    version: int
    format: OVFFormat
    desc: tuple = ()


def _fail(path, problem, remedy=None):
    raise OVFError(os.fspath(path), problem, remedy)


def _header_version(path, line: str) -> int:
    compact = "".join(line.lower().split())
    if compact == "#oommfovf2.0":
        return 2
    if compact == "#oommf:rectangularmeshv1.0":
        return 1
    if compact.startswith("#oommf:irregularmesh"):
        _fail(path, "irregular meshes are not supported", "export the field on a rectangular mesh")
    _fail(path, f"first line {line[:60]!r} is not an OVF header",
          "expected '# OOMMF OVF 2.0' or '# OOMMF: rectangular mesh v1.0'")


def _parse_header(path, raw: bytes):
    """Header dict, Desc lines, version, data format and the offset where the data begin."""
    pos, lineno, version, header, desc = 0, 0, None, {}, []
    while True:
        nl = raw.find(b"\n", pos)
        if nl < 0:
            _fail(path, "no '# Begin: Data ...' line: the header never ends", "the file is truncated")
        line = raw[pos:nl].decode("latin-1").rstrip("\r")
        pos, lineno = nl + 1, lineno + 1
        if version is None:
            version = _header_version(path, line)
            continue
        text = line.strip()
        if not text:
            continue
        if not text.startswith("#"):
            _fail(path, f"header line {lineno} {text[:40]!r} does not start with '#'")
        body = text.split("##", 1)[0][1:]
        if ":" not in body:
            continue
        key, value = body.split(":", 1)
        key, value = "".join(key.lower().split()), value.strip()
        if key == "begin":
            what = "".join(value.lower().split())
            if not what.startswith("data"):
                continue
            fmt = {"text": OVFFormat.TEXT, "binary4": OVFFormat.BINARY4, "binary8": OVFFormat.BINARY8}.get(what[4:])
            if fmt is None:
                _fail(path, f"unknown data format {value!r} (line {lineno})",
                      "supported: 'Data Text', 'Data Binary 4', 'Data Binary 8'")
            return header, tuple(desc), version, fmt, pos
        if key == "desc":
            desc.append(value)
        elif key:
            header[key] = value


def _number(path, header, key, kind=float):
    if key not in header:
        return None
    text = header[key].split()[0] if header[key].split() else ""
    try:
        x = kind(text) if kind is int else float(text)
    except ValueError:
        _fail(path, f"header '{key}: {header[key]}' is not a number")
    if not math.isfinite(x):
        _fail(path, f"header '{key}: {header[key]}' is not finite")
    return x


def _geometry(path, header, version):
    if "segmentcount" in header and _number(path, header, "segmentcount", int) != 1:
        _fail(path, f"'Segment count: {header['segmentcount']}': only single-segment files are supported")
    meshtype = header.get("meshtype", "rectangular").lower()
    if meshtype != "rectangular":
        _fail(path, f"meshtype {meshtype!r} is not supported", "only rectangular meshes")
    nodes, step, base = [], [], []
    for a in _AXES:
        n = _number(path, header, a + "nodes", int)
        if n is None or n < 1:
            _fail(path, f"header '{a}nodes' is missing or < 1")
        h = _number(path, header, a + "stepsize")
        if h is None or h <= 0:
            _fail(path, f"header '{a}stepsize' is missing or not > 0 (got {header.get(a + 'stepsize')!r})",
                  "negative step sizes (mirrored meshes) are not supported")
        b = _number(path, header, a + "base")
        if b is None:
            lo = _number(path, header, a + "min")
            if lo is None:
                _fail(path, f"neither '{a}base' nor '{a}min' is in the header")
            b = lo + h / 2
        nodes.append(n), step.append(h), base.append(b)
    if version == 2:
        vdim = _number(path, header, "valuedim", int)
        if vdim is None or vdim < 1:
            _fail(path, "OVF 2.0 header 'valuedim' is missing or < 1")
        units = tuple(header.get("valueunits", "1").split()) or ("1",)
    else:
        vdim = 3
        units = (header.get("valueunit", "1").strip() or "1",)
    return tuple(nodes), tuple(step), tuple(base), vdim, units


def _read_values(path, raw, start, fmt, version, count):
    if fmt is OVFFormat.TEXT:
        end = _END_DATA.search(raw, start)
        if end is None:
            _fail(path, "no '# End: Data Text' line after the data", "the file is truncated")
        tokens = raw[start:end.start()].split()
        if len(tokens) != count:
            _fail(path, f"text data hold {len(tokens)} numbers, the header needs "
                        f"xnodes*ynodes*znodes*valuedim = {count}", "the file is truncated or the header is wrong")
        try:
            return np.array(tokens, dtype=np.float64)
        except ValueError:
            _fail(path, "text data contain an entry that is not a number")
    width = 4 if fmt is OVFFormat.BINARY4 else 8
    order = "<" if version == 2 else ">"
    dtype = np.dtype(f"{order}f{width}")
    need = (1 + count) * width
    if len(raw) - start < need:
        _fail(path, f"binary data truncated: {len(raw) - start} bytes after '# Begin: Data Binary {width}', "
                    f"the header needs {need} (control number + {count} values)")
    expected = CONTROL_4 if width == 4 else CONTROL_8
    control = float(np.frombuffer(raw, dtype, 1, start)[0])
    if control != expected:
        swapped = float(np.frombuffer(raw, dtype.newbyteorder(), 1, start)[0])
        hint = (f"the data have the byte order of OVF {3 - version}.0: the first header line is wrong"
                if swapped == expected else "the data are corrupt or not of this format")
        _fail(path, f"wrong control number {control!r} in 'Binary {width}' data (expected {expected!r}, "
                    f"{'little' if version == 2 else 'big'}-endian for OVF {version}.0)", hint)
    values = np.frombuffer(raw, dtype, count, start + width).astype(np.float64)
    if _TRAILER.match(raw, start + need) is None:
        _fail(path, f"no '# End: Data Binary {width}' line right after the {count} values",
              "the header's node counts or valuedim do not match the data")
    return values


def read_ovf(path) -> OVFData:
    """Read an OVF 1.0 or 2.0 file (rectangular mesh; text, binary 4 or binary 8).

    Returns :class:`OVFData` with ``data`` of shape (nx, ny, nz, valuedim). Raises
    :class:`~berrykin.errors.OVFError` (naming the file) for a missing file, an unknown version
    or data format, a wrong control number, truncated data or an inconsistent header.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        _fail(path, f"cannot be read ({exc.strerror or exc})")
    header, desc, version, fmt, start = _parse_header(path, raw)
    nodes, step, base, vdim, units = _geometry(path, header, version)
    count = nodes[0] * nodes[1] * nodes[2] * vdim
    values = _read_values(path, raw, start, fmt, version, count)
    if not np.all(np.isfinite(values)):
        _fail(path, "the data contain NaN or infinite values")
    if version == 1:
        mult = _number(path, header, "valuemultiplier")
        if mult is not None and mult != 1.0:
            values = values * mult
    data = values.reshape(nodes[2], nodes[1], nodes[0], vdim).transpose(2, 1, 0, 3)
    return OVFData(np.ascontiguousarray(data), base, step, header.get("meshunit", "1").strip() or "1",
                   header.get("title", ""), units, version, fmt, desc)


def _fmt(x) -> str:
    return repr(float(x))


def write_ovf(path, data, base, step, *, format=OVFFormat.BINARY8, version=2, title="m", mesh_unit="m",
              value_unit="1", desc=("written by berrykin",)):
    """Write a vector field ``data`` (nx, ny, nz, 3) as an OVF ``version`` (1 or 2) file.

    ``base``: centre of cell (0, 0, 0), ``step``: cell sizes (3,), in ``mesh_unit``. Headers
    follow mumax3's layout. Text data are written with 17 significant digits, so text and
    binary 8 files reproduce float64 data bit for bit; binary 4 rounds to float32.
    """
    fmt = OVFFormat.parse(format)
    if version not in (1, 2):
        raise ParameterError("version", version, "1 (OVF 1.0) or 2 (OVF 2.0)")
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 4 or data.shape[-1] != 3:
        raise ParameterError("data", data.shape, "shape (nx, ny, nz, 3)")
    if not np.all(np.isfinite(data)):
        raise ParameterError("data", "NaN/inf entries", "finite values")
    if fmt is OVFFormat.BINARY4 and data.size and np.max(np.abs(data)) > np.finfo(np.float32).max:
        raise ParameterError("format", fmt.value, "'binary 8' or 'text': the values exceed the float32 range")
    base, step = [float(b) for b in base], [float(h) for h in step]
    n = data.shape[:3]
    lines = ["# OOMMF OVF 2.0" if version == 2 else "# OOMMF: rectangular mesh v1.0",
             "# Segment count: 1", "# Begin: Segment", "# Begin: Header", f"# Title: {title}"]
    lines += [f"# Desc: {d}" for d in desc]
    lines += ["# meshtype: rectangular", f"# meshunit: {mesh_unit}"]
    lines += [f"# {a}min: {_fmt(base[i] - step[i] / 2)}" for i, a in enumerate(_AXES)]
    lines += [f"# {a}max: {_fmt(base[i] - step[i] / 2 + n[i] * step[i])}" for i, a in enumerate(_AXES)]
    if version == 2:
        lines += ["# valuedim: 3", f"# valuelabels: {title}_x {title}_y {title}_z",
                  f"# valueunits: {value_unit} {value_unit} {value_unit}"]
    else:
        lines += [f"# valueunit: {value_unit}", "# valuemultiplier: 1"]
    lines += [f"# {a}base: {_fmt(base[i])}" for i, a in enumerate(_AXES)]
    lines += [f"# {a}nodes: {n[i]}" for i, a in enumerate(_AXES)]
    lines += [f"# {a}stepsize: {_fmt(step[i])}" for i, a in enumerate(_AXES)]
    label = {OVFFormat.TEXT: "Text", OVFFormat.BINARY4: "Binary 4", OVFFormat.BINARY8: "Binary 8"}[fmt]
    lines += ["# End: Header", f"# Begin: Data {label}"]
    flat = data.transpose(2, 1, 0, 3).reshape(-1, 3)
    buf = io.BytesIO()
    buf.write(("\n".join(lines) + "\n").encode("ascii", "replace"))
    if fmt is OVFFormat.TEXT:
        np.savetxt(buf, flat, fmt="%.17g")
    else:
        order = "<" if version == 2 else ">"
        width = 4 if fmt is OVFFormat.BINARY4 else 8
        dtype = np.dtype(f"{order}f{width}")
        buf.write(np.array([CONTROL_4 if width == 4 else CONTROL_8], dtype).tobytes())
        buf.write(flat.astype(dtype).tobytes())
        buf.write(b"\n")
    buf.write(f"# End: Data {label}\n# End: Segment\n".encode("ascii"))
    try:
        with open(path, "wb") as fh:
            fh.write(buf.getvalue())
    except OSError as exc:
        _fail(path, f"cannot be written ({exc.strerror or exc})")

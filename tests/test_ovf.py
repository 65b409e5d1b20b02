"""OVF 1.0/2.0 files: bit-exact round trips, files from independent writers, bad files.

The independent writers below build files line by line and value by value (struct.pack in
nested z-y-x loops), copying the headers of mumax3's writer (oommf/ovf2.go, ovf1.go: the
same keys, order and spacing, e.g. '# Desc: Total simulation time:  0  s', no newline
between binary data and '# End: Data Binary 4', Go's shortest float32 text with a trailing
space) and of OOMMF (the OVF 1.0 example of the OOMMF user guide with '##' comments, blank
'#' lines, lower-case 'data text' and several triples per line; an Oxs OVF 2.0 binary 8 file).
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from berrykin.errors import OVFError, ParameterError
from berrykin.models import GriddedTexture, OVFFormat, read_ovf


def _field(nx, ny, nz, seed=0, dtype=np.float64, scale=1.0):
    """Random vectors of norm ``scale`` (nx, ny, nz, 3), exact in ``dtype``, two zero cells."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(nx, ny, nz, 3))
    v *= scale / np.linalg.norm(v, axis=-1, keepdims=True)
    v = v.astype(dtype).astype(np.float64)
    v[0, 0], v[nx - 1, 1] = 0.0, 0.0
    return v


def _mumax_header(version, nodes, cell, fmt_label, ncomp=3):
    nx, ny, nz = nodes
    g = lambda x: f"{x:g}"  # noqa: E731  (Go's %v of these round numbers)
    if version == 2:
        lines = ["# OOMMF OVF 2.0", "# Segment count: 1", "# Begin: Segment", "# Begin: Header",
                 "# Title: m", "# meshtype: rectangular", "# meshunit: m",
                 "# xmin: 0", "# ymin: 0", "# zmin: 0",
                 f"# xmax: {g(cell[0] * nx)}", f"# ymax: {g(cell[1] * ny)}", f"# zmax: {g(cell[2] * nz)}",
                 f"# valuedim: {ncomp}", "# valuelabels: m_x m_y m_z"[: 15 + 4 * ncomp - 1],
                 "# valueunits: " + " ".join(["1"] * ncomp), "# Desc: Total simulation time:  0  s",
                 f"# xbase: {g(cell[0] / 2)}", f"# ybase: {g(cell[1] / 2)}", f"# zbase: {g(cell[2] / 2)}",
                 f"# xnodes: {nx}", f"# ynodes: {ny}", f"# znodes: {nz}",
                 f"# xstepsize: {g(cell[0])}", f"# ystepsize: {g(cell[1])}", f"# zstepsize: {g(cell[2])}",
                 "# End: Header", f"# Begin: Data {fmt_label}"]
    else:
        lines = ["# OOMMF: rectangular mesh v1.0", "# Segment count: 1", "# Begin: Segment", "# Begin: Header",
                 "# Desc: Time (s) :  0", "# Title: m", "# meshtype: rectangular", "# meshunit: m",
                 f"# xbase: {g(cell[0] / 2)}", f"# ybase: {g(cell[1] / 2)}", f"# zbase: {g(cell[2] / 2)}",
                 f"# xstepsize: {g(cell[0])}", f"# ystepsize: {g(cell[1])}", f"# zstepsize: {g(cell[2])}",
                 "# xmin: 0", "# ymin: 0", "# zmin: 0",
                 f"# xmax: {g(cell[0] * nx)}", f"# ymax: {g(cell[1] * ny)}", f"# zmax: {g(cell[2] * nz)}",
                 f"# xnodes: {nx}", f"# ynodes: {ny}", f"# znodes: {nz}",
                 "# ValueRangeMinMag: 1e-08", "# ValueRangeMaxMag: 1", "# valueunit: ", "# valuemultiplier: 1",
                 "# End: Header", f"# Begin: Data {fmt_label}"]
    return ("\n".join(lines) + "\n").encode()


def _mumax_file(path, data, cell, version=2, fmt="Binary 4"):
    """mumax3's writer, by hand: float32 data, x fastest; OVF2 little-, OVF1 big-endian."""
    nx, ny, nz, nc = data.shape
    out = bytearray(_mumax_header(version, (nx, ny, nz), cell, fmt, nc))
    if fmt == "Binary 4":
        order = "<" if version == 2 else ">"
        out += struct.pack(order + "f", 1234567.0)
        for iz in range(nz):
            for iy in range(ny):
                for ix in range(nx):
                    for c in range(nc):
                        out += struct.pack(order + "f", data[ix, iy, iz, c])
    else:  # Go's fmt.Fprint(float32, " ") per value, then "\n" per cell
        for iz in range(nz):
            for iy in range(ny):
                for ix in range(nx):
                    out += ("".join(f"{np.float32(data[ix, iy, iz, c])} " for c in range(nc)) + "\n").encode()
    out += f"# End: Data {fmt}\n# End: Segment\n".encode()
    path.write_bytes(bytes(out))
    return path


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("fmt", list(OVFFormat))
def test_round_trip_is_bit_exact(tmp_path, version, fmt):
    vals = _field(7, 5, 1, dtype=np.float32 if fmt is OVFFormat.BINARY4 else np.float64, scale=8.0e5)
    tex = GriddedTexture(vals[:, :, 0], (1.25e-9, 2.5e-9), (3.0e-10, -7.1e-9), thickness=(1e-9, 2e-9),
                         value_unit="A/m", mesh_unit="m", title="M")
    first = tmp_path / "a.ovf"
    tex.to_ovf(first, format=fmt, version=version)
    back = GriddedTexture.from_ovf(first)
    assert np.array_equal(back.values, tex.values)
    assert np.array_equal(back.mask, tex.mask) and back.mask.sum() == 2
    assert back.spacing == tex.spacing and back.origin == tex.origin and back.thickness == tex.thickness
    assert (back.value_unit, back.mesh_unit, back.title) == ("A/m", "m", "M")
    second = tmp_path / "b.ovf"
    back.to_ovf(second, format=fmt, version=version)
    assert first.read_bytes() == second.read_bytes()
    info = read_ovf(first)
    assert (info.version, info.format, info.data.shape) == (version, fmt, (7, 5, 1, 3))


def test_round_trip_3d_and_layers(tmp_path):
    vals = _field(4, 3, 5, seed=4)
    tex = GriddedTexture(vals, (1.0, 2.0, 0.5), (0.0, 0.0, 0.0))
    path = tmp_path / "c.ovf"
    tex.to_ovf(path, format=OVFFormat.TEXT)
    full = GriddedTexture.from_ovf(path, layer=None)
    assert full.dim == 3 and np.array_equal(full.values, vals)
    assert full.cell_centers.shape == (4, 3, 5, 3)
    assert np.allclose(full.cell_centers[1, 2, 3], [1.0, 4.0, 1.5], rtol=0, atol=1e-15)
    two = GriddedTexture.from_ovf(path, layer=3)
    assert two.dim == 2 and np.array_equal(two.values, vals[:, :, 3]) and two.thickness == (1.5, 0.5)
    with pytest.raises(ParameterError, match="layer"):
        GriddedTexture.from_ovf(path, layer=5)


@pytest.mark.parametrize("version,fmt", [(2, "Binary 4"), (2, "Text"), (1, "Binary 4")])
def test_reads_mumax3_files(tmp_path, version, fmt):
    data = _field(8, 6, 2, seed=5, dtype=np.float32)
    data[2:4, 2:4, :] = 0.0  # a hole in the geometry: mumax3 writes m = 0 there
    path = _mumax_file(tmp_path / "m000000.ovf", data, (2e-9, 2e-9, 1e-9), version, fmt)
    tex = GriddedTexture.from_ovf(path, layer=1)
    # text holds Go's shortest float32 decimal: equal to the float32 value as a float32
    got = tex.values.astype(np.float32) if fmt == "Text" else tex.values
    assert np.array_equal(got, data[:, :, 1].astype(np.float32) if fmt == "Text" else data[:, :, 1])
    assert np.array_equal(tex.mask, np.linalg.norm(data[:, :, 1], axis=-1) == 0)
    assert tex.mask.sum() == 4 + 2  # the hole plus the two zero cells of _field
    assert tex.spacing == (2e-9, 2e-9) and tex.origin == (1e-9, 1e-9) and tex.mesh_unit == "m"
    assert tex.thickness == pytest.approx((1.5e-9, 1e-9), rel=1e-15)
    nm = GriddedTexture.from_ovf(path, layer=1, length_unit="nm")
    assert nm.spacing == pytest.approx((2.0, 2.0), rel=1e-15) and nm.mesh_unit == "nm"
    assert nm.cell_centers[3, 2] == pytest.approx([7.0, 5.0], rel=1e-15)
    cells = GriddedTexture.from_ovf(path, layer=1, length_unit=2e-9)
    assert cells.spacing == pytest.approx((1.0, 1.0), rel=1e-15)
    with pytest.raises(ParameterError, match="length_unit"):
        GriddedTexture.from_ovf(path, length_unit="furlong")


OOMMF_OVF1_TEXT = """# OOMMF: rectangular mesh v1.0
#
## This is a comment.
#
# Segment count: 1 ## Number of segments. Should be 1 for now.
#
# Begin: Segment
# Begin: Header
#
# Title: Long file name or title goes here
#
# Desc: Optional description line 1.
# Desc: Optional description line 2.
#
## Fundamental mesh measurement unit. Treated as a label:
# meshunit: nm
#
# meshtype: rectangular
# xbase: 0. ## (xbase,ybase,zbase) is the position, in
# ybase: 0. ## 'meshunit', of the first point in the data
# zbase: 0. ## section (below).
#
# xstepsize: 20. ## Distance between adjacent grid pts.
#   YSTEPSIZE :   10.
# zstepsize: 10.
#
# xnodes: 3 ## Number of nodes along the x-axis, etc. (integers)
# ynodes:   2
# znodes: 1
#
# xmin: -10.
# ymin: -5.
# zmin: -5.
# xmax: 50.
# ymax: 15.
# zmax: 5.
#
## Fundamental field value unit, treated as a label:
# valueunit: kA/m
# valuemultiplier: 0.5 ## Multiply data block values by this
#
# ValueRangeMaxMag: 1005.3096
# ValueRangeMinMag: 1e-8
#
# End: Header
#
## Anything between '# End: Header' and '# Begin: data text' is ignored.
#
# Begin: data text
1000 0 0 724.1 0. 700.023
578.5 500.4 -652.36
0 0 0
   0.0   0.0   0.0
252.34 -696.42 -671.81
# End: data text
# End: segment
"""


def test_reads_the_oommf_ovf1_text_example(tmp_path):
    path = tmp_path / "guide.omf"
    path.write_text(OOMMF_OVF1_TEXT)
    tex = GriddedTexture.from_ovf(path)
    rows = [[1000, 0, 0], [724.1, 0, 700.023], [578.5, 500.4, -652.36], [0, 0, 0], [0, 0, 0],
            [252.34, -696.42, -671.81]]
    expect = 0.5 * np.array(rows).reshape(2, 3, 3).transpose(1, 0, 2)  # x fastest
    assert np.array_equal(tex.values, expect)
    assert tex.mask.tolist() == [[False, True], [False, True], [False, False]]
    assert tex.spacing == (20.0, 10.0) and tex.origin == (0.0, 0.0) and tex.mesh_unit == "nm"
    assert tex.value_unit == "kA/m" and tex.title == "Long file name or title goes here"
    assert read_ovf(path).desc == ("Optional description line 1.", "Optional description line 2.")


def _oxs_ovf2_binary8(path, data, step):
    nx, ny, nz, _ = data.shape
    head = f"""# OOMMF OVF 2.0
#
# Segment count: 1
#
# Begin: Segment
# Begin: Header
#
# Title: Oxs_TimeDriver::Magnetization
# Desc: Oxs vector field output.
# Desc:  MIF source file: disc.mif
# Desc:  Iteration: 0, State id: 12
# Desc:  Total simulation time: 0 s
# meshunit: m
# meshtype: rectangular
# xbase: {step / 2!r}
# ybase: {step / 2!r}
# zbase: {step / 2!r}
# xnodes: {nx}
# ynodes: {ny}
# znodes: {nz}
# xstepsize: {step!r}
# ystepsize: {step!r}
# zstepsize: {step!r}
# xmin: 0
# ymin: 0
# zmin: 0
# xmax: {nx * step!r}
# ymax: {ny * step!r}
# zmax: {nz * step!r}
# valuedim: 3
# valuelabels: Magnetization_x Magnetization_y Magnetization_z
# valueunits: A/m A/m A/m
#
# End: Header
#
# Begin: Data Binary 8
"""
    body = bytearray(head.encode()) + struct.pack("<d", 123456789012345.0)
    for iz in range(nz):
        for iy in range(ny):
            for ix in range(nx):
                body += struct.pack("<3d", *data[ix, iy, iz])
    body += b"\n# End: Data Binary 8\n# End: Segment\n"
    path.write_bytes(bytes(body))
    return path


def test_reads_an_oommf_ovf2_binary8_file_with_empty_cells(tmp_path):
    data = 8.6e5 * _field(6, 6, 1, seed=7)
    xy = (np.arange(6) - 2.5)
    data[np.hypot(xy[:, None], xy[None, :]) > 3.0] = 0.0  # Ms = 0 outside a disc
    path = _oxs_ovf2_binary8(tmp_path / "disc.ovf", data, 5e-9)
    tex = GriddedTexture.from_ovf(path, length_unit="nm")
    assert np.array_equal(tex.values, data[:, :, 0])
    assert tex.mask.sum() == np.count_nonzero(np.linalg.norm(data[:, :, 0], axis=-1) == 0) >= 4
    assert np.allclose(np.linalg.norm(tex.unit_values[~tex.mask], axis=-1), 1.0, atol=1e-15)
    assert tex.value_unit == "A/m" and tex.spacing == pytest.approx((5.0, 5.0), rel=1e-15)


def _good_binary4(tmp_path):
    return _mumax_file(tmp_path / "good.ovf", _field(4, 3, 1, dtype=np.float32), (1e-9, 1e-9, 1e-9))


def _edited(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_bad_files_raise_naming_the_file_and_the_problem(tmp_path):
    raw = _good_binary4(tmp_path).read_bytes()
    start = raw.index(b"# Begin: Data Binary 4\n") + len(b"# Begin: Data Binary 4\n")
    cases = {
        "control.ovf": (raw[:start] + struct.pack("<f", 1234568.0) + raw[start + 4:], "wrong control number"),
        "endian.ovf": (raw[:start] + struct.pack(">f", 1234567.0) + raw[start + 4:], "byte order of OVF 1.0"),
        "truncated.ovf": (raw[: start + 20], "truncated"),
        "format.ovf": (raw.replace(b"Data Binary 4", b"Data Binary 2"), "unknown data format"),
        "nodes.ovf": (raw.replace(b"# xnodes: 4", b"# xnodes: 3"), "End: Data Binary 4"),
        "notovf.ovf": (b"# OOMMF OVF 3.0\n" + raw.split(b"\n", 1)[1], "not an OVF header"),
        "irregular.ovf": (b"# OOMMF: irregular mesh v1.0\n" + raw.split(b"\n", 1)[1], "irregular"),
        "header.ovf": (raw[:200], "header never ends"),
    }
    text = _mumax_file(tmp_path / "t.ovf", _field(4, 3, 1), (1e-9, 1e-9, 1e-9), fmt="Text").read_bytes()
    cut = text.index(b"# End: Data Text")
    cases["text_cut.ovf"] = (text[: cut - 30], "truncated")
    cases["text_short.ovf"] = (text[: text.rindex(b"\n", 0, cut - 1) + 1] + text[cut:], "numbers")
    first = text.index(b"# Begin: Data Text\n") + len(b"# Begin: Data Text\n")
    word = text[:first] + b"x1" + text[text.index(b" ", first):]  # one entry is not a number
    cases["text_word.ovf"] = (word, "not a number")
    for name, (data, what) in cases.items():
        path = _edited(tmp_path, name, data)
        with pytest.raises(OVFError) as err:
            GriddedTexture.from_ovf(path)
        assert str(path) in str(err.value) and what in str(err.value), (name, str(err.value))
    with pytest.raises(OVFError, match="cannot be read"):
        read_ovf(tmp_path / "missing.ovf")
    scalar = _mumax_file(tmp_path / "scalar.ovf", _field(4, 3, 1)[..., :1], (1e-9, 1e-9, 1e-9))
    assert read_ovf(scalar).data.shape == (4, 3, 1, 1)
    with pytest.raises(OVFError, match="valuedim 1"):
        GriddedTexture.from_ovf(scalar)
    with pytest.raises(ParameterError, match="format"):
        GriddedTexture(_field(4, 3, 1)[:, :, 0], (1.0, 1.0)).to_ovf(tmp_path / "x.ovf", format="binary 16")

"""NetCDF results on disk: round trip with provenance, atomic writes (exception and SIGKILL)."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import xarray as xr

from berrykin import __version__, conventions
from berrykin.errors import ParameterError, ResultFileError
from berrykin.io.netcdf import config_hash, dataset_config, read_dataset, write_dataset


def sample():
    rng = np.random.default_rng(1)
    return xr.Dataset(
        {
            "rho": (("time", "band"), rng.normal(size=(4, 2)), {"units": "1/length^2", "note": None}),
            "amp": (("time",), rng.normal(size=4) + 1j * rng.normal(size=4), {"units": "1"}),
            "ok": (("time",), np.array([True, False, True, True])),
            "tiny": ((), np.float64(5e-324)),
        },
        coords={"time": np.linspace(0.0, 1.0, 4), "band": [1, -1], "group": ("group", ["k_outer", "k_x-"]),
                "label": ("time", ["a", "b", "c", "d"])},
        attrs={"experiment": "demo", "closed": True, "bounds": [[0.0, 1.0]], "flags": {"x": 1},
               "shape": (3, 4), "coordinates": "phase space (r, p, t): p is a momentum"},
    )


CONFIG = {"model": {"type": "QWZ", "parameters": {"m": -1.0}}, "grid": {"n_k": 16},
          "title": "demo", "values": [0.1, 1e-300, float("inf")]}


def test_round_trip_with_provenance(tmp_path):
    ds = sample()
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    path = write_dataset(ds, tmp_path / "sub" / "result.nc", config=CONFIG)
    assert path == tmp_path / "sub" / "result.nc" and path.is_file()
    back = read_dataset(path)
    # data, coordinates and dtypes are exact (float64, complex, bool, strings)
    xr.testing.assert_equal(back.drop_attrs(), ds.drop_attrs())
    assert back["rho"].dtype == np.float64 and back["amp"].dtype == np.complex128
    assert back["ok"].dtype == bool and back["tiny"].item() == 5e-324
    assert set(back.coords) == set(ds.coords) and set(back.data_vars) == set(ds.data_vars)
    # user attrs: storable ones as given, the others as strings
    assert back.attrs["experiment"] == "demo" and back.attrs["closed"] == "True"
    assert list(back.attrs["shape"]) == [3, 4] and json.loads(back.attrs["flags"]) == {"x": 1}
    assert back.attrs["coordinates"] == ds.attrs["coordinates"]
    assert back["rho"].attrs["units"] == "1/length^2"
    # provenance
    assert back.attrs["berrykin_version"] == __version__
    created = dt.datetime.fromisoformat(back.attrs["created_utc"])
    assert created.tzinfo is not None and before <= created <= dt.datetime.now(dt.timezone.utc)
    stored = dataset_config(back)
    assert stored["model"] == CONFIG["model"] and stored["values"][2] == float("inf")
    assert back.attrs["berrykin_config_sha256"] == config_hash(CONFIG)
    assert back.attrs["berrykin_config_format"] == "json"
    assert list(back.attrs["convention_band_labels"]) == list(conventions.BANDS)
    assert "tau = sigma/2" in back.attrs["convention_hamiltonian"]
    assert "q_s = -s/2" in back.attrs["convention_fictitious_charge"]
    # the input is not modified
    assert ds.attrs["closed"] is True and "berrykin_version" not in ds.attrs
    # no configuration: no config attrs, still provenance
    plain = read_dataset(write_dataset(ds, tmp_path / "plain.nc"))
    assert dataset_config(plain) is None and plain.attrs["berrykin_version"] == __version__


def test_config_hash_is_canonical():
    a = {"b": 1.0, "a": {"y": [1, 2], "x": "s"}}
    b = {"a": {"x": "s", "y": [1, 2]}, "b": 1.0}
    assert config_hash(a) == config_hash(b) != config_hash({**a, "b": 1.0000000001})


def test_real_result_round_trip(tmp_path):
    """A real berrykin result (Chern number of QWZ) survives the round trip bit for bit."""
    from berrykin.geometry import chern_number
    from berrykin.models import QWZ

    ds = chern_number(QWZ(m=1.0), shape=(16, 16)).to_dataset()
    back = read_dataset(write_dataset(ds, tmp_path / "chern.nc"))
    xr.testing.assert_identical(back.drop_attrs(), ds.drop_attrs())
    assert int(back["nearest_integer"]) == -1  # C_lower of QWZ at m = 1 (docs/conventions.md)


def test_exception_inside_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "result.nc"
    write_dataset(sample(), path, config={"run": 1})
    old = path.read_bytes()

    def broken(self, *args, **kwargs):
        with open(args[0], "wb") as fh:
            fh.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(KeyboardInterrupt):
        write_dataset(sample(), path, config={"run": 2})
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["result.nc"]
    with pytest.raises(KeyboardInterrupt):
        write_dataset(sample(), tmp_path / "new.nc")
    assert os.listdir(tmp_path) == ["result.nc"]


KILL_SCRIPT = """
import os, signal, sys
import numpy as np, xarray as xr, h5netcdf
from berrykin.io.netcdf import write_dataset
orig = h5netcdf.File.close
def close(self, *args, **kwargs):   # the file is written but not finalised: die now
    os.kill(os.getpid(), signal.SIGKILL)
h5netcdf.File.close = close
ds = xr.Dataset({{"x": ("i", np.arange(200000.0))}})
write_dataset(ds, {path!r}, config={{"run": 2}})
print("not killed")
"""


@pytest.mark.slow
def test_sigkill_mid_write_leaves_no_partial_file(tmp_path):
    """A writer killed while the new file is half written leaves the previous file intact (a
    fresh destination is covered by the exception test above: nothing appears)."""
    path = tmp_path / "result.nc"
    write_dataset(sample(), path, config={"run": 1})
    old = path.read_bytes()
    script = textwrap.dedent(KILL_SCRIPT.format(path=str(path)))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert path.read_bytes() == old
    assert dataset_config(read_dataset(path)) == {"run": 1}
    # what the killed writer left is a hidden temporary file, never the destination
    leftovers = [p for p in os.listdir(tmp_path) if p != "result.nc"]
    assert all(p.startswith(".result.nc.") and p.endswith(".tmp") for p in leftovers)
    assert len(leftovers) == 1 and (tmp_path / leftovers[0]).stat().st_size > 0
    # the next write into the directory removes the killed writer's temporary file
    write_dataset(sample(), tmp_path / "other.nc")
    assert sorted(os.listdir(tmp_path)) == ["other.nc", "result.nc"]


def test_bad_input(tmp_path):
    with pytest.raises(ParameterError, match="xarray.Dataset"):
        write_dataset({"x": 1}, tmp_path / "a.nc")
    with pytest.raises(ParameterError, match="config"):
        write_dataset(sample(), tmp_path / "a.nc", config=[1, 2])
    with pytest.raises(ParameterError, match="directory"):
        write_dataset(sample(), tmp_path)
    with pytest.raises(ResultFileError, match="no such file"):
        read_dataset(tmp_path / "missing.nc")
    (tmp_path / "text.nc").write_text("not netcdf")
    with pytest.raises(ResultFileError, match="not a NetCDF file"):
        read_dataset(tmp_path / "text.nc")
    good = write_dataset(sample(), tmp_path / "good.nc")
    (tmp_path / "cut.nc").write_bytes(good.read_bytes()[:1500])  # a truncated copy
    with pytest.raises(ResultFileError, match="damaged or truncated"):
        read_dataset(tmp_path / "cut.nc")


def test_docstring_examples():
    import doctest

    import berrykin.io.netcdf

    result = doctest.testmod(berrykin.io.netcdf)
    assert result.failed == 0 and result.attempted > 0

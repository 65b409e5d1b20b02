"""Parameter sweeps: Dask LocalCluster with two worker processes, worker loss, retry, report, reuse.

Reference: the tiny runner's closed form ``y(x) = a x + b`` at every point of the grid (and, if
berrykin.config exists, the real ``run_config`` compared with a direct call per point).
"""

import json
import os
import pathlib
import signal
import time

import numpy as np
import psutil
import pytest
import xarray as xr

from berrykin.errors import ParameterError
from berrykin.io.netcdf import dataset_config, read_dataset
from berrykin.sweep.core import sweep
from berrykin.sweep.points import _local_overrides, make_points

BASE = {"model": {"type": "MassiveDirac2D", "parameters": {"m": 1.0, "v": 1.0}},
        "experiment": {"type": "trajectories"}}
M, V = "model.parameters.m", "model.parameters.v"
OVER = {M: [1.0, 2.0, 3.0], V: [0.5, 1.5]}
X = np.linspace(0.0, 1.0, 5)


def tiny_runner(config, out_dir):
    """``y = m x + v`` from the point's configuration. Test hooks (per value of m) come from
    ``hooks.json`` in the sweep directory: ``sleep``, ``always_fail`` (at v > 1), ``fail_once``,
    ``kill_once`` (at v < 1: SIGKILL of the worker process running the point)."""
    cfg = config.to_dict() if hasattr(config, "to_dict") else config
    m, v = float(cfg["model"]["parameters"]["m"]), float(cfg["model"]["parameters"]["v"])
    out = pathlib.Path(out_dir)
    hooks = out.parent / "hooks.json"
    opts = json.loads(hooks.read_text()) if hooks.exists() else {}
    with open(out / "calls.log", "a") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(float(opts.get("sleep", 0.0)))
    if m in opts.get("kill_once", []) and v < 1 and not (out / "killed.flag").exists():
        (out / "killed.flag").write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    if m in opts.get("fail_once", []) and not (out / "failed.flag").exists():
        (out / "failed.flag").write_text("1")
        raise RuntimeError("transient failure")
    if m in opts.get("always_fail", []) and v > 1:
        raise RuntimeError(f"permanent failure at m={m}, v={v}")
    return xr.Dataset({"y": ("x", m * X + v, {"units": "1"}), "mv": ((), m * v)}, coords={"x": X},
                      attrs={"model": cfg["model"]["type"], "title": cfg.get("title", "")})


def hooks(out, **kw):
    pathlib.Path(out).mkdir(parents=True, exist_ok=True)
    (pathlib.Path(out) / "hooks.json").write_text(json.dumps(kw))


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def calls(out):
    return {p.parent.name: len(p.read_text().split()) for p in pathlib.Path(out).glob("point_*/calls.log")}


def check_closed_form(ds, over=OVER, missing=()):
    assert list(ds["y"].dims) == [M, V, "x"]
    for m in over[M]:
        for v in over[V]:
            y = ds["y"].sel({M: m, V: v}).values
            if (m, v) in missing:
                assert np.all(np.isnan(y)) and not bool(ds["point_ok"].sel({M: m, V: v}))
            else:
                np.testing.assert_allclose(y, m * X + v, rtol=0, atol=1e-15)
                assert bool(ds["point_ok"].sel({M: m, V: v}))


def test_sweep_on_cluster_survives_worker_loss_and_reuses_points(cluster, tmp_path):
    cfg = BASE
    hooks(tmp_path, sleep=0.3, kill_once=[2.0])
    ds = sweep(cfg, OVER, tmp_path, scheduler=cluster, runner=tiny_runner)
    check_closed_form(ds)
    assert ds.attrs["sweep_n_failed"] == 0 and json.loads(ds.attrs["sweep_failures"]) == []
    # the worker running (m = 2, v = 0.5) was really killed and that point was redone elsewhere
    killed = sorted(tmp_path.glob("point_*/killed.flag"))
    assert len(killed) == 1
    counts = calls(tmp_path)
    assert counts[killed[0].parent.name] == 2
    assert sum(counts.values()) == 6 + 1
    assert not any(psutil.pid_exists(int(f.read_text())) for f in killed)
    # the merged file on disk is the returned Dataset
    xr.testing.assert_equal(read_dataset(tmp_path / "sweep.nc")["y"], ds["y"])
    assert json.loads((tmp_path / "failures.json").read_text()) == []
    # re-running skips every finished point: no new runner call, same data
    again = sweep(cfg, OVER, tmp_path, scheduler=cluster, runner=tiny_runner)
    assert calls(tmp_path) == counts and again.attrs["sweep_n_reused"] == 6
    xr.testing.assert_equal(again["y"], ds["y"])


def test_failed_point_retried_then_reported(cluster, tmp_path):
    cfg = BASE
    hooks(tmp_path, fail_once=[1.0], always_fail=[3.0])
    ds = sweep(cfg, OVER, tmp_path, scheduler=cluster, runner=tiny_runner)
    check_closed_form(ds, missing={(3.0, 1.5)})
    counts = calls(tmp_path)
    report = json.loads(ds.attrs["sweep_failures"])
    assert ds.attrs["sweep_n_failed"] == 1 and len(report) == 1
    assert report[0]["point"] == {M: 3.0, V: 1.5} and report[0]["attempts"] == 2
    assert "permanent failure" in report[0]["error"]
    on_disk = json.loads((tmp_path / "failures.json").read_text())
    assert on_disk[0]["point"] == report[0]["point"] and "RuntimeError" in on_disk[0]["traceback"]
    # transient failures (m = 1) succeeded on the retry; the permanent one was tried twice
    pts = {tuple(p.label.values()): pathlib.Path(p.directory).name for p in make_points(cfg, OVER, tmp_path)[1]}
    assert counts[pts[(1.0, 0.5)]] == 2 and counts[pts[(1.0, 1.5)]] == 2
    assert counts[pts[(3.0, 1.5)]] == 2 and counts[pts[(2.0, 1.5)]] == 1
    # a re-run retries only the failed point (still failing: reported again, never dropped)
    again = sweep(cfg, OVER, tmp_path, scheduler="serial", runner=tiny_runner)
    assert again.attrs["sweep_n_reused"] == 5 and again.attrs["sweep_n_failed"] == 1
    assert calls(tmp_path)[pts[(3.0, 1.5)]] == 4


def test_changed_config_is_not_reused(tmp_path):
    over = {M: [1.0], V: [2.0]}
    ds = sweep(BASE, over, tmp_path, scheduler="serial", runner=tiny_runner)
    np.testing.assert_allclose(ds["y"].values[0, 0], 1.0 * X + 2.0)
    cfg = dict(BASE, title="other")
    ds2 = sweep(cfg, over, tmp_path, scheduler="serial", runner=tiny_runner)
    assert ds2.attrs["sweep_n_reused"] == 0 and sum(calls(tmp_path).values()) == 2
    assert read_dataset(tmp_path / "point_000" / "result.nc").attrs["title"] == "other"
    # the point's configuration (with the override) is the provenance of its result
    stored = dataset_config(read_dataset(tmp_path / "point_000" / "result.nc"))
    assert stored["model"]["parameters"] == {"m": 1.0, "v": 2.0} and stored["title"] == "other"


def test_local_overrides_without_config_package():
    base = {"a": {"b": 1.0}, "c": 2}
    out = _local_overrides(base, {"a.b": 3.0, "x.y.z": 4.0})
    assert out == {"a": {"b": 3.0}, "c": 2, "x": {"y": {"z": 4.0}}} and base["a"]["b"] == 1.0
    with pytest.raises(ParameterError):
        _local_overrides(base, {"c.d": 1.0})


def test_bad_arguments(tmp_path):
    for over in ({}, {M: []}, {M: [1.0, 1.0]}, {"model..m": [1.0]}, {M: 1.0},
                 {M: [float("nan")]}, [(M, [1.0])]):
        with pytest.raises(ParameterError):
            sweep(BASE, over, tmp_path, scheduler="serial", runner=tiny_runner)
    with pytest.raises(ParameterError):
        sweep(BASE, OVER, tmp_path, scheduler=object(), runner=tiny_runner)
    with pytest.raises(ParameterError):
        sweep(BASE, OVER, tmp_path, scheduler="serial", runner=tiny_runner, retries=-1)


@pytest.mark.slow
def test_real_run_config(cluster, tmp_path):
    """The default runner (berrykin.config.run_config) on the cluster: free massive-Dirac wave
    packets of band +1 move with the group velocity ``x(t) = p t / sqrt(p^2 + m^2)`` (v = 1)."""
    config = pytest.importorskip("berrykin.config", reason="berrykin.config not available")
    if not all(hasattr(config, n) for n in ("run_config", "with_overrides", "load_config")):
        pytest.skip("berrykin.config has no run_config/with_overrides/load_config")
    cfg = config.load_config('[model]\ntype = "MassiveDirac2D"\n[experiment]\ntype = "trajectories"\n'
                             't_span = [0.0, 1.0]\nn_output = 5')
    masses = [0.5, 1.0, 2.0]
    ds = sweep(cfg, {M: masses}, tmp_path, scheduler=cluster)
    assert ds.attrs["sweep_n_failed"] == 0 and bool(ds["point_ok"].all())
    p0 = float(ds["p"].isel({M: 0, "time": 0, "particle": 0, "axis": 0}))
    assert p0 != 0
    for m in masses:
        x = ds["r"].sel({M: m, "axis": "x"}).isel(particle=0).values
        t = ds["time"].values
        np.testing.assert_allclose(x, p0 * t / np.sqrt(p0 ** 2 + m ** 2), rtol=1e-8, atol=1e-10)
    again = sweep(cfg, {M: masses}, tmp_path, scheduler=cluster)
    assert again.attrs["sweep_n_reused"] == len(masses)


def test_docstring_examples():
    import doctest

    import berrykin.sweep.core

    result = doctest.testmod(berrykin.sweep.core)
    assert result.failed == 0 and result.attempted > 0

"""Parameter sweeps: Dask LocalCluster with two worker processes, worker loss, retry, report, reuse.

Reference: the tiny runners' closed forms (``y(x) = a x + b``; per-point time axes and ledgers)
at every point of the grid; for real runs, the particle ledger identity and nu = -sgn(m)/2.
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
from berrykin.sweep.merge import point_series
from berrykin.sweep.points import _local_overrides, make_points

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
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
    import berrykin.sweep.merge

    for module in (berrykin.sweep.core, berrykin.sweep.merge):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


# -- merging time series whose times and lengths follow the swept parameters (issue 12, item 1) --
def n_steps(m):
    return 2 + int(round(4 * m))


def ramp_runner(config, out_dir):
    """Per-point time axes like the experiments': ``rho(t) = m v t`` on ``t = linspace(0, 20/m,
    5)`` (the Streda ramp time 20/gap), a ledger of ``n_steps(m)`` steps with cumulative
    ``N_s(step) = s v step`` and ``step_time = step/10`` (the sKE's CFL-limited steps), the
    scalar ``nu = -sgn(m)/2`` and a band-resolved ``nu_band = -sgn(m)/4``."""
    cfg = config.to_dict() if hasattr(config, "to_dict") else config
    m, v = float(cfg["model"]["parameters"]["m"]), float(cfg["model"]["parameters"]["v"])
    hooks = pathlib.Path(out_dir).parent / "hooks.json"
    if hooks.exists() and m in json.loads(hooks.read_text()).get("always_fail", []):
        raise RuntimeError(f"permanent failure at m={m}")
    t = np.linspace(0.0, 20.0 / m, 5)
    steps = np.arange(n_steps(m), dtype=float)
    return xr.Dataset(
        {"rho": ("time", m * v * t, {"units": "1/length^2"}),
         "nu": ((), -0.5 * np.sign(m), {"units": "e^2/h"}),
         "nu_band": ("band", np.full(2, -0.25 * np.sign(m)), {"units": "e^2/h"}),
         "ledger_number": (("step", "band"), np.stack([v * steps, -v * steps], axis=-1))},
        coords={"time": ("time", t, {"units": "1/energy"}), "band": [1, -1],
                "step_time": ("step", steps / 10.0)})


def test_merge_time_series_without_padding(tmp_path):
    """Points with their own times (same count) and their own number of steps merge into one
    NaN-free Dataset: times on ``time_index`` with the per-point ``time`` coordinate, the
    ledger as a CF contiguous ragged array plus its final values; every value is the runner's
    closed form (the previous merge padded with NaN, and failed outright on the steps)."""
    ds = sweep(BASE, OVER, tmp_path, scheduler="serial", runner=ramp_runner)
    on_disk = read_dataset(tmp_path / "sweep.nc")
    for d in (ds, on_disk):
        for name in d.variables:
            if d[name].dtype.kind == "f":
                assert not bool(d[name].isnull().any()), name
    assert json.loads(ds.attrs["sweep_indexed_dims"]) == ["time"]
    assert json.loads(ds.attrs["sweep_ragged_dims"]) == ["step"]
    assert ds["rho"].dims == (M, V, "time_index") and ds["time"].dims == (M, V, "time_index")
    assert ds["nu"].dims == (M, V) and ds["nu_band"].dims == (M, V, "band")
    for m in OVER[M]:
        for v in OVER[V]:
            at = {M: m, V: v}
            t = ds["time"].sel(at).values
            np.testing.assert_allclose(t, np.linspace(0.0, 20.0 / m, 5), rtol=0, atol=1e-15)
            np.testing.assert_allclose(ds["rho"].sel(at).values, m * v * t, rtol=1e-15, atol=0)
            assert float(ds["nu"].sel(at)) == -0.5
            n = n_steps(m)
            assert int(ds["step_count"].sel(at)) == n
            series = point_series(on_disk, "ledger_number", **at)
            assert series.dims == ("step", "band")
            np.testing.assert_array_equal(series.values[:, 0], v * np.arange(n))
            np.testing.assert_array_equal(series.values[:, 1], -v * np.arange(n))
            np.testing.assert_allclose(series["step_time"].values, np.arange(n) / 10.0, rtol=0, atol=1e-15)
            np.testing.assert_array_equal(ds["ledger_number_final"].sel(at).values, [v * (n - 1), -v * (n - 1)])
            assert float(ds["step_time_final"].sel(at)) == pytest.approx((n - 1) / 10.0, abs=1e-15)
    assert ds["step_count"].attrs["sample_dimension"] == "step_sample"
    assert ds.sizes["step_sample"] == sum(n_steps(m) for m in OVER[M] for _ in OVER[V])
    with pytest.raises(ParameterError):
        point_series(ds, "ledger_number", **{M: 1.0})  # one value per swept key


def test_merge_with_a_failed_point_keeps_the_layout(tmp_path):
    """A failed point has no samples (count 0) and NaN where its values would be, with
    point_ok False; the finished points keep their closed-form values."""
    hooks(tmp_path, always_fail=[3.0])
    ds = sweep(BASE, {M: [1.0, 2.0, 3.0], V: [1.5]}, tmp_path, scheduler="serial", runner=ramp_runner,
               retries=0)
    assert ds["point_ok"].values.tolist() == [[True], [True], [False]]
    assert ds["step_count"].values.tolist() == [[n_steps(1.0)], [n_steps(2.0)], [0]]
    assert np.isnan(ds["nu"].sel({M: 3.0, V: 1.5}))
    np.testing.assert_array_equal(point_series(ds, "ledger_number", **{M: 1.0, V: 1.5}).values[:, 0],
                                  1.5 * np.arange(n_steps(1.0)))


def test_plot_of_a_sweep_draws_observables_versus_the_swept_key(tmp_path):
    """``berrykin plot sweep.nc``: nu (first panel) against the first swept key, one line per
    value of the other key; a time series is drawn at its last sample."""
    from berrykin.cli.main import main
    from berrykin.plot.results import plot_result

    sweep(BASE, OVER, tmp_path, scheduler="serial", runner=ramp_runner)
    fig = plot_result(read_dataset(tmp_path / "sweep.nc"))
    first = fig.axes[0]
    assert first.get_xlabel() == M and first.get_ylabel().startswith("nu [e^2/h]")
    lines = first.get_lines()
    assert len(lines) == len(OVER[V])
    for line in lines:
        np.testing.assert_array_equal(line.get_xdata(), OVER[M])
        np.testing.assert_array_equal(line.get_ydata(), [-0.5] * 3)
    rho_axes = [a for a in fig.axes if a.get_ylabel().startswith("final rho")]
    if rho_axes:  # rho at the end of each ramp: m v 20/m = 20 v
        for line, v in zip(rho_axes[0].get_lines(), OVER[V]):
            np.testing.assert_allclose(line.get_ydata(), 20.0 * v, rtol=1e-14)
    png = tmp_path / "sweep.png"
    assert main(["-q", "plot", str(tmp_path / "sweep.nc"), "--out", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_real_ske_sweep_with_different_step_counts(tmp_path):
    """The sKE of a tiny configuration over the mass: the CFL-limited step counts differ
    between points (the previous merge raised AlignmentError). References: the particle
    ledger of every point, N_s(t) - N_s(0) = inflow + sources, closes to round-off on the
    merged ragged data, and its final N_s equals the grid integral of the last saved state
    (``number``, an independent computation)."""
    config = pytest.importorskip("berrykin.config")
    cfg = config.load_config(TINY_SKE)
    masses = [0.1, 3.0]
    ds = sweep(cfg, {M: masses}, tmp_path, scheduler="serial")
    assert ds.attrs["sweep_n_failed"] == 0
    counts = ds["step_count"].values
    assert len(set(counts.tolist())) > 1, counts  # the case the old merge could not handle
    for name in ds.variables:
        if ds[name].dtype.kind == "f":
            assert not bool(ds[name].isnull().any()), name
    for m in masses:
        N = point_series(ds, "ledger_number", **{M: m}).values
        inflow = point_series(ds, "ledger_inflow", **{M: m}).values.sum(axis=1)
        source = point_series(ds, "ledger_source", **{M: m}).values.sum(axis=1)
        scale = np.abs(N).max()
        np.testing.assert_allclose(N - N[0] - inflow - source, 0.0, rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(ds["ledger_number_final"].sel({M: m}).values,
                                   ds["number"].sel({M: m}).isel(time=-1).values, rtol=1e-12)


TINY_SKE = """
[model]
type = "MassiveDirac2D"
[model.parameters]
m = 1.0
[field]
b = 0.2
e = [0.1, 0.0]
[experiment]
type = "ske"
mu = 1.5
T = 0.05
t_span = [0.0, 0.5]
n_save = 3
[grid]
type = "polar"
k_min = 0.0
k_max = 3.0
n_k = 8
n_phi = 4
[numerics]
backend = "numpy"
"""


def test_unknown_sweep_key_fails_before_running(tmp_path):
    """A key that addresses no field the run uses is refused before any point runs."""
    config = pytest.importorskip("berrykin.config")
    expr = config.load_config(EXAMPLES / "readme_expression.toml")
    for over in ({"model.parameters.Q": [1.0, 2.0]}, {"field.b": [0.1, 0.2]},
                 {"output.checkpoint_every": [1, 2]}):
        with pytest.raises(config.ConfigError, match=list(over)[0].replace(".", r"\.")):
            sweep(expr, over, tmp_path, scheduler="serial", runner=ramp_runner)
    assert not list(tmp_path.glob("point_*"))
    # keys that exist (or that the schema knows, with a default) are accepted
    over, points = make_points(expr, {"model.M": [0.5, 1.0], "experiment.n_output": [3.0, 5.0]}, tmp_path)
    assert len(points) == 4 and points[3].config.experiment.n_output == 5


@pytest.mark.slow
@pytest.mark.parametrize("example, key, values", [
    ("ske.toml", M, [0.5, 1.0, 1.5]),
    ("streda.toml", M, [0.5, 1.0]),
])
def test_example_sweeps_acceptance(example, key, values, tmp_path, capsys):
    """Issue 12 acceptance: the examples as shipped, swept over the mass, give NaN-free merged
    Datasets with the mass as a dimension, and ``berrykin plot`` draws them. Streda: nu =
    -sgn(m)/2 at every mass (Sec. III A, ERRATA 3-4)."""
    from berrykin.cli.main import main

    out = tmp_path / "s"
    spec = f"{key}={','.join(map(str, values))}"
    assert main(["-q", "sweep", str(EXAMPLES / example), "--over", spec, "--scheduler", "serial",
                 "--out", str(out)]) == 0
    ds = read_dataset(out / "sweep.nc")
    assert ds[key].values.tolist() == values and bool(ds["point_ok"].all())
    for name in ds.variables:
        if ds[name].dtype.kind == "f":
            assert not bool(ds[name].isnull().any()), name
    if example == "streda.toml":
        np.testing.assert_allclose(ds["nu"].values, -0.5, atol=1e-3)
        assert ds["time"].dims == (key, "time_index")
    assert main(["-q", "plot", str(out / "sweep.nc"), "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


#: Cheap settings and a swept key for every example configuration.
EXAMPLE_SWEEPS = {
    "chiral_anomaly.toml": ({"experiment.n_theta": 4, "experiment.cells_per_octave": 2},
                            {"experiment.mu": [0.4, 0.5]}),
    "conductivity.toml": ({}, {"experiment.tau": [2.0, 5.0]}),
    "mass_ramp.toml": ({"experiment.n_out": 2}, {M: [1.0, 1.2]}),
    "weyl_magnetoconductance.toml": ({"experiment.tau_v": 5.0}, {"experiment.b": [0.0, 0.04]}),
    "nonlinear_hall.toml": ({"grid.n_k": 40, "grid.n_phi": 32}, {"experiment.tau": [2.0, 4.0]}),
    "skyrmion_sea.toml": ({"experiment.times": [0.0, 2.0], "experiment.n_space": 6, "experiment.n_k": 8},
                          {"experiment.mu": [-3.5, -3.4]}),
    "pump.toml": ({"experiment.n_k": 8, "experiment.samples": 4}, {"model.parameters.staggered": [0.4, 0.5]}),
    "readme_expression.toml": ({"experiment.n_output": 5}, {"model.parameters.M": [0.5, 1.0]}),
    "skyrmion.toml": ({"experiment.n_times": 3, "experiment.t_end": 2.0}, {"model.parameters.exchange": [1.0, 2.0]}),
    "trajectories.toml": ({"experiment.n_output": 5}, {M: [0.5, 1.0]}),
    "ske.toml": ({"grid.n_k": 8, "grid.n_phi": 4, "experiment.t_span": [0.0, 0.3]}, {M: [0.1, 1.0]}),
    "streda.toml": ({}, {M: [0.5, 1.0]}),
}


def test_every_example_has_a_sweep_case():
    assert sorted(EXAMPLE_SWEEPS) == sorted(p.name for p in EXAMPLES.glob("*.toml"))


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(EXAMPLE_SWEEPS))
def test_every_example_sweeps_and_merges(example, tmp_path):
    """Every example, with cheap settings, sweeps over a parameter into a NaN-free merged
    Dataset (the swept key a dimension, every point finished) that plot_sweep draws against the
    swept values; the merged data of each point are those of its own result.nc."""
    from berrykin.config import load_config, with_overrides
    from berrykin.plot.results import plot_result

    cheap, over = EXAMPLE_SWEEPS[example]
    cfg = with_overrides(load_config(EXAMPLES / example), cheap)
    ds = sweep(cfg, over, tmp_path, scheduler="serial")
    (key, values), = over.items()
    assert ds[key].values.tolist() == values and bool(ds["point_ok"].all())
    for name in ds.variables:
        if ds[name].dtype.kind == "f":
            assert not bool(ds[name].isnull().any()), name
    for i, v in enumerate(values):
        own = read_dataset(tmp_path / f"point_{i:03d}" / "result.nc")
        for name in own.data_vars:
            if name in ds and key in ds[name].dims and own[name].dtype.kind == "f":
                np.testing.assert_array_equal(ds[name].sel({key: v}).values, own[name].values)
    ax = plot_result(ds).axes[0]
    assert ax.get_xlabel().startswith(key)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), values)

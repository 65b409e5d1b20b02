"""``berrykin run | validate | sweep | plot`` end to end, and the example configurations.

References are closed forms written here: the massive Dirac group velocity v^2 p/(2|Delta|)
(README example), |k| conserved on an isotropic cyclotron orbit, nu = -sgn(m)/2 for massive
Dirac with mu in the gap (Sec. III A, ERRATA 3-4), the Rice-Mele pumped charge = lower-band
(k, t) Chern number = 1, the anomaly rate chi b e/(4 pi^2) (Eq. 52, ERRATA 6), and particle
conservation of the corrected sKE (ERRATA 1).
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from berrykin.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
README_TOML = EXAMPLES / "readme_expression.toml"


def cli(*args, cwd=None, timeout=240):
    return subprocess.run([sys.executable, "-m", "berrykin.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)


def _readme_block():
    """The TOML example of README.md (the block that defines gap = [...v*p_x...]), if any."""
    readme = ROOT / "README.md"
    if not readme.exists():
        return None
    for block in readme.read_text().split("```")[1::2]:
        if 'gap = ["v*p_x", "v*p_y", "M"]' in block:
            return block.split("\n", 1)[1] if block.startswith(("toml", "text")) else block
    return None


def _group_velocity_check(ds):
    """README example: rdot = v^2 p/(2|Delta|), Delta = (v p_x, v p_y, M); v = 1, M = 0.5."""
    t = ds["time"].values
    r = ds["r"].values[:, 0, :]
    speed = 0.5 / (2 * math.hypot(0.5, 0.5))
    np.testing.assert_allclose(r[:, 0], speed * t, atol=1e-9)
    np.testing.assert_allclose(r[:, 1], 0.0, atol=1e-12)


# -- subprocess: validate and run the README example -------------------------------------------
@pytest.mark.slow  # quick suite <= 6 min (issue 12 item 10); .ci/run runs it
def test_validate_and_run_readme_example(tmp_path):
    from berrykin.config import load_config
    from berrykin.io.netcdf import dataset_config, read_dataset

    block = _readme_block()
    source = README_TOML
    if block is not None:  # the README's own text, when the README shows it
        source = tmp_path / "readme.toml"
        source.write_text(block)
    proc = cli("validate", source)
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout and "Traceback" not in proc.stderr
    out = tmp_path / "run"
    proc = cli("run", source, "--out", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    ds = read_dataset(out / "result.nc")
    _group_velocity_check(ds)
    assert dataset_config(ds) == load_config(source).to_dict()
    assert ds.attrs["experiment"] == "trajectories" and "berrykin_version" in ds.attrs


def test_bad_config_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(README_TOML.read_text().replace("v = 1.0", "v = nan"))
    proc = cli("validate", bad)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "model.parameters.v" in lines[0] and "nan" in lines[0] and "finite" in lines[0]


# -- in-process: errors, resume, plot, sweep arguments -----------------------------------------
def _write(tmp_path, text, name="c.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,fragment", [
    ('[model]\ntype = "expression"\ndim = 2\ngap = ["__import__(\'os\').system(\'echo hi\')", "0", "1"]\n'
     '[experiment]\ntype = "trajectories"\n', "model.gap[0]"),
    ('[model]\ntype = "QWZ"\n', "experiment"),
    ('[model]\ntype = "QWZ"\n[experiment]\ntype = "trajectories"\nband = 0\n', "experiment.band"),
    ("[model\n", "valid TOML"),
])
def test_bad_configs_in_process(tmp_path, capsys, text, fragment):
    path = _write(tmp_path, text)
    for command in (["validate", path], ["run", path, "--out", tmp_path / "o"]):
        assert main([*map(str, command)]) == 2
        err = capsys.readouterr().err
        assert fragment in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # nothing ran


def test_missing_file_and_out_is_a_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "none.toml")]) == 2
    assert "none.toml" in capsys.readouterr().err
    a_file = _write(tmp_path, "x", "file")
    assert main(["--quiet", "run", str(README_TOML), "--out", str(a_file)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_run_resume_plot(tmp_path, capsys):
    from berrykin.io.netcdf import read_dataset

    out = tmp_path / "out"
    assert main(["run", str(README_TOML), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "result.nc" in printed and "r (time: 101" in printed
    result = out / "result.nc"
    stamp = result.stat().st_mtime_ns
    assert main(["-q", "run", str(README_TOML), "--out", str(out), "--resume"]) == 0
    assert result.stat().st_mtime_ns == stamp  # same configuration: not run again
    changed = _write(tmp_path, README_TOML.read_text().replace("M = 0.5", "M = 0.25")
                     + "\n[output]\nplot = true\n")
    assert main(["-q", "run", str(changed), "--out", str(out), "--resume"]) == 0
    assert result.stat().st_mtime_ns != stamp  # another configuration: run again
    assert (out / "result.png").read_bytes()[:4] == b"\x89PNG"  # [output] plot = true
    r = read_dataset(result)["r"].values[:, 0, 0]
    t = read_dataset(result)["time"].values
    np.testing.assert_allclose(r, t * 0.5 / (2 * math.hypot(0.5, 0.25)), atol=1e-9)
    png = tmp_path / "fig.png"
    assert main(["plot", str(result), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (out / "result.png").unlink()
    assert main(["-q", "plot", str(result)]) == 0
    assert (out / "result.png").exists()
    assert main(["plot", str(tmp_path / "missing.nc")]) == 2


def test_generic_plot_fallback(tmp_path):
    import xarray as xr

    from berrykin.config.plotting import generic_plot

    ds = xr.Dataset({"rho": (("time", "band"), np.random.default_rng(1).random((5, 2)), {"units": "1/length^2"})},
                    coords={"time": np.arange(5.0), "band": [1, -1]})
    path = generic_plot(ds, tmp_path / "g.png")
    assert Path(path).read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(Exception, match="1 or 2"):
        generic_plot(xr.Dataset({"s": ((), 1.0)}), tmp_path / "h.png")


def test_sweep_arguments(tmp_path, capsys):
    from berrykin.cli.commands import parse_over

    name, values = parse_over("model.parameters.M=0.1:0.5:3")
    assert name == "model.parameters.M" and values == pytest.approx([0.1, 0.3, 0.5], abs=1e-15)
    assert parse_over("field.b=0.1,0.2") == ("field.b", [0.1, 0.2])
    for bad in ("M", "M=1:2", "M=a:b:3", "M=0:1:0", "M=nan,1"):
        assert main(["sweep", str(README_TOML), "--over", bad, "--out", str(tmp_path / "s")]) == 2
        assert "--over" in capsys.readouterr().err
    # an override that does not validate stops the sweep before any point runs
    assert main(["sweep", str(EXAMPLES / "trajectories.toml"), "--over", "model.parameters.v=-1:1:3", "--out",
                 str(tmp_path / "s"), "--scheduler", "serial"]) == 2
    assert "model.parameters.v" in capsys.readouterr().err
    assert not list((tmp_path / "s").glob("point_*"))


def test_text_progress():
    from berrykin.cli.progress import TextProgress

    off = io.StringIO()
    with TextProgress(stream=off) as p:  # not a terminal: silent
        p(1, 2, "half")
    assert off.getvalue() == ""
    on = io.StringIO()
    with TextProgress(stream=on, enabled=True, width=10) as p:
        p(1, 2, "half")
    text = on.getvalue()
    assert "[#####     ]  50%  half" in text and text.endswith("\n")


# -- the examples ------------------------------------------------------------------------------
def _run_example(name, tmp_path):
    from berrykin.io.netcdf import read_dataset

    path = EXAMPLES / f"{name}.toml"
    out = tmp_path / name
    code = main(["-q", "run", str(path), "--out", str(out)])
    assert code == 0, name
    return read_dataset(out / "result.nc")


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.toml")))
def test_every_example_validates_from_the_command_line(name, capsys):
    if name == "mass_ramp":
        pytest.importorskip("berrykin.experiments.mass_ramp", reason="mass_ramp not in this version")
    assert main(["validate", str(EXAMPLES / f"{name}.toml")]) == 0
    assert "valid" in capsys.readouterr().out


def test_example_trajectories_cyclotron(tmp_path):
    """Isotropic Dirac model in uniform b: |k| is conserved on the orbit (rotation symmetry), and
    the kinetic momentum turns (b > 0)."""
    ds = _run_example("trajectories", tmp_path)
    k = ds["k"].values[:, 0, :]
    np.testing.assert_allclose(np.linalg.norm(k, axis=1), 0.5, rtol=1e-8)
    angle = np.unwrap(np.arctan2(k[:, 1], k[:, 0]))
    assert abs(angle[-1] - angle[0]) > 0.5


@pytest.mark.slow
def test_example_skyrmion(tmp_path):
    """The lower band (q = +1/2) is deflected to the left by the skyrmion's emergent field."""
    ds = _run_example("skyrmion", tmp_path)
    assert ds["drift"].values[0, -1] > 1.0


@pytest.mark.slow
def test_example_streda(tmp_path):
    ds = _run_example("streda", tmp_path)
    assert float(ds["nu"]) == pytest.approx(-0.5, abs=1e-3)  # -sgn(m)/2, mu in the gap


@pytest.mark.slow
def test_example_pump(tmp_path):
    ds = _run_example("pump", tmp_path)
    assert float(ds["charge_per_cycle"]) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.slow
def test_example_chiral_anomaly(tmp_path):
    ds = _run_example("chiral_anomaly", tmp_path)
    assert float(ds["total_rate"]) == pytest.approx(0.01 * 0.01 / (4 * math.pi**2), rel=0.02)


@pytest.mark.slow
def test_example_ske_conserves_particles_and_resumes(tmp_path):
    """Corrected sKE (ERRATA 1): N(t) - N(0) = boundary inflow, to round-off; a resumed run
    (finished checkpoint) returns the same states."""
    ds = _run_example("ske", tmp_path)
    assert np.max(np.abs(ds["ledger_conservation_residual"].values)) < 1e-12
    assert ds["n"].shape == (5, 2, 16, 8)
    assert main(["-q", "run", str(EXAMPLES / "ske.toml"), "--out", str(tmp_path / "ske"), "--resume"]) == 0
    from berrykin.io.netcdf import read_dataset

    again = read_dataset(tmp_path / "ske" / "result.nc")
    np.testing.assert_array_equal(again["n"].values, ds["n"].values)


@pytest.mark.slow
def test_example_mass_ramp(tmp_path):
    pytest.importorskip("berrykin.experiments.mass_ramp", reason="mass_ramp not in this version")
    ds = _run_example("mass_ramp", tmp_path)
    np.testing.assert_allclose(ds["mass"].values[[0, -1]], [1.0, 1.5], rtol=1e-14)  # m, m_final
    # Eq. 50 (ERRATA 3): both bands change by (n_z/4) b [B_k(m(t)) - B_k(m(0))]
    pred = ds["predicted"].values[:, None, :]
    assert np.max(np.abs(ds["delta_n"].values - pred)) <= 5e-3 * np.max(np.abs(pred))


@pytest.mark.slow
def test_sweep_command(tmp_path, capsys):
    pytest.importorskip("berrykin.sweep")
    cfg = _write(tmp_path, (EXAMPLES / "skyrmion.toml").read_text().replace("n_times = 25", "n_times = 5"))
    out = tmp_path / "sweep"
    assert main(["sweep", str(cfg), "--over", "model.parameters.exchange=1.5:2.0:2", "--out", str(out),
                 "--scheduler", "serial"]) == 0, capsys.readouterr().err
    assert "2 points" in capsys.readouterr().out
    assert len(list(out.glob("point_*/result.nc"))) == 2

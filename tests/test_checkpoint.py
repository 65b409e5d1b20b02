"""Checkpoint/resume of sKE runs: a run killed mid-way and resumed equals an uninterrupted one.

Reference: ``KineticSolver.solve`` on the same problem in one go (states bitwise, ledger to
round-off), plus the ledger identity ``N_s(t) - N_s(0) = inflow + sources`` (round-off).
"""

import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from berrykin.errors import CheckpointError, ParameterError
from berrykin.io.checkpoint import fingerprint, load_checkpoint, problem_hash, run_checkpointed

TESTS = pathlib.Path(__file__).resolve().parent
SAVE = np.linspace(0.5, 3.0, 6)
SPAN = (0.0, 3.0)


def make_problem(b=0.3):
    """Full sKE, massive Dirac in a magnetic field plus an electric field pushing particles out
    through the outer boundary (so every ledger column is non-trivial)."""
    from berrykin.kinetic import KineticFrame, KineticSolver, PolarGrid, Scheme, SKETerms, fermi_dirac
    from berrykin.models import (CombinedField, MassiveDirac2D, MinimalCoupling, UniformElectricField,
                                 UniformMagneticField)

    field = CombinedField((UniformMagneticField(b=b), UniformElectricField(e=(0.5, 0.0))))
    frame = KineticFrame(MinimalCoupling(MassiveDirac2D(m=1.0), field))
    solver = KineticSolver(frame, PolarGrid.uniform(0.0, 2.0, 8, 8), SKETerms.full(),
                           Scheme(backend="numpy", max_dt=0.1))
    n0 = fermi_dirac(MassiveDirac2D(m=1.0), solver.grid, mu=1.8, T=0.3)
    return solver, n0


@pytest.fixture(scope="module")
def reference():
    solver, n0 = make_problem()
    ts, states, ledger = solver.solve(n0, SPAN, SAVE)
    return n0, ts, states, ledger


def assert_same_run(got, ref):
    ts, states, ledger = got
    _, rts, rstates, rledger = ref
    np.testing.assert_array_equal(ts, rts)
    np.testing.assert_array_equal(states, rstates)        # the same steps: bitwise
    np.testing.assert_array_equal(ledger.times, rledger.times)
    np.testing.assert_array_equal(ledger.numbers, rledger.numbers)
    scale = rledger.scale()
    for a, b in ((ledger.inflow, rledger.inflow), (ledger.sources, rledger.sources)):
        assert np.max(np.abs(a - b)) <= 1e-13 * scale
    assert ledger.groups == rledger.groups and ledger.kinds == rledger.kinds
    assert ledger.relative(ledger.band_residual()) < 1e-13
    assert ledger.relative(ledger.conservation_residual()) < 1e-13


def test_uninterrupted_equals_solve(reference, tmp_path):
    solver, n0 = make_problem()
    path = tmp_path / "run.npz"
    got = run_checkpointed(solver, n0, SPAN, SAVE, path, resume=False, every=2)
    assert_same_run(got, reference)
    # the ledger is non-trivial: particles leave through k_outer and the bands exchange
    assert abs(reference[3].inflow[-1]).max() > 1e-2 and abs(reference[3].sources[-1, 0]).max() > 1e-3
    data = load_checkpoint(path)
    assert int(data["done"]) == SAVE.size and data["states"].shape == reference[2].shape
    # a finished checkpoint resumes at once with the same results
    assert_same_run(run_checkpointed(make_problem()[0], n0, SPAN, SAVE, path, resume=True), reference)


def test_exception_midway_then_resume(reference, tmp_path, monkeypatch):
    solver, n0 = make_problem()
    path = tmp_path / "run.npz"
    calls = []
    orig = solver.solve

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return orig(*args, **kwargs)

    monkeypatch.setattr(solver, "solve", failing)
    with pytest.raises(KeyboardInterrupt):
        run_checkpointed(solver, n0, SPAN, SAVE, path, resume=False, every=2)
    assert int(load_checkpoint(path)["done"]) == 4      # checkpoints after save points 2 and 4
    assert_same_run(run_checkpointed(make_problem()[0], n0, SPAN, SAVE, path, resume=True), reference)


KILL_SCRIPT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from test_checkpoint import make_problem, SAVE, SPAN
from berrykin.io.checkpoint import run_checkpointed
solver, n0 = make_problem()
orig, calls = solver.solve, []
def solve(*args, **kwargs):
    calls.append(1)
    if len(calls) == {kill_at}:
        os.kill(os.getpid(), signal.SIGKILL)
    return orig(*args, **kwargs)
solver.solve = solve
run_checkpointed(solver, n0, SPAN, SAVE, {path!r}, resume=False)
print("not killed")
"""


@pytest.mark.slow
def test_sigkill_midway_then_resume(reference, tmp_path):
    path = tmp_path / "run.npz"
    script = textwrap.dedent(KILL_SCRIPT.format(tests=str(TESTS), kill_at=4, path=str(path)))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert int(load_checkpoint(path)["done"]) == 3
    assert os.listdir(tmp_path) == ["run.npz"]
    # resumed in another process (this one): the problem hash matches across processes
    assert_same_run(run_checkpointed(make_problem()[0], reference[0], SPAN, SAVE, path, resume=True),
                    reference)


def test_mismatched_resume_is_refused(reference, tmp_path):
    solver, n0 = make_problem()
    path = tmp_path / "run.npz"
    run_checkpointed(solver, n0, SPAN, SAVE[:2], path, resume=False)
    for other in ((make_problem(b=0.31)[0], n0, SAVE[:2]), (solver, n0 * 1.0001, SAVE[:2]),
                  (solver, n0, SAVE[:3])):
        with pytest.raises(CheckpointError, match="another problem"):
            run_checkpointed(other[0], other[1], SPAN, other[2], path, resume=True)


def test_resume_without_checkpoint_starts_afresh(reference, tmp_path):
    solver, n0 = make_problem()
    got = run_checkpointed(solver, n0, SPAN, SAVE, tmp_path / "new" / "run.npz", resume=True, every=3)
    assert_same_run(got, reference)


def test_bad_arguments(tmp_path):
    solver, n0 = make_problem()
    for every in (0, -1, 1.5, True):
        with pytest.raises(ParameterError, match="every"):
            run_checkpointed(solver, n0, SPAN, SAVE, tmp_path / "x.npz", resume=False, every=every)
    (tmp_path / "junk.npz").write_text("not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable berrykin checkpoint"):
        run_checkpointed(solver, n0, SPAN, SAVE, tmp_path / "junk.npz", resume=True)


def test_truncated_or_foreign_checkpoint_is_refused(tmp_path):
    """A checkpoint cut short (a copy interrupted, a full disk) or an .npz of something else
    raises CheckpointError naming the file; starting afresh (resume=False) overwrites it."""
    solver, n0 = make_problem()
    path = tmp_path / "run.npz"
    run_checkpointed(solver, n0, SPAN, SAVE[:1], path, resume=False)
    whole = path.read_bytes()
    for cut in (len(whole) // 2, 100, 0):
        path.write_bytes(whole[:cut])
        with pytest.raises(CheckpointError, match="run.npz.*not a readable berrykin checkpoint"):
            load_checkpoint(path)
    np.savez(path, a=np.arange(3.0))
    with pytest.raises(CheckpointError, match="not a berrykin checkpoint .it lacks format_version"):
        run_checkpointed(solver, n0, SPAN, SAVE[:1], path, resume=True)
    ts, _, _ = run_checkpointed(solver, n0, SPAN, SAVE[:1], path, resume=False)
    assert int(load_checkpoint(path)["done"]) == 1 and ts.tolist() == [SAVE[0]]


def test_stale_temporary_of_killed_writer_is_removed(tmp_path):
    """A writer killed inside io.atomic_path (SIGKILL) leaves its temporary file; the next
    checkpointed run (or resume) in that directory removes it. A temporary file of a live
    process is kept."""
    script = ("import os, signal, sys\nfrom berrykin.io.atomic import atomic_path\n"
              "with atomic_path(sys.argv[1]) as tmp:\n    open(tmp, 'wb').write(b'partial')\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    target = tmp_path / "run.npz"
    proc = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".run.npz.") and left[0].endswith(".tmp")
    live = tmp_path / left[0].replace(f"-{left[0].split('-')[-1].split('.')[0]}.", f"-{os.getppid()}.")
    live.write_bytes(b"a live writer's file")
    solver, n0 = make_problem()
    run_checkpointed(solver, n0, SPAN, SAVE[:1], target, resume=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "run.npz"])


def test_problem_hash_is_stable_and_sensitive():
    s1, n0 = make_problem()
    s2, _ = make_problem()
    assert problem_hash(s1, n0, SPAN, SAVE) == problem_hash(s2, n0.copy(), SPAN, list(SAVE)[::-1])
    assert problem_hash(s1, n0, SPAN, SAVE) != problem_hash(s1, n0, (0.0, 3.5), SAVE)
    assert fingerprint(lambda x: x + 1) != fingerprint(lambda x: x + 2)
    assert fingerprint({"a": 1.0, "b": (1, 2)}) == fingerprint({"b": (1, 2), "a": 1.0})
    assert fingerprint(0.1) != fingerprint(float(np.nextafter(0.1, 1.0)))


@pytest.mark.slow
def test_docstring_examples():
    import doctest

    import berrykin.io.checkpoint

    result = doctest.testmod(berrykin.io.checkpoint)
    assert result.failed == 0 and result.attempted > 0


def test_periodic_zone_without_boundary_groups(tmp_path):
    """A Brillouin-zone run has no boundary groups (G = 0): checkpointing it used to fail on
    ``reshape(-1, 0, 2)``. Reference: the uninterrupted solve, and particle number conserved
    to round-off (no boundary, sources cancel between the bands)."""
    from berrykin.kinetic import (CartesianMomentumGrid, KineticFrame, KineticSolver, Scheme,
                                  SKETerms, fermi_dirac)
    from berrykin.models import QWZ, MinimalCoupling, UniformElectricField

    frame = KineticFrame(MinimalCoupling(QWZ(m=1.0), UniformElectricField(e=(0.1, 0.05))))
    grid = CartesianMomentumGrid.brillouin_zone(2, 8)
    solver = KineticSolver(frame, grid, SKETerms.full(), Scheme(backend="numpy", max_dt=0.1))
    n0 = fermi_dirac(QWZ(m=1.0), solver.grid, mu=0.3, T=0.2)
    save = np.array([0.2, 0.4])
    ts, states, ledger = run_checkpointed(solver, n0, (0.0, 0.4), save, tmp_path / "checkpoint.npz",
                                         resume=False)
    rts, rstates, rledger = solver.solve(n0, (0.0, 0.4), save)
    np.testing.assert_array_equal(states, rstates)
    assert ledger.groups == () and ledger.inflow.shape[1] == 0
    total = ledger.numbers.sum(axis=1)
    assert np.max(np.abs(total - total[0])) <= 1e-13 * abs(total[0])

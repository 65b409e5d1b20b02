"""The two commands of the README and .ci/run (issue 12, item 10).

The README's test command must be the quick suite (slow tests deselected by pyproject's
``addopts``), and ``.ci/run`` must run that same command and then the slow tests, so that
nothing is dropped from CI while the README command stays within 6 minutes on two cores.
"""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_test_command():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", text, re.S).group(1)
    lines = [ln for ln in block.splitlines() if "pytest" in ln]
    assert len(lines) == 1, lines
    return lines[0].split("&&")[-1].strip()


def test_readme_test_command_deselects_the_slow_tests():
    cmd = _readme_test_command()
    assert cmd == "python -m pytest -q"
    opts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-m 'not slow'" in opts["addopts"]
    assert any(m.startswith("slow:") for m in opts["markers"])


def test_ci_runs_the_readme_command_then_the_slow_tests():
    script = (ROOT / ".ci" / "run").read_text()
    runs = [ln.strip() for ln in script.splitlines()
            if ln.strip().startswith("python -m pytest")]
    assert runs == [_readme_test_command(), "python -m pytest -q -m slow"]
    # a failure of either step fails CI
    assert 'exit "$status"' in script and 'exit "$slow_status"' in script


def test_the_reproduce_run_is_a_slow_test():
    """The full ``reproduce --quick`` (about 2 minutes) runs in CI's slow step, not the README's."""
    import test_cli

    for name in ("test_reproduce_exits_cleanly_and_prints_table", "test_summary_matches_closed_forms"):
        marks = {m.name for m in getattr(getattr(test_cli, name), "pytestmark", [])}
        assert "slow" in marks, name


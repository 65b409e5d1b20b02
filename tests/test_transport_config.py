"""``[experiment] type = "conductivity"``: validation, defaults and a small run."""

import math
from pathlib import Path

import pytest

from berrykin.config import load_config
from berrykin.config.errors import ConfigError
from berrykin.config.run import run_experiment

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "conductivity.toml"

BASE = """
[model]
type = "MassiveDirac2D"
[model.parameters]
m = 1.0
[experiment]
type = "conductivity"
"""


def test_example_validates_with_defaults():
    cfg = load_config(EXAMPLE)
    exp = cfg.experiment
    assert exp.type == "conductivity" and exp.tau == 5.0 and exp.method == "direct" and exp.T == 0.0
    assert load_config(BASE).experiment.tau == 10.0


@pytest.mark.parametrize("bad", ["tau = -1.0", 'method = "newton"', "T = -0.1"])
def test_bad_values_are_config_errors(bad):
    with pytest.raises(ConfigError):
        load_config(BASE + bad + "\n")


def test_small_polar_grid_run_reaches_drude():
    """A configured PolarGrid is used as the TransportPolarGrid of the same cells (k_max = 2 k_F,
    so that an edge lies on the Fermi surface k_F = sqrt(3))."""
    text = BASE + ("mu = 2.0\ntau = 3.0\n[grid]\ntype = \"polar\"\n"
                   f"k_max = {2 * math.sqrt(3.0)!r}\nn_k = 60\nn_phi = 32\n")
    r = run_experiment(load_config(text))
    drude = 3.0 * 3.0 / (4 * math.pi * 2.0)
    assert abs(r.sigma[0, 0] / drude - 1) < 5e-3

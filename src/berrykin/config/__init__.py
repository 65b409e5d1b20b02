"""Configuration files: TOML -> validated, immutable :class:`Config` -> model, run, result.

The only place where strings become objects. ``load_config`` checks everything before anything
runs and raises one :class:`ConfigError` naming the key path (``model.parameters.v``), the
value and what is allowed. Keys, defaults and units: docs/configuration.md.

>>> from berrykin.config import load_config, with_overrides
>>> cfg = load_config('[model]\\ntype = "QWZ"\\n[experiment]\\ntype = "trajectories"')
>>> with_overrides(cfg, {"model.parameters.m": -1.0}).model.parameters
{'m': -1.0}
"""

from .errors import ConfigError
from .experiments import EXPERIMENTS
from .expressions import FUNCTIONS, check_expression, compile_expression
from .loader import Config, build_field, build_model, load_config, validate, with_overrides
from .run import RESULT_NAME, run_config, run_experiment

__all__ = ["ConfigError", "Config", "load_config", "validate", "with_overrides", "build_model",
           "build_field", "run_config", "run_experiment", "EXPERIMENTS", "FUNCTIONS",
           "check_expression", "compile_expression", "RESULT_NAME"]

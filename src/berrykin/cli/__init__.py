"""The ``berrykin`` command line (console script ``berrykin = berrykin.cli.main:main``).

Run it as ``berrykin ...`` or ``python -m berrykin.cli.main ...``; see :mod:`berrykin.cli.main`.
"""


def main(argv=None) -> int:
    """Same as :func:`berrykin.cli.main.main` (imported lazily, so ``python -m
    berrykin.cli.main`` does not find the module already imported)."""
    from .main import main as _main

    return _main(argv)


__all__ = ["main"]

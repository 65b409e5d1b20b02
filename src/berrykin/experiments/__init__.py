"""Named physical protocols assembling solver and observables into typed results."""

from .streda import StredaResult, streda, streda_grid

__all__ = ["streda", "StredaResult", "streda_grid"]

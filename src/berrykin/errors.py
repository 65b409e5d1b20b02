"""Exceptions raised by berrykin. Each names the offending field, its value and what is allowed."""

from __future__ import annotations


class BerrykinError(Exception):
    """Base class of every error berrykin raises on purpose."""


class ParameterError(BerrykinError, ValueError):
    """A model, field or solver parameter is outside its allowed range."""

    def __init__(self, field: str, value, allowed: str):
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}={value!r} is not allowed: {allowed}")


class ShapeError(BerrykinError, ValueError):
    """An array argument has the wrong shape."""

    def __init__(self, field: str, shape, expected: str):
        self.field, self.shape, self.expected = field, shape, expected
        super().__init__(f"{field} has shape {tuple(shape)}; expected {expected}")


class IntegrationError(BerrykinError, RuntimeError):
    """A time integration failed; the message says what to try."""

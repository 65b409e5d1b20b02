"""The docstring examples of berrykin.quantum and the tight-binding model modules run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["berrykin.quantum.hofstadter", "berrykin.quantum.landau", "berrykin.quantum.pump",
           "berrykin.models.tight_binding"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

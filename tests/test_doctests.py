"""Every module's docstring examples run: none is opted in or out by hand."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dealgraph
import dealgraph.cypher
import dealgraph.loaders

# (dealgraph.loaders and dealgraph.cypher live in folders of their own: walked apart)
PACKAGES = (dealgraph, dealgraph.loaders, dealgraph.cypher)


def _modules() -> list[str]:
    names = {p.__name__ for p in PACKAGES}
    for package in PACKAGES:
        names.update(m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + "."))
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples fail"

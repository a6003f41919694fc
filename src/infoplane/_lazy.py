"""Module-level lazy attributes, so heavy dependencies (torch, scikit-learn) load on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, mapping: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``name`` from ``mapping[name]`` (a module path)."""

    def __getattr__(name: str) -> Any:
        if name in mapping:
            return getattr(importlib.import_module(mapping[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__

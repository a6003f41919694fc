"""Package-level promises: fast, torch-free import of the closed forms; public names resolve."""

from __future__ import annotations

import subprocess
import sys

import pytest

import infoplane
from infoplane import capacity


def test_capacity_import_does_not_load_torch_or_sklearn() -> None:
    code = ("import sys, infoplane.capacity as c; c.mmi([1.0], 1, budget=1.0); "
            "print('torch' in sys.modules, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


@pytest.mark.parametrize("name", capacity.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(capacity, name) is not None


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        capacity.nope  # noqa: B018


def test_version() -> None:
    assert infoplane.__version__.count(".") == 2

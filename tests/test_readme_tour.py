"""The README's one-minute tour runs as written and its numbers agree with each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_tour_runs_and_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    text = README.read_text()
    block = re.search(r"## A one-minute tour\s+```python\n(.*?)```", text, re.S)
    assert block is not None
    ns: dict[str, Any] = {}
    exec(compile(block.group(1), "README tour", "exec"), ns)
    cap = ns["capacity"]
    eig, cov, x, w = ns["eig"], ns["cov"], ns["x"], ns["W"]
    # one covariance convention (ddof 0) for the spectrum and the matrix
    assert np.allclose(np.sort(np.linalg.eigvalsh(cov))[::-1], eig, rtol=0, atol=1e-12)
    target = cap.mmi(eig, 10, budget=5.0)
    assert cap.linear_mi(w, cov) == pytest.approx(target, rel=1e-12)  # "attains the MMI"
    assert cap.mmi(eig, widths=[64, 10], budget=5.0) == pytest.approx(target, rel=1e-12)
    for number in re.findall(r"= (\d\.\d{6})|# (\d\.\d{6}) nats|numeric, (\d\.\d{6})",
                             block.group(1)):
        shown = float(next(n for n in number if n))
        assert shown == pytest.approx(target, abs=5e-7)  # the numbers the tour prints
    assert x.shape == (5000, 20)

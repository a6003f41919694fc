"""Tests of the MMI-paper claims (quick mode)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infoplane.reproduce import claims_mmi
from infoplane.reproduce.registry import REGISTRY, VERDICTS, ClaimContext, ClaimResult

_RESULTS: dict[str, ClaimResult] = {}


def test_import_registers_ids() -> None:
    claims_mmi.register_all()
    for cid in claims_mmi.CLAIM_IDS:
        assert cid in REGISTRY
        assert REGISTRY[cid].paper == "mmi"
        assert callable(REGISTRY[cid].load_func())


def test_all_claims_run_quick(tmp_path: Path) -> None:
    claims_mmi.register_all()
    for cid in claims_mmi.CLAIM_IDS:
        out = tmp_path / cid
        out.mkdir()
        ctx = ClaimContext(out_dir=out, quick=True, seeds=2, seed=0)
        res = REGISTRY[cid].load_func()(ctx)
        assert res.claim_id == cid
        assert res.verdict in VERDICTS and res.verdict != "error"
        assert res.figures and all(Path(f).is_file() and f.endswith(".png") for f in res.figures)
        _RESULTS[cid] = res
    assert _RESULTS["mmi-discontinuity"].verdict == "does not hold"
    assert _RESULTS["mmi-theorem1"].verdict == "holds"


@pytest.mark.parametrize("cid", ["mmi-theorem1", "mmi-discontinuity"])
def test_expected_verdicts(tmp_path: Path, cid: str) -> None:
    ctx = ClaimContext(out_dir=tmp_path, quick=True, seeds=2, seed=0)
    res = REGISTRY[cid].load_func()(ctx)
    expected = {"mmi-theorem1": "holds", "mmi-discontinuity": "does not hold"}[cid]
    assert res.verdict == expected

"""``infoplane reproduce``: the papers' claims, a runner with resume and sweeps, and a report.

Examples
--------
>>> from infoplane.reproduce import VERDICTS
>>> VERDICTS[0]
'holds'
"""

from __future__ import annotations

from infoplane.reproduce.registry import (
    REGISTRY,
    VERDICTS,
    Claim,
    ClaimContext,
    ClaimResult,
    get,
    load_builtin,
    register,
    spread,
)
from infoplane.reproduce.report import write_report
from infoplane.reproduce.runner import DEFAULT_SEEDS, load_result, result_path, run_claims

__all__ = [
    "DEFAULT_SEEDS",
    "REGISTRY",
    "VERDICTS",
    "Claim",
    "ClaimContext",
    "ClaimResult",
    "get",
    "load_builtin",
    "load_result",
    "register",
    "result_path",
    "run_claims",
    "spread",
    "write_report",
]

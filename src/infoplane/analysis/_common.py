"""Small helpers shared by the analysis modules (verdict records and figure output)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["save_figure", "verdict"]


def verdict(claim: str, holds: str, why: str) -> dict[str, str]:
    """One verdict record, keys in the order ``claim``, ``holds``, ``why``.

    Examples
    --------
    >>> list(verdict("c", "holds", "w"))
    ['claim', 'holds', 'why']
    """
    return {"claim": claim, "holds": holds, "why": why}


def save_figure(fig: Any, out: Path, name: str, dpi: int) -> str:
    """``tight_layout``, save as ``out / name`` at `dpi`, close; returns `name`."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(out / name, dpi=dpi)
    plt.close(fig)
    return name

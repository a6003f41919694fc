"""The layout the design promises: the library never imports the paper reproduction, the
analysis package holds measurement tools only, and there is one hook helper and one training
loop. Checked statically on the source, so a violation fails whatever runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "infoplane"
#: Modules above the library: they may import anything.
ABOVE = ("papers", "reproduce", "cli.py", "__main__.py")


def _modules(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def _library() -> list[Path]:
    return [p for p in _modules(SRC) if p.relative_to(SRC).parts[0] not in ABOVE]


def _imports(path: Path) -> set[str]:
    """Every module name imported anywhere in `path` (function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


@pytest.mark.parametrize("path", _library(), ids=lambda p: str(p.relative_to(SRC)))
def test_library_never_imports_the_papers(path: Path) -> None:
    bad = {n for n in _imports(path)
           if n.startswith(("infoplane.papers", "infoplane.reproduce", "infoplane.cli"))}
    assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", _modules(SRC / "analysis"), ids=lambda p: p.name)
def test_analysis_holds_tools_only(path: Path) -> None:
    imports = _imports(path)
    assert not {n for n in imports if n.startswith(("matplotlib", "infoplane.plotting",
                                                    "infoplane.training"))}, imports
    tree = ast.parse(path.read_text())
    names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert "run" not in names
    assert not {n for n in names if "verdict" in n or n.startswith(("_plot", "_figure"))}
    assert _calls(path, "savefig") == 0 and _calls(path, "subplots") == 0


def _calls(path: Path, attr: str) -> int:
    return sum(isinstance(n, ast.Attribute) and n.attr == attr
               for n in ast.walk(ast.parse(path.read_text())))


def test_one_hook_helper() -> None:
    users = [p.relative_to(SRC) for p in _modules(SRC)
             if _calls(p, "register_forward_hook") or _calls(p, "register_forward_pre_hook")]
    assert users == [Path("_torch.py")]


def test_one_training_loop() -> None:
    # optimiser steps on a model happen in training.py (the classifier loop), in the critic loop
    # of the neural estimators, and in the numeric MMI optimiser (L-BFGS over weights)
    users = sorted(str(p.relative_to(SRC)) for p in _modules(SRC) if _calls(p, "backward"))
    assert users == ["capacity/numeric.py", "estimators/_fit.py", "training.py"]

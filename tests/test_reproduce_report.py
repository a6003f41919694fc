"""Tests for infoplane.reproduce.report: the HTML, JSON and Markdown report."""

from __future__ import annotations

import base64
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from infoplane.reproduce.checks import Check
from infoplane.reproduce.registry import VERDICTS, Claim, ClaimResult
from infoplane.reproduce.report import flatten_numbers, format_number, write_report

XSS = "<script>alert(1)</script>"
SETTINGS = {"quick": True, "seeds": 3, "seed": 0}


def _png(path: Path) -> Path:
    """Write a valid 2x2 RGB PNG (no plotting library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def _claim(cid: str, statement: str = "A statement.") -> Claim:
    return Claim(cid, "mmi", "Theorem 1", statement, "the gap", "math:sqrt", 0.1)


def _dom(html: Path, tmp_path: Path) -> str:
    """The DOM headless Chromium builds from `html` (what a browser renders)."""
    chromium = shutil.which("chromium")
    assert chromium is not None
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
           html.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture()
def report(tmp_path: Path) -> tuple[Path, dict[str, Path], list[ClaimResult]]:
    out = tmp_path / "rep"
    _png(out / "claims" / "alpha" / "fig.png")
    claims = {
        "alpha": _claim("alpha", f"Injected {XSS} & more"),
        "beta-2": _claim("beta-2"),
        "gamma_3": _claim("gamma_3"),
        "delta": _claim("delta"),
    }
    alpha_checks = (
        Check("gap small", "holds", {"gap": 0.5}, f"gap < 1 {XSS}", "gap 0.5 < 1"),
        Check("step (3)", "does not hold", {}, "≤ holds", "fails", "supporting"),
        Check("2x2 table", "refuted by counterexample", {}, "I ≤ bound", "I > bound",
              "counterexample"),
    )
    results = [
        ClaimResult("alpha", "holds with caveats", f"why {XSS}",
                    {"gap": {"mean": 0.5, "std": 0.1, "n": 3}, "nested": {"a": 1, "b": 2.5}},
                    "gap 0.5 ± 0.1 | nats", ("claims/alpha/fig.png",), 1.5, alpha_checks),
        ClaimResult("beta-2", "does not hold", "No.", {"x": None}, "x n/a"),
        ClaimResult("gamma_3", "holds", "Yes.", {}, "y 1"),
        ClaimResult("delta", "error", "RuntimeError: boom"),
    ]
    paths = write_report(results, claims, out, title=f"T {XSS}", settings=SETTINGS)
    return out, paths, results


def test_paths(report: tuple[Path, dict[str, Path], list[ClaimResult]]) -> None:
    out, paths, _ = report
    assert paths == {"html": out / "index.html", "json": out / "summary.json",
                     "md": out / "summary.md"}
    assert all(p.is_file() for p in paths.values())
    assert not list(out.glob(".*.tmp"))


def test_escaping(report: tuple[Path, dict[str, Path], list[ClaimResult]]) -> None:
    _, paths, _ = report
    html = paths["html"].read_text()
    assert XSS not in html
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Injected" in html and "&amp; more" in html


def test_summary_table_and_sections(
        report: tuple[Path, dict[str, Path], list[ClaimResult]]) -> None:
    _, paths, results = report
    html = paths["html"].read_text()
    table = html.split('<table id="summary-table">', 1)[1].split("</table>", 1)[0]
    first_section = html.index('<section class="claim"')
    assert html.index('id="summary-table"') < first_section
    for r in results:
        assert f'href="#claim-{r.claim_id}"' in table
        assert html.count(f'<section class="claim" id="claim-{r.claim_id}">') == 1
    assert "0.5 ± 0.1 (n=3)" in html
    assert "nested.a" in html and "nested.b" in html
    assert "logs/delta.log" in html


def test_summary_json(report: tuple[Path, dict[str, Path], list[ClaimResult]]) -> None:
    _, paths, results = report
    data = json.loads(paths["json"].read_text())
    assert data["settings"] == SETTINGS
    assert data["counts"] == {v: {"holds": 1, "holds with caveats": 1, "does not hold": 1,
                                  "error": 1}.get(v, 0) for v in VERDICTS}
    assert [c["id"] for c in data["claims"]] == [r.claim_id for r in results]
    alpha = data["claims"][0]
    assert alpha["paper"] == "mmi" and alpha["section"] == "Theorem 1"
    assert alpha["statement"] == f"Injected {XSS} & more"
    assert alpha["figures"] == ["claims/alpha/fig.png"]
    assert alpha["seconds"] == 1.5 and alpha["key_number"] == "gap 0.5 ± 0.1 | nats"
    assert set(alpha) >= {"id", "paper", "section", "statement", "verdict", "key_number",
                          "why", "seconds", "figures", "checks"}
    assert [(c["name"], c["verdict"], c["role"]) for c in alpha["checks"]] == [
        ("gap small", "holds", "measurement"), ("step (3)", "does not hold", "supporting"),
        ("2x2 table", "refuted by counterexample", "counterexample")]
    assert data["claims"][1]["checks"] == []


def test_checks_in_html(report: tuple[Path, dict[str, Path], list[ClaimResult]]) -> None:
    _, paths, _ = report
    html = paths["html"].read_text()
    section = html.split('id="claim-alpha"', 1)[1].split("</section>", 1)[0]
    assert "Checks that decide the verdict" in section
    assert "Constructed counterexamples" in section and "refuted by counterexample" in section
    assert section.index("Checks that decide") < section.index("Constructed counterexamples")
    table = html.split('<table id="summary-table">', 1)[1].split("</table>", 1)[0]
    assert "1/1 decisive hold, 1 supporting fail, 1 refuted by counterexample" in table
    assert XSS not in html


def test_summary_md(report: tuple[Path, dict[str, Path], list[ClaimResult]]) -> None:
    _, paths, results = report
    lines = paths["md"].read_text().splitlines()
    header = lines.index("| Claim | Paper § | Verdict | Checks | Key number |")
    rows = lines[header + 2: header + 2 + len(results)]
    assert len(rows) == len(results)
    for row, r in zip(rows, results, strict=True):
        cid = r.claim_id.replace("_", "\\_")
        assert row.startswith(f"| {cid} | mmi Theorem 1 | {r.verdict} |")
    assert rows[0].endswith("gap 0.5 ± 0.1 \\| nats |")
    text = paths["md"].read_text()
    assert "<script>" not in text and "\\<script\\>alert(1)\\</script\\>" in text
    for r in results:
        cid = r.claim_id.replace("_", "\\_")
        assert any(line.startswith(f"- **{cid}** ({r.verdict})") for line in lines)


def test_embedded_figure(report: tuple[Path, dict[str, Path], list[ClaimResult]]) -> None:
    out, paths, _ = report
    html = paths["html"].read_text()
    data = base64.b64encode((out / "claims/alpha/fig.png").read_bytes()).decode()
    assert f'src="data:image/png;base64,{data}"' in html


def test_large_and_missing_figures(tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import infoplane.reproduce.report as report_mod

    _png(tmp_path / "big.png")
    monkeypatch.setattr(report_mod, "EMBED_LIMIT", 10)
    r = ClaimResult("a", "holds", "ok", figures=("big.png", "gone.png"))
    paths = write_report([r], {"a": _claim("a")}, tmp_path, settings={})
    html = paths["html"].read_text()
    assert 'src="big.png"' in html and "data:image" not in html
    assert "gone.png" in html and "missing" in html


def test_unknown_claim_and_bad_input(tmp_path: Path) -> None:
    r = ClaimResult("nope", "not testable here", "n/a")
    paths = write_report([r], {}, tmp_path, settings={})
    assert "claim-nope" in paths["html"].read_text()
    with pytest.raises(TypeError):
        write_report(["x"], {}, tmp_path, settings={})  # type: ignore[list-item]
    with pytest.raises(TypeError):
        write_report(r, {}, tmp_path, settings={})  # type: ignore[arg-type]


def test_format_helpers() -> None:
    assert format_number({"mean": 1.0, "std": 0.25, "n": 4}) == "1 ± 0.25 (n=4)"
    assert format_number(None) == "n/a" and format_number(True) == "true"
    assert format_number(0.123456) == "0.1235"
    assert flatten_numbers({"a": {"b": {"c": 1}}, "e": {}}) == [("a.b.c", "1"), ("e", "{}")]
    rows = flatten_numbers({"v": [{"claim": "c", "per_seed": {"holds": 2}}, {"claim": "d"}],
                            "s": [{"mean": 1.0, "std": 0.0, "n": 1}], "l": [1, 2]})
    assert rows == [("v[0].claim", "c"), ("v[0].per_seed.holds", "2"), ("v[1].claim", "d"),
                    ("s", "[1 ± 0 (n=1)]"), ("l", "[1, 2]")]


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_chromium_renders(report: tuple[Path, dict[str, Path], list[ClaimResult]],
                          tmp_path: Path) -> None:
    _, paths, results = report
    dom = _dom(paths["html"], tmp_path)
    for r in results:
        assert f'id="claim-{r.claim_id}"' in dom
    assert "<script>alert(1)</script>" not in dom


def test_markdown_link_and_emphasis_are_inert(tmp_path: Path) -> None:
    r = ClaimResult("x", "holds", "see [l](javascript:alert(1)) and *bold* `code`", {}, "k")
    paths = write_report([r], {"x": _claim("x")}, tmp_path, settings=SETTINGS)
    text = paths["md"].read_text()
    assert "[l](javascript" not in text and "\\[l\\](javascript" in text
    assert "\\*bold\\*" in text and "\\`code\\`" in text
    record = json.loads(paths["json"].read_text())["claims"][0]
    assert record["measures"] == "the gap" and record["numbers"] == {}


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_chromium_renders_every_registered_claim(tmp_path: Path) -> None:
    """The report of all built-in claims (one result each, with a figure) renders them all."""
    from infoplane.reproduce.registry import load_builtin

    registry = load_builtin()
    assert len(registry) >= 24
    results = []
    for i, cid in enumerate(registry):
        fig = _png(tmp_path / "claims" / cid / "fig.png").relative_to(tmp_path)
        results.append(ClaimResult(cid, VERDICTS[i % len(VERDICTS)], f"why {cid}",
                                   {"v": [{"claim": "c", "per_seed": {"holds": 2}}]},
                                   f"k{i}", (str(fig),)))
    paths = write_report(results, registry, tmp_path, settings=SETTINGS)
    dom = _dom(paths["html"], tmp_path)
    for r in results:
        assert f'id="claim-{r.claim_id}"' in dom and f"why {r.claim_id}" in dom
        assert f'href="#claim-{r.claim_id}"' in dom  # summary-table link
    assert dom.count("data:image/png;base64") == len(results)


def test_maths_details_and_relative_paths(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    c = Claim("m", "mmi", "Theorem 1", "MMI = ½ log|Σ_{x,Ñ}| + Tr(Σ_{x,Ñ}^{-1}) <i>", "ρ_Ñ",
              "math:sqrt")
    checks = (Check("a_t", "holds", {"where": str(out / "claims" / "m" / "f.png")}, "c", "w"),
              Check("step", "holds", {}, "c", "w", "supporting"))
    r = ClaimResult("m", "holds", "why", {"run": str(out / "runs" / "seed0"),
                                          "elsewhere": "/home/someone/data/mnist"},
                    "k", checks=checks)
    paths = write_report([r], {"m": c}, out, settings={})
    html = paths["html"].read_text()
    assert "Σ<sub>x,Ñ</sub>" in html and "<sup>-1</sup>" in html and "_{" not in html
    assert "&lt;i&gt;" in html  # escaped before the maths is typeset
    assert "<details><summary>Supporting checks" in html  # decisive ones stay open
    assert "<details><summary>All numbers" in html
    data = json.loads(paths["json"].read_text())
    assert str(tmp_path) not in paths["json"].read_text() and str(tmp_path) not in html
    assert data["claims"][0]["numbers"] == {"run": "runs/seed0", "elsewhere": "…/mnist"}
    assert data["claims"][0]["checks"][0]["numbers"]["where"] == "claims/m/f.png"

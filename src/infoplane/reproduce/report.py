"""Render claim results as a self-contained HTML report, a JSON summary and a Markdown summary.

:func:`write_report` takes the :class:`~infoplane.reproduce.registry.ClaimResult` list returned
by :func:`~infoplane.reproduce.runner.run_claims` and the matching
:class:`~infoplane.reproduce.registry.Claim` objects, and writes three files into the report
directory ``out`` (the same directory given to ``run_claims``):

``index.html``
    A summary table (claim, verdict badge, checks, key number), then one section per claim:
    the statement quoted with its paper section, what is measured, its checks grouped by role
    (decisive measurements, supporting steps, constructed counterexamples, background), a
    table of the numbers, the figures, and the verdict with its justification. Figures smaller
    than 2 MB are embedded as ``data:`` URIs, larger ones are linked relative to ``out``. All
    text is HTML-escaped.
``summary.json``
    The settings, the count of each verdict, and one record per claim with its ``checks``
    (a list of objects with ``name``, ``verdict``, ``role``, ``criterion``, ``why``, ``numbers``).
``summary.md``
    A Markdown table (claim, paper §, verdict, key number) followed by one line per claim.

Every file is written atomically.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from infoplane._io import atomic_write, write_json
from infoplane.reproduce.registry import VERDICTS, Claim, ClaimResult

__all__ = ["EMBED_LIMIT", "checks_summary", "flatten_numbers", "format_number",
           "readable_math", "relative_paths", "write_report"]

EMBED_LIMIT: int = 2 * 1024 * 1024
"""Figures smaller than this many bytes are embedded in ``index.html`` as data URIs."""

_MIME: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}

_COLOURS: dict[str, str] = {
    "holds": "#1a7f37",
    "holds with caveats": "#9a6700",
    "does not hold": "#cf222e",
    "not testable here": "#6e7781",
    "indeterminate": "#57606a",
    "refuted by counterexample": "#bc4c00",
    "error": "#8250df",
}

#: How each check role is introduced in a claim's section.
_ROLE_TITLES: dict[str, str] = {
    "measurement": "Checks that decide the verdict",
    "supporting": "Supporting checks (steps of the argument; a failure adds a caveat)",
    "counterexample": "Constructed counterexamples (mathematics, reported apart; not decisive)",
    "background": "Background (cited results and other readings; not decisive)",
}

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #1f2328; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.75rem 0; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
.badge { display: inline-block; padding: 0.1rem 0.5rem; border-radius: 0.8rem; color: #fff;
         font-size: 0.85em; white-space: nowrap; }
blockquote { border-left: 4px solid #d0d7de; margin: 0.5rem 0; padding: 0.2rem 0.8rem;
             color: #424a53; }
section.claim { border-top: 1px solid #d0d7de; margin-top: 2rem; padding-top: 0.5rem; }
figure { margin: 0.75rem 0; }
figure img { max-width: 100%; height: auto; }
code { background: #f6f8fa; padding: 0 0.2rem; }
.muted { color: #6e7781; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="muted">Settings:
{% for key, value in settings_items %}<code>{{ key }}={{ value }}</code>{% if not loop.last %},
{% endif %}{% endfor %}{% if not settings_items %}none{% endif %}.
Verdicts:
{% for verdict, n in counts.items() %}{{ verdict }}: {{ n }}{% if not loop.last %}; {% endif %}
{% endfor %}</p>

<h2 id="summary">Summary</h2>
<table id="summary-table">
<thead><tr><th>Claim</th><th>Paper §</th><th>Verdict</th><th>Checks</th><th>Key number</th>
</tr></thead>
<tbody>
{% for item in items %}
<tr><td><a href="#claim-{{ item.id }}">{{ item.id }}</a></td>
<td>{{ item.paper }}, {{ item.section }}</td>
<td><span class="badge" style="background: {{ item.colour }}">{{ item.verdict }}</span></td>
<td>{{ item.checks_text }}</td>
<td>{{ item.key_number }}</td></tr>
{% endfor %}
</tbody>
</table>

{% for item in items %}
<section class="claim" id="claim-{{ item.id }}">
<h2>{{ item.id }}
<span class="badge" style="background: {{ item.colour }}">{{ item.verdict }}</span></h2>
<p class="muted">{{ item.paper }} paper, {{ item.section }}</p>
<blockquote>{{ item.statement | math }}</blockquote>
{% if item.measures %}<p><strong>What we measure:</strong> {{ item.measures | math }}</p>
{% endif %}
{% if item.analytic %}<p><strong>Analytic:</strong> no forced-wrong input can change this
verdict: {{ item.analytic }}</p>{% endif %}
{% for group in item.check_groups %}
{% if not group.decisive %}<details><summary>{{ group.title }} ({{ group.checks | length }})
</summary>{% else %}<h3>{{ group.title }}</h3>{% endif %}
<table class="checks">
<thead><tr><th>Check</th><th>Verdict</th><th>Criterion</th><th>Measured</th></tr></thead>
<tbody>
{% for c in group.checks %}<tr><td>{{ c.name | math }}</td>
<td><span class="badge" style="background: {{ c.colour }}">{{ c.verdict }}</span></td>
<td>{{ c.criterion | math }}</td><td>{{ c.why | math }}</td></tr>
{% endfor %}
</tbody>
</table>
{% if not group.decisive %}</details>{% endif %}
{% endfor %}
{% if item.numbers %}
<details><summary>All numbers ({{ item.numbers | length }})</summary>
<table class="numbers">
<thead><tr><th>Quantity</th><th>Value</th></tr></thead>
<tbody>
{% for key, value in item.numbers %}<tr><td><code>{{ key }}</code></td><td>{{ value }}</td></tr>
{% endfor %}
</tbody>
</table>
</details>
{% endif %}
{% for fig in item.figures %}
<figure>
{% if fig.src %}<img src="{{ fig.src }}" alt="{{ item.id }}: {{ fig.name }}">
{% else %}<p class="muted">Figure <code>{{ fig.name }}</code> is missing.</p>{% endif %}
<figcaption class="muted">{{ fig.name }}</figcaption>
</figure>
{% endfor %}
<p><strong>Verdict:</strong>
<span class="badge" style="background: {{ item.colour }}">{{ item.verdict }}</span>
{{ item.why | math }}</p>
{% if item.log %}
<p class="muted">Traceback:
<a href="{{ item.log }}"><code>{{ item.log }}</code></a></p>
{% endif %}
<p class="muted">{{ item.seconds_text }}</p>
</section>
{% endfor %}
</body>
</html>
"""


def format_number(value: Any) -> str:
    """A short display string for one JSON value of ``ClaimResult.numbers``.

    Parameters
    ----------
    value : Any
        A number, string, bool, None, list, or a ``{"mean", "std", "n"}`` dict.

    Returns
    -------
    str
        Floats with 4 significant digits, ``None`` as ``"n/a"``, a spread as
        ``"mean ± std (n=n)"``, lists as comma-separated values in brackets.

    Examples
    --------
    >>> format_number({"mean": 0.5, "std": 0.125, "n": 3})
    '0.5 ± 0.125 (n=3)'
    >>> format_number([1, 2.0, None])
    '[1, 2, n/a]'
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "n/a"
    if isinstance(value, Mapping) and _is_spread(value):
        return (f"{format_number(value['mean'])} ± {format_number(value['std'])} "
                f"(n={format_number(value['n'])})")
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in flatten_numbers(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_number(v) for v in value) + "]"
    return str(value)


def _is_spread(value: Mapping[str, Any]) -> bool:
    return set(value) == {"mean", "std", "n"}


def flatten_numbers(numbers: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested ``numbers`` into ``(dotted key, display string)`` rows.

    Parameters
    ----------
    numbers : Mapping
        ``ClaimResult.numbers``; nested dicts are flattened with dotted keys, except a
        ``{"mean", "std", "n"}`` spread, which becomes one row ``"mean ± std (n=n)"``; a
        list of dicts (e.g. per-verdict records) is flattened item by item as ``key[i].sub``.
    prefix : str
        Prefix for the keys (used by the recursion).

    Returns
    -------
    list of (str, str)

    Examples
    --------
    >>> flatten_numbers({"a": {"b": 1, "c": {"mean": 1.0, "std": 0.0, "n": 2}}})
    [('a.b', '1'), ('a.c', '1 ± 0 (n=2)')]
    >>> flatten_numbers({"v": [{"claim": "x", "holds": "holds"}]})
    [('v[0].claim', 'x'), ('v[0].holds', 'holds')]
    """
    rows: list[tuple[str, str]] = []
    for key, value in numbers.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and not _is_spread(value):
            if value:
                rows.extend(flatten_numbers(value, name))
            else:
                rows.append((name, "{}"))
        elif (isinstance(value, list | tuple) and value
              and all(isinstance(v, Mapping) and not _is_spread(v) for v in value)):
            for i, item in enumerate(value):
                rows.extend(flatten_numbers(item, f"{name}[{i}]"))
        else:
            rows.append((name, format_number(value)))
    return rows


def _figure(out: Path, fig: str, embed_limit: int) -> dict[str, str]:
    """The ``src`` for one figure: a data URI when small, else a path relative to `out`."""
    path = Path(fig)
    full = path if path.is_absolute() else out / path
    if not full.is_file():
        return {"name": fig, "src": ""}
    mime = _MIME.get(full.suffix.lower())
    if mime is not None and full.stat().st_size < embed_limit:
        data = base64.b64encode(full.read_bytes()).decode("ascii")
        return {"name": fig, "src": f"data:{mime};base64,{data}"}
    try:
        rel = full.resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        rel = full.resolve().as_uri()
    return {"name": fig, "src": rel}


def _claim_fields(result: ClaimResult, claims: Mapping[str, Claim]) -> dict[str, str]:
    claim = claims.get(result.claim_id)
    if claim is None:
        return {"paper": "?", "section": "?", "statement": "(claim not in the registry)",
                "measures": ""}
    return {"paper": claim.paper, "section": claim.section, "statement": claim.statement,
            "measures": claim.measures}


#: Characters backslash-escaped in Markdown output: table pipes, emphasis, links, raw HTML.
_MD_SPECIAL = frozenset("\\|`*_[]<>")


def _md_cell(text: str) -> str:
    """Text safe inside one Markdown table cell: one line, and no pipe, emphasis, link or HTML
    syntax (CommonMark lets any ASCII punctuation be backslash-escaped)."""
    flat = " ".join(str(text).split())
    return "".join(f"\\{c}" if c in _MD_SPECIAL else c for c in flat)


def checks_summary(result: ClaimResult) -> str:
    """One line on a result's checks, e.g. ``"2/3 decisive hold, 1 indeterminate"``.

    Examples
    --------
    >>> from infoplane.reproduce.checks import Check
    >>> r = ClaimResult.from_checks("x", [Check("a", "holds"), Check("b", "indeterminate")])
    >>> checks_summary(r)
    '1/2 decisive hold, 1 indeterminate'
    """
    decisive = [c for c in result.checks if c.role == "measurement"]
    if not decisive:
        return "no checks" if not result.checks else "none decisive"
    parts = [f"{sum(c.verdict == 'holds' for c in decisive)}/{len(decisive)} decisive hold"]
    for v in ("does not hold", "indeterminate", "not testable here"):
        n = sum(c.verdict == v for c in decisive)
        if n:
            parts.append(f"{n} {v}")
    others = [c for c in result.checks if c.role != "measurement"]
    refuted = sum(c.verdict == "refuted by counterexample" for c in others)
    weak = sum(c.role == "supporting" and c.verdict == "does not hold" for c in others)
    if weak:
        parts.append(f"{weak} supporting fail")
    if refuted:
        parts.append(f"{refuted} refuted by counterexample")
    return ", ".join(parts)


def relative_paths(obj: Any, root: Path) -> Any:
    """`obj` with every absolute path string made relative to `root` (or shortened to
    ``…/<name>`` when outside it), so a shared report shows no machine's directories.

    Examples
    --------
    >>> relative_paths({"a": "/data/out/claims/x.png", "b": ["/home/me/mnist", 3]},
    ...                Path("/data/out"))
    {'a': 'claims/x.png', 'b': ['…/mnist', 3]}
    """
    if isinstance(obj, Mapping):
        return {k: relative_paths(v, root) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [relative_paths(v, root) for v in obj]
    if isinstance(obj, str) and obj.startswith("/") and "\n" not in obj and " " not in obj:
        p = Path(obj)
        try:
            return str(p.relative_to(root))
        except ValueError:
            return f"…/{p.name}"
    return obj


def _check_groups(result: ClaimResult) -> list[dict[str, Any]]:
    groups = []
    for role, title in _ROLE_TITLES.items():
        chosen = [{"name": c.name, "verdict": c.verdict, "criterion": c.criterion,
                   "why": c.why, "colour": _COLOURS.get(c.verdict, "#6e7781")}
                  for c in result.checks if c.role == role]
        if chosen:
            groups.append({"title": title, "checks": chosen, "decisive": role == "measurement"})
    return groups


#: A one-letter symbol (or a closing bracket) followed by ``_x`` / ``_{...}``: a subscript.
#: Identifiers such as ``full_preact`` (more than one letter before ``_``) are left alone.
_SUB = re.compile(r"(?:(?<![\w])([A-Za-zΣλρσΔθμ])|([)\]]))_(\{[^{}]*\}|[A-Za-z0-9ÑΔσλρθ]+)")
_SUP = re.compile(r"\^(\{[^{}]*\}|-?[A-Za-z0-9]+)")


def readable_math(text: str) -> markupsafe.Markup:
    """HTML-escape `text`, then typeset ``x_{ab}``/``x_i`` and ``y^{-1}``/``y^2`` as sub/sup.

    Examples
    --------
    >>> str(readable_math("Tr(Σ_{x,Ñ}^{-1}) <b>"))
    'Tr(Σ<sub>x,Ñ</sub><sup>-1</sup>) &lt;b&gt;'
    >>> str(readable_math("ρ_Ñ and a_t = 1/t, full_preact, p(y_i|x_i)"))
    'ρ<sub>Ñ</sub> and a<sub>t</sub> = 1/t, full_preact, p(y<sub>i</sub>|x<sub>i</sub>)'
    """
    html = str(markupsafe.escape(str(text)))

    def _body(body: str) -> str:
        return body[1:-1] if body.startswith("{") else body

    html = _SUB.sub(lambda m: f"{m.group(1) or m.group(2)}<sub>{_body(m.group(3))}</sub>",
                    html)
    html = _SUP.sub(lambda m: f"<sup>{_body(m.group(1))}</sup>", html)
    return markupsafe.Markup(html)


def write_report(results: Sequence[ClaimResult], claims: Mapping[str, Claim], out: str | Path,
                 *, title: str = "infoplane reproduce",
                 settings: Mapping[str, Any]) -> dict[str, Path]:
    """Write ``index.html``, ``summary.json`` and ``summary.md`` for claim results.

    Parameters
    ----------
    results : sequence of ClaimResult
        The results, in report order (e.g. from :func:`~infoplane.reproduce.run_claims`).
    claims : Mapping of str to Claim
        Claims by id (e.g. :data:`~infoplane.reproduce.REGISTRY`); a result whose claim is
        missing is still reported, with placeholders for the paper, section and statement.
    out : str or Path
        The report directory (created if needed). Relative figure paths in the results are
        resolved against it, and errors link to ``logs/<id>.log`` inside it.
    title : str
        The report's title.
    settings : Mapping
        The run settings (e.g. ``{"quick": True, "seeds": 3, "seed": 0}``), JSON-able.

    Returns
    -------
    dict of str to Path
        ``{"html": out/index.html, "json": out/summary.json, "md": out/summary.md}``.

    Raises
    ------
    TypeError
        When `results` holds something other than :class:`ClaimResult`, or `claims` or
        `settings` is not a mapping.

    Notes
    -----
    Figures (PNG, JPEG, GIF, SVG, WebP) smaller than :data:`EMBED_LIMIT` bytes are embedded as
    base64 data URIs so ``index.html`` stands alone; larger ones are referenced relative to
    `out`. Missing figures are noted in the report instead of failing it.

    Examples
    --------
    >>> import tempfile
    >>> c = Claim("demo", "mmi", "Eq. 1", "1 + 1 = 2", "the sum", "math:fsum")
    >>> r = ClaimResult("demo", "holds", "It does.", {"sum": 2}, "sum 2")
    >>> paths = write_report([r], {"demo": c}, tempfile.mkdtemp(), settings={"quick": True})
    >>> sorted(paths)
    ['html', 'json', 'md']
    """
    if isinstance(results, ClaimResult) or not isinstance(results, Sequence):
        raise TypeError(f"`results` must be a sequence of ClaimResult, got {results!r}.")
    for i, r in enumerate(results):
        if not isinstance(r, ClaimResult):
            raise TypeError(f"`results[{i}]` must be a ClaimResult, got {type(r).__name__}.")
    if not isinstance(claims, Mapping):
        raise TypeError(f"`claims` must be a mapping of id to Claim, got {type(claims).__name__}.")
    if not isinstance(settings, Mapping):
        raise TypeError(f"`settings` must be a dict, got {type(settings).__name__}.")
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    absroot = root.resolve()

    counts: dict[str, int] = dict.fromkeys(VERDICTS, 0)
    for r in results:
        counts[r.verdict] += 1

    items: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for r in results:
        fields = _claim_fields(r, claims)
        log = f"logs/{r.claim_id}.log" if r.verdict == "error" else ""
        items.append({
            "id": r.claim_id, **fields, "verdict": r.verdict,
            "colour": _COLOURS.get(r.verdict, "#6e7781"), "key_number": r.key_number,
            "why": r.why, "numbers": flatten_numbers(relative_paths(r.numbers, absroot)),
            "checks_text": checks_summary(r), "check_groups": _check_groups(r),
            "analytic": claims[r.claim_id].analytic if r.claim_id in claims else "",
            "figures": [_figure(root, f, EMBED_LIMIT) for f in r.figures], "log": log,
            "seconds_text": f"Took {r.seconds:.1f} s.",
        })
        records.append({
            "id": r.claim_id, "paper": fields["paper"], "section": fields["section"],
            "statement": fields["statement"], "verdict": r.verdict,
            "measures": fields["measures"], "key_number": r.key_number, "why": r.why,
            "numbers": relative_paths(dict(r.numbers), absroot), "seconds": r.seconds,
            "checks": [relative_paths(c.to_dict(), absroot) for c in r.checks],
            "analytic": claims[r.claim_id].analytic if r.claim_id in claims else "",
            "figures": list(r.figures), **({"log": log} if log else {}),
        })

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["math"] = readable_math
    html = env.from_string(_TEMPLATE).render(
        title=title, settings_items=[(str(k), v) for k, v in settings.items()],
        counts=counts, items=items)
    html_bytes = html.encode("utf-8")
    html_path = atomic_write(root / "index.html", lambda fh: fh.write(html_bytes))

    json_path = write_json(root / "summary.json", {
        "title": title, "settings": dict(settings), "counts": counts, "claims": records,
    })

    lines = [f"# {_md_cell(title)}", ""]
    lines.append("Verdicts: " + ", ".join(f"{v}: {n}" for v, n in counts.items()) + ".")
    lines += ["", "| Claim | Paper § | Verdict | Checks | Key number |", "|---|---|---|---|---|"]
    for rec, r in zip(records, results, strict=True):
        lines.append(f"| {_md_cell(rec['id'])} | {_md_cell(rec['paper'])} "
                     f"{_md_cell(rec['section'])} | {_md_cell(rec['verdict'])} "
                     f"| {_md_cell(checks_summary(r))} | {_md_cell(rec['key_number'])} |")
    lines.append("")
    for rec in records:
        extra = f" (traceback: `{rec['log']}`)" if "log" in rec else ""
        lines.append(f"- **{_md_cell(rec['id'])}** ({rec['verdict']}): "
                     f"{_md_cell(rec['why'])}{extra}")
    md_bytes = ("\n".join(lines) + "\n").encode("utf-8")
    md_path = atomic_write(root / "summary.md", lambda fh: fh.write(md_bytes))

    return {"html": html_path, "json": json_path, "md": md_path}

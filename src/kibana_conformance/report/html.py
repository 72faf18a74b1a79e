"""The HTML conformance report: one self-contained page (reports/index.html) rendered from results.json.

Everything is rendered here in Python, so the verdict, the matrix, the failures and the coverage
read without JavaScript; a small inline script only enhances the page (filters, the checks of a
matrix cell, copy buttons, expand/collapse). No network: inline CSS and JS, no fonts, no images,
and a Content-Security-Policy that forbids loading anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .html_assets import CSS, JS
from .html_divergences import divergences_section, versions
from .html_findings import findings_section, op_label
from .html_model import FAILING, Model, build_model, esc, fmt_date, fmt_duration
from .html_sections import authorization_section, checks_section, coverage_section, footprint_section, matrix_section

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
VERDICT_TONE = {"conformant": "pass", "not conformant": "fail", "incomplete": "warn"}
VERDICT_MARK = {"pass": "✓", "fail": "✗", "warn": "!"}
COUNT_ORDER = ("passed", "failed", "error", "skipped", "baselined", "fixed")
ALWAYS_SHOWN = ("passed", "failed", "skipped", "baselined")


def render(results: dict[str, Any]) -> str:
    model = build_model(results)
    verdict = str(results.get("verdict") or "incomplete")
    title = f"Kibana conformance: {verdict}"
    return "".join(
        [
            '<!doctype html><html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">',
            f'<link rel="icon" href="data:,"><title>{esc(title)}</title><style>{CSS}</style></head><body>',
            '<a class="skip" href="#failures">Skip to the failures</a>',
            _masthead(model, verdict),
            _toolbar(model),
            '<main class="wrap">',
            matrix_section(model),
            findings_section(model),
            divergences_section(results),
            coverage_section(model),
            footprint_section(results),
            authorization_section(results),
            checks_section(model),
            "</main>",
            _footer(results),
            f"<script>{JS}</script></body></html>\n",
        ]
    )


def write_html(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results), encoding="utf-8")


def _masthead(model: Model, verdict: str) -> str:
    results = model.results
    tone = VERDICT_TONE.get(verdict, "warn")
    return (
        '<header class="masthead"><div class="wrap">'
        '<p class="kicker">Kibana REST API · conformance report</p>'
        '<div class="mast-grid"><div class="mast-main">'
        f'<div class="verdict v-{tone}" role="status" aria-label="Verdict: {esc(verdict)}">'
        f'<span class="v-icon" aria-hidden="true">{VERDICT_MARK[tone]}</span><div>'
        f'<p class="v-label">Verdict</p><p class="v-value">{esc(verdict.capitalize())}</p>'
        f'<p class="v-why">{esc(_why(model, verdict))}</p></div></div>'
        f"{_counts(results)}</div>"
        f"{_meta(results)}</div>"
        f"{_failing_operations(model)}{_baseline(results)}"
        "</div></header>"
    )


def _why(model: Model, verdict: str) -> str:
    counts = model.results.get("counts") or {}
    failed = int(counts.get("failed", 0)) + int(counts.get("error", 0))
    total = len(model.tests)
    expired = len((model.results.get("baseline") or {}).get("expired") or [])
    baselined = int(counts.get("baselined", 0))
    if verdict == "not conformant":
        ops = len(model.failing_operations())
        parts = []
        if failed:
            parts.append(f"{failed} failed check{'s' if failed != 1 else ''} on {ops} operation{'s' if ops != 1 else ''}")
        if expired:
            parts.append(f"{expired} expired baseline entr{'ies' if expired != 1 else 'y'}")
        return "; ".join(parts) or "the run did not pass"
    if verdict == "conformant":
        ran = total - int(counts.get("skipped", 0))
        text = f"all {ran} checks that ran passed"
        return text + (f"; {baselined} accepted deviation{'s' if baselined != 1 else ''}" if baselined else "")
    if verdict == "insufficient coverage":
        summary = model.results.get("coverage_summary") or {}
        missing = len(summary.get("missing") or [])
        return f"every check that ran passed, but coverage is {summary.get('percent', 0):g}%, below the minimum of {summary.get('minimum') or 0:g}%: {missing} documented item{'s' if missing != 1 else ''} never exercised (see Coverage)"
    if verdict == "interrupted":
        return f"the run was stopped after {total} test{'s' if total != 1 else ''}: no verdict on what did not run"
    if verdict == "internal error":
        detail = str(model.results.get("internal_error") or "").strip()
        return "the suite failed, not the target" + (f": {detail}" if detail else "")
    if not total:
        return "no check ran"
    return "no check passed: everything was skipped"


def _counts(results: dict[str, Any]) -> str:
    counts = results.get("counts") or {}
    items = []
    for key in COUNT_ORDER:
        n = int(counts.get(key, 0) or 0)
        if key in ALWAYS_SHOWN or n:
            items.append(f'<li class="count k-{key}{" zero" if not n else ""}"><span class="cn">{n}</span><span class="cl">{key}</span></li>')
    return f'<ul class="counts" aria-label="Counts">{"".join(items)}</ul>'


def _meta(results: dict[str, Any]) -> str:
    target = results.get("target") or {}
    tool = results.get("tool") or {}
    url = target.get("url") or "unknown"
    where = " (bundled mock)" if target.get("embedded") else ""
    space = f" · space {target['space']}" if target.get("space") else ""
    rows = [
        ("Target", f"<code>{esc(url)}</code>{esc(where + space)}"),
        ("Kibana version", esc(target.get("kibana_version") or "unknown")),
        ("Date", esc(fmt_date(results.get("started_at")))),
        ("Duration", esc(fmt_duration(results.get("duration_s")))),
        ("Seed", f"<code>{esc(results.get('seed'))}</code>"),
        ("Property phases", esc(", ".join(results.get("phases") or []) or "unrecorded")),
        ("Suite", esc(f"{tool.get('name', 'kibana-conformance')} {tool.get('version', '')}".strip())),
        ("Schema version", f'<code class="wrap-any">{esc(results.get("schema_version") or "unknown")}</code>'),
    ]
    if results.get("run_id"):
        rows.append(("Run", f"<code>{esc(results['run_id'])}</code>"))
    body = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in rows)
    return f'<dl class="meta">{body}</dl>'


def _failing_operations(model: Model) -> str:
    failing = model.failing_operations()
    if not failing:
        return ""
    items = []
    for op, row in failing:
        n = sum(row[o] for o in FAILING)
        items.append(
            f'<li><a href="#failed-{op.anchor}">{op_label(op)}</a>'
            f'<span class="fo-n">{n} failed</span><span class="fo-area">{esc(op.area)}</span></li>'
        )
    return (
        f'<nav class="failing" aria-labelledby="failing-h"><h2 id="failing-h">Failing operations ({len(failing)})</h2>'
        f'<ul>{"".join(items)}</ul></nav>'
    )


def _baseline(results: dict[str, Any]) -> str:
    baseline = results.get("baseline")
    if not baseline:
        return ""
    applied, expired, fixed, not_applied = (baseline.get(k) or [] for k in ("applied", "expired", "fixed", "not_applied"))
    facts = []
    if baseline.get("file"):
        facts.append(f"baseline <code>{esc(baseline['file'])}</code>")
    if baseline.get("flavour"):
        facts.append(f"target flavour <strong>{esc(baseline['flavour'])}</strong>")
    facts.append(f"{len(applied)} entr{'ies' if len(applied) != 1 else 'y'} applied")
    out = [f'<div class="baseline"><p><span class="lbl">Accepted deviations</span> {" · ".join(facts)}</p>']
    if expired:
        out.append('<p class="bl-expired"><strong>Expired entries (they fail the verdict):</strong></p><ul class="bl-list">')
        out.extend(f"<li>{_entry(e)}</li>" for e in expired)
        out.append("</ul>")
    if not_applied:
        out.append('<p class="bl-expired"><strong>Flavour divergences not applied (their tests are judged strictly):</strong></p><ul class="bl-list">')
        out.extend(f"<li>{_entry(e)}: {esc(e.get('why'))}</li>" for e in not_applied)
        out.append("</ul>")
    if fixed:
        out.append('<p class="bl-fixed"><strong>Fixed: these entries now pass and can be removed:</strong></p><ul class="bl-list">')
        out.extend(f"<li>{_entry(e)}</li>" for e in fixed)
        out.append("</ul>")
    out.append("</div>")
    return "".join(out)


def _entry(entry: dict[str, Any]) -> str:
    operation = f" on <code>{esc(entry['operation'])}</code>" if entry.get("operation") else ""
    expires = f" (expires {esc(entry['expires'])})" if entry.get("expires") else ""
    observed = f" (observed in Kibana {esc(versions(entry))})" if entry.get("since") or entry.get("until") else ""
    return f"<code>{esc(entry.get('requirement'))}</code>{operation}: {esc(entry.get('reason'))}{observed}{expires}"


def _toolbar(model: Model) -> str:
    areas = "".join(f'<option value="{esc(area)}">{esc(area)}</option>' for area, _ in model.areas)
    counts: dict[str, int] = {}
    for test in model.tests:
        counts[test.outcome] = counts.get(test.outcome, 0) + 1
    buttons = "".join(
        f'<button type="button" class="fbtn s-{esc(s)}" aria-pressed="false" data-status="{esc(s)}">{esc(s.capitalize())} <span class="n">{counts.get(s, 0)}</span></button>'
        for s in model.statuses
    )
    return (
        '<div class="toolbar" id="toolbar"><div class="wrap toolbar-in">'
        '<nav class="jump" aria-label="Sections"><a href="#matrix">Matrix</a><a href="#failures">Failures</a>'
        '<a href="#divergences">Divergences</a><a href="#coverage">Coverage</a><a href="#checks">All checks</a></nav>'
        '<div class="filters js-only" role="search" aria-label="Filters" hidden>'
        '<label for="f-area">Area</label><select id="f-area"><option value="">All areas</option>'
        f"{areas}</select>"
        f'<div class="fstatus" role="group" aria-label="Status: show only the pressed ones (none pressed shows all)"><span class="tb-lbl" aria-hidden="true">Status</span>{buttons}</div>'
        '<button type="button" class="btn" id="f-reset">Reset</button>'
        '<span id="f-summary" class="muted" role="status" aria-live="polite"></span></div>'
        "</div></div>"
    )


def _footer(results: dict[str, Any]) -> str:
    tool = results.get("tool") or {}
    return (
        '<footer class="wrap foot"><p>Rendered by '
        f"{esc(tool.get('name', 'kibana-conformance'))} {esc(tool.get('version', ''))} from results.json. "
        "Credentials are redacted from the run's data: supply your own to run a curl command (the suite's commands read them from $KIBANA_AUTH).</p></footer>"
    )

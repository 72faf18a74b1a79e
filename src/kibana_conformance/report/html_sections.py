"""The conformance matrix, the coverage table and the list of all checks of the HTML report."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .coverage import excluded_lines, headline, missing_lines, split_statuses, summarize
from .html_findings import badge, op_label
from .html_model import FAILING, Model, Operation, Test, cell_tone, display_summary, esc, fmt_duration

TONE_MARK = {"green": "✓", "red": "✗", "amber": "≈", "grey": "–"}
TONE_WORD = {"green": "all passed", "red": "failures", "amber": "accepted deviations only", "grey": "nothing ran"}
OUTCOME_RANK = {"failed": 0, "error": 1, "baselined": 2, "skipped": 3, "passed": 4}


def matrix_section(model: Model) -> str:
    cats = model.categories
    head = "".join(f'<th scope="col" class="cat">{esc(c)}</th>' for c in cats)
    out = [
        '<section id="matrix" class="card" aria-labelledby="matrix-h">',
        '<div class="section-head"><h2 id="matrix-h">Conformance matrix</h2>',
        '<ul class="legend" aria-label="Legend">'
        '<li><span class="sw t-green" aria-hidden="true">✓</span>all passed</li>'
        '<li><span class="sw t-red" aria-hidden="true">✗</span>failed or error</li>'
        '<li><span class="sw t-amber" aria-hidden="true">≈</span>accepted deviations (baselined)</li>'
        '<li><span class="sw t-grey" aria-hidden="true">–</span>nothing ran / all skipped</li></ul></div>',
        '<p class="hint">One row per operation, one column per check category; each cell counts passed of run checks. '
        '<span class="js-only" hidden>Select a cell (click, or Enter) to list its checks below the matrix. </span>'
        "A check that touches several operations counts in each of their rows.</p>",
        '<table class="matrix"><caption class="sr-only">Checks per operation and category</caption>',
        f'<thead><tr><th scope="col" class="opcol">Operation</th>{head}<th scope="col" class="cat all">All</th></tr></thead>',
    ]
    width = len(cats) + 2
    for area, ops in model.areas:
        n = len(ops)
        out.append(
            f'<tbody data-area="{esc(area)}"><tr class="area-row"><th colspan="{width}" scope="colgroup">'
            f'{esc(area)} <span class="muted">{n} operation{"s" if n != 1 else ""}</span></th></tr>'
        )
        for op in ops:
            row = model.rows.get(op.id, Counter())
            outcomes = " ".join(o for o in row if row[o])
            cells = "".join(_cell(op, c, model.cells.get((op.id, c), Counter())) for c in cats)
            tone = cell_tone(row)
            title = f'<span class="optitle">{esc(op.title)}</span> <span class="opid">{esc(op.id)}</span>' if not op.pseudo else ""
            out.append(
                f'<tr class="op-row r-{tone}" id="m-{op.anchor}" data-op="{esc(op.id)}" data-area="{esc(op.area)}" data-outcomes="{esc(outcomes)}">'
                f'<th scope="row" class="opcell">{op_label(op)}<div class="opsub">{title}</div></th>'
                f"{cells}{_cell(op, '*', row, total=True)}</tr>"
            )
        out.append("</tbody>")
    out.append("</table>")
    out.append(
        '<div id="cell-panel" class="panel" role="region" aria-labelledby="cell-panel-h" tabindex="-1" hidden>'
        '<div class="panel-head"><h3 id="cell-panel-h">Checks</h3>'
        '<button type="button" class="btn" id="cell-panel-close">Close</button></div>'
        '<p class="panel-note muted"></p>'
        f"{_checks_table('cell-panel-table', '')}</div>"
    )
    out.append("</section>")
    return "".join(out)


def _cell(op: Operation, cat: str, counts: Counter[str], total: bool = False) -> str:
    tone = cell_tone(counts)
    run = sum(counts.values()) - counts["skipped"]
    everything = sum(counts.values())
    klass = f"cell t-{tone}{' total' if total else ''}"
    where = f"{op.id if not op.pseudo else op.title}, {'all categories' if total else cat}"
    if not everything:
        return f'<td class="{klass}"><span class="cell-in" aria-label="{esc(where)}: no checks">–</span></td>'
    failed = counts["failed"] + counts["error"]
    extra = []
    if failed:
        extra.append(f"{failed} failed")
    if counts["baselined"]:
        extra.append(f"{counts['baselined']} baselined")
    if counts["skipped"]:
        extra.append(f"{counts['skipped']} skipped")
    words = ", ".join([f"{counts['passed']} of {run} passed"] + extra)
    outcomes = " ".join(o for o in counts if counts[o])
    sub = f'<span class="sub">{esc(" · ".join(extra))}</span>' if extra else ""
    frac = f"{counts['passed']}/{run}" if run else "–"
    return (
        f'<td class="{klass}"><button type="button" class="cell-in" data-op="{esc(op.id)}" data-cat="{esc(cat)}" '
        f'data-outcomes="{esc(outcomes)}" aria-expanded="false" aria-controls="cell-panel" '
        f'aria-label="{esc(where)}: {esc(TONE_WORD[tone])}, {esc(words)}">'
        f'<span class="mark" aria-hidden="true">{TONE_MARK[tone]}</span><span class="frac">{frac}</span>{sub}</button></td>'
    )


def _checks_table(table_id: str, body: str) -> str:
    return (
        f'<table class="checks" id="{table_id}"><thead><tr><th scope="col" class="c-out">Outcome</th>'
        '<th scope="col" class="c-req">Requirement</th><th scope="col" class="c-cat">Category</th>'
        '<th scope="col" class="c-ops">Operations</th><th scope="col" class="c-test">Test</th>'
        f'<th scope="col" class="c-dur">Time</th></tr></thead><tbody>{body}</tbody></table>'
    )


def checks_section(model: Model) -> str:
    counts = Counter(t.outcome for t in model.tests)
    parts = ", ".join(f"{counts[o]} {o}" for o in OUTCOME_RANK if counts[o])
    rows = "".join(_check_row(t) for t in sorted(model.tests, key=lambda t: (OUTCOME_RANK.get(t.outcome, 5), t.index)))
    return (
        '<section id="checks" class="card" aria-labelledby="checks-h"><div class="section-head">'
        f'<h2 id="checks-h">All checks</h2><p class="muted" id="checks-count">{len(model.tests)} checks{": " + esc(parts) if parts else ""}</p></div>'
        f'<details id="all-checks"><summary>Show every check, failures first</summary>{_checks_table("checks-table", rows)}</details></section>'
    )


def _check_row(test: Test) -> str:
    r = test.record
    ops = " ".join(op.id for op in test.operations)
    name = esc(test.short_name)
    label = f'<a href="#{test.anchor}">{name}</a>' if test.is_finding else name
    why = r.get("skip_reason") if test.outcome == "skipped" else (r.get("baseline_reason") if test.outcome == "baselined" else display_summary(r) if test.outcome in FAILING else None)
    why_html = f'<div class="why">{esc(why)}</div>' if why else ""
    op_text = ", ".join(op.id if not op.pseudo else "—" for op in test.operations)
    return (
        f'<tr data-ops="{esc(ops)}" data-cat="{esc(r.get("category"))}" data-outcome="{esc(test.outcome)}" data-areas="{esc(" ".join(test.areas))}">'
        f"<td>{badge(test.outcome)}</td><td class=\"mono\">{esc(r.get('requirement'))}</td><td>{esc(r.get('category'))}</td>"
        f'<td class="mono small">{esc(op_text)}</td><td title="{esc(r.get("nodeid"))}"><span class="mono small">{label}</span>{why_html}</td>'
        f'<td class="num">{esc(fmt_duration(r.get("duration")))}</td></tr>'
    )


def coverage_section(model: Model) -> str:
    coverage = model.results.get("coverage") or {}
    fields_of = {str(op.get("id")): [str(f) for f in op.get("fields") or []] for op in model.results.get("operations") or []}
    rows, totals = [], Counter()
    for area, ops in model.areas:
        real = [op for op in ops if not op.pseudo]
        if not real:
            continue
        rows.append(f'<tbody data-area="{esc(area)}"><tr class="area-row"><th colspan="5" scope="colgroup">{esc(area)}</th></tr>')
        for op in real:
            entry = coverage.get(op.id) or {}
            statuses, undocumented = split_statuses(op.statuses, entry.get("statuses") or {})
            params_seen = {str(k): int(v) for k, v in (entry.get("parameters") or {}).items()}
            params = [(p, params_seen.get(p, 0)) for p in op.parameters]
            fields_seen = {str(k): int(v) for k, v in (entry.get("fields") or {}).items()}
            fields = [(f, fields_seen.get(f, 0)) for f in fields_of.get(op.id, [])]
            totals.update(undocumented=len(undocumented))
            rows.append(
                f'<tr><th scope="row" class="opcell">{op_label(op)}<div class="opsub"><span class="opid">{esc(op.id)}</span></div></th>'
                f"<td>{_chips(statuses, 'status')}</td><td>{_undocumented(undocumented)}</td><td>{_chips(params, 'parameter')}</td>"
                f"<td>{_chips(fields, 'request field')}</td></tr>"
            )
        rows.append("</tbody>")
    # A results.json written before the summary existed: the same summary, from its coverage.
    summary = model.results.get("coverage_summary") or summarize(model.results.get("operations") or [], coverage)
    text = headline(summary) + "; "
    text += f"the target returned {totals['undocumented']} undocumented status{'es' if totals['undocumented'] != 1 else ''} (highlighted)."
    return (
        '<section id="coverage" class="card" aria-labelledby="coverage-h"><div class="section-head">'
        f'<h2 id="coverage-h">Coverage</h2></div><p class="hint">{esc(text)} '
        "Counts are the number of requests that exercised each status, parameter or request field.</p>"
        f"{_gate_lists(summary)}"
        '<table class="coverage"><thead><tr><th scope="col" class="opcol">Operation</th><th scope="col">Documented statuses</th>'
        '<th scope="col">Undocumented statuses returned</th><th scope="col">Documented parameters</th><th scope="col">Documented request fields</th></tr></thead>'
        f"{''.join(rows)}</table></section>"
    )


def _gate_lists(summary: dict[str, Any] | None) -> str:
    if not summary:
        return ""
    parts = []
    if summary.get("below_minimum"):
        minimum = f"{summary['minimum']:g}"
        parts.append(f'<p class="why"><strong>Below the minimum of {esc(minimum)}%.</strong></p>')
    for title, lines, open_ in (("Never exercised", missing_lines(summary), summary.get("below_minimum")), ("Excluded from the measure", excluded_lines(summary), False)):
        if lines:
            items = "".join(f'<li class="mono small">{esc(line)}</li>' for line in lines)
            parts.append(f'<details class="coverage-list"{" open" if open_ else ""}><summary>{esc(title)} ({len(lines)})</summary><ul>{items}</ul></details>')
    return "".join(parts)


def _chips(items: list[tuple[str, int]], what: str) -> str:
    if not items:
        return f'<span class="muted">no documented {what}s</span>'
    chips = []
    for name, n in items:
        if n:
            chips.append(f'<li class="chip hit" title="exercised {n} times">{esc(name)} <span class="n">×{n}</span></li>')
        else:
            chips.append(f'<li class="chip miss" title="not exercised">{esc(name)} <span class="n">not exercised</span></li>')
    return f'<ul class="chips">{"".join(chips)}</ul>'


def _undocumented(items: list[tuple[str, int]]) -> str:
    if not items:
        return '<span class="muted">none</span>'
    chips = "".join(
        f'<li class="chip undoc" title="undocumented: returned {n} times"><span aria-hidden="true">⚠</span> {esc(code)} <span class="n">×{n}</span></li>' for code, n in items
    )
    return f'<ul class="chips" aria-label="undocumented statuses">{chips}</ul>'


def footprint_section(results: dict[str, Any]) -> str:
    """What the run left on the target: restored resources, and what no documented operation can delete."""
    footprint = results.get("footprint") or {}
    writes, restored = footprint.get("writes") or [], footprint.get("restored") or []
    if not writes and not restored:
        return ""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for entry in writes:
        groups.setdefault((entry.get("kind", ""), entry.get("what") or entry.get("operation", "")), []).append(entry)
    items = []
    for entry in restored:
        state = "restored" if entry.get("restored") else "not fully restored"
        left = entry.get("left") or []
        detail = f" ({esc(entry.get('detail', ''))}; fields still different: {esc(', '.join(map(str, left[:8])))}{'…' if len(left) > 8 else ''})" if left else (f" ({esc(entry.get('detail', ''))})" if entry.get("detail") else "")
        items.append(f"<li><strong>{esc(entry.get('operation', ''))}</strong> <code>{esc(entry.get('id', ''))}</code>: {state}{detail}</li>")
    for (kind, what), entries in sorted(groups.items()):
        ids = ", ".join(f"{esc(e.get('id', ''))}{'' if e.get('space') in ('default', '-') else ' (space ' + esc(e.get('space', '')) + ')'}" for e in entries[:50])
        more = f" and {len(entries) - 50} more (see results.json)" if len(entries) > 50 else ""
        items.append(
            f'<li><details class="sub"><summary>{len(entries)} {esc(kind)}: {esc(what)}</summary>'
            f'<p class="ids">{ids}{more}</p></details></li>'
        )
    return (
        '<section id="footprint" class="card" aria-labelledby="footprint-h"><div class="section-head">'
        '<h2 id="footprint-h">Left on the target</h2></div><p class="hint">Fleet settings and the package policy '
        "are read before the run and written back after it; what no documented operation can delete or read back "
        "is listed with its id (every name the suite chooses starts with the run prefix; ids the target assigns are listed as they are).</p>"
        f'<ul class="footprint">{"".join(items)}</ul></section>'
    )


def authorization_section(results: dict[str, Any]) -> str:
    """Who may call what, as the document states it, and what the run's authorization tests found per operation."""
    from ..authz import APM_APPLICATION_PRIVILEGES, APM_CLUSTER_PRIVILEGE, CASES_READ_OWNERS, ROUTE_PRIVILEGES

    required = {op: (" AND " if mode == "all" else " OR ").join(names) for op, (mode, names) in ROUTE_PRIVILEGES.items()}
    required["post-apm-agent-keys"] = f"{APM_CLUSTER_PRIVILEGE}, and each APM privilege granted ({', '.join(APM_APPLICATION_PRIVILEGES)})"
    required["get-cases-configure"] = "Cases read in a section; answers only the owners it reads (" + ", ".join(f"{k}: {v}" for k, v in CASES_READ_OWNERS.items()) + ")"
    tally: dict[str, dict[str, int]] = {op: {} for op in required}
    for test in results.get("tests") or []:
        if test.get("category") != "authorization":
            continue
        for op in test.get("operations") or []:
            if op in tally:
                tally[op][test.get("outcome", "")] = tally[op].get(test.get("outcome", ""), 0) + 1
    if not any(tally.values()):
        return ""
    rows = []
    for op, privileges in required.items():
        counts = tally[op]
        shown = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "not run"
        rows.append(f"<tr><th scope=\"row\"><code>{esc(op)}</code></th><td>{esc(privileges)}</td><td>{esc(shown)}</td></tr>")
    return (
        '<section id="authorization" class="card" aria-labelledby="authorization-h"><div class="section-head">'
        '<h2 id="authorization-h">Authorization</h2></div><p class="hint">The privileges the document states per operation, '
        "and the authorization tests' outcomes (a test whose principal was not given is skipped: README, section Authorization).</p>"
        '<table class="authz"><thead><tr><th scope="col">operation</th><th scope="col">required privileges</th>'
        f'<th scope="col">tests</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
    )

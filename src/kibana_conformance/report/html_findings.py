"""The failures and accepted deviations of the HTML report, rendered in Python (readable without JS)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from .html_model import FAILING, Model, Operation, Test, display_summary, esc, fmt_duration, reproduction, schemathesis_excerpt

BODY_LIMIT = 6000
OUTCOME_LABEL = {"failed": "Failed", "error": "Error", "baselined": "Baselined", "passed": "Passed", "skipped": "Skipped"}


def badge(outcome: str) -> str:
    return f'<span class="badge b-{esc(outcome)}">{esc(OUTCOME_LABEL.get(outcome, outcome))}</span>'


def method_badge(op: Operation) -> str:
    if op.pseudo:
        return '<span class="m m-none">any</span>'
    return f'<span class="m m-{esc(op.method.lower())}">{esc(op.method)}</span>'


def op_label(op: Operation) -> str:
    if op.pseudo:
        return f'<span class="opline">{method_badge(op)}<span class="path">{esc(op.title)}</span></span>'
    return f'<span class="opline">{method_badge(op)}<code class="path">{path_html(op.path)}</code></span>'


def path_html(path: str) -> str:
    """A path that may wrap after its slashes rather than anywhere."""
    return "/<wbr>".join(esc(part) for part in path.split("/"))


def findings_section(model: Model) -> str:
    failures = [t for t in model.findings if t.outcome in FAILING]
    baselined = [t for t in model.findings if t.outcome == "baselined"]
    parts = [
        '<section id="failures" class="card" aria-labelledby="failures-h">',
        '<div class="section-head"><h2 id="failures-h">Failures and accepted deviations</h2>',
        '<div class="tools js-only" hidden><button type="button" class="btn" data-expand="open">Expand all</button>'
        '<button type="button" class="btn" data-expand="close">Collapse all</button></div></div>',
    ]
    if not failures and not baselined:
        ran = any(t.outcome == "passed" for t in model.tests)
        parts.append(f'<p class="empty-ok">No failures{": every check that ran passed" if ran else ""}.</p>')
    parts.append(_group("failed", f"Failures ({len(failures)})", failures, model, "No check failed."))
    if baselined:
        parts.append(_group("baselined", f"Accepted deviations ({len(baselined)})", baselined, model, ""))
    parts.append('<p class="filtered-out" hidden>No failure or deviation matches the filters.</p></section>')
    return "".join(parts)


def _group(kind: str, title: str, tests: list[Test], model: Model, none: str) -> str:
    if not tests:
        return f'<div class="fgroup" data-kind="{kind}"><h3>{esc(title)}</h3><p class="muted">{esc(none)}</p></div>' if none and model.findings else ""
    by_op: dict[str, list[Test]] = defaultdict(list)
    for test in tests:
        by_op[test.operations[0].id].append(test)
    out = [f'<div class="fgroup" data-kind="{kind}"><h3>{esc(title)}</h3>']
    if kind == "baselined":
        out.append('<p class="muted">These checks failed, but a baseline or the target flavour accepts the deviation: they do not fail the verdict.</p>')
    for area, ops in model.areas:
        present = [op for op in ops if by_op.get(op.id)]
        if not present:
            continue
        out.append(f'<div class="farea" data-area="{esc(area)}"><h4 class="area-h">{esc(area)}</h4>')
        for op in present:
            items = by_op[op.id]
            anchor = f"{kind}-{op.anchor}"
            title_text = f" · {esc(op.title)}" if not op.pseudo else ""
            out.append(
                f'<div class="fop" id="{anchor}"><h5 class="fop-h">{op_label(op)}'
                f'<span class="fop-t">{title_text} · {len(items)} {"failure" if kind == "failed" else "deviation"}{"s" if len(items) != 1 else ""}</span></h5>'
            )
            out.extend(finding(t) for t in items)
            out.append("</div>")
        out.append("</div>")
    out.append("</div>")
    return "".join(out)


def finding(test: Test) -> str:
    r = test.record
    excerpt = schemathesis_excerpt(r.get("failure_text")) if not (r.get("received") or r.get("documented")) else None
    areas = " ".join(test.areas)
    summary = display_summary(r)
    out = [
        f'<details class="finding o-{esc(test.outcome)}" id="{test.anchor}" data-areas="{esc(areas)}" data-outcome="{esc(test.outcome)}">',
        f'<summary>{badge(test.outcome)}<span class="req">{esc(r.get("requirement"))}</span>'
        f'<span class="fsum">{esc(summary)}</span><span class="tname" title="{esc(r.get("nodeid"))}">{esc(test.short_name)}</span></summary>',
        '<div class="fbody">',
    ]
    if test.outcome == "baselined":
        out.append(f'<p class="accepted"><strong>Accepted deviation.</strong> {esc(r.get("baseline_reason") or "accepted by the baseline")}</p>')
    if r.get("doc"):
        out.append(f'<div class="doc"><span class="lbl">The document says</span><blockquote>{esc(r.get("doc"))}</blockquote></div>')
    if r.get("received") or r.get("documented"):
        out.append(
            '<div class="diff">'
            f'<div class="rcv"><span class="lbl">Received</span><pre>{esc(r.get("received") or "(nothing recorded)")}</pre></div>'
            f'<div class="dcm"><span class="lbl">Documented</span><pre>{esc(r.get("documented") or "(nothing recorded)")}</pre></div></div>'
        )
    elif excerpt:
        out.append(f'<div class="st"><span class="lbl">What the generated requests found</span><pre>{esc(excerpt)}</pre></div>')
    elif r.get("failure_text"):
        out.append(f'<div class="st"><span class="lbl">Failure</span><pre>{esc(_tail(r.get("failure_text"), 2500))}</pre></div>')
    curl = reproduction(r)
    if curl:
        code_id = f"{test.anchor}-curl"
        out.append(
            f'<div class="repro"><div class="repro-h"><span class="lbl">Reproduce</span>'
            f'<button type="button" class="btn copy js-only" hidden data-copy="{code_id}" aria-label="Copy the curl command of {esc(r.get("requirement"))}">Copy</button></div>'
            f'<pre class="curl"><code id="{code_id}">{esc(curl)}</code></pre></div>'
        )
    exchanges = r.get("exchanges") or []
    if exchanges:
        n = len(exchanges)
        order = ", oldest first" if n > 1 else ""
        out.append(f'<details class="sub"><summary>Request and response ({n} exchange{"s" if n != 1 else ""}{order})</summary>')
        out.extend(exchange(e) for e in exchanges)
        out.append("</details>")
    if r.get("failure_text") and (r.get("received") or excerpt):
        out.append(f'<details class="sub"><summary>Full test output</summary><pre class="raw">{esc(r.get("failure_text"))}</pre></details>')
    ops = ", ".join(op.id for op in test.operations if not op.pseudo) or "none"
    out.append(
        f'<p class="fmeta"><span>Test <code>{esc(r.get("nodeid"))}</code></span><span>Category {esc(r.get("category"))}</span>'
        f"<span>Operations {esc(ops)}</span><span>{esc(fmt_duration(r.get('duration')))}</span></p>"
    )
    out.append("</div></details>")
    return "".join(out)


def exchange(e: dict[str, Any]) -> str:
    status = e.get("status")
    tone = "none" if status is None else f"s{str(status)[0]}"
    error = f'<p class="ex-err">Transport error: {esc(e.get("error"))}</p>' if e.get("error") else ""
    return (
        '<div class="exchange">'
        f'<p class="ex-line"><strong>{esc(e.get("method"))}</strong> <code>{esc(e.get("url"))}</code> '
        f'<span class="st-code {tone}">{esc(status if status is not None else "no answer")}</span>{_har_link(e)}</p>{error}'
        '<div class="ex-grid">'
        f'<div><span class="lbl">Request</span>{_headers(e.get("request_headers"))}{_body(e.get("request_body"))}</div>'
        f'<div><span class="lbl">Response</span>{_headers(e.get("response_headers"))}{_body(e.get("response_body"))}</div>'
        "</div></div>"
    )


def _har_link(e: dict[str, Any]) -> str:
    """Where the exchange is in exchanges.har (its index in log.entries, and its _id)."""
    if e.get("har_entry") is None:
        return ""
    return f' <a class="har" href="exchanges.har" title="_id {esc(e.get("har_id"))}">exchanges.har entry {esc(e.get("har_entry"))}</a>'


def _headers(headers: Any) -> str:
    if not isinstance(headers, dict) or not headers:
        return '<p class="muted">No headers recorded.</p>'
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in headers.items())
    return f'<table class="hdrs">{rows}</table>'


def _body(body: Any) -> str:
    if body in (None, ""):
        return '<p class="muted">No body.</p>'
    text = str(body)
    if len(text) <= 20000 and text.lstrip()[:1] in ("{", "["):
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    if len(text) > BODY_LIMIT:
        text = f"{text[:BODY_LIMIT]}\n… ({len(text) - BODY_LIMIT} more characters)"
    return f'<pre class="body">{esc(text)}</pre>'


def _tail(text: Any, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else "…" + text[-limit:]

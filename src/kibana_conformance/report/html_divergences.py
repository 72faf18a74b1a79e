"""The known divergences of the HTML report: where Kibana differs from the document, whether the run
accepted each one for the target (its Kibana versions, its expiry), and the tests that met it."""

from __future__ import annotations

from typing import Any

from .html_model import esc


def versions(entry: dict[str, Any]) -> str:
    """The Kibana versions a divergence is observed in, as a reader says it."""
    since, until = entry.get("since"), entry.get("until")
    if since and until:
        return f"{since} up to {until} (exclusive)"
    if since:
        return f"since {since}"
    if until:
        return f"before {until}"
    return "every version (no range known)"


def _evidence(entry: dict[str, Any]) -> str:
    items = []
    for e in entry.get("evidence") or []:
        items.append(f'<li><code class="wrap-any">{esc(e.get("repo"))}/{esc(e.get("path"))}</code> at <code>{esc(str(e.get("commit") or "")[:12])}</code>: {esc(e.get("facts"))}</li>')
    if entry.get("link"):
        items.append(f"<li>{esc(entry['link'])}</li>")
    return f'<details class="sub"><summary>Evidence ({len(items)})</summary><ul class="bl-list">{"".join(items)}</ul></details>' if items else ""


def _status(entry: dict[str, Any]) -> str:
    if entry.get("accepted"):
        return '<span class="badge b-divergent">accepted</span>'
    return f'<span class="badge b-failed">not accepted</span> {esc(entry.get("why"))}'


def _tests(entry: dict[str, Any]) -> str:
    met, failed = len(entry.get("tests") or []), len(entry.get("failed_tests") or [])
    parts = [f"{met} divergent"] if met else []
    parts += [f"{failed} failed"] if failed else []
    return esc(", ".join(parts) or "not met")


def divergences_section(results: dict[str, Any]) -> str:
    entries = results.get("known_divergences") or []
    if not entries:
        return ""
    refused = sum(1 for e in entries if not e.get("accepted"))
    rows = []
    for e in entries:
        rows.append(
            f'<tr class="{"" if e.get("accepted") else "div-refused"}"><th scope="row"><code>{esc(e.get("operation"))}</code><div class="opsub">{esc(e.get("decision"))}</div></th>'
            f"<td>{esc(e.get('summary'))}{_evidence(e)}</td><td>{esc(versions(e))}</td><td>{esc(e.get('expires') or 'never')}</td>"
            f"<td>{_status(e)}</td><td>{_tests(e)}</td></tr>"
        )
    target = (results.get("target") or {}).get("kibana_version") or "unknown"
    note = f" {refused} not accepted for this run." if refused else ""
    return (
        '<section id="divergences" class="card" aria-labelledby="divergences-h"><div class="section-head">'
        f'<h2 id="divergences-h">Known divergences ({len(entries)})</h2></div>'
        '<p class="hint">Where Kibana\'s own source differs from the document, the schemas record Kibana\'s behaviour beside '
        "the document's. A response showing an accepted divergence is reported divergent, not failed; an expired one, or one "
        f"observed only in other Kibana versions than the target's ({esc(target)}), is judged strictly.{esc(note)}</p>"
        '<table class="divs"><thead><tr><th scope="col">operation · decision</th><th scope="col">what differs</th>'
        '<th scope="col">Kibana versions</th><th scope="col">expires</th><th scope="col">this run</th><th scope="col">tests</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></section>'
    )

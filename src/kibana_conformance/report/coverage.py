"""The coverage of a run, as data: which documented statuses, parameters and request fields were
exercised, which were never, and which are excluded from the measure (with the reason).

Pure functions from ``results.json``'s ``operations`` and ``coverage`` to its ``coverage_summary``,
the figure ``--min-coverage`` gates on.
"""

from __future__ import annotations

from typing import Any

KINDS = ("statuses", "parameters", "fields")
SERVER_ERROR = "a server error: no conformant request provokes it on purpose"


def split_statuses(documented: list[str], seen: dict[str, Any]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(documented status, times seen) for each documented status, and the undocumented ones seen.

    A documented range (4XX) counts the codes it covers; a documented ``default`` covers the rest.
    """
    counts = {str(k): int(v) for k, v in (seen or {}).items()}
    exact = [s for s in documented if s.isdigit()]
    ranges = [s for s in documented if len(s) == 3 and s[0].isdigit() and s[1:].upper() == "XX"]
    claimed: set[str] = set()
    result = []
    for status in documented:
        if status in exact:
            n = counts.get(status, 0)
            claimed.add(status)
        elif status in ranges:
            codes = [c for c in counts if c[:1] == status[0] and c not in exact]
            n = sum(counts[c] for c in codes)
            claimed.update(codes)
        else:
            continue
        result.append((status, n))
    rest = [(c, n) for c, n in sorted(counts.items()) if c not in claimed]
    if "default" in documented:
        result.append(("default", sum(n for _, n in rest)))
        rest = []
    return result, rest


def _status_exclusion(status: str) -> str | None:
    return SERVER_ERROR if status[:1] == "5" else None


def summarize(operations: list[dict[str, Any]], coverage: dict[str, Any], not_selected: dict[str, str] | None = None, minimum: float | None = None) -> dict[str, Any]:
    """Totals per kind, the percentage of what is measured, and the lists of missing and excluded items.

    ``not_selected`` maps an operation id the run did not test to why (its items are excluded).
    """
    not_selected = not_selected or {}
    totals = {kind: {"documented": 0, "exercised": 0, "excluded": 0} for kind in KINDS}
    missing: list[dict[str, str]] = []
    excluded: list[dict[str, str]] = []
    for op in operations:
        entry = coverage.get(op["id"]) or {}
        statuses, _ = split_statuses([str(s) for s in op.get("statuses", [])], entry.get("statuses") or {})
        items = {
            "statuses": [(s, n, _status_exclusion(s)) for s, n in statuses],
            "parameters": [(p, int((entry.get("parameters") or {}).get(p, 0)), None) for p in op.get("parameters", [])],
            "fields": [(f, int((entry.get("fields") or {}).get(f, 0)), None) for f in op.get("fields", [])],
        }
        for kind, rows in items.items():
            for name, n, reason in rows:
                totals[kind]["documented"] += 1
                reason = not_selected.get(op["id"]) or (reason if not n else None)
                if reason:
                    totals[kind]["excluded"] += 1
                    excluded.append({"operation": op["id"], "kind": kind, "item": name, "reason": reason})
                elif n:
                    totals[kind]["exercised"] += 1
                else:
                    missing.append({"operation": op["id"], "kind": kind, "item": name})
    measured = sum(t["documented"] - t["excluded"] for t in totals.values())
    exercised = sum(t["exercised"] for t in totals.values())
    percent = round(100.0 * exercised / measured, 1) if measured else 100.0
    return {
        "percent": percent,
        "minimum": minimum,
        "below_minimum": minimum is not None and percent < minimum,
        "totals": totals,
        "missing": missing,
        "excluded": excluded,
    }


def missing_lines(summary: dict[str, Any]) -> list[str]:
    """One line per operation: what was never exercised."""
    by_op: dict[str, list[str]] = {}
    for item in summary.get("missing", []):
        by_op.setdefault(item["operation"], []).append(f"{item['kind'][:-1] if item['kind'] != 'statuses' else 'status'} {item['item']}")
    return [f"{op}: {', '.join(items)}" for op, items in by_op.items()]


def excluded_lines(summary: dict[str, Any]) -> list[str]:
    """One line per reason: what is excluded from the measure."""
    by_reason: dict[str, list[str]] = {}
    for item in summary.get("excluded", []):
        by_reason.setdefault(item["reason"], []).append(f"{item['operation']} {item['item']}")
    return [f"{reason}: {', '.join(items)}" for reason, items in by_reason.items()]


def headline(summary: dict[str, Any]) -> str:
    t = summary["totals"]
    parts = [f"{t[k]['exercised']}/{t[k]['documented'] - t[k]['excluded']} {k if k != 'fields' else 'request fields'}" for k in KINDS]
    gate = f"; minimum {summary['minimum']:g}%" if summary.get("minimum") is not None else ""
    return f"coverage {summary['percent']:g}% ({', '.join(parts)}; {len(summary['excluded'])} excluded){gate}"

"""The results: kept as JSON (query counts per data size, the latest timed run) and written as a Markdown table
into bench/results.md and the README (between ``<!-- bench:start -->`` and ``<!-- bench:end -->``)."""

import json
from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"

# The targets (national data, one run).
PORTAL_RATIO, PORTAL_P95, RPS_SHARE, ADMIN_RATIO = 4, 100, 0.25, 10


def number(n):
    return f"{int(n):,}".replace(",", "\u202f")


def load(path):
    path = Path(path)
    if path.exists():
        return json.loads(path.read_text())
    return {"queries": {}, "run": None}


def save(path, results):
    Path(path).write_text(json.dumps(results, indent=1, ensure_ascii=False, sort_keys=True) + "\n")


def beside(row, bare):
    """The bare view a row is compared with: the one measured beside it (its ``bare_p50`` and ``bare_rps``), or the
    run's (older results)."""
    if row.get("bare_p50"):
        return {"p50": row["bare_p50"], "rps": row.get("bare_rps")}
    return bare


def median_run(runs):
    """Of a page's repeated measurements, the one whose p50 ratio to the bare view beside it is the median (the
    lower median for an even number), with how many runs there were and the range of their ratios: one noisy
    second of a shared machine no longer decides a row."""

    def ratio(run):
        return run["p50"] / run["bare_p50"] if run.get("bare_p50") else run["p50"]

    ordered = sorted(runs, key=ratio)
    row = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        row["runs"] = len(runs)
        row["ratio_range"] = [round(ratio(ordered[0]), 2), round(ratio(ordered[-1]), 2)]
    return row


def verdict(row, bare):
    """Whether a page meets its target (✓ / ✗), and why not."""
    bare = beside(row, bare)
    if row["kind"] in ("bare", "reference") or not bare or "p50" not in row:
        return ""
    ratio = row["p50"] / bare["p50"]
    if row["kind"] == "admin":
        return "✓" if ratio <= ADMIN_RATIO else f"✗ p50 > {ADMIN_RATIO}×"
    reasons = []
    if ratio > PORTAL_RATIO:
        reasons.append(f"p50 > {PORTAL_RATIO}×")
    if row["p95"] > PORTAL_P95:
        reasons.append(f"p95 > {PORTAL_P95} ms")
    if row.get("rps") is not None and bare.get("rps") and row["rps"] < RPS_SHARE * bare["rps"]:
        reasons.append(f"rps < {RPS_SHARE:.0%}")
    return "✓" if not reasons else "✗ " + ", ".join(reasons)


def markdown(results):
    queries = results.get("queries", {})
    sizes = sorted(queries, key=int)
    small, large = (sizes[0], sizes[-1]) if sizes else (None, None)
    run = results.get("run")
    lines = []
    if run:
        meta = run["meta"]
        lines += [
            f"Run of {meta['date']} on commit `{meta['commit']}`, {meta['database']} ({meta['size']}), "
            f"{meta['server']}; {meta['method']}.",
            "",
        ]
    if sizes:
        lines += [
            "Queries counted in process at "
            + " and ".join(f"{number(size)} EG" for size in dict.fromkeys([small, large]))
            + ".",
            "",
        ]
    head = ["user", "page", "status"]
    if sizes:
        head += [f"queries ({number(small)} EG)", f"queries ({number(large)} EG)"]
    if run:
        head += [
            "p50 ms", "p95 ms", "bare p50 ms (beside)", "p50 ÷ bare", "req/s (8 conn.)", "req/s ÷ bare", "n", "target"
        ]  # fmt: skip
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = run["pages"] if run else [
        {"id": page_id, **meta} for page_id, meta in (queries.get(large) or {}).get("pages", {}).items()
    ]  # fmt: skip
    bare = next((row for row in rows if row["kind"] == "bare"), None)
    for row in rows:
        cells = [row["role"].removeprefix("bench-"), row["label"]]
        counted = [(queries.get(size) or {}).get("pages", {}).get(row["id"]) for size in (small, large)]
        status = row.get("status") or next((c["status"] for c in counted if c), "")
        cells.append(str(status))
        if sizes:
            cells += [str(c["queries"]) if c else "–" for c in counted]
        if run:
            near = beside(row, bare)
            ratio = row["p50"] / near["p50"] if near and row.get("p50") else None
            rps_ratio = row["rps"] / near["rps"] if near and row.get("rps") and near.get("rps") else None
            cells += [
                f"{row['p50']:.1f}",
                f"{row['p95']:.1f}",
                f"{row['bare_p50']:.1f}" if row.get("bare_p50") else "",
                f"{ratio:.1f}×" if ratio else "",
                f"{row['rps']:.0f}" if row.get("rps") is not None else "",
                f"{rps_ratio:.0%}" if rps_ratio else "",
                str(row["n"]),
                verdict(row, bare),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(results, output, readme):
    table = markdown(results)
    Path(output).write_text("# Benchmark results\n\nWritten by `manage.py bench` (see the README).\n\n" + table)
    readme = Path(readme)
    if not readme.exists():
        return False
    text = readme.read_text()
    if START not in text or END not in text:
        return False
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{table}{END}{after}")
    return True

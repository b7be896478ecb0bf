#!/usr/bin/python3
"""report_peers: REPORT.md's "Compared with established runtimes" block, and its plot.
Per peer case (peer/<runtime>/<workload>/<params> entries, written by scripts/peers), the best
mailroom configuration (mailbox x mode, highest median items/s) of the same workload beside it,
the ratio, and whether the two min-max spreads over repetitions overlap. The semantic differences
are read from bench/peers/README.md (their one home). `report_peers.py --plot JSON` draws
peers.png beside the JSON (scripts/bench does, after merging the peer rounds)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mailroom_results as mr  # noqa: E402
from report_format import g, spread, table  # noqa: E402

PLOT = "peers.png"
README = os.path.join(mr.REPO_ROOT, "bench", "peers", "README.md")


def peers(res):
    """Peer benches in registration order (the order scripts/peers ran them)."""
    return sorted(res.select("peer"), key=lambda b: b.rank or (0, 0))


def grouped(res):
    """{workload label: its peer benches}, workloads in first-seen order (rows and bars together)."""
    groups = {}
    for p in peers(res):
        groups.setdefault(workload_label(p), []).append(p)
    return groups


def matches(peer, b):
    """Is mailroom bench b the same workload as peer bench `peer` (names per the contract)?"""
    w, p = peer.variant, peer.params
    if w == "pingpong":
        return b.scenario in ("pingpong", "savina_pingpong")
    if w == "ask":
        return b.scenario == "ask"
    if w == "fanin":
        return b.scenario == "fanin" and b.params.get("P") == p.get("P") and b.params.get("cap") == p.get("cap")
    if w == "bank":
        return b.scenario == "bank" and b.params.get("accounts") == "2" and b.params.get("clients") == p.get("clients")
    if w == "savina_threadring":
        return b.scenario == w and b.params.get("actors") == p.get("actors")
    # supervision/<mbx>[/mode:*]/restart and supervision/<mbx>[/mode:*]/crash_every:<k>
    if w == "supervision_restart":
        return b.scenario == "supervision" and b.variant == "restart"
    if w == "supervision_stream":
        return b.scenario == "supervision" and b.variant == "" and b.params.get("crash_every") == p.get("crash_every")
    return b.scenario == w


def best_mailroom(res, peer):
    """The mailroom bench of the same workload with the highest median items/s, or None."""
    cands = [b for b in res.benches.values() if b.kind == "mailbox" and b.scenario != "peer" and matches(peer, b)
             and b.median("items_per_second") is not None]
    return max(cands, key=lambda b: b.median("items_per_second"), default=None)


def config(b):
    parts = [b.scenario, b.impl] + ([f"mode:{b.mode}"] if b.mode else [])
    return " ".join(parts + [f"{k}:{v}" for k, v in b.params.items()
                             if k not in ("P", "cap", "accounts", "clients", "actors", "crash_every")])


def workload_label(b):
    return " ".join([b.variant] + [f"{k}={v}" for k, v in b.params.items()])


def differences():
    """The bullets of README.md's 'Semantic differences' section, each joined onto one line."""
    try:
        with open(README, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return []
    m = re.search(r"^## Semantic differences.*?\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    bullets = []
    for line in m.group(1).splitlines() if m else []:
        if line.startswith("- "):
            bullets.append(line.rstrip())
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
    return bullets


def block_peers(c):
    r = c.res
    ps = peers(r)
    if not ps:
        return ("No peer rows in this result file (peer/<runtime>/<workload>/<params>): "
                "run `./scripts/bench` without --no-peers to measure tokio, crossbeam-channel, "
                "std::sync::mpsc, Go, Erlang/OTP and CAF in the same run.")
    rows = []
    for p in (p for group in grouped(r).values() for p in group):
        st = p.stat("items_per_second")
        best = best_mailroom(r, p)
        bst = best.stat("items_per_second") if best else None
        rss = p.stat("peak_rss_bytes")
        row = [workload_label(p), p.impl, f"{g(st.median * 1e-6)} {spread(st, 1e-6)}"]
        if bst:
            row += [config(best), f"{g(bst.median * 1e-6)} {spread(bst, 1e-6)}",
                    f"{g(st.median / bst.median)}x", "yes" if st.overlaps(bst) else "no"]
        else:
            row += [mr_missing(p), "–", "–", "–"]
        row.append(g(rss.median / 2**20) if rss else "–")
        rows.append(row)
    out = [table(["workload", "peer", "peer M items/s", "best mailroom (mailbox mode)", "mailroom M items/s",
                  "peer / mailroom", "spreads overlap", "peer peak RSS MiB"], rows)]
    ctx = r.context
    vers = [f"{k[len('peer_'):]}: {v}" for k, v in sorted(ctx.items()) if k.startswith("peer_")]
    out.append("Cells: median over repetitions [min–max]; items are round trips (pingpong), asks, messages "
               "(fanin, counting, supervision_stream), transfers (bank), hops (threadring), restarts "
               "(supervision_restart). Best mailroom: the configuration of the same workload with the highest "
               "median in this file. Peers: " + ("; ".join(vers) or "versions not recorded")
               + f". Source: `{c.rel(r.path)}`.")
    png = os.path.join(os.path.dirname(os.path.abspath(r.path)), PLOT)
    if os.path.exists(png):
        out.append(f"![mailroom against the peers]({c.rel(png)})")
    diffs = differences()
    out.append("Semantic differences that remain (from `bench/peers/README.md`):\n\n" +
               ("\n".join(diffs) if diffs else "- (bench/peers/README.md lists none)"))
    return "\n\n".join(out)


def mr_missing(p):
    return f"no mailroom {p.variant} row matches"


def plot(res, path):
    """Horizontal bars: per workload, the best mailroom configuration and each peer (median
    items/s, whiskers min-max), log scale."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels, med, lo, hi, colors = [], [], [], [], []
    for ps in grouped(res).values():
        best = best_mailroom(res, ps[0])
        for b, name, col in [(best, None, "tab:blue")] + [(p, p.impl, "tab:orange") for p in ps]:
            if b is None:
                continue
            p = ps[0]
            st = b.stat("items_per_second")
            labels.append(f"{workload_label(p)}: {name or 'mailroom ' + b.impl + (' ' + b.mode if b.mode else '')}")
            med.append(st.median)
            lo.append(st.median - (st.lo if st.lo is not None else st.median))
            hi.append((st.hi if st.hi is not None else st.median) - st.median)
            colors.append(col)
    if not labels:
        return False
    fig, ax = plt.subplots(figsize=(9, 0.28 * len(labels) + 1.2))
    y = range(len(labels))
    ax.barh(y, med, xerr=[lo, hi], color=colors, capsize=2)
    ax.set_yticks(list(y), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("items per second (median, whiskers min-max over repetitions)")
    ax.set_title("mailroom (blue: best configuration) against the peers (orange)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main():
    ap = mr.Parser(prog="scripts/report_peers.py", description="Draw peers.png beside a bench.json.")
    ap.add_argument("--plot", metavar="JSON", required=True, help="results file; peers.png goes beside it")
    args = ap.parse_args()
    try:
        res = mr.Results(args.plot)
    except mr.ResultsError as e:
        mr.usage_error("scripts/report_peers.py", str(e))
    out = os.path.join(os.path.dirname(os.path.abspath(args.plot)), PLOT)
    print(f"scripts/report_peers.py: {'wrote ' + out if plot(res, out) else 'no peer rows: no plot'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

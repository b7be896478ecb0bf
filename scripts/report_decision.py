"""report_decision: the blocks REPORT.md opens with. `decision`: per mailbox, what it guarantees
(mailroom-info's capabilities, read from mailroom-info.txt beside the JSON), its latency, fan-in at
P=1 and oversubscribed, CPU per message, bytes per mailbox and per idle actor, and a "use it when"
line derived from those figures by the rules below. `orderings`: the same figures' orderings in
every result set under results/, side by side where they disagree. `peers`: the comparison with
established runtimes (scripts/report_peers.py when it is there)."""

import math
import os

import mailroom_results as mr
import result_files as rf
from report_format import FAILED, MISSING, g, table

INFO_FILE = "mailroom-info.txt"  # `mailroom-info` output, written beside the JSON by scripts/bench
OVER_P = "8"                     # the oversubscribed fan-in column (the largest P when absent)

# The figures of the decision table: key, column header, the need it serves in a "use it when"
# line, the field, and whether lower is better. Selection per mailbox is in figures().
FIGURES = (
    ("latency", "pingpong ns (pin:diff)", "the lowest round-trip latency", "real_time", True),
    ("ask", "ask ns", "the fastest request-reply (ask)", "real_time", True),
    ("fanin1", "fan-in P=1 M msg/s", "the most messages per second from one producer", "items_per_second", False),
    ("fanin_over", "fan-in P={p} M msg/s", "throughput with more threads than cores", "items_per_second", False),
    ("cpu", "CPU ns/msg (P=1)", "the least CPU per message", "cpu_ns_per_item", True),
    ("mailbox_bytes", "bytes/mailbox", "the smallest mailbox", "mailbox_bytes", True),
    ("idle_pool", "bytes/idle actor, pool", "the smallest idle actor", "bytes_per_actor", True),
    ("idle_thread", "bytes/idle actor, thread", None, "bytes_per_actor", True),
)
SCALE = {"fanin1": 1e-6, "fanin_over": 1e-6}
NOUN = {"latency": "round-trip latency", "ask": "ask latency", "fanin1": "fan-in rate at P=1",
        "fanin_over": "oversubscribed fan-in rate", "cpu": "CPU per message", "mailbox_bytes": "mailbox size",
        "idle_pool": "idle actor size (pool)", "idle_thread": "idle actor size (thread)"}

# Guarantees (mailroom-info capability names) the table shows, and the need each serves.
GUARANTEES = (("bounded", "backpressure (a capacity)"), ("unbounded", "no capacity limit"),
              ("exact-close", "exact close"), ("lock-free", "lock-free push and pop"),
              ("wait-free-push", "producers that never wait (wait-free push)"))


def read_info(res):
    """{mailbox: (capabilities, default capacity)} from mailroom-info.txt beside the JSON, or {}."""
    path = os.path.join(os.path.dirname(os.path.abspath(res.path)), INFO_FILE)
    if not os.path.isfile(path):
        return {}
    info = {}
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 3:
                info[parts[0]] = (parts[1].split(","), parts[2])
    return info


def default_cap(res, m, info):
    """The fan-in capacity a user gets by default: mailroom-info's default capacity when that
    configuration ran, else the uncapped one (mailroom_results.prefer_uncapped)."""
    if m in info and res.select("fanin", m, cap=info[m][1]):
        return info[m][1]
    b = mr.prefer_uncapped(res.select("fanin", m, P="1"))
    return b.params.get("cap") if b else None


def over_p(res):
    ps = res.param_values("fanin", "P")
    return OVER_P if OVER_P in ps else (ps[-1] if ps else None)


def figures(res, m, info):
    """{key: bench or None} of one mailbox, as FIGURES names them."""
    cap = default_cap(res, m, info)
    where = {"cap": cap} if cap is not None else {}
    f1 = res.one("fanin", m, P="1", **where)
    pool = mr_largest(res.select("memory_idle", m, mode="pool"))
    return {"latency": res.one("pingpong", m, pin="diff"), "ask": res.one("ask", m), "fanin1": f1,
            "fanin_over": res.one("fanin", m, P=over_p(res), **where) if over_p(res) else None, "cpu": f1,
            "mailbox_bytes": pool, "idle_pool": pool,
            "idle_thread": mr_largest(res.select("memory_idle", m, mode="thread"))}


def mr_largest(benches):
    """Of one mailbox's memory_idle runs, the one with the most actors (failed ones included)."""
    return max(benches, key=lambda b: (mr.num_key(b.param("actors") or "0"), b.run_name), default=None)


def mailboxes(res):
    seen = set()
    for s in ("pingpong", "ask", "fanin", "memory_idle"):
        seen |= set(res.impls(s, "mailbox"))
    return sorted(seen, key=res.impl_key)


def table_data(res):
    """(mailboxes, caps, {m: {key: bench}}, {key: set of leaders}): a leader has the best median
    or a median inside the best's min-max over repetitions (the best's own runs reach it)."""
    info = read_info(res)
    caps = {m: c for m, (c, _) in info.items()}
    ms = mailboxes(res)
    figs = {m: figures(res, m, info) for m in ms}
    leaders = {}
    for key, _, _, field, low in FIGURES:
        scored = [(m, figs[m][key].stat(field)) for m in ms if figs[m][key] is not None]
        scored = [(m, st) for m, st in scored if st is not None]
        if len(scored) < 2:
            leaders[key] = set()
            continue
        top = (min if low else max)(scored, key=lambda ms_: ms_[1].median)[1]
        leaders[key] = {m for m, st in scored if st is top or within(st.median, top)}
    return ms, caps, figs, leaders


def within(v, st):
    """True when v lies inside st's min-max over repetitions (False without a spread)."""
    return st.lo is not None and st.lo <= v <= st.hi


def settled(a, b):
    """Two Stats whose medians each lie outside the other's min-max: their order is settled."""
    return not (within(a.median, b) or within(b.median, a))


def use_it_when(m, caps, figs, leaders, ms):
    """The rule: name the figures it leads on and the guarantees few others give; a mailbox that
    leads on nothing is said so, with its guarantees. Every word chosen from the data above."""
    leads = [need for key, _, need, _, _ in FIGURES if need and m in leaders[key]]
    known = [x for x in ms if x in caps]
    rare = [need for cap, need in GUARANTEES if m in caps and cap in caps[m]
            and sum(cap in caps[x] for x in known) * 2 <= len(known)]
    if any(figs[m][k] is not None and figs[m][k].failed for k in figs[m]):
        return "Do not choose it on this run: a benchmark of it failed (see Provenance)."
    cost = worst_cost(m, figs, ms, "; but" if leads or rare else "; and")
    if leads:
        return "Use it when you need " + join(leads) + (f", with {join(rare)}" if rare else "") + cost + "."
    if rare:
        return f"Use it only when you need {join(rare)}: it leads on no figure here" + cost + "."
    return "Nothing here favours it: it leads on no figure and its guarantees are shared by others" + cost + "."


def worst_cost(m, figs, ms, lead, factor=3.0):
    """'<lead> its <figure> is Nx the best' for the figure where m is furthest behind, when that is
    at least factor times the best median; '' otherwise."""
    worst = None
    for key, _, _, field, low in FIGURES:
        if figs[m][key] is None or figs[m][key].median(field) in (None, 0):
            continue
        vals = [figs[x][key].median(field) for x in ms if figs[x][key] is not None]
        vals = [v for v in vals if v]
        x = (figs[m][key].median(field) / min(vals)) if low else (max(vals) / figs[m][key].median(field))
        if x >= factor and (worst is None or x > worst[0]):
            worst = (x, NOUN[key], "the best" if low else "below the best")
    return f"{lead} its {worst[1]} is {g(worst[0])}x {worst[2]}" if worst else ""


def join(xs):
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]


def block_decision(c):
    res = c.res
    ms, caps, figs, leaders = table_data(res)
    if not ms:
        return f"Decision table: pingpong, ask, fanin and memory_idle are {MISSING}."
    noisy = {b.run_name for b, _ in res.noisy()}
    header = ["mailbox", "guarantees"]
    for key, head, _, _, _ in FIGURES:
        header.append(head.format(p=over_p(res)))
    header.append("use it when")
    rows = []
    for m in ms:
        guar = ", ".join(cap for cap, _ in GUARANTEES if cap in caps.get(m, ())) if m in caps else "not recorded"
        row = [m, guar or "none of these"]
        for key, _, _, field, _ in FIGURES:
            b = figs[m][key]
            st = b.stat(field) if b else None
            if b is not None and b.failed:
                row.append(FAILED)
            elif st is None:
                row.append("–")
            else:
                v = g(st.median * SCALE.get(key, 1.0))
                row.append((f"**{v}**" if m in leaders[key] else v) + (" ~" if b.run_name in noisy else ""))
        row.append(use_it_when(m, caps, figs, leaders, ms))
        rows.append(row)
    caps_src = (f"guarantees from `{c.rel(os.path.join(os.path.dirname(res.path), INFO_FILE))}` (mailroom-info)"
                if caps else f"guarantees: {INFO_FILE} is {MISSING.replace('in this result file', 'beside it')}")
    return (table(header, rows) + "\n\n" +
            f"Medians over {c.reps} repetitions from `{c.rel(res.path)}` ({res.ctx('mailroom_cpu_model', 'cpu ?')}, "
            f"{c.nproc} cores); {caps_src}. **Bold**: the best median on that figure, or a median inside the best's "
            f"min–max over repetitions (the lead is not settled). ~: that benchmark's repetitions vary by "
            f"more than {mr.CV_THRESHOLD:.0%} (coefficient of variation). Fan-in runs each mailbox at its default "
            "capacity; P above the core count is oversubscribed. Bytes: resident growth per mailbox and per idle "
            "actor (`memory_idle`). \"Use it when\" is derived by scripts/report_decision.py from the bold cells "
            "and from the guarantees at most half of the mailboxes give. These orderings hold for this machine "
            "and run only; the next section shows where other result sets disagree.")


# --- orderings across result sets -------------------------------------------------------------
def sibling_sets(res):
    """The result sets beside this one (results/*/bench.json, oldest first by result_files.set_order_key),
    this one included; only when the JSON sits in a folder under one named 'results'."""
    here = os.path.dirname(os.path.abspath(res.path))
    parent = os.path.dirname(here)
    if os.path.basename(parent) != "results":
        return [res]
    out = []
    for p in rf.result_sets(os.path.dirname(parent)):
        if os.path.abspath(p) == os.path.abspath(res.path):
            out.append(res)
            continue
        try:
            out.append(mr.Results(p))
        except mr.ResultsError:
            continue
    return out


def ordering(res):
    """{key: [(mailbox, Stat)] best first} over the mailboxes with a figure."""
    ms, _, figs, _ = table_data(res)
    out = {}
    for key, _, _, field, low in FIGURES:
        vals = [(m, figs[m][key].stat(field)) for m in ms if figs[m][key] is not None]
        vals = [(m, st) for m, st in vals if st is not None]
        out[key] = sorted(vals, key=lambda ms_: ms_[1].median if low else -ms_[1].median)
    return out


def flips(a, b):
    """(x, y, firm) for mailboxes ordered one way in a and the other in b (both lists best first);
    firm when the two are settled (settled()) in both sets, not within each other's spread."""
    ra, rb = {m: (i, st) for i, (m, st) in enumerate(a)}, {m: (i, st) for i, (m, st) in enumerate(b)}
    common = [m for m, _ in a if m in rb]
    return [(x, y, settled(ra[x][1], ra[y][1]) and settled(rb[x][1], rb[y][1]))
            for i, x in enumerate(common) for y in common[i + 1:] if (ra[x][0] < ra[y][0]) != (rb[x][0] < rb[y][0])]


def block_orderings(c):
    sets = sibling_sets(c.res)
    if len(sets) < 2:
        return ("Only one result set is under results/, so there is no second machine to compare with. "
                "Orderings can change between machines: treat the table above as this machine's answer.")
    orders = [(r, ordering(r)) for r in sets]
    name = {id(r): os.path.basename(os.path.dirname(os.path.abspath(r.path))) for r in sets}
    rows, n_flip, n_win, n_firm = [], 0, 0, 0
    for key, head, _, _, _ in FIGURES:
        per = [o[key] for _, o in orders]
        # One entry per pair of mailboxes, whichever sets disagree on it: firm when some two
        # sets that order it differently are both clear about it.
        firm_of = {}
        for i, a in enumerate(per):
            for b in per[i + 1:]:
                for x, y, firm in flips(a, b):
                    k = tuple(sorted((x, y)))
                    firm_of[k] = firm_of.get(k, False) or firm
        pairs = {(x, y, firm) for (x, y), firm in firm_of.items()}
        if not pairs:
            continue
        n_flip += 1
        n_win += len({o[0][0] for o in per if o}) > 1
        n_firm += sum(firm for _, _, firm in pairs)
        cells = [", ".join(f"{m} {g(st.median * SCALE.get(key, 1.0))}" for m, st in o) or "–" for o in per]
        rows.append([head.format(p=over_p(c.res))] + cells +
                    [", ".join(f"{x}/{y}{'' if firm else ' ≈'}" for x, y, firm in sorted(pairs))])
    machines = "; ".join(f"`{name[id(r)]}`: {r.ctx('mailroom_cpu_model', 'cpu ?')}, {r.nproc()} cores, "
                         f"git {r.short_sha()}" for r in sets)
    if not rows:
        return (f"Result sets compared: {machines}. Every ordering of the decision table's figures is the same "
                "in all of them; orderings can still change on another machine.")
    return (f"Orderings can change between machines. Result sets compared: {machines}. In {n_flip} of "
            f"{len(FIGURES)} figures the mailboxes' order differs between sets, and in {n_win} of them the "
            f"best mailbox differs; {n_firm} of the flipped pairs are clear in two sets that order them "
            "differently (in each, one median outside the other's min–max), the others, marked ≈, sit "
            "within run-to-run spread somewhere. Each cell "
            "lists the mailboxes best first with their medians:\n\n" +
            table(["figure"] + [f"`{name[id(r)]}`" for r in sets] + ["pairs whose order flips"], rows))


def block_peers(c):
    import report_peers  # the peer runtimes' block (bench/peers, issue 13)
    return report_peers.block_peers(c)


# --- what moved since the previous result set ---------------------------------------------------
def primary(b):
    """(field, higher is better) a benchmark is judged on: bytes per actor (memory_idle), else its
    per-item time (Savina), else its rate, else real time."""
    if b.values("bytes_per_actor"):
        return "bytes_per_actor", False
    f = b.ns_per_field()
    if f and b.values(f):
        return f, False
    return ("items_per_second", True) if b.values("items_per_second") else ("real_time", False)


def moves(old, new):
    """(ratio new÷old of the primary figure, case, field, better, timing) for cases in both sets
    (matched by Bench.case, so a case whose timing changed still pairs up; timing then reads
    'old → new') whose medians each lie outside the other's min-max (settled()); failed ones are
    left out."""
    before = {b.case: b for b in old.benches.values()}
    out = []
    for b in new.benches.values():
        a = before.get(b.case)
        if a is None or a.failed or b.failed:
            continue
        field, higher = primary(b)
        sa, sb = a.stat(field), b.stat(field)
        if sa is None or sb is None or not sa.median or not settled(sa, sb):
            continue
        x = sb.median / sa.median
        timing = "" if a.timing == b.timing else f"{a.timing} → {b.timing}"
        out.append((x, b.case, field, (x > 1) == higher, timing))
    return sorted(out, key=lambda m: -abs(math.log(m[0])))


def block_moved(c, top=12):
    sets = sibling_sets(c.res)
    here = sets.index(c.res) if c.res in sets else -1
    if here <= 0:
        return "No earlier result set beside this one under results/: nothing to compare with."
    old, new = sets[here - 1], c.res
    name = lambda r: os.path.basename(os.path.dirname(os.path.abspath(r.path)))  # noqa: E731
    ms = moves(old, new)
    common = len({b.case for b in old.benches.values()} & {b.case for b in new.benches.values()})
    retimed = sum(1 for _, _, _, _, t in ms if t)
    same = old.ctx("mailroom_cpu_model") == new.ctx("mailroom_cpu_model") and old.nproc() == new.nproc()
    machine = ("the same CPU model and core count" if same else
               "a different machine: each move mixes the code change with the machine")
    head = (f"`{name(new)}` against the set before it, `{name(old)}` ({machine}). "
            f"Of {common} benchmarks in both, {len(ms)} moved clearly (each median outside the other's "
            f"min–max over repetitions): {sum(m[3] for m in ms)} better, {sum(not m[3] for m in ms)} worse"
            + (f"; {retimed} of them are timed by another clock now (column 'timing': the timed region "
               "changed, so part of the move is the measurement, not the code)" if retimed else "")
            + f". The {min(top, len(ms))} largest moves (new ÷ old of the benchmark's main figure):")
    if not ms:
        return head.split(" The ")[0]
    rows = [[f"`{n}`", f.replace("items_per_second", "items/s").replace("real_time", "real time"), f"{g(x)}x",
             "better" if better else "worse", t or "same"] for x, n, f, better, t in ms[:top]]
    return head + "\n\n" + table(["benchmark", "figure", "new ÷ old", "", "timing"], rows)

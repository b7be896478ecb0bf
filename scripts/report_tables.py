"""report_tables: the table blocks of REPORT.md (latency, fanin, bank, counter_kv, cpu, supervision,
pooled; provenance is report_provenance.py), each a function of a report_format.Ctx returning the
block's Markdown."""

import mailroom_results as mr
from report_format import (MISSING, bcell, cell, combo, conf_text, fcell, g, pct, short_scen, size_of,
                           spread, table, x_text)
from report_select import (
    POOL_COUNTERS, TARGET_FANIN_P, WORKLOAD_AT, best, creation_case, fanin_bench, fanin_rows, largest,
    per_item, savina_pairs, speedup, workload_conf, workload_rows)
from report_prose import crossover_sentence


# Said under the bank and counter/kv tables when the file also has pooled runs of them.
POOL_ASIDE = ("; actors here run thread per actor (the pooled runs, mode:pool, are compared in "
              "'Pooled M:N scheduler vs thread per actor')")


def winner_text(benches, field):
    """Winner by median of a field; flags a lead that sits inside the runner-up's spread."""
    ranked = sorted(((b, b.stat(field)) for b in benches if b.stat(field) is not None),
                    key=lambda bs: -bs[1].median)
    if not ranked:
        return "–"
    (w, ws) = ranked[0]
    if len(ranked) > 1 and ws.overlaps(ranked[1][1]):
        return f"{w.impl} (spread overlaps {ranked[1][0].impl})"
    return w.impl


# --- blocks -----------------------------------------------------------------------------
def block_latency(c):
    r = c.res
    if not (r.has("pingpong") or r.has("ask") or r.has("limit")):
        return f"pingpong, ask and limit: {MISSING}."
    out = []
    spin = r.one("limit", "probe", variant="spin")
    futex = r.one("limit", "probe", variant="futex")
    spin_st = spin.stat("real_time") if spin else None
    if spin or futex:
        out.append("Reference, the `limit` probe (two threads handing a flag back and forth, no mailbox): "
                   f"spin {bcell(spin, 'real_time')} ns, "
                   f"futex {bcell(futex, 'real_time') if futex else MISSING} ns per round trip.")
    else:
        out.append(f"Reference `limit/probe`: {MISSING}.")
    pins = r.param_values("pingpong", "pin")
    asks = sorted({combo(b) for b in r.select("ask")})
    mboxes = sorted(set(r.impls("pingpong", "mailbox")) | set(r.impls("ask", "mailbox")), key=r.impl_key)
    if mboxes:
        header = ["mailbox"] + [f"pingpong pin:{p} ns" for p in pins]
        diff = "diff" in pins
        if diff:
            header += ["pin:diff p99 ns", "pin:diff p99.9 ns", "pin:diff ÷ limit spin"]
        header += [f"ask{' ' + a if a else ''} ns" for a in asks]
        header += [f"ask{' ' + a if a else ''} p99 ns" for a in asks]
        best_diff, _ = best(r.select("pingpong", pin="diff", variant=""), "real_time", lowest=True) \
            if diff else (None, None)
        rows = []
        for m in mboxes:
            row = [m]
            for p in pins:
                b = r.one("pingpong", m, pin=p)
                row.append(bcell(b, "real_time", bold=(p == "diff" and b is best_diff)))
            if diff:
                b = r.one("pingpong", m, pin="diff")
                row.append(bcell(b, "p99_ns"))
                row.append(bcell(b, "p999_ns"))
                ratio = "–"
                if b and spin_st and b.stat("real_time"):
                    ratio = f"{b.median('real_time') / spin_st.median:.2f}x"
                row.append(ratio)
            ask_b = {a: next((b for b in r.select("ask", m) if combo(b) == a), None) for a in asks}
            row += [bcell(ask_b[a], "real_time") for a in asks]
            row += [bcell(ask_b[a], "p99_ns") for a in asks]
            rows.append(row)
        out.append(table(header, rows))
        if not pins:
            out.append(f"pingpong: {MISSING}.")
        if not asks:
            out.append(f"ask: {MISSING}.")
    vt = {b.params.get("call"): b for b in r.select("vtable")}
    if "direct" in vt and "table" in vt and (vt["direct"].failed or vt["table"].failed):
        out.append(f"Ops-table cost (`vtable/{vt['direct'].impl}`): direct call {bcell(vt['direct'], 'real_time')}, "
                   f"through the table {bcell(vt['table'], 'real_time')}.")
    elif "direct" in vt and "table" in vt:
        dm, tm = vt["direct"].stat("real_time"), vt["table"].stat("real_time")
        out.append(f"Ops-table cost (`vtable/{vt['direct'].impl}`): direct call {cell(dm)} ns, through the "
                   f"table {cell(tm)} ns per operation; difference of medians {g(tm.median - dm.median)} ns.")
    slots = {b.params.get("slot"): b for b in r.select("oneshot")}
    if slots:
        parts = [f"{k} {bcell(b, 'real_time')} ns ({g(b.median('ctxsw_per_item'))} context switches)"
                 for k, b in sorted(slots.items()) if b.failed or b.stat("real_time")]
        ranked = sorted((b for b in slots.values() if b.stat("real_time")), key=lambda b: b.median("real_time"))
        verdict = f"Fastest: slot:{ranked[0].params.get('slot')}" if ranked else "No slot has a figure"
        if len(ranked) > 1 and ranked[0].stat("real_time").overlaps(ranked[1].stat("real_time")):
            verdict += f" (spread overlaps slot:{ranked[1].params.get('slot')}: that order is not settled)"
        out.append("The reply slot behind `ask`, alone (`oneshot/probe`: two threads hand two one-shot slots "
                   "back and forth, per round trip): " + "; ".join(parts) + f". {verdict}.")
    out.append(c.note("real time per round trip in ns; p99/p99.9 are each repetition's in-run "
                      "percentiles; bold = lowest pin:diff median"))
    return "\n\n".join(out) + c.image("latency", "latency percentiles per mailbox")


def block_fanin(c):
    r = c.res
    if not r.has("fanin"):
        return f"fanin: {MISSING}."
    ps = r.param_values("fanin", "P")
    if not ps:
        return "fanin: the results lack the P:<producers> parameter, so nothing is tabulated."
    keep_p = TARGET_FANIN_P if TARGET_FANIN_P in ps else ps[-1]
    first_p = ps[0]
    over_seen = False
    rows, cpu_rows = [], []
    for label, m, cap in fanin_rows(r):
        row, crow = [label], [label]
        for p in ps:
            b = fanin_bench(r, m, cap, p)
            st = b.stat("items_per_second") if b else None
            over = b is not None and mr.oversubscribed(b, c.nproc)
            over_seen |= over
            row.append(bcell(b, "items_per_second", 1e-6) + (" ‡" if over and st else ""))
            crow.append(bcell(b, "cpu_util"))
        b1, bk = fanin_bench(r, m, cap, first_p), fanin_bench(r, m, cap, keep_p)
        m1, mk = (b1.median("items_per_second") if b1 else None), (bk.median("items_per_second") if bk else None)
        row.append(pct(mk / m1) if m1 and mk is not None else "–")
        rows.append(row)
        cpu_rows.append(crow)
    out = [table(["mailbox"] + [f"P={p} M msg/s" for p in ps] + [f"P={keep_p} as % of P={first_p}"], rows)]
    if keep_p != TARGET_FANIN_P:
        out.append(f"P={TARGET_FANIN_P}: {MISSING}; the last column uses the largest P measured (P={keep_p}).")
    out.append("cpu_util (process CPU time / wall time; "
               f"{c.nproc if c.nproc else 'nproc'}.0 = every core busy) at each P:")
    out.append(table(["mailbox"] + [f"P={p} cpu_util" for p in ps], cpu_rows))
    legend = (f"‡ oversubscribed: producer and consumer threads outnumber the {c.nproc} cores. "
              if over_seen else "")
    out.append(legend + c.note("throughput in millions of messages per second"))
    return "\n\n".join(out) + c.image("fanin", "fan-in throughput vs producers")


def block_bank(c):
    r = c.res
    if not r.has("bank"):
        return f"bank: {MISSING}."
    if not any({"accounts", "clients"} <= b.params.keys() for b in r.select("bank")):
        return "bank: the results lack the accounts:<a>/clients:<c> parameters, so nothing is tabulated."
    impls = r.impls("bank")
    rows = []
    for cl in r.param_values("bank", "clients"):
        for a in r.param_values("bank", "accounts", clients=cl):
            bs = {b.impl: b for b in r.select("bank", accounts=a, clients=cl, mode="thread")}
            row = [cl, a] + [bcell(bs.get(i), "items_per_second", 1e-6) for i in impls]
            ab, ast = best([b for b in bs.values() if b.kind == "mailbox"], "items_per_second")
            bb, bst = best([b for b in bs.values() if b.kind == "shared"], "items_per_second")
            row.append(winner_text(list(bs.values()), "items_per_second"))
            row.append(f"{g(ast.median / bst.median)}x" if ast and bst else "–")
            rows.append(row)
    header = ["clients", "accounts"] + [i if i.startswith("shared:") else f"{i} (actor)" for i in impls] + \
        ["winner", "best actor ÷ best baseline"]
    out = [table(header, rows)]
    sentences = [crossover_sentence(r, cl) for cl in r.param_values("bank", "clients")]
    sentences = [s for s in sentences if s]
    if sentences:
        out.append("\n".join(f"- {s}" for s in sentences))
    else:
        out.append("Crossover: needs both actor and shared-baseline results; "
                   f"{'shared baselines' if not r.impls('bank', 'shared') else 'actors'} {MISSING}.")
    out.append(c.note("millions of transfers per second; fewer accounts = more contention; `shared:*` "
                      "are the shared-state baselines (threads locking the accounts directly)" +
                      (POOL_ASIDE if r.select("bank", mode="pool") else "")))
    return "\n\n".join(out) + c.image("bank", "bank throughput vs contention")


def block_counter_kv(c):
    r = c.res
    out = []
    for scen, keys, unit in (("counter", ("clients",), "M increments/s"),
                             ("kv", ("read", "clients"), "M ops/s")):
        if not r.has(scen):
            out.append(f"{scen}: {MISSING}.")
            continue
        impls = r.impls(scen)
        configs = sorted({tuple(b.params.get(k, "–") for k in keys) for b in r.select(scen)},
                         key=lambda t: [mr.num_key(v) for v in t])
        rows = []
        for conf in configs:
            where = dict(zip(keys, conf))
            bs = {b.impl: b for b in r.select(scen, mode="thread", **where)}
            rows.append(list(conf) + [bcell(bs.get(i), "items_per_second", 1e-6)
                                      for i in impls] + [winner_text(list(bs.values()), "items_per_second")])
        head = [("read %" if k == "read" else k) for k in keys] + \
            [i if i.startswith("shared:") else f"{i} (actor)" for i in impls] + ["winner"]
        out.append(f"**{scen}** ({unit}):\n\n" + table(head, rows))
    pooled = r.select("counter", mode="pool") or r.select("kv", mode="pool")
    out.append(c.note("throughput in millions per second" + (POOL_ASIDE if pooled else "")))
    return "\n\n".join(out)


def block_cpu(c):
    r = c.res
    out = []
    ps = r.param_values("fanin", "P")
    p1 = ps[0] if ps else None
    mboxes = sorted(set(r.impls("fanin", "mailbox")) | set(r.impls("pingpong", "mailbox")), key=r.impl_key)
    if mboxes:
        rows = []
        for m in mboxes:
            f = mr.prefer_uncapped(r.select("fanin", m, P=p1)) if p1 else None
            pp = r.one("pingpong", m, pin="diff")
            row = [m, combo(f, skip=("P",)) if f else "–"]
            for b in (f, pp):
                row += [bcell(b, k)
                        for k in ("cpu_util", "cpu_ns_per_item", "ctxsw_per_item")]
            rows.append(row)
        out.append(table(["mailbox", f"fanin P={p1} config", "cpu_util", "CPU ns/msg", "ctxsw/msg",
                          "pingpong pin:diff cpu_util", "CPU ns/round trip", "ctxsw/round trip"], rows))
        if not r.has("fanin"):
            out.append(f"fanin: {MISSING}.")
        if not r.select("pingpong", pin="diff"):
            out.append(f"pingpong pin:diff: {MISSING}.")
    else:
        out.append(f"fanin and pingpong: {MISSING}.")
    if r.has("idle_wakeup"):
        rows = []
        gaps = r.param_values("idle_wakeup", "gap") or [None]
        for m in r.impls("idle_wakeup"):
            for gp in gaps:
                at = {"gap": gp} if gp else {}
                sd, s0 = r.one("idle_wakeup", m, spin="default", **at), r.one("idle_wakeup", m, spin="0", **at)
                if not (sd or s0):
                    continue
                row = [m] + ([gp] if gp else [])
                for b in (sd, s0):
                    row += [bcell(b, k) for k in ("real_time", "cpu_util")]
                rows.append(row)
        out.append("Idle wake-up (the consumer idle for the gap, then a message arrives: a gap inside the spin "
                   "budget finds it spinning, gap:parked waits until it sleeps), default spin budget vs spin:0 "
                   "(park at once):\n\n" +
                   table(["mailbox"] + (["gap"] if gaps != [None] else []) +
                         ["spin:default wake-up ns", "spin:default cpu_util", "spin:0 wake-up ns",
                          "spin:0 cpu_util"], rows))
    else:
        out.append(f"idle_wakeup: {MISSING}.")
    out.append(c.note(f"cpu_util = process CPU time / wall time ({c.nproc}.0 = all cores busy); "
                      "CPU ns and context switches are per message or round trip"))
    return "\n\n".join(out) + c.image("cpu_util", "cpu_util per scenario")


def block_supervision(c):
    r = c.res
    if not r.has("supervision"):
        return f"supervision: {MISSING}."
    ks = r.param_values("supervision", "crash_every")
    modes = sorted({b.mode for b in r.select("supervision")} - {None}, key=("thread", "pool").index)
    rows = []
    for m in r.impls("supervision", kind="mailbox"):
        for md in modes:
            b = r.one("supervision", m, variant="restart", mode=md)
            row = [m, md] + [bcell(b, f) for f in ("p50_ns", "p99_ns", "p999_ns")]
            for k in ks:
                s = r.one("supervision", m, crash_every=k, mode=md)
                row.append(bcell(s, "items_per_second", 1e-6))
            rows.append(row)
    out = [table(["mailbox", "mode", "restart p50 ns", "restart p99 ns", "restart p99.9 ns"] +
                 [f"crash every {k}: M msg/s" for k in ks], rows)]
    for md in modes:
        b, st = best(r.select("supervision", variant="restart", mode=md), "p50_ns", lowest=True)
        if st:
            out.append(f"Fastest restart, mode:{md}: {b.impl}, {g(st.median)} ns from the crash to the restarted "
                       f"child handling the next message (p50 {spread(st)}).")
    out.append(c.note("restart = one-for-one supervisor of one child, no backoff: time from the child's crash "
                      "(its CRASHED event) to the next message handled by the new incarnation; the stream "
                      "rows send n messages to a child that crashes on every k-th, each crash restarted "
                      "and its message dead-lettered (counts checked exactly); mode:thread gives supervisor "
                      "and child a thread each, mode:pool runs both on the pool"))
    return "\n\n".join(out) + c.image("supervision", "supervision: restart latency and throughput")


def block_pooled(c):
    r = c.res
    pairs = savina_pairs(r)
    wl = workload_rows(r)
    mem = r.impls("memory_idle", "mailbox")
    if not (pairs or wl or mem):
        return f"Pooled (mode:pool) and Savina cases: {MISSING}."
    out = []
    if pairs:
        rows = []
        for s, m, t, p in pairs:
            ts, ps = per_item(t), per_item(p)
            unit = (p or t).unit()
            row = [short_scen(s), m, unit, f"{size_of(t)} / {size_of(p)}", fcell(t, ts), fcell(p, ps),
                   x_text(speedup(ts, ps), ts, ps)]
            row += [g(p.median(f)) if p and p.stat(f) else "–" for f, _ in POOL_COUNTERS]
            rows.append(row)
        out.append("**Savina** (ns per item; each mode at its largest size in the file: thread mode runs "
                   "smaller sizes, so only per-item figures compare):\n\n" +
                   table(["scenario", "mailbox", "item", "size thread / pool", "thread ns/item",
                          "pool ns/item", "pool speed-up (thread ÷ pool)"] +
                         [f"pool {n}/item" for _, n in POOL_COUNTERS], rows))
    else:
        out.append(f"Savina: {MISSING}.")
    if wl:
        rows = []
        for scen, conf, unit, m, t, p in wl:
            ts, ps = (t.stat("items_per_second") if t else None), (p.stat("items_per_second") if p else None)
            rows.append([scen, conf_text(conf), m, bcell(t, "items_per_second", 1e-6), bcell(p, "items_per_second", 1e-6),
                         x_text(speedup(ps, ts), ts, ps),
                         g(p.median("parks_per_item")) if p and p.stat("parks_per_item") else "–"])
        base = []
        for scen, want, unit in WORKLOAD_AT:
            conf = workload_conf(r, scen, want)
            bb, bst = best([b for b in r.select(scen, **conf) if b.kind == "shared"], "items_per_second") \
                if conf else (None, None)
            if bst:
                base.append(f"{scen} {conf_text(conf)}: {bb.impl} {g(bst.median / 1e6)} {unit}")
        out.append("**Workloads**, thread per actor vs pooled actors (millions per second; bank in transfers, "
                   "counter in increments, kv in operations):\n\n" +
                   table(["workload", "config", "mailbox", "thread M/s", "pool M/s",
                          "pool speed-up (pool ÷ thread)", "pool parks/item"], rows) +
                   ("\n\nBest shared-state baseline at the same configuration: " + "; ".join(base) + "."
                    if base else ""))
    else:
        out.append(f"Pooled bank, counter and kv (mode:pool): {MISSING}.")
    if mem:
        rows = []
        for m in mem:
            p = largest(r.select("memory_idle", m, mode="pool"))
            t = largest(r.select("memory_idle", m, mode="thread"))
            row = [m, p.param("actors") if p else "–"]
            row += [bcell(p, f)
                    for f in ("bytes_per_actor", "mailbox_bytes", "actor_overhead_bytes")]
            row += [t.param("actors") if t else "–"]
            row += [bcell(t, f) for f in ("bytes_per_actor", "actor_overhead_bytes")]
            rows.append(row)
        out.append("**Memory per idle actor** (resident growth in bytes, `memory_idle`: K actors alive at once, "
                   "each having handled one message; runtime overhead = per actor minus a bare mailbox):\n\n" +
                   table(["mailbox", "pool actors", "pool bytes/actor", "mailbox bytes", "pool runtime overhead B",
                          "thread actors", "thread bytes/actor", "thread runtime overhead B"], rows))
    else:
        out.append(f"memory_idle: {MISSING}.")
    fc = [(m,) + creation_case(r, m) for m in r.impls("savina_forkjoin_creation", "mailbox")]
    fc = [(m, b, n) for m, b, n in fc if b]
    if fc:
        rows = []
        for m, b, n in fc:
            st = per_item(b)
            rss = b.stat("rss_growth_bytes")
            rows.append([m, str(n), cell(st), cell(st, n / 1e6), cell(rss, 1e-6) if rss else "–",
                         cell(b.stat("rss_bytes_per_actor")) if b.stat("rss_bytes_per_actor") else "–"])
        out.append("**Actor creation, pooled** (`savina_forkjoin_creation`: spawn N actors, one message each, "
                   "join and release them):\n\n" +
                   table(["mailbox", "actors N", "ns/actor", "time for N actors, ms", "RSS growth, MB",
                          "RSS bytes/actor"], rows))
    else:
        out.append(f"Pooled savina_forkjoin_creation: {MISSING}.")
    out.append(c.note("per-item time is the scenario's ns_per_<item> counter (time ÷ items), so sizes that "
                      "differ between modes still compare; pool wakes/parks/steals are the scheduler's counters "
                      "per item (medians only); MB = 10^6 bytes"))
    return "\n\n".join(out) + c.image("pooled", "Savina: thread per actor vs pooled, ns per item")

"""report_prose: the English scripts/report generates: the findings, the reasons a target was missed
(from the same run's counters), the bank crossover sentence. Every number comes from the file
(report_select picks the benchmarks, report_format writes the numbers)."""

import statistics

import mailroom_results as mr
from report_format import MISSING, combo, conf_text, g, pct, short_scen, spread
from report_select import (
    TARGET_BANK, TARGET_BANK_AT, TARGET_CREATE_ACTORS, TARGET_CREATE_NS, TARGET_FANIN_P,
    TARGET_FANIN_P1, TARGET_PINGPONG_RATIO, TARGET_THREADRING_HOP, WORKLOAD_AT, bank_crossover, best,
    best_pooled_threadring, creation_case, fanin_bench, fanin_rows, per_item, savina_pairs, speedup,
    workload_conf)


def crossover_sentence(r, clients):
    pts = [(a, ab, bb) for a, ab, bb in bank_crossover(r, clients) if ab[0] and bb[0]]
    if not pts:
        return None
    wins = [a for a, (ab, ast), (bb, bst) in pts if ast.median > bst.median]
    loses = [a for a, (ab, ast), (bb, bst) in pts if ast.median <= bst.median]
    if not wins:
        a, (ab, ast), (bb, bst) = pts[0]
        return (f"clients:{clients}: crossover none: the best shared baseline wins at every accounts count "
                f"measured (most contended, accounts:{a}: {bb.impl} {g(bst.median / 1e6)} vs best actor "
                f"{ab.impl} {g(ast.median / 1e6)} M transfers/s).")
    a = max(wins, key=mr.num_key)
    (ab, ast), (bb, bst) = next((x[1], x[2]) for x in pts if x[0] == a)
    lap = " (spreads overlap)" if ast.overlaps(bst) else ""
    return (f"clients:{clients}: crossover at accounts:{a}, the lowest-contention point where an actor "
            f"beats the best shared baseline: {ab.impl} {g(ast.median / 1e6)} vs {bb.impl} "
            f"{g(bst.median / 1e6)} M transfers/s ({ast.median / bst.median:.2f}x){lap}. "
            f"Actors win at accounts {', '.join(wins)}; baselines win at accounts {', '.join(loses) or 'none'}.")


def counters_text(b, unit):
    """'X CPU ns, Y context switches, Z turns, ... per <unit>' from a bench's counters."""
    parts = [f"{g(b.median(f))} {label}" for f, label in
             (("cpu_ns_per_item", "CPU ns"), ("ctxsw_per_item", "context switches"), ("turns_per_item", "turns"),
              ("injects_per_item", "injects"), ("steals_per_item", "steals"), ("parks_per_item", "parks"),
              ("wakes_per_item", "wakes")) if b.median(f) is not None]
    return ", ".join(parts) + f" per {unit}" if parts else ""


def why_missed(r):
    """For each missed target, the reason as the same run's counters show it (getrusage inside
    the timed loop: context switches and CPU per item), against the limit probes."""
    out = []
    spin, fut = r.one("limit", "probe", variant="spin"), r.one("limit", "probe", variant="futex")
    hand = fut.median("real_time") / 2 if fut and fut.median("real_time") else None  # one blocking hand-off
    b, st = best(r.select("pingpong", pin="diff"), "real_time", lowest=True)
    if st and spin and spin.median("real_time") and st.median > TARGET_PINGPONG_RATIO * spin.median("real_time"):
        cpu, sw, util = b.median("cpu_ns_per_item"), b.median("ctxsw_per_item"), b.median("cpu_util")
        line = (f"pingpong: {b.impl} pays {g(st.median)} ns per round trip with {g(sw)} context switches "
                f"and {g(cpu)} CPU ns (cpu_util {g(util)}), against {g(spin.median('real_time'))} ns "
                "for two threads bouncing one cache line.")
        # The reading below holds only when the counters say nobody slept and both cores were busy.
        if sw is not None and sw < 0.05 and util is not None and util >= 1.5:
            line += (" With almost no context switch and both cores busy, the gap is work inside each hop "
                     "(the slot, index and park words the mailbox touches, and the message copy), not "
                     "scheduling; this run does not break that work down further.")
        out.append(line)
    b, st = best(r.select("fanin", P="1"), "items_per_second")
    if st and st.median < TARGET_FANIN_P1:
        line = (f"fanin P=1: {b.impl} {combo(b, ('P',))} gives {g(st.median / 1e6)} M msg/s as the median of "
                f"repetitions that range {spread(st, 1e-6)} M msg/s")
        if st.lo is not None and st.hi is not None and st.lo < TARGET_FANIN_P1 < st.hi:
            line += (": the target lies inside that spread, so the miss is within this machine's "
                     "run-to-run spread, not a settled shortfall")
        out.append(line + ".")
    at = TARGET_BANK_AT
    b, st = best([x for x in r.select("bank", **at) if x.kind == "mailbox"], "items_per_second")
    if st and st.median < TARGET_BANK and b.mode == "pool":
        per = 1e9 / st.median
        line = (f"bank: the best actor figure is pooled {b.impl}, {g(per)} ns per transfer "
                f"({counters_text(b, 'transfer')}; cpu_util {g(b.median('cpu_util'))} on {r.nproc()} cores)")
        t = r.one("bank", b.impl, mode="thread", **at)
        if t and t.median("items_per_second"):
            line += (f"; thread per actor over the same mailbox takes {g(1e9 / t.median('items_per_second'))} ns "
                     f"with {g(t.median('ctxsw_per_item'))} context switches per transfer")
        out.append(line + f". The target needs under {g(1e9 / TARGET_BANK)} ns per transfer.")
    elif st and st.median < TARGET_BANK:
        per = 1e9 / st.median
        sw = b.median("ctxsw_per_item")
        ask = r.one("ask", b.impl)
        over = mr.oversubscribed(b, r.nproc())
        line = (f"bank: a transfer through {b.impl} actors takes {g(per)} ns with {g(sw)} context "
                f"switches per transfer ({g(b.median('threads'))} threads on {r.nproc()} cores"
                f"{': thread per actor is oversubscribed here' if over else ''})")
        if hand:
            line += (f"; one blocking hand-off costs {g(hand)} ns on this machine (limit/probe/futex ÷ 2), so "
                     f"the switches alone account for about {pct(min(1.0, sw * hand / per))} of the time")
        if ask and ask.median("real_time"):
            line += (f", while the same ask between two threads that never sleep costs "
                     f"{g(ask.median('real_time'))} ns")
        line += (". The target needs under " + g(1e9 / TARGET_BANK) + " ns per transfer, i.e. no thread "
                 "switch per transfer: that is the pooled M:N scheduler's job (actors as tasks on nproc "
                 "workers), not a faster mailbox.")
        out.append(line)
    b, st = best_pooled_threadring(r)
    if st and st.median > TARGET_THREADRING_HOP:
        out.append(f"savina_threadring: pooled {b.impl} takes {g(st.median)} ns per hop "
                   f"({counters_text(b, 'hop')}).")
    timed = [(per_item(b), b) for b in (creation_case(r, m)[0] for m in r.impls("savina_forkjoin_creation", "mailbox"))
             if b]
    if timed:
        st, b = min(timed, key=lambda q: q[0].median)
        if st.median * TARGET_CREATE_ACTORS > TARGET_CREATE_NS:
            out.append(f"savina_forkjoin_creation: pooled {b.impl} takes {g(st.median)} ns per actor created, "
                       f"run and released ({counters_text(b, 'actor')}; cpu_util {g(b.median('cpu_util'))}).")
    return out


# fanin's wait: name parts other than the kind's own wait, and what each drops from it
WAIT_VARIANTS = (("park", "wait:park (spin budget 0)", "spin, then park"),
                 ("noyield", "wait:noyield (spin, then park, no yield phase)", "spin, yield, then park"))


def wait_findings(r):
    """Fan-in with the kind's own wait against each wait: variant, per producer count: what the
    phase the variant drops buys in throughput and costs in CPU per message (wait:park: the spin
    budget; wait:noyield: the yield phase of kinds that have one)."""
    out = []
    for wait, variant, own in WAIT_VARIANTS:
        varied = [b for b in r.select("fanin", wait=wait) if b.kind == "mailbox" and not b.failed]
        for p in sorted({b.param("P") for b in varied}, key=mr.num_key):
            rows = []
            for b0 in (b for b in varied if b.param("P") == p):
                bd = r.one("fanin", b0.impl, P=p, cap=b0.param("cap"))
                if bd is None or bd.failed or not all(x.stat(f) for x in (bd, b0)
                                                        for f in ("items_per_second", "cpu_ns_per_item")):
                    continue
                rows.append((bd.median("items_per_second") / b0.median("items_per_second"),
                             bd.median("cpu_ns_per_item") / b0.median("cpu_ns_per_item"), b0.impl,
                             bd.stat("items_per_second").overlaps(b0.stat("items_per_second"))))
            if rows:
                rows.sort(key=lambda x: -x[0])
                out.append(f"Fan-in P={p}, the kind's own wait ({own}) ÷ {variant}: "
                           + "; ".join(f"{m} {g(t)}x the throughput{' (spreads overlap)' if ov else ''} at "
                                       f"{g(c)}x the CPU per message" for t, c, m, ov in rows) + ".")
    return out


def findings(c):
    """Short sentences, every number taken from the file."""
    r = c.res
    out = []
    # Lowest latency.
    diff = [b for b in r.select("pingpong", pin="diff") if b.kind == "mailbox" and b.stat("real_time")]
    if diff:
        ranked = sorted(diff, key=lambda b: b.median("real_time"))
        lo_b, hi_b = ranked[0], ranked[-1]
        st = lo_b.stat("real_time")
        s = (f"Lowest latency: {lo_b.impl}, {g(st.median)} ns per pingpong round trip across cores "
             f"(pin:diff, min–max {spread(st)[1:-1]} over {st.n} repetitions)")
        spin = r.one("limit", "probe", variant="spin")
        if spin and spin.stat("real_time"):
            s += f", {st.median / spin.median('real_time'):.2f}x the bare spin probe"
        if len(ranked) > 1 and st.overlaps(ranked[1].stat("real_time")):
            s += f"; its spread overlaps {ranked[1].impl}'s ({g(ranked[1].median('real_time'))} ns)"
        s += f". Highest: {hi_b.impl}, {g(hi_b.median('real_time'))} ns."
        out.append(s)
    # Throughput under oversubscription.
    ps = r.param_values("fanin", "P")
    if len(ps) > 1:
        over_p = [p for p in ps if any(mr.oversubscribed(b, c.nproc) for b in r.select("fanin", P=p))]
        p_hi = TARGET_FANIN_P if TARGET_FANIN_P in over_p else (over_p[-1] if over_p else ps[-1])
        keeps = []
        for label, m, cap in fanin_rows(r):
            b1, bh = fanin_bench(r, m, cap, ps[0]), fanin_bench(r, m, cap, p_hi)
            if b1 and bh and b1.median("items_per_second") and bh.median("items_per_second") is not None:
                keeps.append((bh.median("items_per_second") / b1.median("items_per_second"), label, bh, b1))
        if keeps:
            keeps.sort(key=lambda k: -k[0])
            k, label, bh, b1 = keeps[0]
            state = "oversubscribed, " if p_hi in over_p else "not oversubscribed, "
            s = (f"Under load (P={p_hi}, {state}{c.nproc} cores) {label} holds throughput best: "
                 f"{pct(k)} of its P={ps[0]} rate ({g(bh.median('items_per_second') / 1e6)} vs "
                 f"{g(b1.median('items_per_second') / 1e6)} M msg/s)")
            if len(keeps) > 1:
                kw, lw, bw, _ = keeps[-1]
                s += f"; {lw} keeps least, {pct(kw)} ({g(bw.median('items_per_second') / 1e6)} M msg/s)"
            top = max(keeps, key=lambda k: k[2].median("items_per_second"))
            if top[1] != label:
                s += f". Fastest at P={p_hi} is still {top[1]} ({g(top[2].median('items_per_second') / 1e6)} M msg/s)"
            out.append(s + ".")
    # Actors vs shared state.
    for cl in r.param_values("bank", "clients"):
        pts = [(a, ab, bb) for a, ab, bb in bank_crossover(r, cl) if ab[0] and bb[0]]
        if not pts:
            continue
        wins = [a for a, (_, ast), (_, bst) in pts if ast.median > bst.median]
        a0, (ab, ast), (bb, bst) = pts[0]
        aN, (abN, astN), (bbN, bstN) = pts[-1]
        if wins:
            a0, (ab, ast), (bb, bst) = next(p for p in pts if p[0] == wins[0])
            s = (f"Bank, clients:{cl}: actors beat every shared baseline at accounts {', '.join(wins)} "
                 f"(at accounts:{a0}, {ab.impl} {g(ast.median / 1e6)} vs {bb.impl} "
                 f"{g(bst.median / 1e6)} M transfers/s)")
        else:
            s = (f"Bank, clients:{cl}: shared state wins everywhere measured (at accounts:{a0}, {bb.impl} "
                 f"{g(bst.median / 1e6)} vs actor {ab.impl} {g(ast.median / 1e6)} M transfers/s)")
        if wins and astN.median <= bstN.median and aN not in wins:
            s += (f"; at accounts:{aN} {bbN.impl} leads with {g(bstN.median / 1e6)} vs "
                  f"{g(astN.median / 1e6)} ({abN.impl})")
        out.append(s + ".")
    for scen in ("counter", "kv"):
        confs = {}
        for b in r.select(scen, mode="thread"):
            confs.setdefault(tuple(sorted(b.params.items())), []).append(b)
        won = [(k, bs) for k, bs in sorted(confs.items(), key=lambda kv: [mr.num_key(v) for _, v in kv[0]])
               if best(bs, "items_per_second")[0] is not None]
        actor_wins = [k for k, bs in won if best(bs, "items_per_second")[0].kind == "mailbox"]
        if won and any(b.kind == "shared" for _, bs in won for b in bs):
            where = "; ".join(" ".join(f"{k}:{v}" for k, v in conf) for conf in actor_wins)
            out.append(f"{scen}: an actor is fastest in {len(actor_wins)} of {len(won)} configurations"
                       f"{' (' + where + ')' if where else ''}; shared state in {len(won) - len(actor_wins)}.")
    # What spinning costs.
    for gp in r.param_values("idle_wakeup", "gap") or [None]:
        at = {"gap": gp} if gp else {}
        pairs = []
        for m in r.impls("idle_wakeup", "mailbox"):
            sd, s0 = r.one("idle_wakeup", m, spin="default", **at), r.one("idle_wakeup", m, spin="0", **at)
            if sd and s0 and sd.stat("real_time") and s0.stat("real_time") and sd.stat("cpu_util") \
                    and s0.stat("cpu_util"):
                pairs.append((s0.median("real_time") - sd.median("real_time"), m, sd, s0))
        if not pairs:
            continue
        gain, m, sd, s0 = max(pairs, key=lambda p: p[0])
        t_d, t_0 = sd.stat("real_time"), s0.stat("real_time")
        verdict = ("spinning shortens the idle wake-up most for" if gain > 0
                   else "spinning shortens no mailbox's idle wake-up; closest is")
        out.append(f"Idle wake-up{' after gap ' + gp if gp else ''}, default spin budget vs spin:0: {verdict} {m}, "
                   f"{g(t_d.median)} vs {g(t_0.median)} ns"
                   f"{' (spreads overlap)' if t_d.overlaps(t_0) else ''}, at cpu_util {g(sd.median('cpu_util'))} vs "
                   f"{g(s0.median('cpu_util'))}.")
    out += wait_findings(r)
    f1 = [mr.prefer_uncapped(r.select("fanin", m, P=ps[0])) for m in r.impls("fanin", "mailbox")] if ps else []
    f1 = [b for b in f1 if b and b.stat("cpu_ns_per_item") and b.stat("cpu_util")]
    if len(f1) > 1:
        f1.sort(key=lambda b: b.median("cpu_ns_per_item"))
        lo_b, hi_b = f1[0], f1[-1]
        out.append(f"CPU per message at fanin P={ps[0]}: from {g(lo_b.median('cpu_ns_per_item'))} ns ({lo_b.impl}, "
                   f"cpu_util {g(lo_b.median('cpu_util'))}) to {g(hi_b.median('cpu_ns_per_item'))} ns "
                   f"({hi_b.impl}, cpu_util {g(hi_b.median('cpu_util'))}).")
    out += pooled_findings(r)
    if not out:
        return f"No findings: the scenarios they need are {MISSING}."
    return ("\n".join(f"- {s}" for s in out) + "\n\n" +
            f"Every number above is a median over {c.reps} repetitions from `{c.rel(r.path)}`; 'spread "
            "overlaps' means the min–max ranges intersect, so that order is not settled.")


def pooled_findings(r):
    """Pooled vs thread per actor, in at most two sentences, from the file's medians."""
    out = []
    sp = []
    for s, m, tb, pb in savina_pairs(r):
        x = speedup(per_item(tb), per_item(pb))
        if x is not None:
            sp.append((x, s, m, tb, pb))
    if sp:
        sp.sort(key=lambda q: -q[0])
        x, s, m, tb, pb = sp[0]
        u = pb.unit()
        line = (f"Pooled vs thread per actor (Savina, ns per item, {len(sp)} scenario × mailbox pairs): median "
                f"speed-up {g(statistics.median(q[0] for q in sp))}x; largest in {short_scen(s)} over {m}, "
                f"{g(per_item(tb).median)} vs {g(per_item(pb).median)} ns per {u} ({g(x)}x)")
        slower = [q for q in sp if q[0] < 1]
        if slower:
            line += ("; the pool is slower in " + ", ".join(
                f"{short_scen(s)} over {m} ({g(per_item(tb).median)} vs {g(per_item(pb).median)} ns per {pb.unit()})"
                for _, s, m, tb, pb in slower))
        elif len(sp) > 1:
            x, s, m, tb, pb = sp[-1]
            line += f"; smallest in {short_scen(s)} over {m} ({g(x)}x)"
        out.append(line + ".")
    parts = []
    for scen, want, unit in WORKLOAD_AT:
        conf = workload_conf(r, scen, want)
        xs = []
        for m in r.impls(scen, "mailbox") if conf else ():
            t, p = r.one(scen, m, mode="thread", **conf), r.one(scen, m, mode="pool", **conf)
            if t and p and t.median("items_per_second") and p.median("items_per_second") is not None:
                xs.append((p.median("items_per_second") / t.median("items_per_second"), m, p))
        if xs:
            x, m, p = max(xs, key=lambda q: q[0])
            parts.append(f"{scen} {conf_text(conf)} {g(x)}x ({m}, {g(p.median('items_per_second') / 1e6)} {unit})")
    if parts:
        out.append("Workloads, pooled ÷ thread-per-actor throughput, best mailbox: " + "; ".join(parts) + ".")
    return out

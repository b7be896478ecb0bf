"""report_targets: the targets block of REPORT.md: each target judged met or missed on the median,
with its margin, and the reasons for the misses (report_prose.why_missed)."""

from report_format import MISSING, combo, g, pct, size_of, spread, table
from report_select import (
    TARGET_BANK, TARGET_BANK_AT, TARGET_CREATE_ACTORS, TARGET_CREATE_NS, TARGET_CREATE_RSS,
    TARGET_FANIN_KEEP, TARGET_FANIN_P, TARGET_FANIN_P1, TARGET_IDLE_OVERHEAD, TARGET_PINGPONG_RATIO,
    TARGET_POOL_BANK_X, TARGET_THREADRING_HOP, best, best_pooled_threadring, creation_case, largest,
    per_item, pool_bank_ratios)
from report_prose import why_missed


def target_row(name, measured_text, value, target, higher_is_better, lo=None, hi=None):
    """One targets row: met/missed and the margin relative to the target."""
    if value is None:
        return [name, measured_text or MISSING, "not measured", "–"]
    met = value >= target if higher_is_better else value <= target
    margin = abs(value - target) / target
    if margin < 1:
        by = f"{margin * 100:.0f}% {'better' if met else 'worse'} than the target"
    else:
        by = f"{'met' if met else 'missed'}: {value / target:.1f}x the target"
    if lo is not None and hi is not None and min(lo, hi) < target < max(lo, hi):
        by += " (min–max straddles the target)"
    return [name, measured_text, "met" if met else "missed", by]


def targets(r):
    """The issue targets, measured from this file: list of table rows."""
    rows = []
    name = f"best pingpong pin:diff ≤ {TARGET_PINGPONG_RATIO}x limit/probe/spin"
    b, st = best(r.select("pingpong", pin="diff"), "real_time", lowest=True)
    spin = r.one("limit", "probe", variant="spin")
    sst = spin.stat("real_time") if spin else None
    if st and sst:
        ratio = st.median / sst.median
        lo, hi = (st.lo / sst.median, st.hi / sst.median) if st.lo is not None else (None, None)
        rows.append(target_row(name, f"{b.impl} {g(st.median)} ns ÷ probe {g(sst.median)} ns = {ratio:.2f}x",
                               ratio, TARGET_PINGPONG_RATIO, False, lo, hi))
    else:
        rows.append(target_row(name, f"{'pingpong pin:diff' if not st else 'limit/probe/spin'}: {MISSING}",
                               None, 0, False))
    name = f"best fanin P=1 ≥ {g(TARGET_FANIN_P1 / 1e6)} M msg/s"
    b, st = best(r.select("fanin", P="1"), "items_per_second")
    if st:
        rows.append(target_row(name, f"{b.impl} {combo(b, ('P',))} {g(st.median / 1e6)} M msg/s {spread(st, 1e-6)}",
                               st.median, TARGET_FANIN_P1, True, st.lo, st.hi))
    else:
        rows.append(target_row(name, f"fanin P=1: {MISSING}", None, 0, True))
    name = f"best fanin P={TARGET_FANIN_P} ≥ {pct(TARGET_FANIN_KEEP)} of its own P=1"
    b8, st8 = best(r.select("fanin", P=TARGET_FANIN_P), "items_per_second")
    b1 = r.one("fanin", b8.impl, P="1", **({"cap": b8.params["cap"]} if "cap" in b8.params else {})) if b8 else None
    st1 = b1.stat("items_per_second") if b1 else None
    if st8 and st1:
        keep = st8.median / st1.median
        lo, hi = (st8.lo / st1.median, st8.hi / st1.median) if st8.lo is not None else (None, None)
        rows.append(target_row(name, f"{b8.impl} {combo(b8, ('P',))}: {g(st8.median / 1e6)} vs "
                                     f"{g(st1.median / 1e6)} M msg/s = {pct(keep)}",
                               keep, TARGET_FANIN_KEEP, True, lo, hi))
    else:
        rows.append(target_row(name, f"fanin P={TARGET_FANIN_P if not st8 else 1}: {MISSING}", None, 0, True))
    at = " ".join(f"{k}:{v}" for k, v in TARGET_BANK_AT.items())
    name = f"actor bank {at} ≥ {g(TARGET_BANK / 1e6)} M transfers/s"
    b, st = best([x for x in r.select("bank", **TARGET_BANK_AT) if x.kind == "mailbox"], "items_per_second")
    if st:
        rows.append(target_row(name, f"{actor_label(b)} {g(st.median / 1e6)} M transfers/s {spread(st, 1e-6)}",
                               st.median, TARGET_BANK, True, st.lo, st.hi))
    else:
        rows.append(target_row(name, f"actor bank {at}: {MISSING}", None, 0, True))
    return rows + pooled_targets(r)


def actor_label(b):
    """A mailbox name, with ' pooled' for an actor on the pooled scheduler."""
    return b.impl + (" pooled" if b.mode == "pool" else "")


def pooled_targets(r):
    """The pooled scheduler's targets: rows like targets()."""
    rows = []
    at = " ".join(f"{k}:{v}" for k, v in TARGET_BANK_AT.items())
    for clients_as, who in (("threads", "client threads"), ("actors", "client actors")):
        name = (f"pooled actor bank {at}, {who}, ≥ {TARGET_POOL_BANK_X:g}x its thread-per-actor figure "
                f"(best mailbox)")
        ratios = pool_bank_ratios(r, clients_as)
        if ratios:
            x, m, ps, ts = max(ratios, key=lambda q: q[0])
            lo, hi = (ps.lo / ts.median, ps.hi / ts.median) if ps.lo is not None else (None, None)
            rows.append(target_row(name, f"{m}: pooled {g(ps.median / 1e6)} vs thread {g(ts.median / 1e6)} "
                                         f"M transfers/s = {g(x)}x", x, TARGET_POOL_BANK_X, True, lo, hi))
        else:
            rows.append(target_row(name, f"pooled and thread-mode bank {at} ({who}) over one mailbox: {MISSING}",
                                   None, 0, True))
    name = f"best pooled savina_threadring ≤ {g(TARGET_THREADRING_HOP)} ns per hop"
    b, st = best_pooled_threadring(r)
    if st:
        rows.append(target_row(name, f"{b.impl} {size_of(b)}: {g(st.median)} ns/hop {spread(st)}",
                               st.median, TARGET_THREADRING_HOP, False, st.lo, st.hi))
    else:
        rows.append(target_row(name, f"pooled savina_threadring: {MISSING}", None, 0, False))
    cases = [(m,) + creation_case(r, m) for m in r.impls("savina_forkjoin_creation", "mailbox")]
    cases = [(m, b, n) for m, b, n in cases if b]

    def scaled(n):
        return "" if n == TARGET_CREATE_ACTORS else f" (measured at actors:{n}, scaled to {TARGET_CREATE_ACTORS})"
    name = (f"pooled savina_forkjoin_creation: {TARGET_CREATE_ACTORS} actors in < "
            f"{g(TARGET_CREATE_NS / 1e6)} ms (best mailbox)")
    timed = [(per_item(b), m, b, n) for m, b, n in cases]
    if timed:
        st, m, b, n = min(timed, key=lambda q: q[0].median)
        k = TARGET_CREATE_ACTORS / 1e6
        rows.append(target_row(name, f"{m}: {g(st.median)} ns/actor × {TARGET_CREATE_ACTORS} = "
                                     f"{g(st.median * k)} ms {spread(st, k)}{scaled(n)}",
                               st.median * k, TARGET_CREATE_NS / 1e6, False,
                               None if st.lo is None else st.lo * k, None if st.hi is None else st.hi * k))
    else:
        rows.append(target_row(name, f"pooled savina_forkjoin_creation: {MISSING}", None, 0, False))
    name = (f"pooled savina_forkjoin_creation: RSS growth for {TARGET_CREATE_ACTORS} actors ≤ "
            f"{g(TARGET_CREATE_RSS / 1e6)} MB (best mailbox)")
    grown = []
    for m, b, n in cases:
        if n == TARGET_CREATE_ACTORS and b.stat("rss_growth_bytes"):
            grown.append((b.stat("rss_growth_bytes"), 1e-6, m, n))
        elif b.stat("rss_bytes_per_actor"):
            grown.append((b.stat("rss_bytes_per_actor"), TARGET_CREATE_ACTORS / 1e6, m, n))
    if grown:
        st, k, m, n = min(grown, key=lambda q: q[0].median * q[1])
        rows.append(target_row(name, f"{m}: {g(st.median * k)} MB {spread(st, k)}{scaled(n)}",
                               st.median * k, TARGET_CREATE_RSS / 1e6, False,
                               None if st.lo is None else st.lo * k, None if st.hi is None else st.hi * k))
    else:
        rows.append(target_row(name, f"rss_growth_bytes of pooled savina_forkjoin_creation: {MISSING}",
                               None, 0, False))
    name = f"pooled idle actor: runtime overhead ≤ {g(TARGET_IDLE_OVERHEAD)} B per actor (every mailbox)"
    over = []
    for m in r.impls("memory_idle", "mailbox"):
        b = largest(r.select("memory_idle", m, mode="pool"))
        st = b.stat("actor_overhead_bytes") if b else None
        if st:
            over.append((st, m))
    if over:
        over.sort(key=lambda q: q[0].median)
        (st, m), (st0, m0) = over[-1], over[0]
        rest = f"; least {m0} {g(st0.median)} B" if len(over) > 1 else ""
        rows.append(target_row(name, f"worst of {len(over)} mailboxes: {m} {g(st.median)} B {spread(st)}{rest}",
                               st.median, TARGET_IDLE_OVERHEAD, False, st.lo, st.hi))
    else:
        rows.append(target_row(name, f"pooled memory_idle: {MISSING}", None, 0, False))
    return rows


def block_targets(c):
    why = why_missed(c.res)
    return (table(["target", "measured (medians)", "result", "by how much"], targets(c.res)) + "\n\n" +
            ("".join(f"Why missed, from this run's counters: {w}\n\n" for w in why)) +
            c.note("margins are relative to the target; a target is judged on the median; counters are "
                   "getrusage deltas over the timed loop"))

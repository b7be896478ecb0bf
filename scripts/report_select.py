"""report_select: which benchmarks each part of scripts/report is about: the targets' thresholds and
configurations, the best of a set, the fan-in rows, the bank crossover points, the Savina and workload
pairs (thread per actor vs pooled) and their per-item figures. Returns benchmarks and Stats only:
rendering is report_format's, sentences report_prose's."""

import mailroom_results as mr


# The targets: thresholds and the configurations they judge (report_targets.py judges them).
TARGET_PINGPONG_RATIO = 1.5     # best pingpong pin:diff <= 1.5x limit/probe/spin
TARGET_FANIN_P1 = 20e6          # best fanin P=1 >= 20 M msg/s
TARGET_FANIN_KEEP = 0.5         # best fanin P=8 >= 50% of its own P=1
TARGET_FANIN_P = "8"
TARGET_BANK = 2e6               # actor bank clients:4 accounts:2 >= 2 M transfers/s
TARGET_BANK_AT = {"clients": "4", "accounts": "2"}
TARGET_POOL_BANK_X = 2.0        # pooled actor bank (same params) >= 2x its thread-per-actor figure
TARGET_THREADRING_HOP = 100.0   # best pooled savina_threadring <= 100 ns per hop
TARGET_CREATE_ACTORS = 100000   # pooled savina_forkjoin_creation: 10^5 actors ...
TARGET_CREATE_NS = 100e6        # ... spawned, run and released in < 100 ms
TARGET_CREATE_RSS = 100e6       # ... with resident growth <= 100 MB (10^6 bytes)
TARGET_IDLE_OVERHEAD = 512.0    # pooled idle actor: runtime overhead beyond its mailbox <= 512 B


def best(benches, field, lowest=False):
    """(bench, stat) with the best median of a field, or (None, None)."""
    scored = [(b, b.stat(field)) for b in benches]
    scored = [(b, s) for b, s in scored if s is not None]
    if not scored:
        return None, None
    return (min if lowest else max)(scored, key=lambda bs: bs[1].median)


def fanin_rows(r):
    """(label, impl, cap-or-None) rows of the fan-in tables."""
    rows = []
    for m in r.impls("fanin"):
        caps = r.param_values("fanin", "cap", impl=m) or [None]
        for cap in caps:
            rows.append((m if cap is None else f"{m} cap:{cap}", m, cap))
    return rows


def fanin_bench(r, m, cap, p):
    return r.one("fanin", m, P=p, **({"cap": cap} if cap is not None else {}))


def bank_crossover(r, clients):
    """Per accounts count (most contended first): (accounts, best actor, best baseline)."""
    pts = []
    for a in r.param_values("bank", "accounts", clients=clients):
        actor = best([b for b in r.select("bank", accounts=a, clients=clients, mode="thread")
                      if b.kind == "mailbox"], "items_per_second")
        base = best([b for b in r.select("bank", accounts=a, clients=clients) if b.kind == "shared"],
                    "items_per_second")
        pts.append((a, actor, base))
    return pts


# --- pooled M:N scheduler vs thread per actor ---------------------------------------------
POOL_COUNTERS = (("wakes_per_item", "wakes"), ("parks_per_item", "parks"), ("steals_per_item", "steals"))
# The workload configuration each pooled-vs-thread row shows (the bank one is the target's);
# when a file lacks it, the pooled configuration with the most clients is shown instead.
WORKLOAD_AT = (("bank", {"accounts": "2", "clients": "4"}, "M transfers/s"),
               ("bank", {"accounts": "2", "clients": "4", "clients_as": "actors"}, "M transfers/s"),
               ("counter", {"clients": "4"}, "M increments/s"),
               ("kv", {"read": "95", "clients": "4"}, "M ops/s"))


def largest(benches):
    """Of one scenario/mailbox/mode run at several sizes, the largest (closest to Savina's)."""
    benches = [b for b in benches if b.failed or (b.ns_per_field() and b.stat(b.ns_per_field()))]
    if not benches:
        return None
    return max(benches, key=lambda b: ([mr.num_key(v) for v in b.params.values()], b.run_name))


def per_item(b):
    return b.stat(b.ns_per_field()) if b and b.ns_per_field() else None


def savina_pairs(r):
    """(scenario, mailbox, thread bench, pooled bench) per Savina scenario x mailbox, each mode at
    its largest size; either bench may be None."""
    out = []
    for s in r.savina():
        for m in r.impls(s, "mailbox"):
            t, p = largest(r.select(s, m, mode="thread")), largest(r.select(s, m, mode="pool"))
            if t or p:
                out.append((s, m, t, p))
    return out


def speedup(t_st, p_st):
    """thread ns ÷ pool ns (> 1: the pool is faster), or None."""
    return t_st.median / p_st.median if t_st and p_st and p_st.median else None


def workload_conf(r, scen, want):
    """The configuration (dict without mode) whose thread and pooled figures are compared."""
    variant = {"clients_as": want["clients_as"]} if "clients_as" in want else {}
    confs = {tuple(b.params.items())
             for b in r.select(scen, mode="pool", **variant)}
    if not confs:
        return None
    if any(dict(c) == want for c in confs):
        return dict(want)

    def clients(conf):
        k = mr.num_key(dict(conf).get("clients", "0"))
        return k[1] if k[0] == 0 else 0
    return dict(sorted(confs, key=lambda conf: (-clients(conf), [mr.num_key(v) for _, v in conf]))[0])


def workload_rows(r):
    """(scenario, conf, unit, mailbox, thread bench, pooled bench) for the pooled-vs-thread table."""
    out = []
    for scen, want, unit in WORKLOAD_AT:
        conf = workload_conf(r, scen, want)
        if conf is None:
            continue
        for m in r.impls(scen, "mailbox"):
            t, p = r.one(scen, m, mode="thread", **conf), r.one(scen, m, mode="pool", **conf)
            if t or p:
                out.append((scen, conf, unit, m, t, p))
    return out


def creation_case(r, m):
    """The pooled forkjoin_creation bench of a mailbox the target uses: actors:10^5 when there,
    else the largest; with its actor count."""
    bs = [b for b in r.select("savina_forkjoin_creation", m, mode="pool") if per_item(b)]
    exact = [b for b in bs if b.param("actors") == str(TARGET_CREATE_ACTORS)]
    b = exact[0] if exact else largest(bs)
    return (b, int(float(b.param("actors")))) if b and b.param("actors") else (None, None)


def pool_bank_ratios(r, clients_as="threads"):
    """(pooled ÷ thread items/s, mailbox, pooled stat, thread stat) at the bank target's parameters,
    with the clients as threads or (clients_as="actors") as actors in the same mode."""
    out = []
    at = {**TARGET_BANK_AT, "clients_as": clients_as}
    for m in r.impls("bank", "mailbox"):
        p, t = r.one("bank", m, mode="pool", **at), r.one("bank", m, mode="thread", **at)
        ps, ts = (p.stat("items_per_second") if p else None), (t.stat("items_per_second") if t else None)
        if ps and ts and ts.median:
            out.append((ps.median / ts.median, m, ps, ts))
    return out


def best_pooled_threadring(r):
    """(bench, ns_per_hop stat) of the fastest pooled savina_threadring (each mailbox at its largest size)."""
    per_mbx = [largest(r.select("savina_threadring", m, mode="pool")) for m in r.impls("savina_threadring", "mailbox")]
    return best([b for b in per_mbx if b], "ns_per_hop", lowest=True)

"""report_openloop: REPORT.md's "Latency under load (open loop)" block. Per mailbox and offered
load (openloop/<mailbox>/load:<pct>, bench/scen_openloop.c: pct % of the kind's own peak, measured
by the benchmark before its first case), the percentiles from the intended send time with their
sample counts, and the rate achieved against the rate offered. Uses report_format only."""

from report_format import FAILED, MISSING, bcell, g, table


def _load(b):
    try:
        return int(b.params.get("load", "0"))
    except ValueError:
        return 0


def _achieved(b):
    """'achieved / offered' as a percentage: below 100 means the kind fell behind the schedule."""
    a, o = b.median("items_per_second"), b.median("offered_per_second")
    if b.failed:
        return FAILED
    if not a or not o:
        return "–"
    return f"{a / o * 100:.0f}%"


def block_openloop(c):
    r = c.res
    benches = r.select("openloop")
    if not benches:
        return f"openloop: {MISSING}."
    loads = sorted({_load(b) for b in benches})
    rows = []
    for m in sorted({b.impl for b in benches}, key=r.impl_key):
        for ld in loads:
            b = next((x for x in benches if x.impl == m and _load(x) == ld), None)
            if b is None:
                continue
            samples = b.median("lat_samples")
            rows.append([m, f"{ld}%", bcell(b, "peak_per_second", 1e-6), bcell(b, "offered_per_second", 1e-6),
                         _achieved(b), bcell(b, "p50_ns", 1e-3), bcell(b, "p99_ns", 1e-3),
                         bcell(b, "p999_ns", 1e-3), bcell(b, "max_ns", 1e-3),
                         g(samples) if samples and not b.failed else "–"])
    out = [table(["mailbox", "load", "peak M msg/s", "offered M msg/s", "achieved / offered", "p50 µs",
                  "p99 µs", "p99.9 µs", "max µs", "samples (median per repetition)"], rows)]
    out.append("One producer sends on a fixed schedule (message i due at t0 + i / rate, never delayed by the "
               "earlier ones); latency runs from the due time to receipt, so a producer held up by a full "
               "mailbox or a late wake-up is charged to the mailbox (no coordinated omission). The offered "
               "rate is the load's share of the kind's own peak, measured by the benchmark in the same "
               "process just before (the same producer and consumer, every message due at once, median of "
               "3 runs): load 90% is near saturation for every kind on every machine. Percentiles come from the "
               "case's histogram merged over its runs (bench/hist.c: within 1/256); cells are medians over "
               "repetitions [min–max]. An achieved rate below the offered one means the queue grew for "
               "the whole run and the percentiles measure that backlog.")
    return "\n\n".join(out)

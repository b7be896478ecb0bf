"""verify/test_scripts.py: checks the results tooling (scripts/plot, report, compare, bench's
argument handling) against a small synthetic Google Benchmark JSON built here; needs no built
binary. Run: /usr/bin/python3 -m unittest verify/test_scripts.py (ctest label `scripts`).
BinaryNamesTest, at the end, runs the same scripts over every name a built mailroom-bench
registers (ctest scripts/bench_names); without a binary it is skipped."""

import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
PY = "/usr/bin/python3"
GB_INPUTS = "/usr/share/benchmark/gbench/Inputs"

# The synthetic file's own cast (fixture values, not a copy of the binary's lists: the scripts
# take every name from the file, and BinaryNamesTest checks them against the real names).
MAILBOXES = ("mutex", "ck_ring", "ck_fifo", "futex_ring", "vyukov")
SPINNERS = ("ck_ring", "ck_fifo", "futex_ring", "vyukov")
CAP = {"mutex": "none", "ck_ring": "1024", "ck_fifo": "none", "futex_ring": "1024", "vyukov": "none"}
SHARED = ("shared:mutex", "shared:rwlock", "shared:spin", "shared:atomic")
SAVINA = ("savina_pingpong", "savina_counting", "savina_threadring", "savina_forkjoin_throughput",
          "savina_forkjoin_creation", "savina_chameneos", "savina_big")
SAVINA_MAILBOXES = ("mutex", "futex_ring", "vyukov")  # what a quick run covers
# "pooled" is no scenario: it adds the /mode:pool twins of the actor bank/counter/kv cases.
ALL_SCENARIOS = ("pingpong", "fanin", "ask", "burst", "idle_wakeup", "openloop", "bank", "counter", "kv",
                 "limit", "vtable", "supervision", "pooled") + SAVINA + ("memory_idle",)
POOL_BANK_X = 3.0  # pooled bank is this many times its thread-mode rate in the synthetic file

# Savina (scenario, item, thread size, pool size, thread ns/item, pool ns/item by mailbox).
SAVINA_SPECS = (
    ("savina_pingpong", "round_trip", "n:4000", "n:40000", 1100.0, {"mutex": 255.0, "futex_ring": 160.0,
                                                                    "vyukov": 162.0}),
    ("savina_counting", "message", "n:100000", "n:100000", 150.0, {"mutex": 57.0, "futex_ring": 45.0,
                                                                   "vyukov": 300.0}),
    ("savina_threadring", "hop", "actors:1000/hops:10000", "actors:1000/hops:100000", 9000.0,
     {"mutex": 115.0, "futex_ring": 80.0, "vyukov": 340.0}),
    ("savina_forkjoin_throughput", "message", "actors:60/n:1000", "actors:60/n:10000", 1500.0,
     {"mutex": 83.0, "futex_ring": 60.0, "vyukov": 133.0}),
    ("savina_forkjoin_creation", "actor", "actors:2000", "actors:100000", 30000.0,
     {"mutex": 1400.0, "futex_ring": 900.0, "vyukov": 1700.0}),
    ("savina_chameneos", "meeting", "actors:100/meetings:2000", "actors:100/meetings:20000", 7500.0,
     {"mutex": 1200.0, "futex_ring": 700.0, "vyukov": 650.0}),
    ("savina_big", "ping", "actors:120/pings:100", "actors:120/pings:1000", 4000.0,
     {"mutex": 286.0, "futex_ring": 261.0, "vyukov": 263.0}),
)
MAILBOX_BYTES = {"mutex": 286.0, "ck_ring": 938.0, "ck_fifo": 8172.0, "futex_ring": 742.0, "vyukov": 805.0}
POOL_OVERHEAD = {"mutex": 178.0, "ck_ring": 181.0, "ck_fifo": 242.0, "futex_ring": 184.0, "vyukov": 187.0}
POOL_COUNTERS = {"turns_per_item": 1.0, "steals_per_item": 0.05, "injects_per_item": 0.01,
                 "parks_per_item": 0.02, "wakes_per_item": 0.02, "helps_per_item": 0.0}


def _specs(scenarios):
    """(run_name, time_unit, real_time_ns, counters, noisy-as-latency) for a plausible 2-core run."""
    lat = {"mutex": 6000.0, "ck_ring": 900.0, "ck_fifo": 950.0, "futex_ring": 400.0, "vyukov": 450.0}
    out = []

    def latency(name, ns, spinner, threads=2, unit="ns"):
        cpu = 2.0 if spinner else 0.6
        return (name, unit, ns, {"p50_ns": 0.95 * ns, "p99_ns": 2.5 * ns, "p999_ns": 6.0 * ns,
                                 "max_ns": 40.0 * ns, "cpu_util": cpu, "cpu_ns_per_item": cpu * ns,
                                 "ctxsw_per_item": 0.01 if spinner else 2.0,
                                 "threads": threads, "oversubscribed": 0.0,
                                 "items_per_second": 1e9 / ns}, True)

    def rate(name, ips, cpu, threads, unit="ns"):
        return (name, unit, 1e9 / ips, {"items_per_second": ips, "cpu_util": cpu,
                                        "cpu_ns_per_item": cpu * 1e9 / ips, "ctxsw_per_item": 0.02,
                                        "threads": threads,
                                        "oversubscribed": 1.0 if threads > 2 else 0.0}, False)

    def pooled(spec):
        """The mode:pool twin of an actor workload case."""
        name, unit, ns, counters, lat_ = spec
        c = dict(counters, **POOL_COUNTERS)
        c["items_per_second"] *= POOL_BANK_X
        c["ctxsw_per_item"] = 0.01
        return (name.replace("/mode:thread/", "/mode:pool/"), unit, ns / POOL_BANK_X, c, lat_)

    def savina(name, item, ns, pool, extra=None):
        c = {"items_per_second": 1e9 / ns, f"ns_per_{item}": ns, "cpu_util": 1.9, "cpu_ns_per_item": 1.9 * ns,
             "ctxsw_per_item": 0.001 if pool else 1.2, "threads": 3.0 if pool else 121.0, "oversubscribed": 1.0}
        if pool:
            c.update(POOL_COUNTERS)
        c.update(extra or {})
        return (name, "ns", ns * 1000, c, False)

    for m in MAILBOXES:
        spin = m in SPINNERS
        actor_rates = []
        if m in SAVINA_MAILBOXES:
            for scen, item, tsize, psize, tns, pns in SAVINA_SPECS:
                if scen not in scenarios:
                    continue
                suffix = "manual_time" if scen == "savina_forkjoin_creation" else "real_time"
                tx = px = None
                if scen == "savina_forkjoin_creation":
                    tx = {"rss_growth_bytes": 9000.0 * 2000, "rss_bytes_per_actor": 9000.0}
                    px = {"rss_growth_bytes": 600.0 * 100000, "rss_bytes_per_actor": 600.0}
                out.append(savina(f"{scen}/{m}/mode:thread/{tsize}/{suffix}", item,
                                  tns * (12.0 if m == "mutex" and scen == "savina_pingpong" else 1.0), False, tx))
                out.append(savina(f"{scen}/{m}/mode:pool/{psize}/{suffix}", item, pns[m], True, px))
        if "memory_idle" in scenarios:
            for mode, k, ns, over in (("thread", 1000, 25000.0, 8700.0), ("pool", 10000, 1500.0, POOL_OVERHEAD[m])):
                out.append(savina(f"memory_idle/{m}/mode:{mode}/actors:{k}/manual_time", "actor", ns, mode == "pool",
                                  {"bytes_per_actor": MAILBOX_BYTES[m] + over, "mailbox_bytes": MAILBOX_BYTES[m],
                                   "actor_overhead_bytes": over}))
        if "pingpong" in scenarios:
            for pin, f in (("none", 1.5), ("same", 8.0), ("diff", 1.0)):
                out.append(latency(f"pingpong/{m}/pin:{pin}/real_time", lat[m] * f, spin))
        if "ask" in scenarios:
            out.append(latency(f"ask/{m}/real_time", lat[m] * 1.3, spin))
        if "fanin" in scenarios:
            base = {"mutex": 5e6, "ck_ring": 15e6, "ck_fifo": 12e6, "futex_ring": 25e6, "vyukov": 22e6}[m]
            keep = {"mutex": 0.4, "ck_ring": 0.3, "ck_fifo": 0.5, "futex_ring": 0.35, "vyukov": 0.7}[m]
            for p in (1, 2, 4, 8):
                ips = base * (1.0 if p == 1 else keep ** (0.5 if p == 2 else 1.0))
                out.append(rate(f"fanin/{m}/P:{p}/cap:{CAP[m]}/real_time", ips,
                                min(p + 1, 2) if spin else 0.8, p + 1))
                if spin and p in (1, 8):  # wait:park: half the rate at 0.8 CPU
                    out.append(rate(f"fanin/{m}/P:{p}/cap:{CAP[m]}/wait:park/real_time", ips / 2, 0.8, p + 1))
                if m == "futex_ring" and p in (1, 8):  # as if it had a yield phase: without it 0.8x
                    out.append(rate(f"fanin/{m}/P:{p}/cap:{CAP[m]}/wait:noyield/real_time", ips * 0.8,
                                    min(p + 1, 2), p + 1))
        if "burst" in scenarios:
            for cap in (64, 1024):
                out.append(rate(f"burst/{m}/cap:{cap}/real_time", 8e6 * (1 + (cap > 64)), 1.5, 2))
        if "idle_wakeup" in scenarios:
            # Microsecond time unit here, to exercise the scripts' unit conversion.
            for gap in ("1us", "parked"):
                out.append(latency(f"idle_wakeup/{m}/spin:default/gap:{gap}/real_time",
                                   800.0 if spin and gap == "1us" else 6000.0, spin, unit="us"))
                out.append(latency(f"idle_wakeup/{m}/spin:0/gap:{gap}/real_time", 6000.0, False, unit="us"))
        if "openloop" in scenarios:
            peak = 1e9 / lat[m] * 20
            for load in (10, 50, 90):
                name, unit, ns, c, lat_ = latency(f"openloop/{m}/load:{load}/real_time", lat[m] * (1 + load / 30), spin)
                c.update({"peak_per_second": peak, "offered_per_second": peak * load / 100,
                          "items_per_second": peak * load / 100 * (0.97 if load == 90 else 1.0),
                          "lat_samples": 5000.0 * load})
                out.append((name, unit, ns, c, lat_))
        for c in (2, 4):
            if "bank" in scenarios:
                actor = {"mutex": 0.8e6, "ck_ring": 2.2e6, "ck_fifo": 2.0e6, "futex_ring": 3.0e6,
                         "vyukov": 2.8e6}[m]
                for a in (2, 16, 128, 1024):
                    actor_rates.append(rate(f"bank/{m}/mode:thread/accounts:{a}/clients:{c}/real_time", actor, 2.0, c + 1))
                if c == 4 and "pooled" in scenarios:  # the clients as actors: ten times the thread-client rate
                    actor_rates.append(rate(f"bank/{m}/mode:thread/accounts:2/clients:4/clients_as:actors/real_time",
                                            10 * actor, 2.0, c + 1))
            if "kv" in scenarios:
                for r in (50, 95):
                    actor_rates.append(rate(f"kv/{m}/mode:thread/read:{r}/clients:{c}/real_time", 4e6, 2.0, c + 1))
        if "counter" in scenarios:
            for c in (1, 2, 4):
                actor_rates.append(rate(f"counter/{m}/mode:thread/clients:{c}/real_time", 10e6, 2.0, c + 1))
        out += actor_rates
        if "pooled" in scenarios:
            out += [pooled(s) for s in actor_rates]
        if "supervision" in scenarios:
            for md, x in (("thread", 1.0), ("pool", 0.5)):  # pooled: half the restart time
                out.append(latency(f"supervision/{m}/mode:{md}/restart/manual_time", lat[m] * 10 * x, spin,
                                   threads=3))
                for k in (1000, 10000):
                    out.append(rate(f"supervision/{m}/mode:{md}/crash_every:{k}/real_time",
                                    3e6 * (1 + (k > 1000)) / x, 2.0, 3))
    for s in SHARED:
        w = {"shared:mutex": 0.5e6, "shared:rwlock": 0.4e6, "shared:spin": 0.6e6, "shared:atomic": 1.0e6}[s]
        for c in (2, 4):
            if "bank" in scenarios:
                for a in (2, 16, 128, 1024):
                    out.append(rate(f"bank/{s}/mode:thread/accounts:{a}/clients:{c}/real_time",
                                    w * math.log2(a) * 2 / c, float(min(c, 2)), c))
            if "kv" in scenarios:
                for r in (50, 95):
                    out.append(rate(f"kv/{s}/mode:thread/read:{r}/clients:{c}/real_time", w * r / 10, 2.0, c))
        if "counter" in scenarios:
            for c in (1, 2, 4):
                out.append(rate(f"counter/{s}/mode:thread/clients:{c}/real_time", w * 40 / c, float(min(c, 2)), c))
    if "limit" in scenarios:
        out.append(latency("limit/probe/spin/real_time", 300.0, True))
        out.append(latency("limit/probe/futex/real_time", 5000.0, False))
    if "vtable" in scenarios:
        out.append(latency("vtable/futex_ring/call:direct/real_time", 2.0, True))
        out.append(latency("vtable/futex_ring/call:table/real_time", 2.6, True))
    return out


def legacy_name(name):
    """A name as result sets older than the mode:<m> naming wrote it (what
    result_files.normalise_name undoes): bank/counter/kv without a mode part in thread mode,
    with /mode:pool last (before the time suffix) when pooled; supervision without a mode part,
    thread per actor only (None for a pooled one: those sets had none)."""
    parts = name.split("/")
    if parts[0] not in ("bank", "counter", "kv", "supervision"):
        return name
    mode = parts.pop(2)
    if parts[0] == "supervision":
        return "/".join(parts) if mode == "mode:thread" else None
    if mode == "mode:pool":
        parts.insert(len(parts) - 1, mode)
    return "/".join(parts)


def synthetic_doc(reps=9, scenarios=ALL_SCENARIOS, seed=1, sha="0123456789abcdef0123456789abcdef01234567",
                  dirty="1", mode="quick", legacy=False, date="2026-11-22T10:00:00+00:00"):
    """A Google Benchmark 1.7.1-shaped JSON document: per-repetition entries plus
    mean/median/stddev/cv aggregates, context with the mailroom provenance keys.
    legacy: the names of result sets older than the mode:<m> naming (legacy_name)."""
    rng = random.Random(seed)
    benches = []
    for fam, (name, unit, ns, counters, is_latency) in enumerate(_specs(scenarios)):
        keep = not legacy or legacy_name(name) is not None  # the rng draws stay the same either way
        name = (legacy_name(name) or name) if legacy else name
        rows = []
        for i in range(reps):
            f = 1.0 + abs(rng.gauss(0, 0.04))
            c = dict(counters)
            for k in ("p50_ns", "p99_ns", "p999_ns", "max_ns", "cpu_ns_per_item"):
                if k in c:
                    c[k] *= f
            for k in c:
                if k.startswith("ns_per_"):
                    c[k] *= f
            c["items_per_second"] = counters["items_per_second"] / f
            row = dict(name=name, family_index=fam, per_family_instance_index=0, run_name=name,
                       run_type="iteration", repetitions=reps, repetition_index=i, threads=1,
                       iterations=1000, real_time=ns * f / TO_UNIT[unit], cpu_time=ns * f / TO_UNIT[unit],
                       time_unit=unit)
            # GB 1.7.1 writes its own "threads" and then the user counter of that name; json.load
            # keeps the last, so the counter wins, as here.
            row.update(c)
            rows.append(row)
        if not keep:
            continue
        benches.extend(rows)
        keys = ["real_time", "cpu_time"] + list(counters)
        for agg in ("mean", "median", "stddev", "cv"):
            e = dict(name=f"{name}_{agg}", family_index=fam, per_family_instance_index=0, run_name=name,
                     run_type="aggregate", repetitions=reps, aggregate_name=agg,
                     aggregate_unit="percentage" if agg == "cv" else "time", iterations=reps, time_unit=unit)
            for k in keys:
                vals = [r[k] for r in rows]
                m = statistics.mean(vals)
                sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
                e[k] = {"mean": m, "median": statistics.median(vals), "stddev": sd,
                        "cv": sd / m if m else 0.0}[agg]
            benches.append(e)
    ctx = {"date": date, "host_name": "synthhost", "executable": "mailroom-bench",
           "num_cpus": 2, "mhz_per_cpu": 2000, "cpu_scaling_enabled": False,
           "caches": [{"type": "Data", "level": 1, "size": 49152, "num_sharing": 1}],
           "load_avg": [0.1, 0.1, 0.1], "library_build_type": "release",
           "mailroom_compiler": "GNU 12.2.0", "mailroom_preset": "release",
           "mailroom_cpu_model": "Synthetic CPU @ 2.00GHz", "mailroom_nproc": "2",
           "mailroom_kernel": "Linux 6.1.0", "mailroom_build_type": "RelWithDebInfo",
           "mailroom_sanitizer": "none", "git_sha": sha, "git_dirty": dirty,
           "pinning": "process-affinity:0-1", "mailroom_mode": mode}
    return {"context": ctx, "benchmarks": benches}


TO_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def write_synthetic(path, **kw):
    """Write a synthetic bench.json (also handy by hand: see the module docstring)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(synthetic_doc(**kw), f, indent=1)
    return path


def run(*argv, cwd=ROOT):
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=60)


class Started:
    """A subprocess started early (setUpClass) so the slow ones overlap; .result() waits."""

    def __init__(self, *argv):
        self.argv = list(argv)
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(self):
        out, err = self.proc.communicate(timeout=90)
        return subprocess.CompletedProcess(self.argv, self.proc.returncode, out, err)


def block(text, name):
    """The body of one generated block of a report."""
    m = re.search(rf"<!-- BEGIN generated:{name} -->\n(.*?)\n<!-- END generated:{name} -->", text, re.S)
    assert m, f"no block {name}"
    return m.group(1)


def median_of(doc, run_name, field):
    vals = [b[field] for b in doc["benchmarks"] if b["run_name"] == run_name and b["run_type"] == "iteration"]
    return statistics.median(vals)


class ScriptsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mailroom-scripts-")
        cls.full = write_synthetic(os.path.join(cls.tmp, "results", "2026-11-22-synth-0123456789", "bench.json"))
        cls.other = write_synthetic(os.path.join(cls.tmp, "b", "bench.json"), seed=2)
        cls.partial = write_synthetic(os.path.join(cls.tmp, "partial", "bench.json"),
                                      scenarios=("fanin", "counter"), dirty="0")
        cls.partial2 = write_synthetic(os.path.join(cls.tmp, "partial2", "bench.json"),
                                       scenarios=("fanin", "counter"), seed=3)
        with open(cls.full, encoding="utf-8") as f:
            cls.doc = json.load(f)
        # The slow runs (matplotlib, scipy imports) start now and overlap the quick tests.
        cls.plot_full = Started(PY, os.path.join(SCRIPTS, "plot"), cls.full)
        cls.plot_partial = Started(PY, os.path.join(SCRIPTS, "plot"), cls.partial)
        cls.cmp_files = Started(PY, os.path.join(SCRIPTS, "compare"), "--no-color", cls.partial, cls.partial2)

    @classmethod
    def tearDownClass(cls):
        for started in (cls.plot_full, cls.plot_partial, cls.cmp_files):
            if started.proc.poll() is None:
                started.proc.kill()
            started.proc.communicate()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertBadArg(self, proc, bad):
        """The CLI rule: exit 2 and a one-line stderr naming the bad value."""
        self.assertEqual(proc.returncode, 2, proc.stderr)
        err = proc.stderr.strip()
        self.assertNotIn("\n", err, err)
        self.assertIn(bad, err)

    # --- plot -------------------------------------------------------------------------
    def test_plot_writes_pngs(self):
        p = self.plot_full.result()
        self.assertEqual(p.returncode, 0, p.stderr)
        for png in ("latency.png", "fanin.png", "bank.png", "cpu_util.png", "supervision.png", "pooled.png"):
            path = os.path.join(os.path.dirname(self.full), png)
            self.assertTrue(os.path.isfile(path), png)
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", png)

    def test_plot_skips_missing_scenarios(self):
        p = self.plot_partial.result()
        self.assertEqual(p.returncode, 0, p.stderr)
        d = os.path.dirname(self.partial)
        self.assertTrue(os.path.isfile(os.path.join(d, "fanin.png")))
        self.assertFalse(os.path.exists(os.path.join(d, "bank.png")))
        self.assertFalse(os.path.exists(os.path.join(d, "pooled.png")))
        self.assertIn("skipping pooled.png", p.stderr)

    # --- report -----------------------------------------------------------------------
    def _report_md(self, name, text="# mailroom report\n\nHand-written intro stays.\n"):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_report_fills_blocks_and_checks(self):
        md = self._report_md("REPORT-full.md")
        rep = os.path.join(SCRIPTS, "report")
        p = run(PY, rep, "--report-md", md, self.full)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(md, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("Hand-written intro stays.", text)
        for block in ("provenance", "latency", "openloop", "fanin", "bank", "counter_kv", "cpu", "supervision",
                      "pooled", "targets", "findings"):
            self.assertIn(f"<!-- BEGIN generated:{block} -->", text)
            self.assertIn(f"<!-- END generated:{block} -->", text)
        # Medians come from the repetitions: the limit probe's median is printed as computed here.
        lim = median_of(self.doc, "limit/probe/spin/real_time", "real_time")
        self.assertIn(f"spin {lim:.0f} [", text)
        wake = median_of(self.doc, "idle_wakeup/vyukov/spin:0/gap:1us/real_time", "real_time") * 1e3  # us -> ns
        wake_spin = median_of(self.doc, "idle_wakeup/vyukov/spin:default/gap:1us/real_time", "real_time") * 1e3
        self.assertIn(f"| vyukov | 1us | {wake_spin:.0f} [", text)
        self.assertIn(f"| {wake:.0f} [", text)
        self.assertIn("0123456789", text)              # git sha in provenance
        self.assertIn("results/2026-11-22-synth-0123456789/fanin.png", text.replace(os.sep, "/"))
        self.assertRegex(text, r"\| best pingpong pin:diff .*\| (met|missed) \|")
        self.assertNotIn("not in this result file", text)
        # the open-loop block: the offered rate is the load's share of the measured peak
        self.assertRegex(text, r"\| vyukov \| 90% \| [0-9.]+ \[[^]]*\] \| [0-9.]+ \[[^]]*\] \| 9[0-9]% \|")
        # --check agrees, prose edits are ignored, a tampered number is caught.
        self.assertEqual(run(PY, rep, "--check", "--report-md", md, self.full).returncode, 0)
        with open(md, "w", encoding="utf-8") as f:
            f.write(text.replace("Hand-written intro stays.", "Prose edited by a human."))
        self.assertEqual(run(PY, rep, "--check", "--report-md", md, self.full).returncode, 0)
        tampered = re.sub(r"(BEGIN generated:latency -->.*?\| )(\d)",
                          lambda m: m.group(1) + str((int(m.group(2)) + 1) % 10), text, count=1, flags=re.S)
        self.assertNotEqual(tampered, text)
        with open(md, "w", encoding="utf-8") as f:
            f.write(tampered)
        c = run(PY, rep, "--check", "--report-md", md, self.full)
        self.assertEqual(c.returncode, 1, c.stdout + c.stderr)
        self.assertIn("latency", c.stderr)
        # A different result file also fails the check (provenance names the file).
        self.assertEqual(run(PY, rep, "--check", "--report-md", md, self.other).returncode, 1)

    def test_report_missing_scenarios(self):
        md = self._report_md("REPORT-partial.md")
        p = run(PY, os.path.join(SCRIPTS, "report"), "--report-md", md, self.partial)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(md, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("not in this result file", text)
        self.assertIn("<!-- BEGIN generated:bank -->", text)
        # No pooled or Savina case at all: one line, and the pooled targets are not measured.
        self.assertEqual(block(text, "pooled"), "Pooled (mode:pool) and Savina cases: not in this result file.")
        self.assertRegex(block(text, "targets"), r"runtime overhead ≤ 512 B per actor [^\n]*\| not measured \|")
        self.assertEqual(run(PY, os.path.join(SCRIPTS, "report"), "--check", "--report-md", md,
                             self.partial).returncode, 0)

    def test_report_pooled_block(self):
        md = self._report_md("REPORT-pooled.md")
        rep = os.path.join(SCRIPTS, "report")
        p = run(PY, rep, "--report-md", md, self.full)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(md, encoding="utf-8") as f:
            text = f.read()
        pooled = block(text, "pooled")
        # Sits after supervision, before targets, under its heading; embeds pooled.png.
        self.assertLess(text.index("generated:supervision -->"),
                        text.index("## Pooled M:N scheduler vs thread per actor"))
        self.assertLess(text.index("END generated:pooled"), text.index("BEGIN generated:targets"))
        self.assertIn("results/2026-11-22-synth-0123456789/pooled.png", pooled.replace(os.sep, "/"))
        # Savina: per-item medians of both modes and their ratio, from the repetitions.
        tr = median_of(self.doc, "savina_threadring/futex_ring/mode:thread/actors:1000/hops:10000/real_time",
                       "ns_per_hop")
        pr = median_of(self.doc, "savina_threadring/futex_ring/mode:pool/actors:1000/hops:100000/real_time",
                       "ns_per_hop")
        self.assertRegex(pooled, rf"\| threadring \| futex_ring \| hop \| actors:1000 hops:10000 / actors:1000 "
                                 rf"hops:100000 \| {tr:.0f} \[[^]]*\] \| {pr:.1f} \[[^]]*\] \| {tr / pr:.0f}x \|")
        # Workloads: thread-mode and pooled bank at accounts:2 clients:4, never mixed up.
        bt = median_of(self.doc, "bank/futex_ring/mode:thread/accounts:2/clients:4/real_time", "items_per_second") / 1e6
        bp = median_of(self.doc, "bank/futex_ring/mode:pool/accounts:2/clients:4/real_time", "items_per_second") / 1e6
        self.assertRegex(pooled, rf"\| bank \| accounts:2 clients:4 \| futex_ring \| {bt:.2f} \[[^]]*\] \| "
                                 rf"{bp:.2f} \[[^]]*\] \| {bp / bt:.2f}x \|")
        # The bank block itself shows thread per actor only (its futex_ring column at clients:4 accounts:2).
        bank_row = next(l for l in block(text, "bank").splitlines() if l.startswith("| 4 | 2 |"))
        self.assertTrue(bank_row.split("|")[6].strip().startswith(f"{bt:.2f} ["), bank_row)
        self.assertIn("**Memory per idle actor**", pooled)
        self.assertIn("| ck_fifo | 10000 | ", pooled)
        self.assertIn("**Actor creation, pooled**", pooled)
        self.assertNotIn("not in this result file", pooled)
        # Targets: the pooled rows are judged from the file.
        targets = block(text, "targets")
        for row in ("pooled actor bank clients:4 accounts:2, client threads, ≥ 2x",
                    "pooled actor bank clients:4 accounts:2, client actors, ≥ 2x", "best pooled savina_threadring ≤ 100 ns",
                    "pooled savina_forkjoin_creation: 100000 actors in < 100 ms",
                    "RSS growth for 100000 actors ≤ 100 MB", "runtime overhead ≤ 512 B per actor"):
            self.assertRegex(targets, re.escape(row) + r"[^\n]*\| met \|")
        self.assertIn("worst of 5 mailboxes: ck_fifo", targets)
        # Findings: generated sentences on pooled vs thread, naming the slower case.
        findings = block(text, "findings")
        self.assertIn("Pooled vs thread per actor (Savina", findings)
        self.assertIn("the pool is slower in counting over vyukov", findings)
        self.assertIn("Workloads, pooled ÷ thread-per-actor throughput", findings)
        # The wait strategy: each spinning kind's own wait against wait:park, which the plain
        # fan-in tables leave out (P=8 futex_ring is 25e6 * 0.35, never the parked half of it).
        self.assertRegex(findings, r"Fan-in P=8, the kind's own wait \(spin, then park\) ÷ wait:park "
                                   r"\(spin budget 0\): \w+ [12][.0-9]*x the throughput at 1[.0-9]*x the CPU per message")
        # The yield phase, against wait:noyield (kinds that have one): about 1 / 0.8 = 1.25x.
        self.assertRegex(findings, r"Fan-in P=1, the kind's own wait \(spin, yield, then park\) ÷ wait:noyield "
                                   r"\(spin, then park, no yield phase\): futex_ring 1\.2[0-9]x the throughput")
        fanin = block(text, "fanin")
        self.assertNotIn("wait:", fanin)  # the tables show the kind's own wait only
        self.assertEqual(run(PY, rep, "--check", "--report-md", md, self.full).returncode, 0)

    def test_report_pooled_partly_missing(self):
        """Pooled bank only (no Savina, no memory_idle): the block tabulates what is there and says
        what is not; the targets that need the rest are 'not measured'."""
        path = write_synthetic(os.path.join(self.tmp, "pooled-bank", "bench.json"), scenarios=("bank", "pooled"))
        md = self._report_md("REPORT-pooled-bank.md")
        rep = os.path.join(SCRIPTS, "report")
        self.assertEqual(run(PY, rep, "--report-md", md, path).returncode, 0)
        with open(md, encoding="utf-8") as f:
            text = f.read()
        pooled = block(text, "pooled")
        self.assertIn("Savina: not in this result file.", pooled)
        self.assertIn("memory_idle: not in this result file.", pooled)
        self.assertIn("| bank | accounts:2 clients:4 | vyukov |", pooled)
        self.assertNotIn("pooled.png", pooled)
        targets = block(text, "targets")
        self.assertRegex(targets, r"pooled actor bank [^\n]*\| met \|")
        self.assertRegex(targets, r"best pooled savina_threadring [^\n]*not in this result file \| not measured \|")
        self.assertEqual(run(PY, rep, "--check", "--report-md", md, path).returncode, 0)

    # --- result sets older than the mode:<m> naming ------------------------------------
    def test_normalise_legacy_names(self):
        sys.path.insert(0, SCRIPTS)
        import mailroom_results as mr
        import result_files as rf
        cases = {
            "bank/vyukov/accounts:2/clients:4/real_time": "bank/vyukov/mode:thread/accounts:2/clients:4/real_time",
            "bank/vyukov/accounts:2/clients:4/clients_as:actors/mode:pool/real_time_median":
                "bank/vyukov/mode:pool/accounts:2/clients:4/clients_as:actors/real_time_median",
            "counter/shared:mutex/clients:1/real_time": "counter/shared:mutex/mode:thread/clients:1/real_time",
            "kv/mutex/read:95/clients:2/mode:pool/real_time": "kv/mutex/mode:pool/read:95/clients:2/real_time",
            "supervision/vyukov/restart/process_time/manual_time":
                "supervision/vyukov/mode:thread/restart/process_time/manual_time",
        }
        for old, new in cases.items():
            self.assertEqual(rf.normalise_name(old), new)
            self.assertEqual(rf.normalise_name(new), new)
        for b in self.doc["benchmarks"]:  # today's names pass unchanged; old ones map back to them
            self.assertEqual(rf.normalise_name(b["name"]), b["name"])
            if legacy_name(b["name"]) is not None:
                self.assertEqual(rf.normalise_name(legacy_name(b["name"])), b["name"])
        legacy = write_synthetic(os.path.join(self.tmp, "legacy-only", "bench.json"), legacy=True)
        res = mr.Results(legacy)
        self.assertGreater(res.renamed, 0)
        self.assertEqual(res.one("bank", "vyukov", mode="pool", accounts=2, clients=4).run_name,
                         "bank/vyukov/mode:pool/accounts:2/clients:4/real_time")
        self.assertEqual(mr.Results(self.full).renamed, 0)

    def test_report_legacy_set_reads_the_same(self):
        """The same data under the old names gives the same report, but for the file it names."""
        legacy = write_synthetic(os.path.join(self.tmp, "results", "2026-11-22-synth-0123456789", "legacy",
                                              "bench.json"), legacy=True)
        texts = []
        for i, path in enumerate((self.full, legacy)):
            md = self._report_md(f"REPORT-legacy-{i}.md")
            p = run(PY, os.path.join(SCRIPTS, "report"), "--report-md", md, path)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(md, encoding="utf-8") as f:
                texts.append(f.read())
        self.maxDiff = None
        self.assertIn("0123456789/legacy/bench.json", texts[1])
        # Old sets had thread-per-actor supervision only: that block lacks the pooled rows (and the
        # provenance its count of benchmarks); the rest reads the same.
        sup = [block(t, "supervision") for t in texts]
        self.assertIn("| vyukov | pool |", sup[0])
        self.assertNotIn("| pool |", sup[1])
        self.assertEqual([r for r in sup[0].splitlines() if "| thread |" in r],
                         [r for r in sup[1].splitlines() if "| thread |" in r])
        strip = lambda t: re.sub(r"<!-- BEGIN generated:(supervision|provenance) -->.*?<!-- END generated:\1 -->", "",  # noqa: E731
                                 t, flags=re.S)
        self.assertEqual(strip(texts[0]), strip(texts[1].replace("0123456789/legacy/", "0123456789/")))

    def test_compare_legacy_set_with_new(self):
        legacy = write_synthetic(os.path.join(self.tmp, "legacy-partial", "bench.json"),
                                 scenarios=("fanin", "counter"), legacy=True)
        with open(legacy, encoding="utf-8") as f:
            self.assertIn('"counter/mutex/clients:1/real_time"', f.read())
        p = run(PY, os.path.join(SCRIPTS, "compare"), "--no-color", "--no-utest", legacy, self.partial2)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("counter/mutex/mode:thread/clients:1/real_time", p.stdout)
        self.assertNotIn("counter/mutex/clients:1", p.stdout)
        self.assertIn("predates the mode:<m> part", p.stderr)

    def test_compare_across_a_change_of_clock(self):
        """B names its cases '.../process_time/real_time' and times fanin by its own clock
        ('.../manual_time'), A as before: the cases still pair, and the note says how many
        changed clock. Files with no case in common are refused (exit 1), not shown empty."""
        with open(self.partial2, encoding="utf-8") as f:
            doc = json.load(f)
        for e in doc["benchmarks"]:
            clock = "manual_time" if e["run_name"].startswith("fanin/") else "real_time"
            for k in ("name", "run_name"):
                e[k] = e[k].replace("/real_time", f"/process_time/{clock}")
        retimed = os.path.join(self.tmp, "retimed", "bench.json")
        os.makedirs(os.path.dirname(retimed), exist_ok=True)
        with open(retimed, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        p = run(PY, os.path.join(SCRIPTS, "compare"), "--no-color", "--no-utest", self.partial, retimed)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("fanin/vyukov/P:8/cap:none", p.stdout)
        self.assertIn("counter/mutex/mode:thread/clients:1", p.stdout)
        n_fanin = sum(1 for e in doc["benchmarks"] if e["run_name"].startswith("fanin/") and e["run_type"] == "iteration")
        self.assertGreater(n_fanin, 0)
        self.assertRegex(p.stderr, r"\d+ cases paired by name without the clock parts, [1-9]\d* of them timed")
        limit = write_synthetic(os.path.join(self.tmp, "limit-only", "bench.json"), scenarios=("limit",))
        q = run(PY, os.path.join(SCRIPTS, "compare"), "--no-color", self.partial, limit)
        self.assertEqual(q.returncode, 1, q.stdout + q.stderr)
        self.assertIn("nothing lines up", q.stderr)

    # --- compare ----------------------------------------------------------------------
    def test_compare_files(self):
        p = self.cmp_files.result()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("fanin/vyukov/P:8/cap:none/real_time", p.stdout)
        self.assertIn("U Test", p.stdout)

    def test_compare_gb_sample_inputs(self):
        p = run(PY, os.path.join(SCRIPTS, "compare"), os.path.join(GB_INPUTS, "test1_run1.json"),
                os.path.join(GB_INPUTS, "test1_run2.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("BM_SameTimes", p.stdout)

    def test_compare_mailboxes(self):
        p = run(PY, os.path.join(SCRIPTS, "compare"), "--mailboxes", self.full, "futex_ring", "vyukov",
                "--scenario", "pingpong")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("pin:diff/real_time", p.stdout)
        self.assertNotIn("fanin", p.stdout.split("\n", 1)[1])
        q = run(PY, os.path.join(SCRIPTS, "compare"), "--mailboxes", self.full, "futex_ring", "shared:spin")
        self.assertEqual(q.returncode, 0, q.stderr)
        self.assertIn("bank[", q.stdout)
        # futex_ring runs fanin at cap:1024, vyukov at cap:none: nothing lines up, said so, exit 1.
        n = run(PY, os.path.join(SCRIPTS, "compare"), "--mailboxes", self.full, "futex_ring", "vyukov",
                "--scenario", "fanin")
        self.assertEqual(n.returncode, 1, n.stdout + n.stderr)
        self.assertIn("lines up", n.stderr)

    def test_newest_result_prefers_dated_folders(self):
        sys.path.insert(0, SCRIPTS)
        import result_files
        undated = write_synthetic(os.path.join(self.tmp, "results", "scratch", "bench.json"),
                                  scenarios=("limit",))
        older = write_synthetic(os.path.join(self.tmp, "results", "2026-01-01-h-abc", "bench.json"),
                                scenarios=("limit",))
        try:
            self.assertEqual(result_files.newest_json(self.tmp), self.full)
        finally:
            for p in (undated, older):
                shutil.rmtree(os.path.dirname(p))

    def test_newest_result_is_the_latest_run_not_the_latest_name(self):
        """Two sets of one day: the run that started later is the newest and the other is the set
        before it, whatever their names and mtimes (a fresh clone's mtimes are all alike)."""
        sys.path.insert(0, SCRIPTS)
        import result_files
        root = os.path.join(self.tmp, "sameday")
        late = write_synthetic(os.path.join(root, "results", "2026-12-05-vm-5d1dfd3", "bench.json"),
                               scenarios=("limit",), date="2026-12-05T08:57:37+00:00")
        # Earlier in UTC although its local clock reads later; named to sort after the late run.
        early = write_synthetic(os.path.join(root, "results", "2026-12-05-vm-f82d635", "bench.json"),
                                scenarios=("limit",), date="2026-12-05T09:50:18+02:00")
        try:
            for p in (late, early):
                os.utime(p, (1_000_000, 1_000_000))
            self.assertEqual(result_files.newest_json(root), late)
            self.assertEqual(result_files.result_sets(root), [early, late])
        finally:
            shutil.rmtree(root)

    # --- bad arguments and --help -------------------------------------------------------
    def test_bad_args_exit_2(self):
        plot, rep, cmp_ = (os.path.join(SCRIPTS, n) for n in ("plot", "report", "compare"))
        self.assertBadArg(run(PY, plot, "--bogus"), "--bogus")
        self.assertBadArg(run(PY, plot, "/nonexistent/x.json"), "/nonexistent/x.json")
        self.assertBadArg(run(PY, rep, "--frob"), "--frob")
        self.assertBadArg(run(PY, rep, os.path.join(GB_INPUTS, "..", "report.py")), "report.py")
        self.assertBadArg(run(PY, cmp_, self.full), "B.json")
        self.assertBadArg(run(PY, cmp_, self.full, self.other, "--wat"), "--wat")
        self.assertBadArg(run(PY, cmp_, "--alpha", "x", self.full, self.other), "'x'")
        self.assertBadArg(run(PY, cmp_, "--alpha", "3", self.full, self.other), "'3'")
        self.assertBadArg(run(PY, cmp_, "--mailboxes", self.full, "futex_ring", "nosuch"), "nosuch")
        self.assertBadArg(run(PY, cmp_, "--mailboxes", self.full, "futex_ring", "vyukov", "--scenario", "zz"), "zz")
        bench = os.path.join(SCRIPTS, "bench")
        self.assertBadArg(run(bench, "--bogus"), "--bogus")
        self.assertBadArg(run(bench, "--reps", "x9"), "x9")
        self.assertBadArg(run(bench, "--min-time", "-1"), "-1")
        self.assertBadArg(run(bench, "--scenario", "a|b"), "a|b")
        self.assertBadArg(run(bench, "--mailbox", "x/y"), "x/y")
        self.assertBadArg(run(bench, "--filter", "x", "--scenario", "fanin"), "--filter")

    def test_bench_names_come_from_the_binary(self):
        """scripts/bench keeps no list of scenarios or implementations: a copy of it beside a
        stand-in binary accepts and offers exactly the names that binary lists, in the run's mode."""
        tree = os.path.join(self.tmp, "fake-tree")
        os.makedirs(os.path.join(tree, "scripts"))
        for f in ("bench", "lib.sh", "bench_machine.sh", "mailroom_results.py"):
            shutil.copy2(os.path.join(SCRIPTS, f), os.path.join(tree, "scripts", f))
        fake = os.path.join(tree, "build", "release", "bench", "mailroom-bench")
        os.makedirs(os.path.dirname(fake))
        with open(fake, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\n"
                    "echo brand_new/m1/mode:thread/x:1/real_time\n"
                    "echo brand_new/shared:b2/mode:thread/x:1/real_time\n"
                    "[ \"$MAILROOM_BENCH_FULL\" = 1 ] && echo full_only/m1/real_time\n"
                    "exit 0\n")
        os.chmod(fake, 0o755)
        bench = os.path.join(tree, "scripts", "bench")
        p = run(bench, "--help", cwd=tree)
        self.assertEqual(p.returncode, 0, p.stderr)
        for name in ("brand_new", "full_only", "shared:b2", "m1"):
            self.assertIn(name, p.stdout)
        self.assertNotIn("savina_", p.stdout)
        for argv, bad in ((["--scenario", "fanin"], "fanin"), (["--mailbox", "vyukov"], "vyukov"),
                          (["--mailbox", "shared:b2", "--scenario", "nosuch"], "nosuch"),
                          (["--scenario", "full_only"], "full_only")):  # registered with --full only
            q = run(bench, *argv, cwd=tree)
            self.assertBadArg(q, bad)
            self.assertIn("brand_new" if "--scenario" in argv else "shared:b2", q.stderr)

    def test_help_lists_every_flag(self):
        cases = {"plot": ["--out-dir", "--help"],
                 "report": ["--report-md", "--check", "--help"],
                 "compare": ["--mailboxes", "--scenario", "--no-utest", "--alpha", "--help"],
                 "bench": ["--full", "--scenario", "--mailbox", "--filter", "--reps", "--min-time", "--out",
                           "--no-report", "--update-report", "--no-build", "--help"]}
        for prog, flags in cases.items():
            argv = ([os.path.join(SCRIPTS, prog)] if prog == "bench" else [PY, os.path.join(SCRIPTS, prog)])
            p = run(*argv, "--help")
            self.assertEqual(p.returncode, 0, prog + p.stderr)
            for flag in flags:
                self.assertIn(flag, p.stdout, f"{prog} --help lacks {flag}")


class BinaryNamesTest(unittest.TestCase):
    """The scripts against the names a built mailroom-bench registers (quick and full), given as
    MAILROOM_BENCH_BIN and MAILROOM_INFO_BIN (the ctest scripts/bench_names, bench/CMakeLists.txt,
    sets both); skipped without them, so the synthetic tests above still need no build."""

    @classmethod
    def setUpClass(cls):
        cls.bin, cls.info = os.environ.get("MAILROOM_BENCH_BIN"), os.environ.get("MAILROOM_INFO_BIN")
        if not cls.bin or not cls.info:
            raise unittest.SkipTest("MAILROOM_BENCH_BIN and MAILROOM_INFO_BIN not set")
        cls.names = {}
        for full in ("0", "1"):
            p = subprocess.run([cls.bin, "--benchmark_list_tests"], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, MAILROOM_BENCH_FULL=full))
            assert p.returncode == 0, p.stderr
            cls.names[full] = p.stdout.split()
        p = subprocess.run([cls.info, "--names"], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        cls.mailboxes = p.stdout.split()
        cls.tmp = tempfile.mkdtemp(prefix="mailroom-names-")
        sys.path.insert(0, SCRIPTS)
        import mailroom_results
        import result_files
        cls.mr, cls.rf = mailroom_results, result_files

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_names_parse(self):
        quick, full = self.names["0"], self.names["1"]
        self.assertTrue(set(quick) < set(full), "the full sweep adds to the quick one")
        impls = set()
        for name in full:
            b = self.mr.Bench(name)
            impls.add(b.impl)
            self.assertEqual(self.rf.normalise_name(name), name)  # today's form: nothing to rewrite
            moded = b.scenario in ("fanin_actors", "bank", "counter", "kv", "memory_idle", "supervision") or \
                b.scenario.startswith("savina_")
            if moded:
                self.assertIn(b.mode, ("thread", "pool"), name)
                self.assertEqual(name.split("/")[2], f"mode:{b.mode}", name)
            else:
                self.assertIsNone(b.mode, name)
            if b.impl.startswith("shared:"):
                self.assertEqual(b.mode, "thread", name)
            self.assertTrue(name.endswith(("/real_time", "/manual_time")), name)
        mailboxes = {i for i in impls if not i.startswith("shared:") and i != "probe"}
        self.assertEqual(mailboxes, set(self.mailboxes))

    def test_report_and_plot_take_every_name(self):
        """A result file with every quick name (made-up figures) goes through report and plot."""
        benches = []
        for fam, name in enumerate(self.names["0"]):
            c = {"items_per_second": 1e6 + fam, "cpu_util": 1.5, "cpu_ns_per_item": 900.0, "ctxsw_per_item": 0.1,
                 "threads": 3.0, "oversubscribed": 1.0, "p50_ns": 500.0, "p99_ns": 900.0, "p999_ns": 1500.0,
                 "max_ns": 4000.0}
            b = self.mr.Bench(name)
            if b.mode is not None and b.impl != "probe" and b.scenario not in ("bank", "counter", "kv"):
                per = "ns_per_hop" if b.scenario == "savina_threadring" else "ns_per_item"  # the target reads hops
                c.update({per: 300.0, "rss_growth_bytes": 1e7, "rss_bytes_per_actor": 600.0,
                          "bytes_per_actor": 900.0, "mailbox_bytes": 700.0, "actor_overhead_bytes": 200.0})
            if b.mode == "pool":
                c.update(POOL_COUNTERS)
            for i in range(3):
                benches.append(dict(name=name, run_name=name, family_index=fam, per_family_instance_index=0,
                                    run_type="iteration", repetitions=3, repetition_index=i, iterations=10,
                                    real_time=1000.0 + i, cpu_time=900.0, time_unit="ns", **c))
        path = os.path.join(self.tmp, "results", "2026-12-01-names-0123456", "bench.json")
        os.makedirs(os.path.dirname(path))
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"context": {"mailroom_nproc": "2", "mailroom_mode": "quick"}, "benchmarks": benches}, f)
        md = os.path.join(self.tmp, "REPORT.md")
        rep = run(PY, os.path.join(SCRIPTS, "report"), "--report-md", md, path)
        self.assertEqual(rep.returncode, 0, rep.stderr)
        with open(md, encoding="utf-8") as f:
            text = f.read()
        scenarios = list(dict.fromkeys(n.split("/")[0] for n in self.names["0"]))
        self.assertIn("scenarios: " + ", ".join(scenarios) + " |", text)  # in the binary's order
        self.assertNotIn("not in this result file", text)
        plot = run(PY, os.path.join(SCRIPTS, "plot"), path)
        self.assertEqual(plot.returncode, 0, plot.stderr)
        self.assertNotIn("skipping", plot.stderr)


if __name__ == "__main__":
    unittest.main()

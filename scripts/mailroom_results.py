"""mailroom_results: the one reader of mailroom-bench's Google Benchmark JSON, shared by
scripts/plot and scripts/report. Parses run names (scenario/impl/k:v.../real_time), groups the
per-repetition entries and gives median and min-max over repetitions; never reads console text."""

import argparse
import math
import os
import statistics
import sys

# The file layer below this module (result_files.py). REPO_ROOT and ResultsError are this
# module's API too: the report and plot scripts name them as mr.*.
from result_files import (GB_SUFFIXES, REPO_ROOT, ResultsError,  # noqa: F401
                          load_doc, newest_json)


# No list of scenarios, mailboxes or backends lives here: a result file says which it holds,
# and in which order the binary registered them (Google Benchmark's family_index), which is the
# order tables, plots and provenance show them in (Results.scenarios, impl_key, param_values).
# The execution mode (the mode:<m> name part, right after the impl: thread per actor, or actors
# as tasks on the pooled M:N scheduler) is Bench.mode, not one of Bench.params.
SAVINA_PREFIX = "savina_"

# Name parts Google Benchmark adds itself besides its clock suffixes (result_files.GB_SUFFIXES).
GB_ADDED_PREFIXES = ("repeats:", "min_time:", "min_warmup_time:", "iterations:")
TIME_FIELDS = ("real_time", "cpu_time")
TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# A benchmark whose real time varies over its repetitions by more than this coefficient of
# variation (stddev / mean) is flagged noisy by scripts/bench and in the report's provenance.
CV_THRESHOLD = 0.10

# PNGs scripts/plot writes beside the JSON, in the order the report embeds them.
PLOT_FILES = {"latency": "latency.png", "fanin": "fanin.png", "bank": "bank.png",
              "cpu_util": "cpu_util.png", "supervision": "supervision.png", "pooled": "pooled.png"}


# Parts a name leaves out at their default value: bank's 'clients_as' (client threads unless
# clients_as:actors) and fanin's 'wait' (the kind's own wait unless wait:park or wait:noyield).
# select() matches the default unless asked otherwise, so a table that does not name them never
# picks up the variant.
PARAM_DEFAULTS = {"clients_as": "threads", "wait": "spin"}


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line on stderr and exit 2 (the suite's CLI rule)."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: {message} (try --help)\n")
        sys.exit(2)


def usage_error(prog, message):
    """One-line error for a bad argument value, exit 2."""
    sys.stderr.write(f"{prog}: {message} (try --help)\n")
    sys.exit(2)


class Stat:
    """Median and min-max of one field over a benchmark's repetitions (lo/hi None: no spread)."""

    def __init__(self, values, from_aggregate=False):
        self.n = len(values)
        self.median = statistics.median(values)
        self.lo = None if from_aggregate else min(values)
        self.hi = None if from_aggregate else max(values)

    def overlaps(self, other):
        """True when the two min-max ranges intersect (or either has no spread)."""
        if None in (self.lo, self.hi, other.lo, other.hi):
            return True
        return self.lo <= other.hi and other.lo <= self.hi


def num_key(v):
    """Sort key for parameter values: numbers numerically, then words ('none') alphabetically."""
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, math.inf, str(v))


class Bench:
    """One benchmark instance (one run_name) with its repetitions and aggregates."""

    def __init__(self, run_name):
        self.run_name = run_name
        parts = run_name.split("/")
        added = []
        while len(parts) > 1 and (parts[-1] in GB_SUFFIXES or parts[-1].startswith(GB_ADDED_PREFIXES)):
            added.insert(0, parts.pop())
        # The case without what Google Benchmark appends (how it was timed, repetitions): the
        # same case in two result sets has one case even when its timing changed. timing: which
        # clock its real time (and rates) come from: the benchmark's own (manual_time, the timed
        # region ends when the work is done) or Google Benchmark's loop (real_time).
        # process_time only changes cpu_time (all threads' CPU), so it is not part of it.
        self.case = "/".join(parts)
        self.timing = "manual_time" if "manual_time" in added else "real_time"
        self.scenario = parts[0]
        self.impl = parts[1] if len(parts) > 1 else ""
        self.params = {}
        bare = []
        for p in parts[2:]:
            k, sep, v = p.partition(":")
            if sep:
                self.params[k] = v
            else:
                bare.append(p)
        self.variant = "/".join(bare)  # e.g. limit/probe/spin -> "spin"
        self.mode = self.params.pop("mode", None)  # None: the scenario has no modes
        self.reps = []   # run_type "iteration" entries, one per repetition
        self.aggs = {}   # aggregate_name -> entry
        self.errors = []  # error_message of each failed repetition (see failed)
        self.rank = None  # where the binary registered it (see Results.__init__); lower: earlier

    def param(self, key):
        """A name parameter's value (or the mode), or None; see PARAM_DEFAULTS for the parts a
        name may omit."""
        if key == "mode":
            return self.mode
        v = self.params.get(key)
        if v is None:
            return PARAM_DEFAULTS.get(key)
        return v

    def ns_per_field(self):
        """The 'ns_per_<unit>' counter the scenario reports (Savina, memory_idle), or None."""
        src = self.reps[0] if self.reps else self.aggs.get("median", {})
        return next((k for k in src if k.startswith("ns_per_")), None)

    def unit(self):
        """The item the ns_per_ counter counts ('round trip', 'hop', ...), or None."""
        f = self.ns_per_field()
        return f[len("ns_per_"):].replace("_", " ") if f else None

    @property
    def failed(self):
        """True when any repetition reported an error: the benchmark then has no figures at all
        (values() is empty), so no table, best-of or finding can use its survivors' median."""
        return bool(self.errors)

    def error_text(self):
        """'k of N repetitions failed: <distinct messages>' for a failed benchmark."""
        msgs = "; ".join(dict.fromkeys(m or "no message" for m in self.errors))
        total = max(self.repetitions(), len(self.errors))
        return f"{len(self.errors)} of {total} repetitions failed: {msgs}"

    @property
    def kind(self):
        if self.impl == "probe":
            return "probe"
        return "shared" if self.impl.startswith("shared:") else "mailbox"

    def values(self, field):
        """Per-repetition values of a field (time fields converted to ns). Falls back to the
        median aggregate when the file holds aggregates only. None for a failed benchmark."""
        if self.failed:
            return []
        src = self.reps if self.reps else ([self.aggs["median"]] if "median" in self.aggs else [])
        out = []
        for e in src:
            v = e.get(field)
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            if field in TIME_FIELDS:
                v = v * TO_NS.get(e.get("time_unit", "ns"), 1.0)
            out.append(float(v))
        return out

    def stat(self, field):
        vals = self.values(field)
        if not vals:
            return None
        return Stat(vals, from_aggregate=not self.reps)

    def median(self, field):
        s = self.stat(field)
        return None if s is None else s.median

    def cv(self, field="real_time"):
        """Coefficient of variation (sample stddev / mean) over the repetitions, or None."""
        vals = self.values(field) if self.reps else []
        if len(vals) < 2 or not statistics.mean(vals):
            return None
        return statistics.stdev(vals) / statistics.mean(vals)

    def repetitions(self):
        e = self.reps[0] if self.reps else next(iter(self.aggs.values()), {})
        return e.get("repetitions", len(self.reps))


class Results:
    """A loaded bench.json: context (provenance) and benchmarks by run_name."""

    def __init__(self, path):
        self.path = path
        doc, self.renamed = load_doc(path)
        self.context = doc.get("context") if isinstance(doc.get("context"), dict) else {}
        self.benches = {}
        self.errors = []  # (run_name, message) per failed repetition, in file order
        for pos, e in enumerate(doc["benchmarks"]):
            if not isinstance(e, dict) or "name" not in e:
                continue
            rn = e.get("run_name") or self._strip_aggregate(e)
            b = self.benches.setdefault(rn, Bench(rn))
            # Registration order: Google Benchmark's family and instance index (random
            # interleaving shuffles the entries, not these); the position in files without them.
            fam, inst = e.get("family_index"), e.get("per_family_instance_index", 0)
            rank = (fam, inst if isinstance(inst, int) else 0) if isinstance(fam, int) else (pos, 0)
            b.rank = rank if b.rank is None else min(b.rank, rank)
            if e.get("error_occurred"):
                b.errors.append(e.get("error_message", ""))
                self.errors.append((rn, e.get("error_message", "")))
                b.reps.append(e)  # counts toward repetitions(); values() of a failed bench is empty
            elif e.get("run_type") == "aggregate":
                b.aggs[e.get("aggregate_name", "")] = e
            else:
                b.reps.append(e)
        # Keep benchmarks with data or errors: a failed one stays, so tables can show it as failed.
        self.benches = {k: b for k, b in self.benches.items() if b.reps or "median" in b.aggs or b.errors}

    def noisy(self, threshold=CV_THRESHOLD):
        """(bench, cv) of every benchmark whose real time's cv exceeds threshold, noisiest first."""
        cvs = [(b, b.cv()) for b in self.benches.values()]
        return sorted(((b, v) for b, v in cvs if v is not None and v > threshold), key=lambda bv: -bv[1])

    def failed(self):
        """The failed benchmarks (any repetition reported an error), in registration order."""
        return sorted((b for b in self.benches.values() if b.failed), key=lambda b: (b.rank, b.run_name))

    @staticmethod
    def _strip_aggregate(e):
        name = e["name"]
        agg = e.get("aggregate_name")
        if e.get("run_type") == "aggregate" and agg and name.endswith("_" + agg):
            return name[: -len(agg) - 1]
        return name

    # --- selection -------------------------------------------------------------------
    def select(self, scenario, impl=None, variant=None, **params):
        """Benchmarks of a scenario, optionally one impl/variant, mode and exact parameter values
        (clients_as defaults to its value when not named: see PARAM_DEFAULTS)."""
        out = []
        params = {**PARAM_DEFAULTS, **params}
        for b in self.benches.values():
            if b.scenario != scenario or (impl is not None and b.impl != impl):
                continue
            if variant is not None and b.variant != variant:
                continue
            if all(b.param(k) == str(v) for k, v in params.items()):
                out.append(b)
        return out

    def one(self, scenario, impl=None, variant=None, **params):
        """The single matching benchmark, or None (first in name order if several match)."""
        found = sorted(self.select(scenario, impl, variant, **params), key=lambda b: b.run_name)
        return found[0] if found else None

    def has(self, scenario):
        return any(b.scenario == scenario for b in self.benches.values())

    def _first(self, pred):
        """The earliest registration rank among the benchmarks pred accepts."""
        return min((b.rank for b in self.benches.values() if pred(b)), default=(math.inf, 0))

    def impl_key(self, impl):
        """Sort key for implementations: the order the binary registered them in (the mailbox
        table's order, then the shared:* baselines, then the probes)."""
        return (self._first(lambda b: b.impl == impl), impl)

    def impls(self, scenario, kind=None):
        s = {b.impl for b in self.select(scenario) if kind is None or b.kind == kind}
        return sorted(s, key=self.impl_key)

    def param_values(self, scenario, key, **where):
        """A parameter's values: numbers in numeric order, then words in registration order."""
        bs = [b for b in self.select(scenario, **where) if b.param(key) is not None]

        def order(v):
            k = num_key(v)
            return k if k[0] == 0 else (1, self._first(lambda b: b in bs and b.param(key) == v), v)
        return sorted({b.param(key) for b in bs}, key=order)

    def scenarios(self):
        """The scenarios in the file, in the order the binary registered them."""
        seen = {b.scenario for b in self.benches.values()}
        return sorted(seen, key=lambda s: (self._first(lambda b: b.scenario == s), s))

    def savina(self):
        """The Savina scenarios in the file (savina_*), in registration order."""
        return [s for s in self.scenarios() if s.startswith(SAVINA_PREFIX)]

    # --- provenance --------------------------------------------------------------------
    def ctx(self, key, default=None):
        """A context value as one line of text (a stray newline would break tables and captions)."""
        v = self.context.get(key)
        if v is None or v == "":
            return default
        return " ".join(str(v).split())

    def nproc(self):
        for key in ("mailroom_nproc", "num_cpus"):
            try:
                return int(self.context[key])
            except (KeyError, TypeError, ValueError):
                pass
        return None

    def short_sha(self):
        sha = self.ctx("git_sha", "unknown")
        return sha[:10] if all(c in "0123456789abcdef" for c in sha) else sha

    def dirty(self):
        """True / False / None (not recorded)."""
        v = self.ctx("git_dirty")
        return None if v is None else str(v) not in ("0", "false", "no")

    def date(self):
        return str(self.ctx("date", "date not recorded"))

    def day(self):
        return self.date()[:10]

    def repetitions(self):
        reps = [b.repetitions() for b in self.benches.values()]
        return max(reps) if reps else 0

    def footer(self):
        """One-line provenance caption for plots."""
        cpu = self.ctx("mailroom_cpu_model", "cpu not recorded")
        n = self.nproc()
        d = self.dirty()
        dirty = " (dirty)" if d else (" (clean)" if d is False else "")
        return (f"{cpu} · nproc {n if n is not None else '?'} · git {self.short_sha()}{dirty} · "
                f"{self.day()} · {self.ctx('mailroom_mode', 'mode ?')}, {self.repetitions()} reps · "
                f"{os.path.basename(os.path.dirname(os.path.abspath(self.path)))}/"
                f"{os.path.basename(self.path)}")


def oversubscribed(b, nproc):
    """The bench's own 'oversubscribed' counter if present, else threads > nproc."""
    o = b.median("oversubscribed")
    if o is not None:
        return o >= 0.5
    t = b.median("threads")
    return t is not None and nproc is not None and t > nproc


def available_plots(res):
    """Which PNGs the data supports: scripts/plot draws exactly these and scripts/report
    embeds exactly these, so both decide from the JSON alone."""
    out = []
    if res.select("pingpong", pin="diff") or res.has("ask"):
        out.append("latency")
    if any(b.values("items_per_second") and "P" in b.params for b in res.select("fanin")):
        out.append("fanin")
    if any(b.values("items_per_second") and {"accounts", "clients"} <= b.params.keys()
           for b in res.select("bank")):
        out.append("bank")
    if any(b.values("cpu_util") for b in res.benches.values()):
        out.append("cpu_util")
    if res.has("supervision"):
        out.append("supervision")
    if any(b.ns_per_field() and b.values(b.ns_per_field()) for s in res.savina() for b in res.select(s, mode="pool")):
        out.append("pooled")
    return out


def resolve_json(prog, arg):
    """The JSON argument or the newest result; bad or missing input is a usage error (exit 2)."""
    path = arg or newest_json()
    if path is None:
        usage_error(prog, f"no results/*/bench.json under '{REPO_ROOT}'; pass a JSON file")
    if not os.path.isfile(path):
        usage_error(prog, f"'{path}' is not a file")
    try:
        return Results(path)
    except ResultsError as e:
        usage_error(prog, str(e))


def prefer_uncapped(benches):
    """Of several configurations of one impl (e.g. fanin P=1 at cap:1024 and cap:none),
    the one the summary tables use: cap:none when present, else the first by name."""
    if not benches:
        return None
    return sorted(benches, key=lambda b: (b.params.get("cap") != "none", b.run_name))[0]

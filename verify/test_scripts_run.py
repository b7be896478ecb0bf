"""verify/test_scripts_run.py: the results tooling's honesty rules, on synthetic Google Benchmark
JSON (verify/test_scripts.py builds it): a benchmark with a failed repetition is shown as failed,
a subset run of scripts/bench never touches REPORT.md, the decision table and the orderings that
flip between result sets are derived from the data, scripts/compare compares aggregates.
Run: /usr/bin/python3 -m unittest verify/test_scripts_run.py (ctest scripts/selftest)."""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_scripts import PY, ROOT, SCRIPTS, block, run, synthetic_doc  # noqa: E402

sys.path.insert(0, SCRIPTS)
import mailroom_results as mr  # noqa: E402

FAILED_RUN = "pingpong/futex_ring/pin:diff/real_time"  # the lowest latency in the synthetic file
FAILED_MSG = "payload mismatch: got 41, want 42"


def with_failed_repetition(doc, run_name=FAILED_RUN, index=3, msg=FAILED_MSG):
    """The document with one repetition of run_name replaced by a Google Benchmark error entry
    (its aggregates, computed by the library over the survivors, are kept as they were)."""
    doc = copy.deepcopy(doc)
    for i, e in enumerate(doc["benchmarks"]):
        if e["run_name"] == run_name and e["run_type"] == "iteration" and e["repetition_index"] == index:
            keep = {k: e[k] for k in ("name", "family_index", "per_family_instance_index", "run_name",
                                      "run_type", "repetitions", "repetition_index", "threads")}
            doc["benchmarks"][i] = dict(keep, error_occurred=True, error_message=msg)
            return doc
    raise AssertionError(f"no repetition {index} of {run_name}")


def write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


class FailedRepetitionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mailroom-failed-")
        cls.doc = with_failed_repetition(synthetic_doc())
        cls.path = write(os.path.join(cls.tmp, "results", "2026-12-01-synth-failed", "bench.json"), cls.doc)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_results_keep_the_failed_benchmark(self):
        res = mr.Results(self.path)
        b = res.benches[FAILED_RUN]
        self.assertTrue(b.failed)
        self.assertEqual(b.values("real_time"), [])  # no survivors' median
        self.assertIsNone(b.stat("real_time"))
        self.assertEqual(b.repetitions(), 9)
        self.assertIn("1 of 9 repetitions failed", b.error_text())
        self.assertIn(FAILED_MSG, b.error_text())
        self.assertEqual([x.run_name for x in res.failed()], [FAILED_RUN])
        ok = res.benches["pingpong/vyukov/pin:diff/real_time"]
        self.assertFalse(ok.failed)
        self.assertEqual(ok.stat("real_time").n, 9)

    def test_report_shows_it_failed_never_bold_never_a_finding(self):
        md = os.path.join(self.tmp, "REPORT.md")
        with open(md, "w", encoding="utf-8") as f:
            f.write("# r\n")
        p = run(PY, os.path.join(SCRIPTS, "report"), "--report-md", md, self.path)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(md, encoding="utf-8") as f:
            text = f.read()
        lat = block(text, "latency")
        row = next(line for line in lat.splitlines() if line.startswith("| futex_ring |"))
        self.assertIn("failed ✗", row)
        self.assertNotIn("**", row)
        self.assertIn("failed ✗ = at least one repetition reported an error", lat)
        bold = next(line for line in lat.splitlines() if "**" in line)
        self.assertTrue(bold.startswith("| vyukov |"), bold)  # the next lowest takes the bold
        prov = block(text, "provenance")
        self.assertIn(f"`{FAILED_RUN}`: 1 of 9 repetitions failed: {FAILED_MSG}", prov)
        drow = next(line for line in block(text, "decision").splitlines() if line.startswith("| futex_ring"))
        self.assertIn("failed ✗", drow)
        self.assertIn("Do not choose it on this run", drow)
        findings = block(text, "findings")
        self.assertIn("Lowest latency: vyukov", findings)
        self.assertNotIn("futex_ring, ", findings.split("Lowest latency")[1].split("\n")[0])
        self.assertEqual(run(PY, os.path.join(SCRIPTS, "report"), "--check", "--report-md", md,
                             self.path).returncode, 0)


# mailroom-info's table as scripts/bench saves it beside the JSON (made-up, in its format).
INFO = """name        capabilities                                   capacity   spin  summary
mutex       bounded,unbounded,blocking,exact-close              1024      0  mutex ring
ck_ring     bounded,blocking,lock-free,spin-then-park,pow2,exact-close 1024 256  ck ring
ck_fifo     unbounded,blocking,lock-free,spin-then-park         none    256  ck fifo
futex_ring  bounded,blocking,lock-free,spin-then-park,pow2,exact-close 1024 1024  ours
vyukov      unbounded,blocking,lock-free,wait-free-push,spin-then-park,retry none 1024  ours
"""


def scaled(doc, run_name, factor):
    """The document with every time-like figure of run_name multiplied by factor (its rate divided)."""
    doc = copy.deepcopy(doc)
    for e in doc["benchmarks"]:
        if e["run_name"] == run_name:
            for k in ("real_time", "cpu_time", "p50_ns", "p99_ns", "p999_ns"):
                if isinstance(e.get(k), (int, float)) and e.get("aggregate_name") != "cv":
                    e[k] *= factor
            if isinstance(e.get("items_per_second"), (int, float)) and e.get("aggregate_name") != "cv":
                e["items_per_second"] /= factor
    return doc


class DecisionTest(unittest.TestCase):
    """The decision table and the orderings across result sets, derived from the data."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mailroom-decision-")
        cls.a = write(os.path.join(cls.tmp, "results", "2026-12-01-a", "bench.json"), synthetic_doc())
        with open(os.path.join(os.path.dirname(cls.a), "mailroom-info.txt"), "w", encoding="utf-8") as f:
            f.write(INFO)
        # Set b: futex_ring's round trip 1.5x slower, so vyukov leads latency there.
        cls.b = write(os.path.join(cls.tmp, "results", "2026-12-02-b", "bench.json"),
                      scaled(synthetic_doc(seed=5), "pingpong/futex_ring/pin:diff/real_time", 1.5))
        cls.alone = write(os.path.join(cls.tmp, "alone", "x", "bench.json"), synthetic_doc())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def report(self, path):
        md = os.path.join(self.tmp, "REPORT.md")
        if os.path.exists(md):
            os.remove(md)
        p = run(PY, os.path.join(SCRIPTS, "report"), "--report-md", md, path)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(md, encoding="utf-8") as f:
            return f.read()

    def test_decision_table_opens_the_report(self):
        text = self.report(self.a)
        heads = re.findall(r"^## (.*)$", text, re.M)
        self.assertEqual(heads[:3], ["Which mailbox to use", "Orderings change between machines",
                                     "Compared with established runtimes"])
        self.assertEqual(heads[-1], "Appendix: the project's own targets")
        rows = {line.split("|")[1].strip(): line for line in block(text, "decision").splitlines()
                if line.startswith("| ") and not line.startswith("| mailbox")}
        self.assertEqual(list(rows), ["mutex", "ck_ring", "ck_fifo", "futex_ring", "vyukov"])
        lat = statistics_median(self.a, "pingpong/futex_ring/pin:diff/real_time")
        self.assertIn(f"| **{lat:.0f}** |", rows["futex_ring"])        # lowest latency, bold
        self.assertIn("Use it when you need the lowest round-trip latency", rows["futex_ring"])
        self.assertIn("| unbounded, lock-free, wait-free-push |", rows["vyukov"])
        self.assertIn("producers that never wait (wait-free push)", rows["vyukov"])
        self.assertRegex(rows["mutex"], "(round-trip|ask) latency is")  # 6000 vs 400 ns: the cost is said
        self.assertNotIn("**", rows["mutex"].split("|")[3])
        # Without mailroom-info.txt the guarantees are 'not recorded', the figures still there.
        alone = block(self.report(self.alone), "decision")
        self.assertIn("| futex_ring | not recorded |", alone)
        self.assertIn("mailroom-info.txt is not beside it", alone)

    def test_orderings_that_flip_are_shown(self):
        text = block(self.report(self.a), "orderings")
        self.assertIn("Orderings can change between machines", text)
        self.assertIn("`2026-12-01-a`", text)
        self.assertIn("`2026-12-02-b`", text)
        row = next(line for line in text.splitlines() if line.startswith("| pingpong ns"))
        self.assertIn("futex_ring/vyukov", row)
        self.assertNotIn("| ask ns", text)  # same order in both: not listed
        self.assertIn("Only one result set", block(self.report(self.alone), "orderings"))

    def test_what_moved_since_the_previous_set(self):
        moved = block(self.report(self.b), "moved")
        self.assertIn("`2026-12-02-b` against the set before it, `2026-12-01-a` (the same CPU model", moved)
        self.assertRegex(moved, r"\| `pingpong/futex_ring/pin:diff` \| items/s \| 0\.6\d\dx \| worse \| same \|")
        self.assertIn("nothing to compare with", block(self.report(self.a), "moved"))


def statistics_median(path, run_name, field="real_time"):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    vals = sorted(e[field] for e in doc["benchmarks"] if e["run_name"] == run_name and e["run_type"] == "iteration")
    return vals[len(vals) // 2]


FAKE_BENCH = """#!/bin/sh
# A stand-in mailroom-bench: lists two names, and 'runs' by copying $FAKE_JSON to --benchmark_out,
# printing one Google Benchmark-like console row per repetition and an aggregate row.
out=""; for a in "$@"; do case "$a" in --benchmark_out=*) out=${a#*=} ;; esac; done
case "$*" in *--benchmark_list_tests*)
  echo limit/probe/spin/real_time; echo pingpong/vyukov/pin:diff/real_time; exit 0 ;; esac
for i in 1 2; do
  echo "limit/probe/spin/real_time        300 ns   290 ns   1000"
  echo "pingpong/vyukov/pin:diff/real_time 450 ns  440 ns   1000"
done
echo "limit/probe/spin/real_time_median 300 ns   290 ns   2"
cp "$FAKE_JSON" "$out"
"""


class BenchRunTest(unittest.TestCase):
    """scripts/bench in a copy of scripts/ beside a stand-in binary (--no-build): where the report goes."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mailroom-benchrun-")
        cls.tree = os.path.join(cls.tmp, "tree")
        shutil.copytree(SCRIPTS, os.path.join(cls.tree, "scripts"), ignore=shutil.ignore_patterns("__pycache__"))
        fake = os.path.join(cls.tree, "build", "release", "bench", "mailroom-bench")
        os.makedirs(os.path.dirname(fake))
        with open(fake, "w", encoding="utf-8") as f:
            f.write(FAKE_BENCH)
        os.chmod(fake, 0o755)
        cls.report = os.path.join(cls.tree, "REPORT.md")
        with open(cls.report, "w", encoding="utf-8") as f:
            f.write("# tracked report, not to be touched by a subset run\n")
        cls.env = dict(os.environ, FAKE_JSON=write(os.path.join(cls.tmp, "src.json"),
                                                   synthetic_doc(reps=2, scenarios=("limit", "pingpong"))))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def bench(self, *argv):
        return subprocess.run([os.path.join(self.tree, "scripts", "bench"), *argv], cwd=self.tree,
                              capture_output=True, text=True, timeout=120, env=self.env)

    def test_subset_run_leaves_report_md_untouched(self):
        before = os.stat(self.report).st_mtime_ns
        out = os.path.join(self.tree, "results", "subset")
        p = self.bench("--no-build", "--scenario=pingpong", "--reps", "2", "--out", out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(self.report, encoding="utf-8") as f:
            self.assertEqual(f.read(), "# tracked report, not to be touched by a subset run\n")
        self.assertEqual(os.stat(self.report).st_mtime_ns, before)
        with open(os.path.join(out, "REPORT.md"), encoding="utf-8") as f:
            self.assertIn("<!-- BEGIN generated:provenance -->", f.read())
        self.assertIn("REPORT.md left as it is", p.stdout)
        # Progress: [k/N] per repetition row (2 benchmarks x 2 repetitions), aggregates not counted.
        self.assertEqual(re.findall(r"^\[(\d+)/4\] ", p.stdout, re.M), ["1", "2", "3", "4"], p.stdout)
        self.assertIn("ETA", p.stdout)
        self.assertTrue(os.path.isfile(os.path.join(out, "console.txt")))
        with open(os.path.join(out, "bench.json"), encoding="utf-8") as f:
            ctx = json.load(f)["context"]
        self.assertIn("mailroom_load_end", ctx)

    def test_update_report_refuses_subsets_and_dirty_trees(self):
        p = self.bench("--no-build", "--update-report", "--mailbox", "vyukov")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--update-report refuses a subset", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        q = self.bench("--no-build", "--update-report")  # the copy is no git tree: counted as dirty
        self.assertEqual(q.returncode, 2, q.stderr)
        self.assertIn("uncommitted changes", q.stderr)
        with open(self.report, encoding="utf-8") as f:
            self.assertTrue(f.read().startswith("# tracked report"))


class CommandLineTest(unittest.TestCase):
    def assertBadArg(self, proc, bad):
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertNotIn("\n", proc.stderr.strip(), proc.stderr)
        self.assertIn(bad, proc.stderr)

    def test_compare_defaults_to_aggregates(self):
        tmp = tempfile.mkdtemp(prefix="mailroom-cmp-")
        try:
            a, b = (write(os.path.join(tmp, n, "bench.json"), synthetic_doc(scenarios=("limit",), seed=i))
                    for i, n in enumerate(("a", "b")))
            cmp_ = os.path.join(SCRIPTS, "compare")
            rep_row = re.compile(r"^limit/probe/spin/real_time\s", re.M)  # one repetition's row
            p = run(PY, cmp_, "--no-color", a, b)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("limit/probe/spin/real_time_median", p.stdout)
            self.assertIn("U Test", p.stdout)
            self.assertIsNone(rep_row.search(p.stdout), p.stdout)
            q = run(PY, cmp_, "--no-color", "--repetitions", a, b)
            self.assertEqual(q.returncode, 0, q.stderr)
            self.assertIsNotNone(rep_row.search(q.stdout), q.stdout)
            self.assertBadArg(run(PY, cmp_, "--repetitions", "-a", a, b), "--repetitions")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_scripts_test_arguments(self):
        test = os.path.join(SCRIPTS, "test")
        self.assertBadArg(run(test, "--label", "nosuch"), "'nosuch'")
        self.assertIn("scripts", run(test, "--label=nosuch").stderr)  # the known labels are listed
        self.assertBadArg(run(test, "--label", "a b"), "'a b'")
        self.assertBadArg(run(test, "--label=scripts", "--preset=bogus"), "'bogus'")  # --flag=value parsed
        self.assertBadArg(run(test, "--soak=1"), "--soak")
        self.assertBadArg(run(test, "--preset"), "--preset")
        self.assertEqual(run(test, "--help").returncode, 0)


if __name__ == "__main__":
    unittest.main()

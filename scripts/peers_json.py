"""peers_json: turns peer repetitions (peers_drivers.Rep) into Google Benchmark JSON entries named
peer/<runtime>/<workload>/<params>, with the same counters and time semantics as mailroom-bench's
entries for the same scenario; gathers the peers' toolchain versions for the context; merges the
per-round files of an interleaved run into one bench.json."""

import json
import os
import re
import subprocess

import mailroom_results as mr

# Time semantics follow mailroom-bench: pingpong, ask, fanin and bank time one item per
# iteration (real_time = ns per round trip / ask / message / transfer); a savina_* iteration is
# one whole run of size N (real_time = ns per run) with a ns_per_<item> counter beside it.
# items_per_second means the same in both, and is what the report compares.
SAVINA_ITEM = {"savina_counting": "ns_per_message", "savina_threadring": "ns_per_hop",
               "savina_pingpong": "ns_per_round_trip"}
FAMILY_BASE = 100000  # family_index of peer entries: after every mailroom-bench family


def entry(rep, index, repetitions, family):
    """The Google Benchmark entry of one repetition (an error entry when rep.error is set)."""
    c = rep.case
    e = {"name": c.name, "family_index": FAMILY_BASE + family, "per_family_instance_index": 0,
         "run_name": c.name, "run_type": "iteration", "repetitions": repetitions,
         "repetition_index": index, "threads": 1}
    if rep.error:
        e.update({"error_occurred": True, "error_message": rep.error})
        return e
    secs, n = rep.seconds, rep.n
    savina = c.workload in SAVINA_ITEM
    iters = 1 if savina else n
    e.update({
        "iterations": iters,
        "real_time": secs * 1e9 / iters,
        # The driver process's whole CPU time (user + sys, setup included), per iteration.
        "cpu_time": rep.cpu_s * 1e9 / iters,
        "time_unit": "ns",
        "items_per_second": n / secs,
        "peak_rss_bytes": float(rep.rss_bytes),
        # The driver process's minor page faults (setup included) per item: fresh memory touched.
        "minflt_per_item": rep.minflt / n,
        "peer_n": float(n),
        "label": rep.record.get("check", ""),
    })
    if savina:
        e[SAVINA_ITEM[c.workload]] = secs * 1e9 / n
    return e


def _first_line(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = p.stdout.strip().splitlines()
    return out[0].strip() if p.returncode == 0 and out else None


def lock_versions(path):
    """'name version' of each crate a Cargo.lock pins, but the root package."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return []
    pairs = re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"\n(source = )?', text)
    return [f"{n} {v}" for n, v, src in pairs if src]


def versions(langs):
    """Context entries peer_<what> = version, for the peer languages in `langs`. Values carry no
    ',' or '=' (they may travel through --benchmark_context)."""
    v = {}
    if "rust" in langs:
        v["peer_rustc"] = _first_line(["/usr/bin/rustc", "--version"])
        v["peer_cargo"] = _first_line(["/usr/bin/cargo", "--version"])
        v["peer_rust_crates"] = "; ".join(lock_versions(os.path.join(mr.REPO_ROOT, "bench", "peers", "rust",
                                                                     "Cargo.lock")))
    if "go" in langs:
        v["peer_go"] = _first_line(["/usr/bin/go", "version"])
    if "erlang" in langs:
        v["peer_erlang_otp"] = _first_line(["erl", "-noshell", "-eval",
                                            'io:format("~s~n",[erlang:system_info(otp_release)]),halt().'])
    if "caf" in langs:
        v["peer_caf"] = _first_line(["dpkg-query", "-W", "-f=${Version}\n", "libcaf-dev"])
    return {k: (s or "unknown").replace(",", ";").replace("=", ":") for k, s in v.items()}


def merge(docs, extra_context=None):
    """One Google Benchmark document from several (mailroom-bench rounds, peer rounds), in order:
    the first document's context (plus extra_context), every iteration and error entry, with
    repetition_index renumbered across the documents and repetitions set to the total. Per-round
    aggregates are dropped: they describe one round, not the run (the scripts use the iterations)."""
    ctx = dict(docs[0].get("context", {})) if docs else {}
    ctx.update(extra_context or {})
    out, count = [], {}
    for d in docs:
        for e in d.get("benchmarks", []):
            if e.get("run_type") == "aggregate":
                continue
            e = dict(e)
            key = e.get("run_name") or e.get("name")
            e["repetition_index"] = count.get(key, 0)
            count[key] = e["repetition_index"] + 1
            out.append(e)
    for e in out:
        e["repetitions"] = count[e.get("run_name") or e.get("name")]
    return {"context": ctx, "benchmarks": out}


def write(doc, path):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)

"""result_files: the files a result set is made of, below mailroom_results (which parses what
is in them): reading a bench.json with its names in today's form, pairing one case across sets
whose clocks differ, adding to a run's context, and the order of the sets under results/."""

import datetime
import glob
import json
import os
import re

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Trailing name parts that Google Benchmark adds itself (not scenario parameters).
GB_SUFFIXES = ("real_time", "manual_time", "process_time")

# Result sets older than the naming change (results/2026-11-22-vm-53cfdcd and before): bank,
# counter and kv names had no mode part in thread mode and ended in /mode:pool when pooled
# (bank/vyukov/accounts:2/clients:4[/mode:pool]); supervision names had no mode part (thread per
# actor only) up to the results/2026-12-05-* sets. normalise_name rewrites them to today's form
# (bank/vyukov/mode:thread/accounts:2/clients:4, supervision/vyukov/mode:thread/restart); load_doc
# applies it to every file read, so this is the one place that knows the old form.
LEGACY_MODELESS = ("bank", "counter", "kv", "supervision")


def normalise_name(name):
    """A benchmark name (or run_name) in today's form; names already in it come back unchanged."""
    parts = name.split("/")
    if parts[0] not in LEGACY_MODELESS or len(parts) < 3 or parts[2].startswith("mode:"):
        return name
    mode = next((p for p in parts[2:] if p.startswith("mode:")), "mode:thread")
    return "/".join(parts[:2] + [mode] + [p for p in parts[2:] if not p.startswith("mode:")])


class ResultsError(Exception):
    pass


def add_context(path, **values):
    """Add keys to a result file's context (scripts/bench: what is known only after the run)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc.setdefault("context", {}).update({k: str(v) for k, v in values.items()})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)


def untimed_name(name):
    """A benchmark name without the parts naming its clock (GB_SUFFIXES), e.g. 'a/b/x:1/process_time/
    manual_time' -> 'a/b/x:1': the key that pairs one case across result sets whose timing differs."""
    return "/".join(p for p in name.split("/") if p not in GB_SUFFIXES)


def untime_doc(doc):
    """Rename every entry of a loaded document to untimed_name (aggregates keep their '_median'
    tail); returns how many entries changed."""
    changed = 0
    for e in doc["benchmarks"]:
        if not isinstance(e, dict) or not isinstance(e.get("run_name"), str):
            continue
        run, name = e["run_name"], e.get("name", e["run_name"])
        new_run = untimed_name(run)
        e["name"] = new_run + name[len(run):] if name.startswith(run) else untimed_name(name)
        changed += new_run != run
        e["run_name"] = new_run
    return changed


def load_doc(path):
    """A Google Benchmark JSON document with its names in today's form (normalise_name), and how
    many entries were renamed (0 for files written since the naming change)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise ResultsError(f"cannot read '{path}': {e.strerror}")
    except json.JSONDecodeError as e:
        raise ResultsError(f"'{path}' is not JSON ({e.msg} at line {e.lineno})")
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise ResultsError(f"'{path}' is not Google Benchmark JSON (no 'benchmarks' list)")
    renamed = 0
    for e in doc["benchmarks"]:
        if not isinstance(e, dict):
            continue
        for key in ("name", "run_name"):
            if isinstance(e.get(key), str) and normalise_name(e[key]) != e[key]:
                e[key] = normalise_name(e[key])
                renamed += 1
    return doc, renamed


def run_started(path):
    """The run's start (context.date of a bench.json) as a sortable UTC datetime, or None."""
    try:
        with open(path, encoding="utf-8") as f:
            date = json.load(f).get("context", {}).get("date")
        t = datetime.datetime.fromisoformat(date)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    return t.astimezone(datetime.timezone.utc) if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def set_order_key(path):
    """Sort key putting result sets (results/*/bench.json) oldest first: folders not named by date
    (scratch runs) before those that are, then by the folder's YYYY-MM-DD prefix, then by when the
    run started (context.date), then by path. Two sets of one day must not fall back on their
    names (a git hash orders nothing) or on mtimes (a fresh clone's are all alike)."""
    name = os.path.basename(os.path.dirname(path))
    dated = re.match(r"\d{4}-\d{2}-\d{2}", name) is not None
    started = run_started(path) or datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
    return (dated, name[:10] if dated else "", started, path)


def result_sets(root=REPO_ROOT):
    """results/*/bench.json, oldest first (set_order_key)."""
    return sorted(glob.glob(os.path.join(root, "results", "*", "bench.json")), key=set_order_key)


def newest_json(root=REPO_ROOT):
    """The newest results/*/bench.json (set_order_key), or None."""
    sets = result_sets(root)
    return sets[-1] if sets else None

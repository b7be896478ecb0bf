"""peers_drivers: builds and runs the peer drivers of bench/peers/<lang>/ (the contract is
bench/peers/README.md). Each repetition is its own driver process (REPS=1), so os.wait4 gives
that repetition's peak RSS and CPU time; sizes N are calibrated here, never by the drivers."""

import json
import os
import re
import subprocess
import tempfile
import threading
import time

import mailroom_results as mr

PEERS_SRC = os.path.join(mr.REPO_ROOT, "bench", "peers")
# The release preset's build owns the peers (bench/peers/CMakeLists.txt builds them there).
PEERS_OUT = os.path.join(mr.REPO_ROOT, "build", "release", "peers")
SKIP = 3  # a build's exit status for "toolchain missing" (contract)
# Peak RSS: wait4's ru_maxrss of a child forked from Python counts the forked Python image
# (~14 MiB) too, since exec records the old memory's high-water mark. GNU time (Debian `time`,
# a small C program) forks the driver from itself and reports the driver's own wait4 peak.
GNU_TIME = "/usr/bin/time"


class Case:
    """One `--list` line: runtime, workload and the key=value parameters, in the driver's order."""

    def __init__(self, lang, driver, line):
        words = line.split()
        self.lang, self.driver, self.runtime, self.workload = lang, driver, words[0], words[1]
        self.args = words[2:]
        self.params = "/".join(a.replace("=", ":", 1) for a in self.args)
        self.name = "/".join(["peer", self.runtime, self.workload] + ([self.params] if self.params else []))

    def __repr__(self):
        return self.name


def langs():
    """The peer folders that have a build script, sorted."""
    if not os.path.isdir(PEERS_SRC):
        return []
    return sorted(d for d in os.listdir(PEERS_SRC) if os.access(os.path.join(PEERS_SRC, d, "build"), os.X_OK))


def build(lang, out_root=PEERS_OUT):
    """Runs bench/peers/<lang>/build OUT; returns (status 'ok'|'skip'|'failed', seconds, message)
    and records them in OUT/build.json (the report shows build times from there)."""
    out = os.path.join(out_root, lang)
    os.makedirs(out, exist_ok=True)
    t0 = time.monotonic()
    p = subprocess.run([os.path.join(PEERS_SRC, lang, "build"), out], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    secs = time.monotonic() - t0
    err = p.stderr.strip()
    if p.returncode == 0 and os.access(os.path.join(out, "driver"), os.X_OK):
        status, msg = "ok", ""
    elif p.returncode == SKIP:
        status, msg = "skip", (err.splitlines() or ["skip: (no reason given)"])[-1]
    else:
        status, msg = "failed", f"exit {p.returncode}: " + " | ".join(err.splitlines()[-5:])
    with open(os.path.join(out, "build.json"), "w", encoding="utf-8") as f:
        json.dump({"lang": lang, "status": status, "seconds": round(secs, 1), "message": msg}, f)
    return status, secs, msg


def built(out_root=PEERS_OUT):
    """{lang: driver path} for every peer whose last build succeeded."""
    found = {}
    for lang in langs():
        d = os.path.join(out_root, lang)
        try:
            with open(os.path.join(d, "build.json"), encoding="utf-8") as f:
                ok = json.load(f).get("status") == "ok"
        except (OSError, ValueError):
            ok = False
        if ok and os.access(os.path.join(d, "driver"), os.X_OK):
            found[lang] = os.path.join(d, "driver")
    return found


def build_times(out_root=PEERS_OUT):
    """{lang: (status, seconds)} from the build.json files."""
    times = {}
    for lang in langs():
        try:
            with open(os.path.join(out_root, lang, "build.json"), encoding="utf-8") as f:
                b = json.load(f)
            times[lang] = (b.get("status", "?"), b.get("seconds"))
        except (OSError, ValueError):
            pass
    return times


def cases(drivers, regex=None):
    """Every case the built drivers list (optionally only names matching regex)."""
    out = []
    for lang, drv in sorted(drivers.items()):
        p = subprocess.run([drv, "--list"], stdout=subprocess.PIPE, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError(f"{drv} --list exited {p.returncode}")
        for line in p.stdout.splitlines():
            if line.strip():
                c = Case(lang, drv, line)
                if regex is None or re.search(regex, c.name):
                    out.append(c)
    return out


class Rep:
    """One repetition's outcome: the driver's JSON line (or None), rusage, and an error if any."""

    def __init__(self, case, n, record, error, rss_bytes, cpu_s, minflt=0):
        self.case, self.n, self.record, self.error = case, n, record, error
        self.rss_bytes, self.cpu_s, self.minflt = rss_bytes, cpu_s, minflt

    @property
    def seconds(self):
        return self.record["seconds"] if self.error is None else None


def run_rep(case, n, timeout):
    """Runs one repetition of `case` at size n in its own process; a wrong line, a failed check,
    a crash or the timeout all come back as Rep.error (one line naming what went wrong)."""
    argv = [case.driver, case.runtime, case.workload, str(n), "1"] + case.args
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("w+") as ru_file:
        timed = os.access(GNU_TIME, os.X_OK)
        if timed:
            argv = [GNU_TIME, "-q", "-o", ru_file.name, "-f", "%M"] + argv
        # Own session: the timeout kills the driver too, not only GNU time.
        p = subprocess.Popen(argv, stdout=out, stderr=err, text=True, start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, 9))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)  # not p.wait(): wait4 also gives the rusage
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting
        if timed and p.returncode == 128 + 9:
            p.returncode = -9  # GNU time reports a child killed by signal S as 128 + S
        out.seek(0)
        err.seek(0)
        lines, stderr = out.read().splitlines(), err.read().strip()
        ru_file.seek(0)
        peak_kib = ru_file.read().split()[-1:] if timed else []
    rss = int(peak_kib[0]) * 1024 if peak_kib and peak_kib[0].isdigit() else ru.ru_maxrss * 1024
    cpu = ru.ru_utime + ru.ru_stime  # wait4 of GNU time includes its reaped child, the driver
    record, error = None, None
    try:
        record = json.loads(lines[0]) if len(lines) == 1 else None
    except ValueError:
        pass
    if record is None:
        tail = (stderr.splitlines() or [""])[-1]
        why = f"killed after the {timeout:.0f} s timeout" if p.returncode == -9 else f"exit {p.returncode}"
        error = f"{why}, {len(lines)} output line(s) where 1 JSON line was due" + (f": {tail}" if tail else "")
    elif not record.get("ok"):
        error = f"check failed: {record.get('error', '(no error given)')}"
    elif p.returncode != 0:
        error = f"exit {p.returncode} after an ok line"
    elif not isinstance(record.get("seconds"), (int, float)) or record["seconds"] <= 0 or \
            record.get("items") != n or record.get("runtime") != case.runtime or \
            record.get("workload") != case.workload or record.get("params") != case.params:
        error = f"line does not match the case (want {case.runtime} {case.workload} '{case.params}' items {n}): " \
                f"{lines[0][:200]}"
    return Rep(case, n, record, error, rss, cpu, ru.ru_minflt)


def round2(x):
    """x to two significant digits (sizes read better in names and logs)."""
    if x < 100:
        return max(1, int(x))
    e = 10 ** (len(str(int(x))) - 2)
    return int(round(x / e) * e)


def calibrate(case, target_s, n0=1000, timeout=120, max_n=50_000_000):
    """A size N whose repetition takes about target_s: grows N from n0 until a repetition takes at
    least a tenth of the target, then scales to it. Returns (N, None) or (None, the failed Rep)."""
    n = n0
    while True:
        r = run_rep(case, n, timeout)
        if r.error:
            return None, r
        if r.seconds >= target_s / 10 or n >= max_n:
            return min(max_n, max(1, round2(n * target_s / r.seconds))), None
        n = min(max_n, n * 10)

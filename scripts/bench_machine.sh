# shellcheck shell=bash
# bench_machine.sh: scripts/bench's view of the machine (sourced, not run): is it quiet before a run,
# what goes into the JSON context about it, the progress line per finished repetition, and the
# noisy-benchmark check after the run. Uses $PY, $BIN, $CV_PCT and say() from the caller.

LOAD_START=""

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }

# Processes using at least 20% of a CPU now (ps's figure is over each process's life, so a
# second sample with top's batch mode is used when there is one), ourselves left out.
busy_processes() {
  if command -v top >/dev/null 2>&1; then
    top -b -n 2 -d 0.5 -w 200 2>/dev/null | awk -v me=$$ '
      /^ *PID/ { pass++; next } pass == 2 && $9 + 0 >= 20 && $1 != me { printf "%s (%s%% cpu, pid %s) ", $12, $9, $1 }'
  else
    ps -eo pid=,pcpu=,comm= --sort=-pcpu | awk -v me=$$ '$2 + 0 >= 20 && $1 != me { printf "%s (%s%% cpu over its life, pid %s) ", $3, $2, $1 }'
  fi
}

loud() { local l; for l in "$@"; do say "!!! $l"; done; }

# Before the build (our own compile would raise the load): the 1-minute load average against
# nproc. Returns 1 (after a loud warning) when the load is above a quarter of the cores.
quiet_before_build() {
  local n l1
  n=$(jobs); LOAD_START=$(loadavg); l1=${LOAD_START%% *}
  if awk "BEGIN{exit !($l1 > $n / 4)}" 2>/dev/null; then
    loud "THE MACHINE IS NOT QUIET: load average $LOAD_START on $n cpus (1-minute figure above $n/4)." \
         "Figures from this run will be noisy and orderings may not hold; close other work and run again."
    return 1
  fi
  say "machine quiet before the build: load average $LOAD_START on $n cpus"
}

# Just before the run: other processes busy now (after our own build has ended).
busy_now() {
  local busy
  busy=$(busy_processes)
  if [ -n "$busy" ]; then
    loud "OTHER PROCESSES ARE BUSY: ${busy% }" "They compete with the benchmark threads: figures will be noisy."
  fi
}

# Context keys about the machine and the build (values free of ',' and '=', which
# --benchmark_context splits on).
machine_context() {
  local gb ck virt flags bt cache=build/release/CMakeCache.txt
  gb=$(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null || echo unknown)
  ck=$(dpkg-query -W -f='${Version}' libck-dev 2>/dev/null || echo unknown)
  virt=$(systemd-detect-virt 2>/dev/null || true)
  if [ -z "$virt" ] || [ "$virt" = none ]; then
    if grep -qw hypervisor /proc/cpuinfo 2>/dev/null; then virt="vm (cpuinfo hypervisor flag)"; else virt=none; fi
  fi
  bt=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache" 2>/dev/null | tr '[:lower:]' '[:upper:]')
  flags=$(sed -n "s/^CMAKE_C_FLAGS:[A-Z]*=//p; s/^CMAKE_C_FLAGS_${bt:-NONE}:[A-Z]*=//p" "$cache" 2>/dev/null | tr '\n' ' ')
  local kv=(mailroom_gbench_version "$gb" mailroom_ck_version "$ck" mailroom_virt "$virt"
            mailroom_c_flags "${flags:-unknown}" mailroom_load_start "${LOAD_START:-$(loadavg)}"
            mailroom_busy_start "$(busy_processes)") i out=""
  for ((i = 0; i < ${#kv[@]}; i += 2)); do
    out="$out${out:+,}${kv[i]}=$(printf '%s' "${kv[i + 1]}" | tr ',=\n' ';: ' | sed 's/  */ /g; s/^ //; s/ $//')"
  done
  printf '%s' "$out"
}

# Follows Google Benchmark's console output: one '[k/N] name  elapsed, ETA' line per finished
# repetition (aggregate rows and the table header are not counted); errors are echoed as they come.
progress() {
  awk -v total="$1" -v start="$2" -v mt="$3" '
    function t(s) { return sprintf("%d:%02d", s / 60, s % 60) }
    /ERROR OCCURRED/ { print "[bench] " $0; fflush() }
    $1 ~ /\// && $1 !~ /_(mean|median|stddev|cv)$/ && $1 !~ /^-/ {
      k++; el = systime() - start
      eta = k ? el / k * (total - k) : total * mt * 2
      printf "[%d/%d] %s  %s elapsed, ETA %s\n", k, total, $1, t(el), t(eta); fflush()
    }'
}

# After the run: the end load average into the JSON context, and every benchmark whose
# coefficient of variation exceeds the threshold, loudly.
after_run() {
  "$PY" - "$1" "$(loadavg)" <<'PY'
import sys
sys.path.insert(0, "scripts")
import mailroom_results as mr
import result_files as rf
path, load = sys.argv[1], sys.argv[2]
rf.add_context(path, mailroom_load_end=load)
res = mr.Results(path)
noisy = res.noisy()
print(f"[bench] load average at the end: {load}")
if noisy:
    print(f"[bench] !!! {len(noisy)} of {len(res.benches)} benchmarks vary by more than "
          f"{mr.CV_THRESHOLD:.0%} (coefficient of variation of real time over repetitions):")
    for b, cv in noisy:
        print(f"[bench] !!!   {b.run_name}: cv {cv:.0%}")
PY
}

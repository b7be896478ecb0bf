#!/usr/bin/env bash
# kill_table.sh BUILD_DIR...: prints the mutant kill table from the records
# the `mutants` ctest runs leave in <build>/verify/mutants/out/: per mutant
# and preset, the detector that killed it, the failure kind it names, the
# result of the same detector on the unmutated build (the control), and what
# the failing run printed.
printf '%-3s %-30s %-7s %-30s %-28s %-8s %s\n' id mutant preset detector kind control "failure seen"
for b in "$@"; do
  p=$(basename "$b")
  for f in "$b"/verify/mutants/out/*.txt; do
    [ -f "$f" ] || continue
    IFS='|' read -r id name _desc det kind control how < "$f"
    printf '%-3s %-30s %-7s %-30s %-28s %-8s %s\n' "$id" "$name" "$p" "$det" "$kind" "${control%% *}" "$how"
  done
done | sort -n -k1,1 -s

#!/usr/bin/env bash
# kill_table.sh BUILD_DIR...: prints the mutant kill table from the records
# the `mutants` ctest runs leave in <build>/verify/mutants/out/.
printf '%-3s %-31s %-8s %s\n' id mutant preset "caught by"
for b in "$@"; do
  p=$(basename "$b")
  for f in "$b"/verify/mutants/out/*.txt; do
    [ -f "$f" ] || continue
    IFS='|' read -r id name desc how < "$f"
    printf '%-3s %-31s %-8s %s\n' "$id" "$name" "$p" "$how"
  done
done | sort -n -k1,1 -s

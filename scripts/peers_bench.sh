# peers_bench.sh: sourced by scripts/bench (issue 13): runs the peers of bench/peers in the same
# run as mailroom-bench and merges both into one bench.json (scripts/peers does the work).
#
# Interleaving: the repetitions are split into PEER_ROUNDS rounds; each round runs mailroom-bench
# (its share of the repetitions, randomly interleaved inside) and then its share of every peer
# case, so a slow phase of a shared machine lasting minutes lands on mailroom and peers alike.
# Rounds of one repetition each would interleave finer, but every mailroom-bench process sizes
# each benchmark's iteration count again before its first repetition (Google Benchmark 1.7 has
# no fixed-iterations min_time), which costs up to one extra repetition per round: three rounds
# cost about two repetitions more than one round. Peer sizes N are chosen once, before round 1.
PEER_ROUNDS=3

# peers_interleaved JSON REPS TARGET_S WITH_MAILROOM: needs mailroom_bench REPS OUT from
# scripts/bench when WITH_MAILROOM is 1. Returns non-zero when any round reported errors.
peers_interleaved() {
  local json=$1 reps=$2 target=$3 with_mb=$4 tmp r k rounds rc=0 files=()
  rounds=$((reps < PEER_ROUNDS ? reps : PEER_ROUNDS))
  tmp=$(mktemp -d "$(dirname "$json")/.rounds.XXXXXX")
  say "peers: choosing each case's size (about ${target}s per repetition)"
  "$PY" scripts/peers calibrate "$tmp/sizes.json" --target "$target" || { rm -rf "$tmp"; return 1; }
  for ((r = 0; r < rounds; r++)); do
    k=$((reps / rounds + (r < reps % rounds ? 1 : 0)))
    if [ "$with_mb" -eq 1 ]; then
      say "round $((r + 1))/$rounds: mailroom-bench, $k repetition(s)"
      mailroom_bench "$k" "$tmp/mailroom-$r.json" || rc=$?
      [ -s "$tmp/mailroom-$r.json" ] && files+=("$tmp/mailroom-$r.json")
    fi
    say "round $((r + 1))/$rounds: peers, $k repetition(s) of each case"
    "$PY" scripts/peers run --sizes "$tmp/sizes.json" --reps "$k" --out "$tmp/peers-$r.json" || rc=$?
    [ -s "$tmp/peers-$r.json" ] && files+=("$tmp/peers-$r.json")
  done
  [ ${#files[@]} -gt 0 ] && "$PY" scripts/peers merge --out "$json" --context "peer_rounds=$rounds" \
    --context "peer_target_s=$target" "${files[@]}" || rc=1
  [ -s "$json" ] && { "$PY" scripts/report_peers.py --plot "$json" || rc=1; }
  rm -rf "$tmp"
  return $rc
}

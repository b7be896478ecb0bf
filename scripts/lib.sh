# lib.sh: shared by scripts/bench and scripts/test (sourced, not run).
# Installs the Debian packages mailroom needs, only those missing, saying so.

MAILROOM_PACKAGES="cmake ninja-build gcc g++ clang libclang-rt-14-dev pkg-config libck-dev \
libbenchmark-dev libbenchmark-tools python3 python3-matplotlib python3-scipy python3-numpy spin valgrind"

say() { printf '[%s] %s\n' "${0##*/}" "$*"; }

# missing_packages PKG...: those not installed, space-separated (with a leading space).
missing_packages() {
  local missing="" p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
  done
  echo "$missing"
}

# apt_install PKG...: apt-get install them (as root, or through sudo).
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$@"
}

# ensure_list WHAT PACKAGE...: installs those of the packages that are missing.
ensure_list() {
  local what=$1 missing
  shift
  missing=$(missing_packages "$@")
  if [ -z "$missing" ]; then
    say "all $what Debian packages are installed"
    return 0
  fi
  say "installing missing $what Debian packages:$missing"
  # shellcheck disable=SC2086
  apt_install $missing
}

# shellcheck disable=SC2086
ensure_packages() { ensure_list required $MAILROOM_PACKAGES; }

# TSan in clang 14 / gcc 12 cannot start when the kernel randomises mmap with
# more than 30 bits (google/sanitizers#1716, fixed only in LLVM 18). Where
# vm.mmap_rnd_bits is above 28, run TSan binaries with ASLR off (setarch -R).
tsan_prefix() {
  local bits
  bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)
  if [ "$bits" -gt 28 ]; then
    say "vm.mmap_rnd_bits=$bits > 28: running TSan tests under 'setarch $(uname -m) -R' (ASLR off)" >&2
    echo "setarch $(uname -m) -R"
  fi
}

jobs() { nproc 2>/dev/null || echo 2; }

# --- peers (issue 13): the established runtimes of bench/peers, best effort ------------------
# A package that cannot be installed is reported, not fatal: that peer's build then skips with
# its reason (bench/peers/<lang>/build exits 3), and scripts/peers says so.
MAILROOM_PEER_PACKAGES="time cargo rustc librust-tokio-dev librust-crossbeam-channel-dev golang-go erlang-base libcaf-dev"

# shellcheck disable=SC2086
ensure_peer_packages() {
  ensure_list peer $MAILROOM_PEER_PACKAGES ||
    say "could not install some peer packages (the peers needing them will be skipped)"
}

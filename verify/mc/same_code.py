#!/usr/bin/python3
"""same_code.py: the model-checking layer (runtimes/mailbox/mc_hooks.h) costs
nothing in normal builds. Compiles the files that use it, from a base
revision (before the layer) and from the working tree, with the exact
commands of a configured build (compile_commands.json), and compares the
disassembly (objdump -d, addresses stripped). Exit 0 when every object is
the same instruction for instruction, 1 otherwise, 2 on bad arguments.

    verify/mc/same_code.py --build build/release --base f82d635
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

FILES = [
    "runtimes/mailbox/kinds/futex_ring.c", "runtimes/mailbox/kinds/vyukov.c", "runtimes/mailbox/kinds/mutex.c",
    "runtimes/mailbox/mbx_table.c", "runtimes/actor/actor.c", "runtimes/actor/pool.c", "runtimes/actor/reply.c",
    "bench/scen_vtable.c", "bench/scen_oneshot.c",
]


def disassemble(obj):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", obj], capture_output=True, text=True,
                         check=True).stdout
    return out.splitlines()[2:]  # drop the file name line


def compile_one(entry, src_root, tree, out):
    args = shlex.split(entry["command"].replace(src_root, tree))
    for flag in ("-MF", "-MT"):
        if flag in args:
            i = args.index(flag)
            del args[i:i + 2]
    args = [a for a in args if a != "-MD"]
    args[args.index("-o") + 1] = out
    subprocess.run(args, check=True, cwd=entry["directory"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build/release", help="a configured build directory (default build/release)")
    ap.add_argument("--base", required=True, help="the revision to compare with (before mc_hooks.h)")
    a = ap.parse_args()
    root = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
    db = os.path.join(a.build, "compile_commands.json")
    if not os.path.exists(db):
        print(f"same_code.py: no {db}: configure that build first", file=sys.stderr)
        return 2
    if subprocess.run(["git", "-C", root, "rev-parse", "--verify", "-q", a.base + "^{commit}"],
                      capture_output=True).returncode:
        print(f"same_code.py: bad value '{a.base}' for --base: not a revision", file=sys.stderr)
        return 2
    entries = {}
    for e in json.load(open(db)):
        f = os.path.relpath(e["file"], root)
        if f in FILES and f not in entries and not any(d in e["command"] for d in ("MODEL", "MUTANT", "CHAOS")):
            entries[f] = e
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base")
        os.mkdir(base)
        archive = subprocess.run(["git", "-C", root, "archive", a.base], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        for f, e in sorted(entries.items()):
            objs = []
            for side, tree in (("base", base), ("now", root)):
                obj = os.path.join(tmp, side + "_" + f.replace("/", "_") + ".o")
                compile_one(e, root, tree, obj)
                objs.append(disassemble(obj))
            same = objs[0] == objs[1]
            bad += not same
            print(f"{f:40} {'same code' if same else 'DIFFERENT'} ({len(objs[1])} lines of disassembly)")
    missing = sorted(set(FILES) - set(entries))
    if missing:
        print("not in this build:", " ".join(missing))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

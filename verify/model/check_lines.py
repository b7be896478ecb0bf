#!/usr/bin/python3
"""check_lines.py [--tags-only] SRC [STEPS]: SRC's MODEL comment cites, for
each modelled step, the line of SRC it stands for, as ` *   [role] STEP ...
(line N)` or `(lines N-M)`. Fails when a cited line no longer carries that
step's label (`/* STEP`), so a Spin model cannot drift from the C code
unnoticed. --tags-only: SRC cites no line numbers (runtimes/actor/pool.c); then
every step must label exactly one line of SRC (`/* STEP`).
STEPS: the steps, comma-separated, a range as W1-W5; default the park.h set
W1-W5,K1-K4."""
import re
import sys


def parse_steps(spec):
    want = set()
    for part in spec.split(","):
        m = re.fullmatch(r"([A-Z]+)(\d+)(?:-\1?(\d+))?", part.strip())
        if not m:
            sys.exit(f"check_lines.py: bad step list item {part!r} (want e.g. W1-W5 or B1)")
        lo = int(m.group(2))
        hi = int(m.group(3) or lo)
        want |= {f"{m.group(1)}{i}" for i in range(lo, hi + 1)}
    return want


args = sys.argv[1:]
tags_only = "--tags-only" in args
args = [a for a in args if a != "--tags-only"]
if len(args) not in (1, 2):
    sys.exit(__doc__)
src = args[0]
want = parse_steps(args[1] if len(args) > 1 else "W1-W5,K1-K4")
label = "|".join(sorted(want, key=lambda s: (-len(s), s)))
lines = open(src).read().split("\n")

if tags_only:
    where = {s: [] for s in want}
    for n, line in enumerate(lines, 1):
        for step in re.findall(r"/\* (" + label + r")\b", line):
            where[step].append(n)
    for step in sorted(want):
        if len(where[step]) != 1:
            sys.exit(f"{src}: step {step} labels lines {where[step]}, want exactly one")
    print(f"{len(want)} modelled steps each label one line of {src}")
    sys.exit(0)

cites = re.findall(r"^ \*\s+(?:[a-z]+\s+)?(" + label + r")\b.*?\(lines? (\d+)", "\n".join(lines), re.M)
steps = {s for s, _ in cites}
if steps != want:
    sys.exit(f"{src}: MODEL comment cites {sorted(steps)}, want {sorted(want)}")
for step, n in cites:
    line = lines[int(n) - 1]
    if not re.search(r"/\* " + step + r"\b", line):
        sys.exit(f"{src}: MODEL comment cites {step} at line {n}, which reads: {line.strip()}")
print(f"{len(cites)} modelled steps found on their cited lines in {src}")

#!/usr/bin/python3
"""check_lines.py SRC: park.h's MODEL comment cites, for each modelled step
(W1..W5, K1..K4), the line of park.h it stands for. Fails when a cited line no
longer carries that step's label, so the Spin model cannot drift from the C
code unnoticed."""
import re
import sys

src = sys.argv[1]
lines = open(src).read().split("\n")
cites = re.findall(r"^ \*\s+(?:waiter|waker)?\s*([WK][1-5])\b.*?\(lines? (\d+)", "\n".join(lines), re.M)
steps = {s for s, _ in cites}
want = {f"W{i}" for i in range(1, 6)} | {f"K{i}" for i in range(1, 5)}
if steps != want:
    sys.exit(f"{src}: MODEL comment cites {sorted(steps)}, want {sorted(want)}")
for step, n in cites:
    line = lines[int(n) - 1]
    if not re.search(r"/\* " + step + r"\b", line):
        sys.exit(f"{src}: MODEL comment cites {step} at line {n}, which reads: {line.strip()}")
print(f"{len(cites)} modelled steps found on their cited lines in {src}")

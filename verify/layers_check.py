#!/usr/bin/python3
"""layers_check.py: the include side of the layering (the link side is
runtimes/CMakeLists.txt's layer_check programs). Fails, naming the file and
the line, when
  - a file under runtimes/<layer>/ includes a header of a higher layer,
  - any file includes a .c file,
  - the quoted includes of runtimes/, bench/ and verify/ form a cycle.
Layers bottom up: mailbox (with kinds/), actor, workload; bench/ and verify/
sit on top and may include any of them."""
import os
import re
import sys

LAYERS = ["mailbox", "actor", "workload"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def files(root, top):
    for d, _, names in os.walk(os.path.join(root, top)):
        for n in sorted(names):
            if n.endswith((".c", ".h", ".cc")):
                yield os.path.join(d, n)


def layer_of(root, path):
    rel = os.path.relpath(path, os.path.join(root, "runtimes")).split(os.sep)
    return LAYERS.index(rel[0]) if rel[0] in LAYERS else None


def main(root):
    headers = {}  # basename -> path (one home per header name)
    every = []
    for top in ("runtimes", "bench", "verify"):
        for p in files(root, top):
            every.append(p)
            if p.endswith(".h"):
                if os.path.basename(p) in headers:
                    return f"two headers named {os.path.basename(p)}: {headers[os.path.basename(p)]}, {p}"
                headers[os.path.basename(p)] = p
    errors, edges = [], {}
    for p in every:
        mine = layer_of(root, p) if p.startswith(os.path.join(root, "runtimes")) else len(LAYERS)
        with open(p, encoding="utf-8") as f:
            for no, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                where = f"{os.path.relpath(p, root)}:{no}"
                if inc.endswith(".c"):
                    errors.append(f"{where}: includes a .c file ({inc})")
                    continue
                target = headers.get(os.path.basename(inc))
                if not target:
                    continue  # a system or generated header
                edges.setdefault(p, set()).add(target)
                theirs = layer_of(root, target)
                if mine is not None and theirs is not None and theirs > mine:
                    errors.append(f"{where}: layer '{LAYERS[mine]}' includes {inc} of the higher layer '{LAYERS[theirs]}'")
    # cycles: depth-first search over the include graph
    state = {}

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for t in sorted(edges.get(n, ())):
            if state.get(t) == 1:
                cyc = stack[stack.index(t):] + [t]
                errors.append("include cycle: " + " -> ".join(os.path.relpath(c, root) for c in cyc))
            elif not state.get(t):
                visit(t, stack)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if not state.get(n):
            visit(n, [])
    if errors:
        return "\n".join(errors)
    print(f"layers: {len(every)} files, {sum(len(v) for v in edges.values())} includes, "
          "no upward include, no .c include, no cycle")
    return None


def selftest():
    """The check must fail on a tree with each kind of violation."""
    import tempfile
    bad = {
        "upward": {"runtimes/mailbox/a.h": '#include "b.h"\n', "runtimes/actor/b.h": ""},
        # built from two pieces, so that grepping the tree for a .c include
        # does not find this test's own fixture
        "c include": {"bench/x.c": '#include "y.' + 'c"\n'},
        "cycle": {"verify/p.h": '#include "q.h"\n', "verify/q.h": '#include "p.h"\n'},
    }
    for name, tree in bad.items():
        with tempfile.TemporaryDirectory() as d:
            for rel, text in tree.items():
                os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
                with open(os.path.join(d, rel), "w", encoding="utf-8") as f:
                    f.write(text)
            if not main(d):
                return f"selftest: a tree with an {name} passed"
    print("selftest: upward include, .c include and cycle each fail")
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print("usage: layers_check.py REPO_ROOT | --selftest", file=sys.stderr)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    err = selftest() if sys.argv[1] == "--selftest" else main(sys.argv[1])
    if err:
        print(err, file=sys.stderr)
        sys.exit(1)

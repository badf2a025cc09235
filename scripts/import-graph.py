#!/usr/bin/env python3
"""Prints labdeck's module import graph, read from the `crate::` and
`super::` paths in src/, and checks it: no circle between top-level modules,
none between the submodules of one top-level module, and no module naming
one in a layer above its own (LAYERS below: data flows files -> deck model ->
{HTML, exercises -> checks -> verdicts -> reports}).

    scripts/import-graph.py            # the graph, one `a -> b` per line
    scripts/import-graph.py --check    # also exits 1 on a circle or an upward arrow

Run by tests/architecture.rs.
"""
import os
import re
import sys

ROOT = os.environ.get("LABDECK_SRC") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "src"
)

# Lowest first. A module may name modules of its own layer or below; the
# top-level modules of one layer must not form a circle either.
LAYERS = [
    ["error", "exit", "duration", "diagnostic", "console", "files", "source", "output", "hashing"],
    ["manifest", "remark", "assemble", "html_page", "foreign"],
    ["deck", "selection"],
    ["render", "exercise", "shell", "cluster", "kinds"],
    ["check", "suggest"],
    ["build", "pdf", "run", "report", "grade", "lint"],
    ["classroom", "serve"],
    ["cli"],
]


def module_of(path):
    rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def expand_use(body):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e] (enough for paths)."""
    body = re.sub(r"\s+", "", body)
    m = re.match(r"^([^{]*)\{(.*)\}$", body)
    if not m:
        return [body]
    prefix, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if p:
            out.extend(prefix + q for q in expand_use(p))
    return out


def references(path, text):
    me = module_of(path)
    # A file's own module: `super::` in src/a/b.rs is `a`, in src/a/b/mod.rs also `a`.
    is_mod = os.path.basename(path) in ("mod.rs", "lib.rs", "main.rs")
    parent = me if is_mod else me[:-1]
    text = re.sub(r"//[^\n]*", "", text)
    # Test modules may reach anywhere (they are not part of the graph).
    text = re.split(r"#\[cfg\(test\)\]", text)[0]
    paths = []
    for m in re.finditer(r"\buse\s+((?:crate|super)::[^;]*);", text):
        paths.extend(expand_use(m.group(1)))
    for m in re.finditer(r"\b((?:crate|super)(?:::\w+)+)", text):
        paths.append(m.group(1))
    out = set()
    for p in paths:
        segs = p.split("::")
        if segs[0] == "crate":
            target = segs[1:]
        else:
            base = list(parent)
            segs = segs[:]
            while segs and segs[0] == "super":
                segs.pop(0)
                if segs and segs[0] == "super":
                    base = base[:-1]
            target = base + segs
        target = [s for s in target if s not in ("self", "*")]
        if target:
            out.add(tuple(target))
    return me, out


def node(mod, depth):
    return "::".join(mod[:depth])


def main():
    files = []
    for d, _, names in os.walk(ROOT):
        files.extend(os.path.join(d, n) for n in names if n.endswith(".rs"))
    known = {tuple(module_of(f)) for f in files}
    edges = set()
    for f in sorted(files):
        me, refs = references(f, open(f, encoding="utf-8").read())
        if not me or me[0] == "main":
            continue
        for r in refs:
            # The longest known module that prefixes the path (items follow).
            while r and tuple(r) not in known:
                r = r[:-1]
            if not r:
                continue
            if r[0] != me[0]:
                edges.add((me[0], r[0]))
            elif len(me) > 1 and len(r) > 1 and me[1] != r[1]:
                edges.add((node(me, 2), node(r, 2)))
    for a, b in sorted(edges):
        print(f"{a} -> {b}")
    if "--check" not in sys.argv:
        return 0
    problems = []
    layer = {m: i for i, ms in enumerate(LAYERS) for m in ms}
    tops = {m[0] for m in known if m and m[0] != "main"}
    for t in sorted(tops - set(layer)):
        problems.append(f"module `{t}` is in no layer (scripts/import-graph.py LAYERS)")
    for a, b in sorted(edges):
        if "::" not in a and a in layer and b in layer and layer[b] > layer[a]:
            problems.append(f"upward: `{a}` (layer {layer[a]}) uses `{b}` (layer {layer[b]})")
    # Circles: strongly connected components of more than one node.
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    for c in sccs:
        problems.append("circle: " + " <-> ".join(c))
    for p in problems:
        print("problem: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Check the include arrows of docs/DESIGN.md: which folder may include which,
and that no two source files include each other in a circle.

    scripts/check-includes.py [--explain] [ROOT]
                          exit 0 when every arrow is allowed (ctest runs it:
                          include_rules); --explain prints each circle's
                          arrows and the files that make them

A folder's files may include headers of their own folder and of the folders
listed for it below; nothing else. A circle (a.c includes b.h, b.c includes
a.h, ... back to a) is reported with its files, as the files of a circle
cannot be understood, tested or replaced one at a time. A header and the .c
file of the same name count as one file. A header with no .c of its own
(client.h, exec_internal.h) is looked through: a file that includes it uses
what it includes, and the files that define the functions it calls from it.
"""
import re
import sys
from pathlib import Path

# The layers, lowest first; each may use only the folders named for it.
ALLOWED = {
    "src/common": {"common"},
    "src/proto": {"proto", "common"},
    "src/store": {"store", "common"},
    "src/net": {"net", "common"},
    "src/persist": {"persist", "store", "common"},
    "src/repl": {"repl", "persist", "store", "net", "common"},
    "src/metrics": {"metrics", "net", "common"},
    "src/server": {"server", "metrics", "repl", "persist", "net", "store", "proto", "common"},
    "src/client": {"client", "mnemo", "common"},
    "tools": {"mnemo", "client", "common", "bench", "persist"},
    "tools/bench": {"mnemo", "client", "common", "bench"},
    # the man page writer reads the programs' option tables (build time only)
    "tools/man": {"server", "bench", "tools"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(rel):
    parts = rel.split("/")
    for depth in (2, 1):
        key = "/".join(parts[:depth])
        if key in ALLOWED and len(parts) > depth:
            return key
    return None


DECL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*\([^;{]*\)\s*;", re.S)
DEF = re.compile(r"^[a-z_][^\n;]*?\b([a-z_][a-z0-9_]*)\s*\([^;]*?\)\s*\{", re.M | re.S)


def units(root, files):
    """The unit each file belongs to: a header and the .c of the same name
    are one unit (src/proto/text.c ~ src/proto/text.h). A header with no .c
    of its own (exec_internal.h) is no unit: its includes count for each
    file that includes it."""
    stems = {re.sub(r"\.[ch]$", "", f) for f in files if f.endswith(".c")}
    return {f: re.sub(r"\.[ch]$", "", f) if f.endswith(".c") or
            re.sub(r"\.h$", "", f) in stems else None for f in files}


COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"", re.S)


def code_of(path):
    """A source file without its comments and string literals."""
    return COMMENT.sub(" ", path.read_text(errors="replace"))


def implements(root, c_file, header):
    """True when c_file defines a function header declares: it includes the
    header to implement part of it (item.c defines store.h's item_key), not
    to use it, so the include is no arrow."""
    declared = set(DECL.findall(code_of(root / header)))
    defined = set(DEF.findall(code_of(root / c_file)))
    return bool(declared & defined)


def resolve(root, rel, target):
    """The repository path an include names, or None for a system header."""
    for base in (root / "src", root / "include", (root / rel).parent, root / "tools"):
        p = base / target
        if p.is_file():
            return p.resolve().relative_to(root).as_posix()
    return None


def main():
    args = [a for a in sys.argv[1:] if a != "--explain"]
    root = Path(args[0] if args else Path(__file__).resolve().parents[1]).resolve()
    files = sorted(p.relative_to(root).as_posix()
                   for d in ("src", "tools") for p in (root / d).rglob("*.[ch]"))
    problems = []
    unit = units(root, files)
    direct = {}
    for rel in files:
        folder = folder_of(rel)
        if folder is None:
            problems.append("%s: in no folder DESIGN.md names" % rel)
            continue
        text = (root / rel).read_text(errors="replace")
        for target in INCLUDE.findall(text):
            top = target.split("/")[0] if "/" in target else None
            if top is not None and top not in ALLOWED[folder]:
                problems.append("%s includes %s: %s may not use %s/" % (rel, target, folder, top))
            dest = resolve(root, rel, target)
            if dest is not None and not (rel.endswith(".c") and unit.get(dest) is not None and
                                         implements(root, rel, dest)):
                direct.setdefault(rel, set()).add(dest)
    owner = owners(root, files, unit)
    graph, why = {}, {}
    for rel in files:
        if unit.get(rel) is None:
            continue
        for dest in reach_units(root, rel, direct, unit, owner):
            if dest != unit[rel]:
                graph.setdefault(unit[rel], set()).add(dest)
                why.setdefault((unit[rel], dest), set()).add(rel)
    found = circles(graph)
    problems += ["circle among %s, e.g. %s" % (", ".join(comp), " -> ".join(c + [c[0]]))
                 for comp, c in found]
    for p in problems:
        print(p)
    if "--explain" in sys.argv:
        for comp, _ in found:
            print("edges among %s:" % ", ".join(comp))
            for a in comp:
                for b in sorted(graph.get(a, set()) & set(comp)):
                    print("  %s -> %s  (%s)" % (a, b, ", ".join(sorted(why[(a, b)]))))
    print("%d files, %d problems" % (len(files), len(problems)))
    return 1 if problems else 0


def owners(root, files, unit):
    """For each header that is no unit, which unit defines each function it
    declares: client.h declares pool.c's, conn.c's and async.c's functions,
    so including it is using those files."""
    defs = {}
    for f in files:
        if f.endswith(".c"):
            for name in DEF.findall(code_of(root / f)):
                defs.setdefault(name, set()).add(unit[f])
    return {h: {name: defs[name] for name in set(DECL.findall(code_of(root / h))) if name in defs}
            for h in files if h.endswith(".h") and unit[h] is None}


def reach_units(root, rel, direct, unit, owner):
    """The units rel includes, looking through headers that are no unit:
    their includes, and the units that define the functions of theirs that
    rel calls."""
    out, seen, todo = set(), {rel}, list(direct.get(rel, ()))
    used = None
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen.add(f)
        if unit.get(f) is not None:
            out.add(unit[f])
            continue
        todo.extend(direct.get(f, ()))
        if owner.get(f):
            if used is None:
                used = set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*\(", code_of(root / rel)))
            for name in used & set(owner[f]):
                out |= owner[f][name]
    return out


def circles(graph):
    """Each strongly connected component of more than one unit (Tarjan's
    algorithm), with one circle through its smallest name."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
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
                out.append((sorted(comp), path_through(graph, sorted(comp))))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def path_through(graph, comp):
    """A shortest way from comp's first unit back to itself inside comp."""
    members, start = set(comp), comp[0]
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph.get(v, ())):
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return list(reversed(path))
                if w in members and w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


if __name__ == "__main__":
    sys.exit(main())

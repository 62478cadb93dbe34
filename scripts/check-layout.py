#!/usr/bin/env python3
"""check-layout: the folders of src/ must not include each other in a
cycle (docs/ARCHITECTURE.md, "The dependency rule").

Reads every .c and .h under SRC (default: src/ next to this script),
resolves each `#include "..."` the way the build does (the including
file's folder, then src/host/, then src/), and draws an edge from the
including file's folder to the included file's folder. A strongly
connected set of two or more folders is a cycle: each is printed with
one include line per edge, and the exit status is 1.

  scripts/check-layout.py [SRC]     check (exit 0: no cycle, 1: cycles,
                                    2: an include that resolves nowhere)
  scripts/check-layout.py --self-test
                                    runs the check on two small trees made
                                    in a temporary directory, one with a
                                    cycle and one without, and fails
                                    unless it tells them apart
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# made by the build, not a file of src/
GENERATED = {'version.h'}


def folder_of(path, src):
    return os.path.relpath(os.path.dirname(path), src)


def resolve(name, including, src):
    for base in (os.path.dirname(including), os.path.join(src, 'host'), src):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(p):
            return p
    return None


def edges_of(src):
    """{(from folder, to folder): first 'file:line: #include' seen}"""
    edges, unresolved = {}, []
    for root, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith(('.c', '.h', '.def')):
                continue
            path = os.path.join(root, f)
            with open(path, encoding='utf-8', errors='replace') as fh:
                text = fh.read()
            for m in INCLUDE.finditer(text):
                name = m.group(1)
                if os.path.basename(name) in GENERATED:
                    continue
                target = resolve(name, path, src)
                line = text.count('\n', 0, m.start()) + 1
                where = '%s:%d: #include "%s"' % (
                    os.path.relpath(path, src), line, name)
                if target is None:
                    unresolved.append(where)
                    continue
                a, b = folder_of(path, src), folder_of(target, src)
                if a != b:
                    edges.setdefault((a, b), where)
    return edges, unresolved


def cycles(edges):
    """Strongly connected components of two or more folders (Tarjan)."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check(src, quiet=False):
    edges, unresolved = edges_of(src)
    found = cycles(edges)
    for u in unresolved if not quiet else []:
        print('check-layout: %s: resolves to no file' % u)
    for comp in found if not quiet else []:
        print('check-layout: include cycle between %s:' % ', '.join(comp))
        for (a, b), where in sorted(edges.items()):
            if a in comp and b in comp:
                print('  %s -> %s   (%s)' % (a, b, where))
    if unresolved:
        return 2
    if found:
        return 1
    if not quiet:
        folders = sorted({f for e in edges for f in e})
        print('check-layout: %d folders, %d folder-to-folder includes, no '
              'cycle' % (len(folders), len(edges)))
    return 0


def self_test():
    def tree(root, files):
        for rel, text in files.items():
            p = os.path.join(root, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, 'w') as fh:
                fh.write(text)

    with tempfile.TemporaryDirectory() as d:
        ok = os.path.join(d, 'ok')
        tree(ok, {'host/a/a.h': '', 'host/b/b.c': '#include "a/a.h"\n',
                  'common/c.h': '', 'host/a/a.c': '#include "common/c.h"\n'})
        bad = os.path.join(d, 'bad')
        tree(bad, {'host/a/a.h': '', 'host/b/b.h': '',
                   'host/a/a.c': '#include "b/b.h"\n',
                   'host/b/b.c': '#include "../a/a.h"\n'})
        if check(ok, quiet=True) != 0:
            print('check-layout: self-test: a tree without a cycle failed')
            return 1
        if check(bad, quiet=True) != 1:
            print('check-layout: self-test: a cycle between two folders '
                  'went unseen')
            return 1
    print('check-layout: self-test: a cycle is found, its absence passes')
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == '--self-test':
        return self_test()
    if len(argv) > 1 and argv[1].startswith('-'):
        print(__doc__)
        return 2
    src = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'src')
    return check(os.path.normpath(src))


if __name__ == '__main__':
    sys.exit(main(sys.argv))

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
  scripts/check-layout.py --objects BUILD [SRC]
                                    the same over what the code calls, not
                                    what it includes: each object file of
                                    the host tool in the build directory
                                    BUILD (nm: the symbols it uses and
                                    defines) is its source file; a use of
                                    a symbol defined in another file is an
                                    edge, between files and between their
                                    folders. Fails on a cycle of either.
                                    (An include cycle can hide behind a
                                    header of a third folder; a call
                                    cannot.)
  Both modes also check that only the command line prints: outside
  host/cli/, host/validate/, the peer command (host/net/peer.c), the
  out-of-memory abort (host/base/util.c) and the probe, no code names
  stdout or stderr or calls printf, puts or perror (code, not comments
  or strings).
  scripts/check-layout.py --self-test
                                    runs the check on two small trees made
                                    in a temporary directory, one with a
                                    cycle and one without, and fails
                                    unless it tells them apart
"""
import os
import re
import subprocess
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


PRINT_OK = ('host/cli/', 'host/validate/', 'host/net/peer.c',
            'host/base/util.c', 'probe/', 'common/')
def code_only(text):
    """text without comments and string or character literals."""
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(\\.|[^"\\\n])*"|'
                  r"'(\\.|[^'\\\n])*'",
                  lambda m: re.sub(r'[^\n]', ' ', m.group(0)), text,
                  flags=re.S)


def printers(src):
    """'file:line: text' of each place outside PRINT_OK that prints."""
    out = []
    for root, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith('.c'):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)
            if rel.startswith(PRINT_OK):
                continue
            with open(path, encoding='utf-8', errors='replace') as fh:
                text = fh.read()
            code = code_only(text).split('\n')
            lines = text.split('\n')
            for n, line in enumerate(code):
                if re.search(r'\b(stdout|stderr)\b|\b(printf|puts|perror)\s*\(',
                             line):
                    out.append('%s:%d: %s' % (rel, n + 1, lines[n].strip()))
    return out


def report_printers(src, quiet=False):
    found = printers(src)
    for p in found if not quiet else []:
        print('check-layout: prints outside the command line: ' + p)
    return 1 if found else 0


def load_rules(src):
    """{folder: layer} from docs/ARCHITECTURE.md's numbered list under "The
    dependency rule" (beside src/), or None where there is no such file."""
    path = os.path.join(src, '..', 'docs', 'ARCHITECTURE.md')
    if not os.path.isfile(path):
        return None
    layers, inside = {}, False
    with open(path, encoding='utf-8') as fh:
        for line in fh:
            if line.startswith('## '):
                inside = line.strip() == '## The dependency rule'
                continue
            m = re.match(r'\s*(\d+)\.\s', line)
            if inside and m:
                for folder in re.findall(r'`([a-z/_]+)/`', line):
                    layers[folder] = int(m.group(1))
    return layers


def rule_breaks(edges, layers):
    """Edges that do not go to a lower layer: 'a -> b (where)'."""
    out = []
    for (a, b), where in sorted(edges.items()):
        if a.startswith('probe') and b.startswith(('probe', 'common')):
            continue  # the probe: a program of its own, on common/ only
        la, lb = layers.get(a), layers.get(b)
        if la is None or lb is None:
            out.append('%s -> %s: %s is in no layer of the rule (%s)' %
                       (a, b, a if la is None else b, where))
        elif lb >= la:
            out.append('%s (layer %d) -> %s (layer %d): not below it (%s)' %
                       (a, la, b, lb, where))
    return out


def report_rules(edges, src):
    layers = load_rules(src)
    if not layers:
        return 0
    breaks = rule_breaks(edges, layers)
    for b in breaks:
        print('check-layout: against the dependency rule of '
              'docs/ARCHITECTURE.md: ' + b)
    return 1 if breaks else 0


def object_edges(build, src):
    """({(folder, folder): 'a.c -> b.c (symbol)'}, {(file, file): ...},
    [objects that match no source]) from the host tool's objects."""
    sources = []
    for root, _, files in os.walk(os.path.join(src, 'host')):
        sources += [os.path.relpath(os.path.join(root, f), src)
                    for f in files if f.endswith('.c')]
    for f in os.listdir(os.path.join(src, 'common')):
        if f.endswith('.c'):
            sources.append('common/' + f)
    # Meson names an object after its source's path from the target's
    # folder (src/host), '/' made '_': base/util.c -> base_util.c.o,
    # ../common/frame.c -> .._common_frame.c.o
    by_object = {}
    for s in sources:
        rel = s[len('host/'):] if s.startswith('host/') else '../' + s
        by_object[rel.replace('/', '_') + '.o'] = s
    objects, unknown = {}, []
    for target in ('libisobench-host.a.p', 'isobench.p'):
        d = os.path.join(build, 'src', 'host', target)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if f.endswith('.o'):
                if f in by_object:
                    objects[os.path.join(d, f)] = by_object[f]
                else:
                    unknown.append(f)
    defined, used = {}, {}
    for path, source in objects.items():
        out = subprocess.run(['nm', path], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == 'U':
                used.setdefault(source, set()).add(parts[1])
            elif len(parts) == 3 and parts[1] in 'TDBRCVW':
                defined[parts[2]] = source
    fedges, dedges = {}, {}
    for source, syms in used.items():
        for sym in sorted(syms):
            other = defined.get(sym)
            if not other or other == source:
                continue
            fedges.setdefault((source, other), sym)
            a, b = os.path.dirname(source), os.path.dirname(other)
            if a != b:
                dedges.setdefault((a, b), '%s -> %s (%s)' % (source, other,
                                                             sym))
    if not objects:
        unknown.append('(no object of the host tool under %s: build it '
                       'first)' % build)
    return dedges, fedges, unknown


def check_objects(build, src):
    dedges, fedges, unknown = object_edges(build, src)
    for u in unknown:
        print('check-layout: object %s: no source of src/ matches it' % u)
    bad = 0
    for what, edges in (('folders', dedges), ('files', fedges)):
        for comp in cycles(edges):
            bad = 1
            print('check-layout: call cycle between %s %s:' %
                  (what, ', '.join(comp)))
            for (a, b), why in sorted(edges.items()):
                if a in comp and b in comp:
                    print('  %s -> %s   (%s)' % (a, b, why))
    bad |= report_rules(dedges, src)
    if unknown:
        return 2
    if not bad:
        print('check-layout: %d files and %d folders call each other '
              'without a cycle, by the dependency rule' % (len({f for e in fedges for f in e}),
                                   len({f for e in dedges for f in e})))
    return bad


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
    if not quiet and (report_rules(edges, src) | report_printers(src)):
        return 1
    if unresolved:
        return 2
    if found:
        return 1
    if not quiet:
        folders = sorted({f for e in edges for f in e})
        print('check-layout: %d folders, %d folder-to-folder includes, no '
              'cycle%s' % (len(folders), len(edges),
                           ', by the dependency rule' if load_rules(src)
                           else ''))
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
        # the same by calls: a.c calls b(), b.c calls a(), each declared
        # in a header of a third folder (invisible to the include check)
        calls = os.path.join(d, 'calls')
        tree(calls, {'host/x/decl.h': 'int a(void);\nint b(void);\n',
                     'host/a/a.c': '#include "x/decl.h"\n'
                                   'int a(void) { return b(); }\n',
                     'host/b/b.c': '#include "x/decl.h"\n'
                                   'int b(void) { return 0; }\n'
                                   'int c(void);\nint c(void) '
                                   '{ return a(); }\n',
                     'common/k.c': 'int k(void);\nint k(void) '
                                   '{ return 1; }\n'})
        if check(calls, quiet=True) != 0:
            print('check-layout: self-test: the include check saw the '
                  'cycle behind a third folder\'s header')
            return 1
        objs = os.path.join(d, 'build', 'src', 'host', 'libisobench-host.a.p')
        os.makedirs(objs)
        for rel, obj in (('host/a/a.c', 'a_a.c.o'), ('host/b/b.c', 'b_b.c.o'),
                         ('common/k.c', '.._common_k.c.o')):
            subprocess.run(['cc', '-c', '-I', os.path.join(calls, 'host'),
                            '-o', os.path.join(objs, obj),
                            os.path.join(calls, rel)], check=True)
        with open(os.devnull, 'w') as null:
            saved, sys.stdout = sys.stdout, null
            try:
                rc = check_objects(os.path.join(d, 'build'), calls)
            finally:
                sys.stdout = saved
        if rc != 1:
            print('check-layout: self-test: a call cycle between two '
                  'folders went unseen (status %d)' % rc)
            return 1
    with tempfile.TemporaryDirectory() as d:
        tree(d, {'host/a/quiet.c': '/* stderr */ const char *s = "stdout";\n',
                 'host/cli/loud.c': 'int f(void) { return printf("x"); }\n'})
        if printers(d):
            print('check-layout: self-test: a comment, a string or the '
                  'command line counted as printing')
            return 1
        tree(d, {'host/a/loud.c': 'void g(void) { fputs("x", stderr); }\n'})
        if len(printers(d)) != 1:
            print('check-layout: self-test: printing outside the command '
                  'line went unseen')
            return 1
    layers = {'host/a': 1, 'host/b': 2}
    if not rule_breaks({('host/a', 'host/b'): 'x.c'}, layers) or \
            rule_breaks({('host/b', 'host/a'): 'x.c'}, layers):
        print('check-layout: self-test: the dependency rule is not held')
        return 1
    print('check-layout: self-test: a cycle is found (by includes and by '
          'calls), its absence passes; a use of a higher layer breaks the '
          'rule')
    return 0


def main(argv):
    if len(argv) > 1 and argv[1] == '--self-test':
        return self_test()
    if len(argv) > 2 and argv[1] == '--objects':
        src = argv[3] if len(argv) > 3 else os.path.join(
            os.path.dirname(os.path.abspath(__file__)), '..', 'src')
        return check_objects(argv[2], os.path.normpath(src))
    if len(argv) > 1 and argv[1].startswith('-'):
        print(__doc__)
        return 2
    src = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'src')
    return check(os.path.normpath(src))


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Lists import cycles between the files of a Rust crate's src/ folder.

Usage: python3 ci/module-cycles.py [crates/dynorm/src]   (exit 1 when there is a cycle)

A file imports another when it names an item defined there: through `use crate::…`,
`use super::…`, `use self::…` trees or a path written inline (`crate::validate::check_item`).
Re-exports (`pub use x::Y`) are followed to the file that defines the item, so `crate::Client`
counts as an import of client.rs, not of lib.rs. lib.rs's and mod.rs's own `mod`/`pub use`
lines only wire modules together and are not imports. Items that a file defines inline in a
`mod name { … }` block count as that file's.
"""

import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "crates/dynorm/src"


def module_files(root):
    """Maps module paths (tuples) to files."""
    files = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            files[tuple(parts)] = rel
    return files


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    # String literals may hold `crate::` in messages.
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def expand_tree(tree):
    """Expands a use tree `a::{b, c::{d, e as f}}` into paths [(path, alias)]."""
    tree = tree.strip()
    depth = 0
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                prefix = tree[:i].rstrip(":").strip()
                inner = tree[i + 1 : tree.rindex("}")]
                out = []
                for part in split_top(inner):
                    if not part.strip():
                        continue
                    for path, alias in expand_tree(part):
                        out.append(((prefix + "::" + path) if prefix else path, alias))
                return out
            depth += 1
        elif ch == "}":
            depth -= 1
    alias = None
    m = re.match(r"^(.*?)\s+as\s+(\w+)$", tree)
    if m:
        tree, alias = m.group(1), m.group(2)
    return [(tree.strip(), alias)]


def split_top(text):
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


USE = re.compile(r"\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);")
INLINE = re.compile(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)")


def absolute(path, module):
    """Turns `crate::a::b` / `super::x` / `self::x` into an absolute tuple, or None."""
    parts = path.split("::")
    if parts[0] == "crate":
        return tuple(parts[1:])
    base = list(module)
    while parts and parts[0] in ("super", "self"):
        if parts[0] == "super":
            if not base:
                return None
            base.pop()
        parts = parts[1:]
    if path.startswith(("super", "self")):
        return tuple(base + parts)
    return None


def main():
    files = module_files(ROOT)
    texts = {m: strip_comments(open(os.path.join(ROOT, f), encoding="utf-8").read()) for m, f in files.items()}
    # Re-exports: (module, name) -> absolute path of the source.
    reexports = {}
    for module, text in texts.items():
        for m in USE.finditer(text):
            if not m.group(1):
                continue
            for path, alias in expand_tree(m.group(2)):
                target = absolute(path, module) if path.startswith(("crate", "super", "self")) else (
                    module + tuple(path.split("::")) if path.split("::")[0] in {p[len(module)] for p in files if len(p) > len(module) and p[: len(module)] == module} else None
                )
                if target:
                    name = alias or target[-1]
                    reexports[(module, name)] = target

    def resolve(path, seen=()):
        """The file module that defines the item at `path`."""
        for cut in range(len(path), -1, -1):
            if path[:cut] in files:
                module = path[:cut]
                rest = path[cut:]
                if rest and (module, rest[0]) in reexports and (module, rest[0]) not in seen:
                    return resolve(reexports[(module, rest[0])] + rest[1:], seen + ((module, rest[0]),))
                return module
        return None

    edges = {m: set() for m in files}
    for module, text in texts.items():
        wiring = files[module].endswith(("lib.rs", "mod.rs"))
        paths = []
        for m in USE.finditer(text):
            if wiring and m.group(1):
                continue  # a facade's re-export wires modules together
            for path, _ in expand_tree(m.group(2)):
                if path.startswith(("crate", "super", "self")):
                    paths.append(path)
        for m in INLINE.finditer(USE.sub("", text)):
            paths.append(m.group(1))
        for path in paths:
            target = absolute(path, module)
            if target is None:
                continue
            owner = resolve(target)
            if owner is not None and owner != module:
                edges[module].add(owner)

    cycles = strongly_connected(edges)
    if not cycles:
        print(f"no import cycles among the {len(files)} files of {ROOT}")
        return 0
    for group in cycles:
        print("cycle: " + ", ".join(sorted(files[m] for m in group)))
        for m in sorted(group):
            inside = sorted(files[t] for t in edges[m] if t in group)
            print(f"  {files[m]} -> {', '.join(inside)}")
    return 1


def strongly_connected(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(group)

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())

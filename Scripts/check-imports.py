#!/usr/bin/env python3
"""Fails when Package.swift and the imports drift apart: every target must declare exactly the
package modules its sources import (system modules such as Foundation, Dispatch and XCTest are
not declared). Run by Scripts/test.sh; prints every mismatch."""
import os, re, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
manifest = open(os.path.join(root, "Package.swift"), encoding="utf-8").read()
system = {"Foundation", "Dispatch", "XCTest", "Glibc", "Darwin", "PackageDescription"}

# .target(name: "X", dependencies: [...], path: "...") — the declarations of Package.swift.
targets = {}
for m in re.finditer(r'\.(target|executableTarget|testTarget)\(\s*name:\s*"([^"]+)"(.*?)\)\s*,\s*\n', manifest, re.S):
    kind, name, rest = m.groups()
    deps = re.search(r'dependencies:\s*\[(.*?)\]', rest, re.S)
    path = re.search(r'path:\s*"([^"]+)"', rest)
    default = {"testTarget": "Tests/"}.get(kind, "Sources/") + name
    targets[name] = (set(re.findall(r'"([^"]+)"', deps.group(1))) if deps else set(), path.group(1) if path else default)

problems = []
for name, (declared, path) in sorted(targets.items()):
    imported = set()
    for dirpath, _, files in os.walk(os.path.join(root, path)):
        for f in files:
            if f.endswith(".swift"):
                text = open(os.path.join(dirpath, f), encoding="utf-8").read()
                imported |= set(re.findall(r'^\s*(?:@testable\s+)?import\s+(\w+)', text, re.M))
    if not imported and not os.path.isdir(os.path.join(root, path)):
        problems.append(f"{name}: no sources at {path}")
    imported -= system
    for d in sorted(imported - declared):
        problems.append(f"{name}: imports {d} but Package.swift does not declare it")
    executables = {n for n, (_, _) in targets.items() if re.search(r'executableTarget\(\s*name:\s*"%s"' % n, manifest)}
    for d in sorted(declared - imported - executables):  # a test may depend on a tool it runs
        problems.append(f"{name}: Package.swift declares {d} but no file imports it")
if len(targets) < 10:
    problems.append(f"only {len(targets)} targets found in Package.swift: the parser is out of date")
for p in problems:
    print("error: Package.swift:", p, file=sys.stderr)
print(f"{len(targets)} targets checked, {len(problems)} mismatches")
sys.exit(1 if problems else 0)

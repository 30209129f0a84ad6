#!/usr/bin/env python3
"""ABI check of a gst-rg library: what it exports is exactly what its
installed headers declare with RG_API, and (with --no-rdkafka) it does not
link librdkafka.

Usage: abi_check.py [--no-rdkafka] LIBRARY HEADER...

The libraries are built with -fvisibility=hidden (gst/util/rgapi.h), so a
function is exported only when a header marks it RG_API. This test catches
the two ways that goes wrong: a private header that marks something RG_API
(a test seam leaking into the ABI), and a declaration in an installed header
that the library does not export (an application would fail to link).
"""
import re
import subprocess
import sys

DECL_RE = re.compile(r"\bRG_API\b([^;{]*?)\b([A-Za-z_]\w*)\s*\(", re.S)
VAR_RE = re.compile(r"\bRG_API\b[^;{(]*?\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*;",
                    re.S)


def declared(headers):
    names = set()
    for path in headers:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # Comments may mention RG_API; only code counts.
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)
        names.update(m.group(2) for m in DECL_RE.finditer(text))
        names.update(m.group(1) for m in VAR_RE.finditer(text))
    return names


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library],
                         check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBRVW":
            names.add(parts[2])
    return names


def main():
    args = sys.argv[1:]
    no_rdkafka = "--no-rdkafka" in args
    args = [a for a in args if a != "--no-rdkafka"]
    library, headers = args[0], args[1:]
    want, have = declared(headers), exported(library)
    ok = True
    if not want:
        print("no RG_API declaration found in", headers)
        ok = False
    for name in sorted(have - want):
        print("exported but declared in no installed header:", name)
        ok = False
    for name in sorted(want - have):
        print("declared RG_API but not exported:", name)
        ok = False
    if no_rdkafka:
        ldd = subprocess.run(["ldd", library], check=True,
                             capture_output=True, text=True).stdout
        if "rdkafka" in ldd:
            print(library, "links librdkafka:\n" + ldd)
            ok = False
    print("{}: {} exported, {} declared".format(library, len(have), len(want)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# gst-rg
# Copyright (C) 2026 gst-rg authors
#
# This library is free software; you can redistribute it and/or
# modify it under the terms of the GNU Library General Public
# License as published by the Free Software Foundation; either
# version 2.1 of the License, or (at your option) any later version.

"""The journal's reliability soak (docs/reliability.md). Not part of CI.

    tests/soak/rg-soak.py BUILD_DIR [--kills N] [--sweeps M] [--dir D]

1. kill -9: for each of sync=always/interval with 4 KiB and random
   100 B..256 KiB records, starts rg-soak-writer on one journal again and
   again and SIGKILLs it after a random 10..300 ms. Each start recovers the
   journal; its first line says the next offset and how long the open took,
   and every record the killed writer reported durable must be below that
   next offset. Every 20 kills, and at the end, `rg-soak-writer check`
   reads the whole journal back and checks every record's value.
2. Fault injection: runs the crash-point sweep of the journal test
   (test_crash_points: every write of a small workload torn, process death
   and power loss with unsynced writes lost) M times.

Prints one table row per scenario and exits 1 if any durable record was
lost or any check failed.
"""

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import shutil


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))
    return values[k]


def check(writer, d):
    r = subprocess.run([writer, "check", d], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    m = re.search(r"records (\d+) first (\d+) next (\d+)", r.stdout)
    return int(m.group(3)), ""


def soak(writer, sync, sizes, kills, rng, base):
    d = tempfile.mkdtemp(prefix="rg-soak-%s-%s-" % (sync, sizes), dir=base)
    durable = 0
    reported = 0
    lost = 0
    failures = []
    opens_ms = []
    for i in range(kills):
        p = subprocess.Popen([writer, "write", d, sync, sizes,
                              str(rng.randrange(1 << 30))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        first = p.stdout.readline()
        m = re.match(r"opened (\d+) (\d+)", first)
        if not m:
            p.kill()
            p.wait()
            failures.append("kill %d: writer did not open: %s" %
                            (i, p.stderr.read().strip()))
            break
        nxt, us = int(m.group(1)), int(m.group(2))
        opens_ms.append(us / 1000.0)
        if nxt < durable:
            lost += durable - nxt
            failures.append("kill %d: %d records durable, next offset %d" %
                            (i, durable, nxt))
        time.sleep(rng.uniform(0.01, 0.3))
        p.send_signal(signal.SIGKILL)
        out, _ = p.communicate()
        for line in out.splitlines():
            m = re.match(r"durable (\d+)", line)
            if m:
                durable = max(durable, int(m.group(1)))
        reported = max(reported, durable)
        if i % 20 == 19 or i == kills - 1:
            nxt, err = check(writer, d)
            if nxt is None:
                failures.append("kill %d: check failed: %s" % (i, err))
            elif nxt < durable:
                lost += durable - nxt
                failures.append("kill %d: check found next offset %d below "
                                "durable %d" % (i, nxt, durable))
    shutil.rmtree(d, ignore_errors=True)
    return {
        "scenario": "sync=%s %s" % (sync, sizes),
        "kills": len(opens_ms),
        "durable": reported,
        "lost": lost,
        "open_median": statistics.median(opens_ms) if opens_ms else 0.0,
        "open_p99": percentile(opens_ms, 99),
        "failures": failures,
    }


def sweep(test, runs):
    points = 0
    failures = []
    env = dict(os.environ, GST_CHECKS="test_crash_points",
               GST_DEBUG="check:4")
    for i in range(runs):
        r = subprocess.run([test], capture_output=True, text=True, env=env)
        m = re.search(r"(\d+) crash points", r.stdout + r.stderr)
        if r.returncode != 0 or not m:
            failures.append("sweep %d: %s" % (i, (r.stdout + r.stderr)
                                              .strip()[-500:]))
        else:
            points += int(m.group(1))
    return points, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("build_dir")
    ap.add_argument("--kills", type=int, default=1000,
                    help="kill -9s in all (split over four scenarios)")
    ap.add_argument("--sweeps", type=int, default=5,
                    help="runs of the crash-point sweep")
    ap.add_argument("--dir", default=None,
                    help="where the journals go (default: the temp dir)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    writer = os.path.join(args.build_dir, "tests", "soak", "rg-soak-writer")
    test = os.path.join(args.build_dir, "tests", "check", "test-journal")
    rng = random.Random(args.seed)
    rows = []
    per = max(1, args.kills // 4)
    for sync in ("always", "interval"):
        for sizes in ("4k", "random"):
            rows.append(soak(writer, sync, sizes, per, rng, args.dir))
    points, sweep_failures = sweep(test, args.sweeps)

    print("| scenario | kill -9s | records reported durable | durable "
          "records lost | open with recovery, median | p99 |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %d | %d | %d | %.1f ms | %.1f ms |" % (
            r["scenario"], r["kills"], r["durable"], r["lost"],
            r["open_median"], r["open_p99"]))
    print("| crash-point sweep (torn writes, process death, power loss) "
          "| %d crash points in %d runs | | %s | | |" % (
              points, args.sweeps, "0" if not sweep_failures else "FAILED"))
    failures = [f for r in rows for f in r["failures"]] + sweep_failures
    for f in failures:
        print("FAILURE: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg authors
#
# This library is free software; you can redistribute it and/or modify it
# under the terms of the GNU Lesser General Public License as published by the
# Free Software Foundation; either version 2.1 of the License, or (at your
# option) any later version. See COPYING.
"""examples/inference.py runs to completion, twice into one directory.

Usage: gi_inference.py EXAMPLE

Runs the example with 150 frames (5 s of live video) into a new directory,
then again into the same one, and checks what it printed and wrote: every
flagged event was exported, each clip file exists and is not empty, each
export holds the records from a keyframe up to the flagged record, and the
second run, which appends to the first run's journal, finds its events
after the first run's records. The example itself checks each clip's record
offsets through GstRgMeta and exits non-zero when one is wrong.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

FRAMES = 150
EXPORT_RE = re.compile(
    r"export \d+: the flagged frame is record (\d+) \(GstRgMeta\); replayed "
    r"records (\d+)\.\.(\d+) \((\d+) frames")
SUMMARY_RE = re.compile(r"model: (\d+) frames seen of (\d+), (\d+) events "
                        r"flagged, (\d+) clips exported")


def run(example, out_dir):
    result = subprocess.run(
        ["/usr/bin/python3", example, "--num-buffers", str(FRAMES),
         "--out-dir", out_dir],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        raise AssertionError("the example exited with {}".format(
            result.returncode))
    return result.stdout


def check_run(output, out_dir, first_offset):
    summary = SUMMARY_RE.search(output)
    if not summary:
        raise AssertionError("no summary line")
    seen, frames, flagged, exported = map(int, summary.groups())
    if frames != FRAMES or not 0 < seen <= FRAMES:
        raise AssertionError("frames seen: {} of {}".format(seen, frames))
    if flagged < 1 or exported != flagged:
        raise AssertionError("{} events flagged, {} exported".format(
            flagged, exported))
    exports = [tuple(map(int, m.groups())) for m in EXPORT_RE.finditer(output)]
    if len(exports) != exported:
        raise AssertionError("{} export lines for {} clips".format(
            len(exports), exported))
    for record, start, end, count in exports:
        if not first_offset <= start <= end == record < first_offset + FRAMES:
            raise AssertionError("export of record {}: replayed {}..{}".format(
                record, start, end))
        if count != end - start + 1:
            raise AssertionError("export of record {}: {} frames for "
                                 "{}..{}".format(record, count, start, end))
        clip = os.path.join(out_dir, "event-{}.mp4".format(record))
        if os.path.getsize(clip) == 0:
            raise AssertionError(clip + " is empty")


def main():
    example = sys.argv[1]
    out_dir = tempfile.mkdtemp(prefix="gst-rg-gi-inference-")
    try:
        check_run(run(example, out_dir), out_dir, 0)
        second = run(example, out_dir)
        if "already holds records 0..{}".format(FRAMES - 1) not in second:
            raise AssertionError("the second run did not see the first's "
                                 "records")
        check_run(second, out_dir, FRAMES)
    finally:
        shutil.rmtree(out_dir)
    print("examples/inference.py: two runs checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())

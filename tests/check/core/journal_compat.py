#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Compatibility of a journal written by rgjournalsink with an independent
# Kafka reader. Runs journal-compat-writer (argv[1]), which streams a known
# sequence of buffers into rgjournalsink, then parses every .log segment of
# the journal with kafka-python's kafka.record.MemoryRecords (Debian's
# python3-kafka) and checks every batch CRC, offset, timestamp, key, value
# and header against the rules written down in journal-compat-writer.c.
# Exit status: 0 pass, 1 fail, 77 skip (kafka-python missing).

import os
import struct
import subprocess
import sys
import tempfile

try:
    from kafka.record import MemoryRecords
except ImportError:
    print("kafka-python (python3-kafka) is not installed: skipping")
    sys.exit(77)

CAPS_1 = (b"video/x-h264, stream-format=(string)byte-stream, "
          b"alignment=(string)au")
CAPS_2 = CAPS_1 + b", width=(int)1280, height=(int)720"
BASE_MS = 1700000000000
MSECOND = 1000000
NONE = -1  # GST_CLOCK_TIME_NONE as the int64 the header stores
FLAG_DELTA_UNIT = 0x2000
N_SINGLE = 60
N_LIST = 5


def pattern(i, size):
    return bytes((i * 13 + j) & 0xff for j in range(size))


def envelope(pts, dts, duration, flags):
    return [("gst.pts", struct.pack(">q", pts)),
            ("gst.dts", struct.pack(">q", dts)),
            ("gst.duration", struct.pack(">q", duration)),
            ("gst.flags", struct.pack(">I", flags))]


def expected_records():
    """(offset, timestamp, key, value, headers without gst.caps, caps)."""
    out = []
    for i in range(N_SINGLE):
        size = 2000 if i == 20 else 100 + (i % 7) * 50
        pts = i * 40 * MSECOND
        headers = envelope(pts, pts if i % 2 == 0 else NONE, 40 * MSECOND,
                           0 if i % 10 == 0 else FLAG_DELTA_UNIT)
        key = b"cam-%d" % (i % 2) if i % 3 == 0 else None
        out.append((i, BASE_MS + 40 * i, key, pattern(i, size), headers,
                    CAPS_1 if i < 30 else CAPS_2))
    for i in range(N_SINGLE, N_SINGLE + N_LIST):
        out.append((i, BASE_MS + 40 * N_SINGLE, b"cam-0", b"list-%d" % i,
                    envelope(i * 40 * MSECOND, NONE, NONE, 0), CAPS_2))
    return out


def short(value):
    text = repr(value)
    return text if len(text) <= 100 else text[:100] + "... (%d bytes)" % len(
        value)


def read_segment(path, failures):
    """[(batch base offset, [records])] of one .log file."""
    with open(path, "rb") as f:
        data = f.read()
    records = MemoryRecords(data)
    batches = []
    while records.has_next():
        batch = records.next_batch()
        if not batch.validate_crc():
            failures.append("%s: batch at offset %d: CRC rejected"
                            % (path, batch.base_offset))
        if batch.magic != 2 or batch.compression_type != 0:
            failures.append("%s: batch at offset %d: magic %d, compression %d"
                            % (path, batch.base_offset, batch.magic,
                               batch.compression_type))
        recs = [(r.offset, r.timestamp, r.key, r.value,
                 [(k, None if v is None else bytes(v)) for k, v in r.headers])
                for r in batch]
        batches.append((batch.base_offset, recs))
    if records.valid_bytes() != len(data):
        failures.append("%s: only %d of %d bytes form whole batches"
                        % (path, records.valid_bytes(), len(data)))
    return batches


def check_record(got, want, first_in_segment, failures):
    offset, timestamp, key, value, headers, caps = want
    gheaders = got[4]
    gcaps = [v for k, v in gheaders if k == "gst.caps"]
    gheaders = [(k, v) for k, v in gheaders if k != "gst.caps"]
    for name, gv, wv in zip(("offset", "timestamp", "key", "value",
                             "headers"), got[:4] + (gheaders,),
                            (offset, timestamp, key, value, headers)):
        if gv != wv:
            failures.append("offset %d: %s is %s, expected %s"
                            % (offset, name, short(gv), short(wv)))
    # Caps on the first record of every segment and where they change.
    if first_in_segment or offset == 30:
        if gcaps != [caps]:
            failures.append("offset %d: gst.caps %s, expected %s"
                            % (offset, gcaps, caps))
    elif gcaps:
        failures.append("offset %d: unexpected gst.caps %s" % (offset, gcaps))


def check(directory):
    failures = []
    names = sorted(n for n in os.listdir(directory) if n.endswith(".log"))
    got = []
    segment_starts = set()
    batch_sizes = {}
    for name in names:
        base = int(name[:-4])
        if len(name) != 24 or base != len(got):
            failures.append("segment %s does not start at offset %d"
                            % (name, len(got)))
        segment_starts.add(base)
        for batch_base, recs in read_segment(os.path.join(directory, name),
                                             failures):
            batch_sizes[batch_base] = len(recs)
            got.extend(recs)

    want = expected_records()
    if len(got) != len(want):
        failures.append("%d records, expected %d" % (len(got), len(want)))
    for g, w in zip(got, want):
        check_record(g, w, w[0] in segment_starts, failures)
    if len(names) < 2:
        failures.append("expected several segments, got %d" % len(names))
    for start in segment_starts:
        if start % 10 != 0:
            failures.append("segment at %d does not start at a keyframe"
                            % start)
    if batch_sizes.get(N_SINGLE) != N_LIST:
        failures.append("the buffer list is not one batch of %d records: %s"
                        % (N_LIST, batch_sizes.get(N_SINGLE)))
    return failures, len(got), len(names)


def main():
    if len(sys.argv) != 2:
        print("usage: journal_compat.py PATH-TO-journal-compat-writer")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        directory = os.path.join(tmp, "journal")
        subprocess.run([sys.argv[1], directory], check=True)
        failures, n, segments = check(directory)
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        return 1
    print("kafka-python read %d records in %d segments, all as written"
          % (n, segments))
    return 0


if __name__ == "__main__":
    sys.exit(main())

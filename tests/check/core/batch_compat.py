#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Compatibility of gst-rg's record batches with an independent Kafka reader.
# Runs batch-writer (argv[1]) to encode batches into a file, parses the file
# with kafka-python's kafka.record.MemoryRecords (Debian's python3-kafka) and
# checks every batch CRC, offset, timestamp, key, value and header against
# the rules written down in batch-writer.c. Exit status: 0 pass, 1 fail,
# 77 skip (kafka-python missing).

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

CAPS = (b"video/x-h264, stream-format=(string)byte-stream, "
        b"alignment=(string)au")
SECOND = 1000000000
MSECOND = 1000000
NONE = -1  # GST_CLOCK_TIME_NONE as the int64 the header stores

# GstBufferFlags values (GStreamer 1.x ABI).
FLAG_MARKER = 0x200
FLAG_HEADER = 0x400
FLAG_DELTA_UNIT = 0x2000


def envelope(pts, dts, duration, flags, caps=None):
    headers = [("gst.pts", struct.pack(">q", pts)),
               ("gst.dts", struct.pack(">q", dts)),
               ("gst.duration", struct.pack(">q", duration)),
               ("gst.flags", struct.pack(">I", flags))]
    if caps is not None:
        headers.append(("gst.caps", caps))
    return headers


def expected_batches():
    """(base_offset, [(offset, timestamp, key, value, headers)]) per batch."""
    b0 = [
        (0, 1700000000000, b"cam-1", bytes(range(256)),
         envelope(SECOND, 900 * MSECOND, 40 * MSECOND,
                  FLAG_DELTA_UNIT | FLAG_MARKER, CAPS)
         + [("site", b"lab\x00\xff")]),
        (1, 1700000000040, None, b"", envelope(NONE, NONE, NONE, 0)),
        (2, 1700000000020, b"cam-1", None, [("null-header", None)]),
    ]
    b1 = [(3, 1700000001000, b"k",
           bytes((i * 7) & 0xff for i in range(100000)),
           envelope(2 * SECOND, 2 * SECOND, 40 * MSECOND, FLAG_HEADER, CAPS))]
    b2 = [(4 + i, 1700000002000 + i, b"sensor-%d" % (i % 3),
           b"record-%d" % i, [("i", b"%d" % i)]) for i in range(50)]
    return [(0, b0), (3, b1), (4, b2)]


def short(value):
    text = repr(value)
    return text if len(text) <= 100 else text[:100] + "... (%d bytes)" % len(
        value)


def check(data):
    failures = []
    records = MemoryRecords(data)
    got = []
    while records.has_next():
        batch = records.next_batch()
        if not batch.validate_crc():
            failures.append("batch at offset %d: CRC rejected by kafka-python"
                            % batch.base_offset)
        if batch.magic != 2 or batch.compression_type != 0:
            failures.append("batch at offset %d: magic %d, compression %d"
                            % (batch.base_offset, batch.magic,
                               batch.compression_type))
        recs = [(r.offset, r.timestamp, r.key, r.value,
                 [(k, None if v is None else bytes(v)) for k, v in r.headers])
                for r in batch]
        got.append((batch.base_offset, recs))
    if records.valid_bytes() != len(data):
        failures.append("only %d of %d bytes form whole batches"
                        % (records.valid_bytes(), len(data)))

    want = expected_batches()
    if len(got) != len(want):
        failures.append("%d batches, expected %d" % (len(got), len(want)))
    for (gbase, grecs), (wbase, wrecs) in zip(got, want):
        if gbase != wbase:
            failures.append("baseOffset %d, expected %d" % (gbase, wbase))
        if len(grecs) != len(wrecs):
            failures.append("batch %d: %d records, expected %d"
                            % (wbase, len(grecs), len(wrecs)))
        for g, w in zip(grecs, wrecs):
            for name, gv, wv in zip(("offset", "timestamp", "key", "value",
                                     "headers"), g, w):
                if gv != wv:
                    failures.append("offset %d: %s is %s, expected %s"
                                    % (w[0], name, short(gv), short(wv)))
    return failures, sum(len(r) for _, r in got)


def main():
    if len(sys.argv) != 2:
        print("usage: batch_compat.py PATH-TO-batch-writer")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "00000000000000000000.log")
        subprocess.run([sys.argv[1], path], check=True)
        with open(path, "rb") as f:
            data = f.read()
    failures, n = check(data)
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        return 1
    print("kafka-python read %d records in %d bytes, all as written"
          % (n, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

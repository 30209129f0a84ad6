#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg authors
#
# This library is free software; you can redistribute it and/or modify it
# under the terms of the GNU Lesser General Public License as published by the
# Free Software Foundation; either version 2.1 of the License, or (at your
# option) any later version. See COPYING.
"""GstRg-1.0 from Python: the typelib built in this tree, GstRgMeta's fields
and header accessors, and the journal reader without a pipeline.

Usage: gi_meta.py BUILD_DIR [GJS]

GI_TYPELIB_PATH and LD_LIBRARY_PATH must name BUILD_DIR/gst and
GST_PLUGIN_PATH_1_0 BUILD_DIR/plugins (meson test sets them). Two journals
are written and read back, each through rgsrc + appsink and through
GstRg.JournalReader:

- one written by rgjournalsink from appsrc buffers that carry a GstRgMeta
  (record timestamp and key) and known PTS, DTS, duration, flags and caps;
- one written here, byte by byte, as a foreign Kafka producer would: batches
  whose records carry user headers (a repeated name, a null value) next to
  the gst.* envelope. rgjournalsink does not write user headers, so this is
  how the test gets records that have them.

With GJS (the path of gjs), gi_meta.js reads the second journal too and
its output is checked the same way.

Every field read back is compared with what was written. Exits non-zero on
the first mismatch, or when the typelib cannot be loaded from BUILD_DIR.
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GIRepository", "2.0")
# Fails with ValueError ("Namespace GstRg not available") without a typelib.
gi.require_version("GstRg", "1.0")
# GstApp for its side effect: appsink then has try_pull_sample().
from gi.repository import GIRepository, GLib, Gst, GstApp, GstRg  # noqa

BASE_TIME_MS = 1767225600000
CAPS = "application/x-gi-test, stream=(int)7"
N_SINK_RECORDS = 6


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def check_eq(got, want, what):
    if got != want:
        raise AssertionError("{}: got {!r}, want {!r}".format(what, got, want))


def bytes_of(gbytes):
    return None if gbytes is None else bytes(gbytes.get_data())


# ---- The typelib -----------------------------------------------------------

def check_typelib(build_dir):
    """The GstRg typelib in use is the one this build produced."""
    path = GIRepository.Repository.get_default().get_typelib_path("GstRg")
    want = os.path.realpath(os.path.join(build_dir, "gst",
                                         "GstRg-1.0.typelib"))
    check_eq(os.path.realpath(path or ""), want, "GstRg typelib path")
    # The check value of CRC-32C (Castagnoli), through the typelib.
    check_eq(GstRg.crc32c(0, b"123456789"), 0xE3069283, "crc32c check value")


def check_meta_api():
    """A meta added from Python reads back through buffer_get_meta()."""
    buffer = Gst.Buffer.new_wrapped(b"payload")
    check(GstRg.buffer_get_meta(buffer) is None, "meta on a plain buffer")
    meta = GstRg.buffer_add_meta(buffer, 41, BASE_TIME_MS,
                                 GLib.Bytes.new(b"cam-1"))
    meta.add_header("zone", GLib.Bytes.new(b"north"))
    meta.add_header("zone", GLib.Bytes.new(b"south"))
    meta.add_header("empty", None)
    again = GstRg.buffer_get_meta(buffer)
    check_eq(again.offset, 41, "offset field")
    check_eq(again.timestamp, BASE_TIME_MS, "timestamp field")
    check_eq(bytes_of(again.get_key()), b"cam-1", "key")
    check_eq(again.get_n_headers(), 3, "n_headers")
    check_eq([again.get_header_name(i) for i in range(3)],
             ["zone", "zone", "empty"], "header names")
    check_eq(bytes_of(again.get_header("zone")), b"south",
             "repeated header: the last wins")
    check(again.get_header("empty") is None, "null header value")
    check(again.get_header("missing") is None, "missing header")
    check(again.get_header_name(3) is None, "header name out of range")


# ---- Journal 1: written by rgjournalsink -----------------------------------

def sink_record(i):
    """What record i of the rgjournalsink journal holds."""
    return {
        "value": bytes([i]) * (100 + i),
        "timestamp": BASE_TIME_MS + 40 * i,
        "key": "cam-{}".format(i % 2).encode(),
        "pts": i * 40 * Gst.MSECOND,
        "dts": i * 40 * Gst.MSECOND,
        "duration": 40 * Gst.MSECOND,
        "keyframe": i % 3 == 0,
    }


def write_with_rgjournalsink(directory):
    pipeline = Gst.parse_launch(
        "appsrc name=src format=time caps=\"{}\" "
        "! rgjournalsink location=\"{}\" sync=none".format(CAPS, directory))
    src = pipeline.get_by_name("src")
    pipeline.set_state(Gst.State.PLAYING)
    for i in range(N_SINK_RECORDS):
        want = sink_record(i)
        buffer = Gst.Buffer.new_wrapped(want["value"])
        buffer.pts, buffer.dts = want["pts"], want["dts"]
        buffer.duration = want["duration"]
        if not want["keyframe"]:
            buffer.set_flags(Gst.BufferFlags.DELTA_UNIT)
        GstRg.buffer_add_meta(buffer, 0, want["timestamp"],
                              GLib.Bytes.new(want["key"]))
        check_eq(src.emit("push-buffer", buffer), Gst.FlowReturn.OK,
                 "appsrc push")
    src.emit("end-of-stream")
    message = pipeline.get_bus().timed_pop_filtered(
        30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    check(message is not None, "no EOS from the writing pipeline")
    check_eq(message.type, Gst.MessageType.EOS, "writing pipeline ended")
    pipeline.set_state(Gst.State.NULL)


def check_sink_buffer(i, buffer, what):
    want = sink_record(i)
    meta = GstRg.buffer_get_meta(buffer)
    check(meta is not None, what + ": no GstRgMeta")
    check_eq(meta.offset, i, what + ": meta.offset")
    check_eq(meta.timestamp, want["timestamp"], what + ": meta.timestamp")
    check_eq(bytes_of(meta.get_key()), want["key"], what + ": key")
    check_eq(meta.get_n_headers(), 0, what + ": user headers")
    check_eq(buffer.pts, want["pts"], what + ": PTS")
    check_eq(buffer.dts, want["dts"], what + ": DTS")
    check_eq(buffer.duration, want["duration"], what + ": duration")
    check_eq(not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT),
             want["keyframe"], what + ": keyframe")
    check_eq(buffer.extract_dup(0, buffer.get_size()), want["value"],
             what + ": value bytes")


def replay_with_rgsrc(directory, extra=""):
    """Every buffer (and its caps) rgsrc pushes for the journal."""
    pipeline = Gst.parse_launch(
        "rgsrc location=\"{}\" {} ! appsink name=sink sync=false".format(
            directory, extra))
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    samples = []
    while True:
        sample = sink.try_pull_sample(30 * Gst.SECOND)
        if sample is None:
            break
        samples.append((sample.get_buffer(), sample.get_caps()))
    check(sink.is_eos(), "rgsrc replay did not reach EOS")
    pipeline.set_state(Gst.State.NULL)
    return samples


def read_with_reader(directory):
    """Every record GstRg.JournalReader returns, from the first."""
    reader = GstRg.journal_reader_open(directory)
    records = []
    while True:
        result, record = reader.next_record(False, -1)
        if result != GstRg.JournalReadResult.OK:
            check_eq(result, GstRg.JournalReadResult.END, "reader result")
            check(record is None, "a record returned with END")
            return reader, records
        records.append(record)


def check_rgjournalsink_journal(directory):
    write_with_rgjournalsink(directory)
    samples = replay_with_rgsrc(directory)
    check_eq(len(samples), N_SINK_RECORDS, "buffers replayed by rgsrc")
    for i, (buffer, caps) in enumerate(samples):
        check_sink_buffer(i, buffer, "rgsrc record {}".format(i))
        check(caps.is_equal(Gst.Caps.from_string(CAPS)), "rgsrc caps")

    reader, records = read_with_reader(directory)
    check_eq(len(records), N_SINK_RECORDS, "records read by JournalReader")
    ok, start, end = reader.get_range()
    check(ok and (start, end) == (0, N_SINK_RECORDS), "get_range")
    for i, record in enumerate(records):
        what = "reader record {}".format(i)
        check_eq(record.offset, i, what + ": offset")
        check_eq(record.timestamp, sink_record(i)["timestamp"],
                 what + ": timestamp")
        check_eq(record.keyframe, sink_record(i)["keyframe"],
                 what + ": keyframe")
        check_sink_buffer(i, record.buffer, what)
    check(records[0].caps.is_equal(Gst.Caps.from_string(CAPS)),
          "caps of the first record")

    # Seek by record offset, snapped back to the keyframe (3) before 5.
    check(reader.seek_offset(5, True), "seek_offset")
    result, record = reader.next_record(False, -1)
    check_eq(result, GstRg.JournalReadResult.OK, "read after seek")
    check_eq(GstRg.buffer_get_meta(record.buffer).offset, 3,
             "offset after a keyframe-snapped seek to 5")

    # rgsrc with start/stop offsets: exactly the window [2, 5).
    window = replay_with_rgsrc(directory,
                               "start=offset start-offset=2 stop-offset=5")
    check_eq([GstRg.buffer_get_meta(b).offset for b, _ in window], [2, 3, 4],
             "rgsrc start-offset/stop-offset window")


# ---- Journal 2: a foreign producer's batches with user headers -------------

def zigzag_varint(value):
    value = (value << 1) ^ (value >> 63)
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_prefixed(data):
    if data is None:
        return zigzag_varint(-1)
    return zigzag_varint(len(data)) + data


def encode_record(timestamp_delta, offset_delta, key, value, headers):
    body = b"\x00" + zigzag_varint(timestamp_delta) + \
        zigzag_varint(offset_delta) + length_prefixed(key) + \
        length_prefixed(value) + zigzag_varint(len(headers))
    for name, header_value in headers:
        body += length_prefixed(name.encode()) + length_prefixed(header_value)
    return zigzag_varint(len(body)) + body


def encode_batch(base_offset, timestamp, record):
    """One RecordBatch v2 holding one record, as a Kafka producer writes it
    (uncompressed, CreateTime, no producer id), CRC-32C from GstRg."""
    after_crc = struct.pack(">hiqqqhii", 0, 0, timestamp, timestamp, -1, -1,
                            -1, 1) + record
    crc = GstRg.crc32c(0, after_crc)
    after_length = struct.pack(">ibI", 0, 2, crc) + after_crc
    return struct.pack(">qi", base_offset, len(after_length)) + after_length


def foreign_record(i):
    headers = [("gst.pts", struct.pack(">Q", (1000 + i) * Gst.MSECOND)),
               ("camera", "cam-{}".format(i).encode()),
               ("label", b"first"),
               ("label", "last-{}".format(i).encode()),
               ("note", None)]
    if i == 0:
        headers.append(("gst.caps", CAPS.encode()))
    return {"timestamp": BASE_TIME_MS + 1000 * i, "key": None,
            "value": "frame {}".format(i).encode(), "headers": headers,
            "pts": (1000 + i) * Gst.MSECOND}


def write_foreign_journal(directory, count):
    os.makedirs(directory)
    with open(os.path.join(directory, "%020d.log" % 0), "wb") as log:
        for i in range(count):
            want = foreign_record(i)
            record = encode_record(0, 0, want["key"], want["value"],
                                   want["headers"])
            log.write(encode_batch(i, want["timestamp"], record))
    # The indexes are rebuilt from the log, as after a crash.
    GstRg.journal_recover(directory)


def check_foreign_buffer(i, buffer, what):
    want = foreign_record(i)
    meta = GstRg.buffer_get_meta(buffer)
    check_eq(meta.offset, i, what + ": offset")
    check_eq(meta.timestamp, want["timestamp"], what + ": timestamp")
    check(meta.get_key() is None, what + ": null key")
    # Only user headers show; gst.pts and gst.caps went onto the buffer.
    check_eq(meta.get_n_headers(), 4, what + ": user headers")
    check_eq([meta.get_header_name(n) for n in range(4)],
             ["camera", "label", "label", "note"], what + ": header names")
    check_eq(bytes_of(meta.get_header_value(1)), b"first",
             what + ": header 1 by index")
    check_eq(bytes_of(meta.get_header("camera")),
             "cam-{}".format(i).encode(), what + ": header camera by name")
    check_eq(bytes_of(meta.get_header("label")),
             "last-{}".format(i).encode(), what + ": repeated name")
    check(meta.get_header("note") is None, what + ": null header value")
    check(meta.get_header("gst.pts") is None, what + ": gst.pts hidden")
    check_eq(buffer.pts, want["pts"], what + ": PTS from gst.pts")
    check_eq(buffer.extract_dup(0, buffer.get_size()), want["value"],
             what + ": value bytes")


def check_foreign_journal(directory):
    count = 3
    write_foreign_journal(directory, count)
    _, records = read_with_reader(directory)
    check_eq(len(records), count, "foreign records read by JournalReader")
    for i, record in enumerate(records):
        check_foreign_buffer(i, record.buffer, "reader foreign {}".format(i))
    samples = replay_with_rgsrc(directory)
    check_eq(len(samples), count, "foreign buffers replayed by rgsrc")
    for i, (buffer, _) in enumerate(samples):
        check_foreign_buffer(i, buffer, "rgsrc foreign {}".format(i))


def check_gjs(gjs, directory):
    """gi_meta.js reads the foreign journal through GJS."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "gi_meta.js")
    result = subprocess.run([gjs, script, directory], capture_output=True,
                            text=True, timeout=60)
    check_eq(result.returncode, 0, "gjs exit status ({})".format(
        result.stderr.strip()))
    want = []
    for i in range(3):
        record = foreign_record(i)
        want.append("{i} {i} {ts} 4 camera cam-{i} last-{i} {pts}".format(
            i=i, ts=record["timestamp"], pts=record["pts"]))
    check_eq(result.stdout.splitlines(), want, "GJS output")


def check_errors(directory):
    missing = os.path.join(directory, "missing")
    try:
        GstRg.journal_reader_open(missing)
    except GLib.Error as error:
        check(error.matches(GstRg.journal_error_quark(),
                            GstRg.JournalError.IO), "error domain and code")
        check(missing in error.message, "error names the directory")
    else:
        raise AssertionError("opening a missing journal did not fail")


def main():
    build_dir = sys.argv[1]
    Gst.init(None)
    check_typelib(build_dir)
    check_meta_api()
    tmp = tempfile.mkdtemp(prefix="gst-rg-gi-")
    try:
        check_rgjournalsink_journal(os.path.join(tmp, "sink"))
        check_foreign_journal(os.path.join(tmp, "foreign"))
        if len(sys.argv) > 2:
            check_gjs(sys.argv[2], os.path.join(tmp, "foreign"))
        else:
            print("GJS: not checked (gjs not found)")
        check_errors(tmp)
    finally:
        shutil.rmtree(tmp)
    print("GstRg-1.0 from Python: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

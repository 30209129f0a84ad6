#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
#
# This library is free software; you can redistribute it and/or
# modify it under the terms of the GNU Library General Public
# License as published by the Free Software Foundation; either
# version 2.1 of the License, or (at your option) any later version.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""rgbrokersink against real Kafka clients: kcat (librdkafka 2.0.2) and
kafka-python 2.0.2, independent implementations of the protocol.

A pipeline `appsrc ! rgbrokersink port=0` in this process serves buffers of
random binary bytes with known timestamps and flags; the clients must read
exactly those bytes, in order, with the gst.* headers, and be refused when
they produce. Usage: broker_clients.py KCAT (run by meson with the build
tree's plugin path)."""

import os
import random
import struct
import subprocess
import sys
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

from kafka import KafkaConsumer, TopicPartition  # noqa: E402

TOPIC = "frames"
N_RECORDS = 60
CAPS = "application/x-rg-test, rate=(int)25"
FRAME_NS = 40 * Gst.MSECOND
CLIENT_TIMEOUT = 30

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    else:
        print("ok:", what, flush=True)


def make_values(rng, n):
    # Binary values of varied sizes, including NUL and newline bytes and
    # one larger than a typical socket buffer.
    sizes = [rng.randint(1, 3000) for _ in range(n)]
    sizes[7] = 300000
    return [bytes(rng.getrandbits(8) for _ in range(s)) for s in sizes]


class Pipeline:
    def __init__(self, location=None):
        # With a location, the sink writes a journal (small segments, so a
        # consumer crosses several) and serves it with sendfile().
        journal = ("location=%s max-segment-bytes=65536" % location
                   if location else "")
        self.pipeline = Gst.parse_launch(
            "appsrc name=src format=time caps=\"%s\" ! "
            "rgbrokersink name=sink topic=%s port=0 ring-size=1000 "
            "sync=false %s" % (CAPS, TOPIC, journal))
        self.src = self.pipeline.get_by_name("src")
        self.sink = self.pipeline.get_by_name("sink")
        self.added = 0
        self.removed = 0
        self.sink.connect("client-added", self.on_added)
        self.sink.connect("client-removed", self.on_removed)
        self.pushed = 0
        # The sink binds in its start(), during READY to PAUSED; it
        # prerolls (ASYNC) only once the first buffer arrives.
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        assert ret != Gst.StateChangeReturn.FAILURE, ret
        self.port = self.sink.get_property("bound-port")
        assert self.port > 0

    def on_added(self, sink, client_id, address):
        self.added += 1

    def on_removed(self, sink, client_id, address):
        self.removed += 1

    def push(self, value):
        i = self.pushed
        buf = Gst.Buffer.new_wrapped(value)
        buf.pts = i * FRAME_NS
        buf.dts = i * FRAME_NS
        buf.duration = FRAME_NS
        if i % 10 != 0:
            buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
        assert self.src.emit("push-buffer", buf) == Gst.FlowReturn.OK
        self.pushed += 1

    def wait_appended(self, n):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            # The high watermark: a journal's writer may hold the newest
            # records back for a few ms before they are in the files.
            stats = self.sink.get_property("stats")
            if stats.get_value("high-watermark") >= n:
                return True
            time.sleep(0.01)
        return False

    def stats(self):
        return self.sink.get_property("stats")

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          timeout=CLIENT_TIMEOUT)


def parse_kcat_values(out):
    """Parses kcat -f '%o %R%s' output: decimal offset, a space, the value
    length as a big-endian int32, the value."""
    records = []
    pos = 0
    while pos < len(out):
        space = out.index(b" ", pos)
        offset = int(out[pos:space])
        (length,) = struct.unpack(">i", out[space + 1:space + 5])
        start = space + 5
        records.append((offset, out[start:start + length]))
        pos = start + length
    return records


def test_kcat(pipe, values, kcat, journal):
    broker = "127.0.0.1:%d" % pipe.port
    res = run([kcat, "-C", "-b", broker, "-t", TOPIC, "-o", "beginning",
               "-e", "-q", "-f", "%o %R%s"])
    check(res.returncode == 0, "kcat -C exits 0 (%d: %s)" %
          (res.returncode, res.stderr.decode(errors="replace")[-300:]))
    records = parse_kcat_values(res.stdout)
    check([o for o, _ in records] == list(range(len(values))),
          "kcat reads offsets 0..%d in order" % (len(values) - 1))
    check([v for _, v in records] == values,
          "kcat values byte-identical to the buffers")

    res = run([kcat, "-C", "-b", broker, "-t", TOPIC, "-o", "beginning",
               "-e", "-q", "-f", "%o|%h\n"])
    out = res.stdout
    for name in (b"gst.pts=", b"gst.dts=", b"gst.duration=", b"gst.flags="):
        check(out.count(name) == len(values),
              "kcat sees header %s on every record" % name.decode())
    # The ring repeats the caps on every keyframe; the journal writes them
    # on the first record of every segment.
    check(out.count(b"gst.caps=" + CAPS.encode()) >=
          (1 if journal else len(values) // 10),
          "kcat sees gst.caps (%s)" %
          ("segment starts" if journal else "every keyframe"))

    res = run([kcat, "-P", "-b", broker, "-t", TOPIC,
               "-X", "message.timeout.ms=5000"], stdin=b"intruder\n")
    err = res.stderr.decode(errors="replace")
    check(res.returncode != 0 and "Topic authorization failed" in err,
          "kcat -P into the sink's topic is refused (rc %d: %s)" %
          (res.returncode, err.strip()[-200:]))

    res = run([kcat, "-P", "-b", broker, "-t", "no-such-topic",
               "-X", "topic.metadata.propagation.max.ms=1000",
               "-X", "message.timeout.ms=5000"], stdin=b"hello\n")
    err = res.stderr.decode(errors="replace")
    check(res.returncode != 0 and "Unknown topic or partition" in err,
          "kcat -P into an unknown topic: UNKNOWN_TOPIC_OR_PARTITION "
          "(rc %d: %s)" % (res.returncode, err.strip()[-200:]))

    stats = pipe.stats()
    check(stats.get_value("high-watermark") == len(values),
          "produce attempts appended nothing")


def poll_records(consumer, n, timeout):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        for recs in consumer.poll(timeout_ms=500).values():
            got.extend(recs)
    return got


def test_kafka_python(pipe, values, rng, journal):
    consumer = KafkaConsumer(
        bootstrap_servers="127.0.0.1:%d" % pipe.port,
        group_id=None, enable_auto_commit=False,
        fetch_max_bytes=50 * 1024 * 1024,
        max_partition_fetch_bytes=1024 * 1024)
    tp = TopicPartition(TOPIC, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = poll_records(consumer, len(values), 20)
    check([r.offset for r in got] == list(range(len(values))),
          "kafka-python reads offsets 0..%d" % (len(values) - 1))
    check([r.value for r in got] == values,
          "kafka-python values byte-identical to the buffers")
    ok = True
    for r in got:
        h = dict(r.headers)
        pts = r.offset * FRAME_NS
        flags = struct.unpack(">I", h.get("gst.flags", b"\0\0\0\0"))[0]
        delta = bool(flags & int(Gst.BufferFlags.DELTA_UNIT))
        if (h.get("gst.pts") != struct.pack(">Q", pts)
                or h.get("gst.duration") != struct.pack(">Q", FRAME_NS)
                or delta != (r.offset % 10 != 0)):
            ok = False
        if "gst.caps" in h and h["gst.caps"] != CAPS.encode():
            ok = False
        if (r.offset == 0 or (r.offset % 10 == 0 and not journal)) \
                and "gst.caps" not in h:
            ok = False
    check(ok and got, "kafka-python headers: gst.pts, gst.duration, "
          "gst.flags (DELTA_UNIT), gst.caps")

    # Live: records pushed while the consumer waits arrive in order.
    more = make_values(rng, 12)[:5]
    pusher = threading.Timer(0.3, lambda: [pipe.push(v) for v in more])
    pusher.start()
    live = poll_records(consumer, len(more), 20)
    pusher.join()
    check([r.offset for r in live] ==
          list(range(len(values), len(values) + len(more)))
          and [r.value for r in live] == more,
          "kafka-python receives records appended while it waits")

    stats = pipe.stats()
    clients = stats.get_value("clients")
    check(stats.get_value("connections") >= 1 and len(clients) >= 1,
          "stats list the connected consumer")
    lags = [clients[i].get_value("lag") for i in range(len(clients))]
    check(0 in lags, "the caught-up consumer has lag 0 (%s)" % lags)
    consumer.close()
    return len(more)


def run_mode(kcat, location):
    print("# %s" % ("journal-backed: " + location if location
                    else "in-memory ring"), flush=True)
    rng = random.Random(7)
    values = make_values(rng, N_RECORDS)
    pipe = Pipeline(location)
    try:
        for v in values:
            pipe.push(v)
        check(pipe.wait_appended(len(values)), "all buffers appended")
        test_kcat(pipe, values, kcat, location is not None)
        n_more = test_kafka_python(pipe, values, rng, location is not None)
        if location is None:
            test_live_view(pipe, len(values) + n_more)
        stats = pipe.stats()
        check(stats.get_value("records-served") >= 2 * len(values) + n_more,
              "records-served counts what the clients read (%d)" %
              stats.get_value("records-served"))
        deadline = time.monotonic() + 10
        while pipe.removed < pipe.added and time.monotonic() < deadline:
            time.sleep(0.05)
        check(pipe.added >= 5 and pipe.removed == pipe.added,
              "client-added/client-removed signals (%d/%d)" %
              (pipe.added, pipe.removed))
    finally:
        pipe.stop()


def test_live_view(pipe, n_records):
    # A consumer of <topic>.live that asks for offset 0 is far more than
    # live-max-lag (30) records behind: it is answered from the latest
    # keyframe (every 10th buffer), then follows the stream.
    consumer = KafkaConsumer(
        bootstrap_servers="127.0.0.1:%d" % pipe.port,
        group_id=None, enable_auto_commit=False)
    tp = TopicPartition(TOPIC + ".live", 0)
    consumer.assign([tp])
    consumer.seek(tp, 0)
    latest_key = (n_records - 1) // 10 * 10
    got = poll_records(consumer, n_records - latest_key, 20)
    check([r.offset for r in got] == list(range(latest_key, n_records)),
          "kafka-python on %s.live resumes at keyframe %d (got %s)" %
          (TOPIC, latest_key, [r.offset for r in got][:3]))
    consumer.close()


def main():
    kcat = sys.argv[1] if len(sys.argv) > 1 else "kcat"
    Gst.init(None)
    run_mode(kcat, None)
    with tempfile.TemporaryDirectory() as tmp:
        run_mode(kcat, os.path.join(tmp, "journal"))
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GST_DEBUG", "*:1")
    sys.exit(main())

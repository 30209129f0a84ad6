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

"""Durable ingest against kill -9 (docs/reliability.md).

    ingest-kill.py KCAT [--kills N] [--dir D] [--sync always|interval]

Runs `gst-launch-1.0 ... ! rgbrokersink ingest=true location=D/own` again
and again. In each run a confluent-kafka producer (librdkafka, acks=all)
sends records with a key, a header and a timestamp into the ingest topic
"telemetry" while the gst-launch process is SIGKILLed 10..400 ms after
the run's first acknowledgement. Every record whose delivery report came
back without error was acknowledged by the broker, which
(rgbrokeringest.h) answers acks=all only once the records are durable.

At the end one more gst-launch serves the journal, and every acknowledged
record must be read back at the offset its acknowledgement named, with its
key, header, timestamp and value, by kcat (librdkafka) and by rgsrc
reading the journal directory (GstRgMeta, through the GstRg typelib). Run
by meson with --kills 20 (test 'ingest-kill'); the soak is --kills 100 or
more. Exits 1 on any lost or altered record.
"""

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstRg", "1.0")
from gi.repository import Gst, GstApp, GstRg  # noqa: E402

try:
    from confluent_kafka import Producer  # noqa: E402
except ImportError:
    print("SKIP: python3-confluent-kafka is not installed")
    sys.exit(77)

TOPIC = "telemetry"
BASE_TS = 1700000000000


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_pipeline(port, location, sync):
    """gst-launch serving the sink's own topic and accepting ingest; it
    never ends by itself (a live 1 fps source)."""
    cmd = ["gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "!",
           "video/x-raw,width=16,height=16,framerate=1/1", "!",
           "rgbrokersink", "topic=own", "port=%d" % port, "ingest=true",
           "location=" + location, "journal-sync=" + sync]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def wait_listening(port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gst-launch exited: %s" %
                               proc.stderr.read().decode(errors="replace"))
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("broker did not listen on port %d" % port)


def record(seq):
    key = b"sensor-%d" % (seq % 7)
    value = (b"reading %d " % seq) * (1 + seq % 5)
    return key, value, [("seq", b"%d" % seq)], BASE_TS + seq


class Run:
    """One producer while the broker is killed under it."""

    def __init__(self, port, first_seq):
        self.acked = {}
        self.errors = {}
        self.next_seq = first_seq
        self.stop = threading.Event()
        self.producer = Producer({
            "bootstrap.servers": "127.0.0.1:%d" % port,
            "acks": "all", "linger.ms": 2, "message.timeout.ms": 1500,
            "retries": 0, "reconnect.backoff.max.ms": 100,
            "log_level": 0})

    def report(self, err, msg, seq):
        # Delivery reports carry no headers: the sequence number is bound
        # to the callback.
        if err is None:
            self.acked[seq] = msg.offset()
        else:
            self.errors[err.name()] = self.errors.get(err.name(), 0) + 1

    def produce(self):
        while not self.stop.is_set():
            key, value, headers, ts = record(self.next_seq)
            try:
                self.producer.produce(
                    TOPIC, value, key, headers=headers, timestamp=ts,
                    on_delivery=lambda err, msg, s=self.next_seq:
                    self.report(err, msg, s))
                self.next_seq += 1
            except BufferError:
                pass
            self.producer.poll(0.001)

    def finish(self):
        # Called once the broker is dead: no further acknowledgement can
        # come, but answers already in the socket may still be read.
        # Waiting for the remaining records to time out (message.timeout.ms)
        # would only cost time, so they are purged after a short poll.
        self.stop.set()
        self.producer.poll(0.1)
        self.producer.purge()
        self.producer.flush(1)


def kill_rounds(args, location, acked):
    seq = 0
    for i in range(args.kills):
        port = free_port()
        proc = start_pipeline(port, location, args.sync)
        wait_listening(port, proc)
        run = Run(port, seq)
        thread = threading.Thread(target=run.produce)
        thread.start()
        # librdkafka may take a second to learn the topic's leader: the
        # kill is timed from the run's first acknowledgement, so that each
        # run kills a broker under acknowledged load.
        deadline = time.monotonic() + 10
        while not run.acked and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(random.uniform(0.01, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        run.finish()
        thread.join()
        for s, offset in run.acked.items():
            if s in acked and acked[s] != offset:
                fail("seq %d acknowledged at offsets %d and %d" %
                     (s, acked[s], offset))
            acked[s] = offset
        seq = run.next_seq
        print("kill %d: %d records sent, %d acknowledged, errors %s" %
              (i + 1, seq, len(acked), run.errors), flush=True)
    return seq


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def check_one(seq, offset, key, value, headers, ts, where):
    ekey, evalue, eheaders, ets = record(seq)
    if (key, value, headers, ts) != (ekey, evalue, eheaders, ets):
        fail("%s: record seq %d at offset %d differs: %r" %
             (where, seq, offset, (key, value[:40], headers, ts)))


def read_kcat(kcat, port):
    out = subprocess.run(
        [kcat, "-C", "-b", "127.0.0.1:%d" % port, "-t", TOPIC, "-o",
         "beginning", "-e", "-q", "-f",
         "%o\x1f%h\x1f%T\x1f%k\x1f%s\x1e"], capture_output=True, timeout=60,
        check=True).stdout
    got = {}
    for item in out.split(b"\x1e"):
        if not item:
            continue
        offset, hdr, ts, key, value = item.split(b"\x1f", 4)
        name, _, hval = hdr.partition(b"=")
        got[int(offset)] = (key, value, [(name.decode(), hval)], int(ts))
    return got


def read_rgsrc(directory):
    """Every record of the journal through rgsrc, with its GstRgMeta."""
    pipeline = Gst.parse_launch(
        "rgsrc location=%s ! appsink name=sink sync=false" % directory)
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    got = {}
    while True:
        sample = sink.try_pull_sample(10 * Gst.SECOND)
        if sample is None:
            break
        buf = sample.get_buffer()
        meta = GstRg.buffer_get_meta(buf)
        ok, info = buf.map(Gst.MapFlags.READ)
        value = bytes(info.data)
        buf.unmap(info)
        key = bytes(meta.get_key().get_data())
        headers = [(meta.get_header_name(0),
                    bytes(meta.get_header("seq").get_data()))]
        got[buf.offset] = (key, value, headers, meta.timestamp)
    if not sink.is_eos():
        fail("rgsrc did not reach the end of the journal")
    pipeline.set_state(Gst.State.NULL)
    return got


def verify(name, got, acked):
    for seq, offset in sorted(acked.items()):
        if offset not in got:
            fail("%s: acknowledged record seq %d (offset %d) is lost" %
                 (name, seq, offset))
        check_one(seq, offset, *got[offset], where=name)
    print("%s: all %d acknowledged records read back (%d in the topic)" %
          (name, len(acked), len(got)), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kcat")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--dir")
    parser.add_argument("--sync", default="always")
    args = parser.parse_args()
    Gst.init(None)
    random.seed(os.getpid())

    work = args.dir or tempfile.mkdtemp(prefix="rg-ingest-kill-")
    location = os.path.join(work, "own")
    acked = {}
    started = time.monotonic()
    try:
        sent = kill_rounds(args, location, acked)
        if not acked:
            fail("no record was ever acknowledged")
        port = free_port()
        proc = start_pipeline(port, location, args.sync)
        wait_listening(port, proc)
        try:
            verify("kcat", read_kcat(args.kcat, port), acked)
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait()
        verify("rgsrc", read_rgsrc(os.path.join(location + ".ingest",
                                                TOPIC)), acked)
        print("%d kills, %d records sent, %d acknowledged, %.0f s" %
              (args.kills, sent, len(acked), time.monotonic() - started))
    finally:
        if not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

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

"""Consumer groups of rgbrokersink's embedded broker against real clients:
confluent-kafka-python (librdkafka underneath), kafka-python and kcat -G,
each used the way its documentation shows.

A pipeline in this process serves two topics, cam-a and cam-b, from two
rgbrokersinks on one port, each writing a journal, so committed offsets go
to __consumer_offsets beside them. Checked:
 - two confluent-kafka members of one group split the two-topic
   subscription (one topic each, roundrobin); one commits and leaves, and
   the other takes its topic over from exactly the committed offset:
   nothing lost, nothing read twice past the commit;
 - kafka-python commits, the pipeline restarts, and a new consumer of the
   same group resumes at the committed offset (read from the journal);
 - kcat -G consumes and commits, and the next kcat -G of the group
   continues where it stopped.
Usage: group_clients.py KCAT. Exits 77 (skipped) when a client package is
missing, saying which."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

try:
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    from confluent_kafka import Consumer, TopicPartition
    from kafka import KafkaConsumer
    from kafka import TopicPartition as KpTopicPartition
except ImportError as e:
    print("SKIP: a client package is missing (%s): install "
          "python3-confluent-kafka, python3-kafka and python3-gi" % e)
    sys.exit(77)

TOPICS = ("cam-a", "cam-b")
N_RECORDS = 40
TIMEOUT = 30

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    else:
        print("ok:", what, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Pipeline:
    """Two sinks on one port, one journal each under @root."""

    def __init__(self, port, root):
        desc = " ".join(
            "appsrc name=src-%s format=time ! rgbrokersink name=sink-%s "
            "topic=%s port=%d location=%s sync=false" %
            (t, t, t, port, os.path.join(root, t)) for t in TOPICS)
        self.pipeline = Gst.parse_launch(desc)
        self.pushed = {t: 0 for t in TOPICS}
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        assert ret != Gst.StateChangeReturn.FAILURE, ret

    def push(self, topic, n):
        src = self.pipeline.get_by_name("src-" + topic)
        for _ in range(n):
            i = self.pushed[topic]
            buf = Gst.Buffer.new_wrapped(b"%s-%d" % (topic.encode(), i))
            buf.pts = i * Gst.MSECOND
            assert src.emit("push-buffer", buf) == Gst.FlowReturn.OK
            self.pushed[topic] += 1

    def wait_appended(self, topic, n):
        sink = self.pipeline.get_by_name("sink-" + topic)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if sink.get_property("stats").get_value("high-watermark") >= n:
                return True
            time.sleep(0.01)
        return False

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def confluent(bootstrap, group, **extra):
    conf = {"bootstrap.servers": bootstrap, "group.id": group,
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "partition.assignment.strategy": "roundrobin",
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
    conf.update(extra)
    return Consumer(conf)


def poll_until(consumers, done, timeout=TIMEOUT):
    """Polls every consumer in turn; returns {consumer index: [(topic,
    offset, value)]} once done(got) or at the timeout."""
    got = {i: [] for i in range(len(consumers))}
    deadline = time.monotonic() + timeout
    while not done(got) and time.monotonic() < deadline:
        for i, c in enumerate(consumers):
            msg = c.poll(0.1)
            if msg is not None and not msg.error():
                got[i].append((msg.topic(), msg.offset(), msg.value()))
    return got


def test_split_and_leave(bootstrap):
    c1 = confluent(bootstrap, "split")
    c2 = confluent(bootstrap, "split")
    c1.subscribe(list(TOPICS))
    c2.subscribe(list(TOPICS))
    # Each reads until it has 25 records of the topic it was given.
    got = poll_until([c1, c2],
                     lambda g: all(len(g[i]) >= 25 for i in (0, 1)))
    topics = [set(t for t, _, _ in got[i]) for i in (0, 1)]
    check(len(topics[0]) == 1 and len(topics[1]) == 1
          and topics[0] != topics[1],
          "two members split two topics one each (%s / %s)" % tuple(topics))
    if failures:
        return
    t2 = topics[1].pop()
    first25 = [(o, v) for t, o, v in got[1] if t == t2][:25]
    check([o for o, _ in first25] == list(range(25)),
          "member 2 read %s offsets 0..24 in order" % t2)
    # Member 2 commits what it processed (25) and leaves.
    c2.commit(offsets=[TopicPartition(t2, 0, 25)], asynchronous=False)
    c2.close()
    # Member 1 is rebalanced onto t2 and resumes at the commit.
    got = poll_until([c1], lambda g: len(
        [1 for t, _, _ in g[0] if t == t2]) >= N_RECORDS - 25)
    taken = [(o, v) for t, o, v in got[0] if t == t2]
    check([o for o, _ in taken] == list(range(25, N_RECORDS)),
          "after the leave member 1 reads %s from the commit (25) to "
          "the end, nothing lost or repeated (got %s)" %
          (t2, [o for o, _ in taken][:5]))
    check([v for _, v in taken] ==
          [b"%s-%d" % (t2.encode(), i) for i in range(25, N_RECORDS)],
          "and the values are the buffers'")
    c1.close()


def test_kafka_python_commit(bootstrap):
    consumer = KafkaConsumer(
        TOPICS[0], bootstrap_servers=bootstrap, group_id="kp",
        auto_offset_reset="earliest", enable_auto_commit=False,
        consumer_timeout_ms=TIMEOUT * 1000)
    got = []
    for msg in consumer:
        got.append(msg.offset)
        if len(got) == 10:
            break
    consumer.commit()
    committed = consumer.committed(KpTopicPartition(TOPICS[0], 0))
    consumer.close()
    check(got == list(range(10)), "kafka-python read offsets 0..9")
    check(committed == 10, "kafka-python's commit reads back (%s)" %
          committed)


def kafka_python_resume(bootstrap):
    consumer = KafkaConsumer(
        TOPICS[0], bootstrap_servers=bootstrap, group_id="kp",
        auto_offset_reset="earliest", enable_auto_commit=False,
        consumer_timeout_ms=TIMEOUT * 1000)
    first = None
    for msg in consumer:
        first = msg.offset
        break
    consumer.close()
    check(first == 10, "after a restart kafka-python resumes at the "
          "committed offset 10 (got %s)" % first)


def kcat_group(kcat, bootstrap, n):
    res = subprocess.run(
        [kcat, "-b", bootstrap, "-G", "kc", "-X",
         "auto.offset.reset=earliest", "-c", str(n), "-e", "-q", "-f",
         "%o\n", TOPICS[1]], capture_output=True, timeout=TIMEOUT)
    return [int(x) for x in res.stdout.split()]


def main():
    kcat = sys.argv[1] if len(sys.argv) > 1 else shutil.which("kcat")
    Gst.init(None)
    root = tempfile.mkdtemp(prefix="rg-group-clients-")
    port = free_port()
    bootstrap = "127.0.0.1:%d" % port
    try:
        pipe = Pipeline(port, root)
        # Both sinks must have a buffer before the pipeline can preroll.
        for t in TOPICS:
            pipe.push(t, N_RECORDS)
        for t in TOPICS:
            assert pipe.wait_appended(t, N_RECORDS), t
        test_split_and_leave(bootstrap)
        test_kafka_python_commit(bootstrap)
        if kcat:
            check(kcat_group(kcat, bootstrap, 5) == list(range(5)),
                  "kcat -G reads offsets 0..4")
            check(kcat_group(kcat, bootstrap, 5) == list(range(5, 10)),
                  "the next kcat -G of the group reads 5..9")
        else:
            print("SKIP: kcat not found: kcat -G not checked")
        pipe.stop()
        check(os.path.isdir(os.path.join(root, "__consumer_offsets")),
              "__consumer_offsets is a journal beside the sinks'")

        pipe = Pipeline(port, root)
        kafka_python_resume(bootstrap)
        pipe.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

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

"""Transactions against a real client (docs/protocol.md, "Transactions").

A pipeline `appsrc ! rgbrokersink ingest=true port=0` in this process is
the broker. confluent-kafka-python (librdkafka 2.0.2):

- a transactional producer aborts one transaction and commits another;
  a read_committed consumer gets the committed records only, a
  read_uncommitted one both;
- a transaction left open hides its records from read_committed; a second
  producer with the same transactional.id fences the first (its commit
  fails, fatal) and aborts what it left open;
- send_offsets_to_transaction: the group's committed offset is the one of
  the committed transaction; an aborted transaction's offset is dropped;
  one transaction's offsets for three groups, sent interleaved, give
  each group its own last offset.

Usage: txn_clients.py (meson sets the plugin path). Skips (exit 77) when
python3-confluent-kafka is missing."""

import sys
import time

try:
    import confluent_kafka
    from confluent_kafka import (Consumer, KafkaException, Producer,
                                 TopicPartition)
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError as e:
    print("SKIP: %s (install python3-confluent-kafka)" % e)
    sys.exit(77)

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

TOPIC = "txn-t"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    else:
        print("ok:", what, flush=True)


class Broker:
    def __init__(self):
        self.pipeline = Gst.parse_launch(
            "appsrc name=src format=time caps=application/x-test ! "
            "rgbrokersink name=sink topic=box port=0 ingest=true "
            "ring-size=4096 sync=false")
        sink = self.pipeline.get_by_name("sink")
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        assert ret != Gst.StateChangeReturn.FAILURE, ret
        self.port = sink.get_property("bound-port")
        assert self.port > 0
        self.bootstrap = "127.0.0.1:%d" % self.port

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def producer(broker, txn_id):
    p = Producer({"bootstrap.servers": broker.bootstrap,
                  "transactional.id": txn_id,
                  "transaction.timeout.ms": 60000})
    p.init_transactions(30)
    return p


def produce(p, values):
    for v in values:
        p.produce(TOPIC, value=v.encode(), partition=0)
    p.flush(30)


def read_all(broker, isolation):
    """Every record value of partition 0 up to the end the consumer is
    allowed to see (partition EOF)."""
    c = Consumer({"bootstrap.servers": broker.bootstrap,
                  "group.id": "reader-%s-%f" % (isolation, time.time()),
                  "isolation.level": isolation,
                  "enable.partition.eof": True,
                  "enable.auto.commit": False})
    c.assign([TopicPartition(TOPIC, 0, confluent_kafka.OFFSET_BEGINNING)])
    values = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = c.poll(1)
        if m is None:
            continue
        if m.error():
            if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                break
            raise KafkaException(m.error())
        values.append(m.value().decode())
    c.close()
    return values


def committed_offset(broker, group):
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    tp = c.committed([TopicPartition(TOPIC, 0)], timeout=10)
    c.close()
    return tp[0].offset


def test_commit_and_abort(broker):
    p = producer(broker, "t1")
    p.begin_transaction()
    produce(p, ["a0", "a1", "a2"])
    p.abort_transaction(30)
    p.begin_transaction()
    produce(p, ["c0", "c1", "c2", "c3"])
    p.commit_transaction(30)
    committed = read_all(broker, "read_committed")
    check(committed == ["c0", "c1", "c2", "c3"],
          "read_committed gets the committed transaction only: %s"
          % committed)
    everything = read_all(broker, "read_uncommitted")
    check(everything == ["a0", "a1", "a2", "c0", "c1", "c2", "c3"],
          "read_uncommitted gets both: %s" % everything)
    return p


def test_open_and_fenced(broker, p):
    p.begin_transaction()
    produce(p, ["open0", "open1"])
    committed = read_all(broker, "read_committed")
    check(committed == ["c0", "c1", "c2", "c3"],
          "an open transaction is not read committed: %s" % committed)
    # Another producer with the same id fences p and aborts its
    # transaction.
    p2 = producer(broker, "t1")
    try:
        p.commit_transaction(10)
        check(False, "the fenced producer's commit fails")
    except KafkaException as e:
        err = e.args[0]
        check(err.fatal(), "the fenced producer's commit fails, fatal: %s"
              % err)
    everything = read_all(broker, "read_uncommitted")
    check(everything[-2:] == ["open0", "open1"],
          "the fenced transaction's records were stored: %s" % everything)
    committed = read_all(broker, "read_committed")
    check(committed == ["c0", "c1", "c2", "c3"],
          "the fenced transaction was aborted: %s" % committed)
    return p2


def test_offsets(broker, p):
    group = "txn-group"
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    meta = c.consumer_group_metadata()
    p.begin_transaction()
    produce(p, ["o0"])
    p.send_offsets_to_transaction([TopicPartition(TOPIC, 0, 4)], meta, 30)
    p.commit_transaction(30)
    check(committed_offset(broker, group) == 4,
          "a committed transaction's offset is the group's")
    p.begin_transaction()
    produce(p, ["o1"])
    p.send_offsets_to_transaction([TopicPartition(TOPIC, 0, 9)], meta, 30)
    p.abort_transaction(30)
    check(committed_offset(broker, group) == 4,
          "an aborted transaction's offset is dropped")
    c.close()
    # One transaction carrying the offsets of three groups, sent in an
    # interleaved order: each group gets its own last offset.
    metas = {}
    for g in ("txn-b", "txn-a", "txn-c"):
        gc = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": g,
                       "enable.auto.commit": False})
        metas[g] = (gc, gc.consumer_group_metadata())
    p.begin_transaction()
    produce(p, ["o2"])
    for g, off in (("txn-b", 2), ("txn-a", 1), ("txn-c", 3), ("txn-b", 5)):
        p.send_offsets_to_transaction([TopicPartition(TOPIC, 0, off)],
                                      metas[g][1], 30)
    p.commit_transaction(30)
    for gc, _ in metas.values():
        gc.close()
    got = {g: committed_offset(broker, g) for g in metas}
    check(got == {"txn-a": 1, "txn-b": 5, "txn-c": 3},
          "one transaction's offsets for three groups: %s" % got)
    committed = read_all(broker, "read_committed")
    check(committed == ["c0", "c1", "c2", "c3", "o0", "o2"],
          "read_committed after all: %s" % committed)


def main():
    Gst.init(None)
    broker = Broker()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic(TOPIC, 1, 1)]).values():
            f.result(30)
        p = test_commit_and_abort(broker)
        p2 = test_open_and_fenced(broker, p)
        test_offsets(broker, p2)
    finally:
        broker.stop()
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()

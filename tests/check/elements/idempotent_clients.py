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

"""Idempotent producers and topic administration against real clients.

A pipeline `appsrc ! rgbrokersink ingest=true port=0` in this process is
the broker. Between it and the producers sits a small Kafka-aware TCP
proxy that forwards every request, but for some Produce requests waits
for the broker's answer and then cuts the connection instead of passing
it on: the records are stored, the producer never hears so, and retries.

- confluent-kafka-python (librdkafka 2.0.2) with enable.idempotence=true
  produces through the proxy; kcat reads the topic back: every record
  exactly once, at dense offsets, and the delivery reports name those
  offsets. The same run with idempotence off stores duplicates, which
  shows that the proxy's cuts did cause retries.
- kcat produces with enable.idempotence=true (InitProducerId, sequence
  numbers) and reads back.
- kafka-python's KafkaAdminClient and confluent-kafka's AdminClient create
  and delete topics: created (with several partitions), already exists,
  invalid partitions (past 1024),
  validate_only, deleting a pipeline's topic refused, deleting an ingest
  topic; and add partitions (CreatePartitions): grown, listed at once,
  shrinking refused, a pipeline's topic refused, validate_only.

Usage: idempotent_clients.py KCAT (meson sets the plugin path). Skips
(exit 77) when python3-confluent-kafka or python3-kafka is missing."""

import os
import socket
import struct
import subprocess
import sys
import threading
import time

try:
    import confluent_kafka
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.admin import NewPartitions as CkNewPartitions
    from confluent_kafka.admin import NewTopic as CkNewTopic
    import kafka.errors
    from kafka.admin import KafkaAdminClient, NewPartitions, NewTopic
except ImportError as e:
    print("SKIP: %s (install python3-confluent-kafka and python3-kafka)"
          % e)
    sys.exit(77)

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

PIPELINE_TOPIC = "box"
N_MESSAGES = 300
DROP_FIRST = 3
DROP_EVERY = 5
MAX_DROPS = 6

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    else:
        print("ok:", what, flush=True)


# ---- The broker: a pipeline whose sink accepts ingest ----

class Broker:
    def __init__(self):
        self.pipeline = Gst.parse_launch(
            "appsrc name=src format=time caps=application/x-test ! "
            "rgbrokersink name=sink topic=%s port=0 ingest=true "
            "ring-size=4096 sync=false" % PIPELINE_TOPIC)
        sink = self.pipeline.get_by_name("sink")
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        assert ret != Gst.StateChangeReturn.FAILURE, ret
        self.port = sink.get_property("bound-port")
        assert self.port > 0

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


# ---- The proxy ----

def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def recv_frame(sock):
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    return recv_exact(sock, size)


def patch_metadata_port(body, version, port):
    """Points the first broker of a Metadata response at the proxy, so
    that clients keep talking through it. body starts at the
    correlation id."""
    pos = 4
    if version >= 9:
        pos += 1                       # header tag section (empty)
    if version >= 3:
        pos += 4                       # throttle
    if version >= 9:
        pos += 1 + 4                   # compact count, node id
        host_len = body[pos] - 1
        pos += 1 + host_len
    else:
        pos += 4 + 4                   # count, node id
        host_len = struct.unpack_from(">h", body, pos)[0]
        pos += 2 + host_len
    return body[:pos] + struct.pack(">i", port) + body[pos + 4:]


class Proxy:
    """Forwards Kafka frames; cuts the connection instead of answering
    Produce requests number DROP_FIRST, DROP_FIRST + DROP_EVERY, ...
    (counted over all connections, at most MAX_DROPS)."""

    def __init__(self, broker_port):
        self.broker_port = broker_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.produces = 0
        self.drops = 0
        # (api key, version) of every request, for the log.
        self.seen = set()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1",
                                               self.broker_port))
            pending = []
            cond = threading.Condition()
            threading.Thread(target=self.upstream,
                             args=(client, server, pending, cond),
                             daemon=True).start()
            threading.Thread(target=self.downstream,
                             args=(client, server, pending, cond),
                             daemon=True).start()

    def upstream(self, client, server, pending, cond):
        try:
            while True:
                frame = recv_frame(client)
                key, version = struct.unpack_from(">hh", frame, 0)
                self.seen.add((key, version))
                acks = None
                if key == 0:
                    # Produce v3-8: header v1 (client id), nullable
                    # transactional id, then acks.
                    pos = 10 + max(struct.unpack_from(">h", frame, 8)[0], 0)
                    pos += 2 + max(struct.unpack_from(">h", frame, pos)[0], 0)
                    acks = struct.unpack_from(">h", frame, pos)[0]
                if acks != 0:
                    with cond:
                        pending.append((key, version))
                        cond.notify()
                server.sendall(struct.pack(">i", len(frame)) + frame)
        except (EOFError, OSError):
            pass
        finally:
            self.close(client, server)

    def downstream(self, client, server, pending, cond):
        try:
            while True:
                body = recv_frame(server)
                with cond:
                    while not pending:
                        cond.wait()
                    key, version = pending.pop(0)
                if key == 3:
                    body = patch_metadata_port(body, version, self.port)
                if key == 0 and self.should_drop():
                    break
                client.sendall(struct.pack(">i", len(body)) + body)
        except (EOFError, OSError):
            pass
        finally:
            self.close(client, server)

    def should_drop(self):
        with self.lock:
            self.produces += 1
            n = self.produces - DROP_FIRST
            if (n >= 0 and n % DROP_EVERY == 0
                    and self.drops < MAX_DROPS):
                self.drops += 1
                return True
        return False

    @staticmethod
    def close(client, server):
        for s in (client, server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


# ---- Reading back ----

def kcat_read(kcat, port, topic):
    out = subprocess.run(
        [kcat, "-C", "-b", "127.0.0.1:%d" % port, "-t", topic,
         "-o", "beginning", "-e", "-q", "-f", "%o %s\\n"],
        capture_output=True, timeout=60, check=True).stdout.decode()
    records = []
    for line in out.splitlines():
        offset, value = line.split(" ", 1)
        records.append((int(offset), value))
    return records


# ---- Producing through the proxy ----

def produce(port, topic, idempotent):
    producer = confluent_kafka.Producer({
        "bootstrap.servers": "127.0.0.1:%d" % port,
        "enable.idempotence": idempotent,
        "acks": "all",
        "linger.ms": 2,
        "batch.num.messages": 10,
        "retry.backoff.ms": 20,
        "message.timeout.ms": 30000,
        "socket.timeout.ms": 5000,
    })
    delivered = {}
    errors = []

    def on_delivery(err, msg):
        if err:
            errors.append(str(err))
        else:
            delivered[msg.value().decode()] = msg.offset()

    for i in range(N_MESSAGES):
        producer.produce(topic, value=("m-%d" % i).encode(),
                         on_delivery=on_delivery)
        if i % 10 == 9:
            producer.poll(0)
            time.sleep(0.005)
    left = producer.flush(60)
    return delivered, errors, left


def test_idempotent_producer(kcat, broker):
    proxy = Proxy(broker.port)
    topic = "idem-on"
    delivered, errors, left = produce(proxy.port, topic, True)
    print("requests (api key, version):", sorted(proxy.seen))
    check((22, 4) in proxy.seen or (22, 1) in proxy.seen,
          "librdkafka asked for a producer id (InitProducerId)")
    check(proxy.drops >= 3,
          "the proxy cut %d produce answers (>= 3)" % proxy.drops)
    check(not errors and left == 0,
          "every record delivered (errors %s, left %d)" % (errors[:3], left))
    records = kcat_read(kcat, broker.port, topic)
    values = [v for _, v in records]
    check(len(records) == N_MESSAGES,
          "idempotent: %d records stored for %d produced"
          % (len(records), N_MESSAGES))
    check(sorted(values) == sorted("m-%d" % i for i in range(N_MESSAGES)),
          "idempotent: each value exactly once")
    check([o for o, _ in records] == list(range(len(records))),
          "idempotent: dense offsets")
    check(all(dict(records).get(off) == v for v, off in delivered.items()),
          "idempotent: delivery reports name the offsets kcat reads")
    # Per-partition order is kept by an idempotent producer.
    check(values == ["m-%d" % i for i in range(N_MESSAGES)],
          "idempotent: in produce order")


def test_control_without_idempotence(kcat, broker):
    proxy = Proxy(broker.port)
    topic = "idem-off"
    delivered, errors, left = produce(proxy.port, topic, False)
    records = kcat_read(kcat, broker.port, topic)
    values = [v for _, v in records]
    check(set(values) == set("m-%d" % i for i in range(N_MESSAGES)),
          "control: every value stored")
    check(len(values) > N_MESSAGES,
          "control: without idempotence the retries stored %d duplicates"
          % (len(values) - N_MESSAGES))


def test_kcat_idempotent(kcat, broker):
    topic = "idem-kcat"
    lines = "".join("k-%d\n" % i for i in range(50)).encode()
    subprocess.run([kcat, "-P", "-b", "127.0.0.1:%d" % broker.port,
                    "-t", topic, "-X", "enable.idempotence=true"],
                   input=lines, timeout=60, check=True)
    records = kcat_read(kcat, broker.port, topic)
    check([v for _, v in records] == ["k-%d" % i for i in range(50)],
          "kcat enable.idempotence=true: 50 records, in order")


def expect_raise(what, exc_type, func):
    try:
        func()
    except exc_type:
        check(True, what)
        return
    except Exception as e:  # noqa: BLE001
        check(False, "%s: raised %r" % (what, e))
        return
    check(False, "%s: no error" % what)


def test_kafka_python_admin(broker):
    admin = KafkaAdminClient(bootstrap_servers="127.0.0.1:%d" % broker.port,
                             request_timeout_ms=10000)
    admin.create_topics([NewTopic("adm-1", 1, 1)])
    check("adm-1" in admin.list_topics(), "kafka-python: created adm-1")
    expect_raise("kafka-python: adm-1 again: TopicAlreadyExistsError",
                 kafka.errors.TopicAlreadyExistsError,
                 lambda: admin.create_topics([NewTopic("adm-1", 1, 1)]))
    admin.create_topics([NewTopic("adm-3", 3, 1)])
    parts = admin.describe_topics(["adm-3"])[0]["partitions"]
    check(sorted(p["partition"] for p in parts) == [0, 1, 2],
          "kafka-python: adm-3 has partitions 0, 1, 2")
    expect_raise("kafka-python: 2000 partitions: InvalidPartitionsError",
                 kafka.errors.InvalidPartitionsError,
                 lambda: admin.create_topics([NewTopic("adm-x", 2000, 1)]))
    admin.create_topics([NewTopic("adm-vo", 1, 1)], validate_only=True)
    check("adm-vo" not in admin.list_topics(),
          "kafka-python: validate_only created nothing")
    expect_raise("kafka-python: deleting the pipeline's topic refused",
                 kafka.errors.TopicAuthorizationFailedError,
                 lambda: admin.delete_topics([PIPELINE_TOPIC]))
    admin.create_partitions({"adm-3": NewPartitions(5)})
    parts = admin.describe_topics(["adm-3"])[0]["partitions"]
    check(sorted(p["partition"] for p in parts) == [0, 1, 2, 3, 4],
          "kafka-python: adm-3 grown to partitions 0..4")
    expect_raise("kafka-python: shrinking adm-3: InvalidPartitionsError",
                 kafka.errors.InvalidPartitionsError,
                 lambda: admin.create_partitions({"adm-3": NewPartitions(2)}))
    expect_raise("kafka-python: growing the pipeline's topic refused",
                 kafka.errors.PolicyViolationError,
                 lambda: admin.create_partitions(
                     {PIPELINE_TOPIC: NewPartitions(2)}))
    admin.create_partitions({"adm-3": NewPartitions(8)}, validate_only=True)
    parts = admin.describe_topics(["adm-3"])[0]["partitions"]
    check(len(parts) == 5, "kafka-python: validate_only added nothing")
    admin.delete_topics(["adm-1"])
    check("adm-1" not in admin.list_topics(), "kafka-python: deleted adm-1")
    expect_raise("kafka-python: deleting adm-1 again: unknown topic",
                 kafka.errors.UnknownTopicOrPartitionError,
                 lambda: admin.delete_topics(["adm-1"]))
    admin.close()


def test_confluent_admin(broker):
    admin = AdminClient({"bootstrap.servers": "127.0.0.1:%d" % broker.port})
    fs = admin.create_topics([CkNewTopic("ck-1", 1, 1),
                              CkNewTopic("ck-4", 4, 1),
                              CkNewTopic("ck-2000", 2000, 1)],
                             request_timeout=10)
    check(fs["ck-1"].exception(timeout=20) is None,
          "confluent-kafka: created ck-1")
    check(fs["ck-4"].exception(timeout=20) is None,
          "confluent-kafka: created ck-4")
    err = fs["ck-2000"].exception(timeout=20)
    check(err is not None and err.args[0].code() ==
          confluent_kafka.KafkaError.INVALID_PARTITIONS,
          "confluent-kafka: 2000 partitions refused (%s)" % err)
    topics = admin.list_topics(timeout=10).topics
    check(len(topics["ck-4"].partitions) == 4,
          "confluent-kafka: ck-4 has 4 partitions")
    check("ck-1" in topics, "confluent-kafka: ck-1 in metadata")
    fs = admin.create_partitions([CkNewPartitions("ck-4", 6),
                                  CkNewPartitions("ck-1", 1),
                                  CkNewPartitions(PIPELINE_TOPIC, 3)],
                                 request_timeout=10)
    check(fs["ck-4"].exception(timeout=20) is None,
          "confluent-kafka: ck-4 grown to 6 partitions")
    err = fs["ck-1"].exception(timeout=20)
    check(err is not None and err.args[0].code() ==
          confluent_kafka.KafkaError.INVALID_PARTITIONS,
          "confluent-kafka: ck-1 not grown to its own count (%s)" % err)
    err = fs[PIPELINE_TOPIC].exception(timeout=20)
    check(err is not None and err.args[0].code() ==
          confluent_kafka.KafkaError.POLICY_VIOLATION,
          "confluent-kafka: pipeline topic not grown (%s)" % err)
    topics = admin.list_topics(timeout=10).topics
    check(len(topics["ck-4"].partitions) == 6,
          "confluent-kafka: ck-4 lists 6 partitions")
    check(len(topics[PIPELINE_TOPIC].partitions) == 1,
          "confluent-kafka: the pipeline's topic keeps one partition")
    fs = admin.delete_topics(["ck-1", PIPELINE_TOPIC], request_timeout=10)
    check(fs["ck-1"].exception(timeout=20) is None,
          "confluent-kafka: deleted ck-1")
    err = fs[PIPELINE_TOPIC].exception(timeout=20)
    check(err is not None and err.args[0].code() ==
          confluent_kafka.KafkaError.TOPIC_AUTHORIZATION_FAILED,
          "confluent-kafka: pipeline topic not deleted (%s)" % err)


def main():
    kcat = sys.argv[1]
    Gst.init(None)
    broker = Broker()
    try:
        test_idempotent_producer(kcat, broker)
        test_control_without_idempotence(kcat, broker)
        test_kcat_idempotent(kcat, broker)
        test_kafka_python_admin(broker)
        test_confluent_admin(broker)
    finally:
        broker.stop()
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all passed")


if __name__ == "__main__":
    main()

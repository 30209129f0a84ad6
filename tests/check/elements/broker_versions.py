#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later

"""rgbrokersink against real clients at old and new protocol versions.

A pipeline `appsrc ! rgbrokersink ingest=true port=0` in this process
serves random binary buffers; each client reads them at the protocol
versions it is told to speak, and produces into ingest topics and reads
its records back:

- Sarama 1.22 (Debian's Go package) at its default Config.Version (Kafka
  0.8.2: Metadata v0, ListOffsets v0, Fetch v0, Produce v0 with MessageSet
  v0), at 0.10.0 (Produce v2 and Fetch v2 with MessageSet v1) and at 2.1.0
  (record batches), with the client matrix's partition consumer
  (tests/compat/go/sarama) and sarama_versions/ (produce and read back);
- segmentio kafka-go 0.2 (Fetch v2 and Produce v2 with MessageSet v1
  only) Reader and Writer (tests/compat/go/kafkago);
- kafka-python 2.0.2 at api_version 0.9 (magic 0), 0.10 (magic 1), 0.11,
  2.1 and auto-detected;
- kcat (librdkafka 2.0.2) with ApiVersions, and without it at 0.9.0;
- kafka-ts 1.5.0 (npm; kafka_ts/), which sends the highest version both
  sides support: the flexible Metadata v12, Produce v9, ListOffsets v7 and
  Fetch v12. It is installed from the npm registry into SCRATCH_DIR on the
  first run; without node or npm, or offline, it is skipped.

Usage: broker_versions.py KCAT SCRATCH_DIR. Go programs are built with
GO111MODULE=off GOPATH=/usr/share/gocode into SCRATCH_DIR (its go-cache
keeps later runs fast); without the Go toolchain or the packages those
checks are skipped, saying so. Exit status 0 pass, 1 fail, 77 skip."""

import os
import random
import shutil
import struct
import subprocess
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

TOPIC = "frames"
N_RECORDS = 30
TIMEOUT = 60
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


class Pipeline:
    def __init__(self):
        self.pipeline = Gst.parse_launch(
            "appsrc name=src format=time caps=application/x-rg-test ! "
            "rgbrokersink name=sink topic=%s port=0 ring-size=1000 "
            "ingest=true sync=false" % TOPIC)
        self.src = self.pipeline.get_by_name("src")
        self.sink = self.pipeline.get_by_name("sink")
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        assert ret != Gst.StateChangeReturn.FAILURE, ret
        self.port = self.sink.get_property("bound-port")
        assert self.port > 0

    def push(self, values):
        for i, value in enumerate(values):
            buf = Gst.Buffer.new_wrapped(value)
            buf.pts = i * Gst.MSECOND
            assert self.src.emit("push-buffer", buf) == Gst.FlowReturn.OK
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stats = self.sink.get_property("stats")
            if stats.get_value("high-watermark") >= len(values):
                return
            time.sleep(0.01)
        raise RuntimeError("records not appended")

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def run(cmd, stdin=None):
    try:
        return subprocess.run(cmd, input=stdin, capture_output=True,
                              timeout=TIMEOUT)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, -1, e.stdout or b"",
                                           b"timed out")


def result_line(res):
    for line in res.stdout.decode(errors="replace").splitlines():
        if line.startswith("RESULT"):
            return line
    return "no RESULT line; stderr: " + \
        res.stderr.decode(errors="replace")[-300:]


def build_go(scratch, name, src_dir):
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOCACHE=os.path.join(scratch, "go-cache"), GOFLAGS="-p=2")
    out = os.path.join(scratch, name)
    res = subprocess.run(["go", "build", "-o", out, "main.go"], cwd=src_dir,
                         env=env, capture_output=True, timeout=600)
    if res.returncode != 0:
        print("cannot build %s: %s" % (name, res.stderr.decode()[-500:]))
        return None
    return out


def test_go(broker, scratch):
    if shutil.which("go") is None:
        print("skip: no Go toolchain (golang-go)")
        return
    sarama = build_go(scratch, "sarama",
                      os.path.join(SOURCE_ROOT, "tests/compat/go/sarama"))
    versions = build_go(scratch, "sarama_versions",
                        os.path.join(HERE, "sarama_versions"))
    kafkago = build_go(scratch, "kafkago",
                       os.path.join(SOURCE_ROOT, "tests/compat/go/kafkago"))
    if sarama:
        for version in ([], ["-version", "0.10.0.0"],
                        ["-version", "2.1.0"]):
            res = run([sarama, "-mode", "partition", "-timeout", "20s"] +
                      version + [broker, TOPIC, "unused", str(N_RECORDS)])
            check(res.returncode == 0 and
                  "consumed=%d first=0 last=%d" % (N_RECORDS, N_RECORDS - 1)
                  in res.stdout.decode(),
                  "Sarama partition consumer %s: %s" %
                  (version[-1] if version else "default", result_line(res)))
    else:
        check(False, "Sarama compat program builds")
    if versions:
        for version in ("", "0.10.0.0", "2.1.0"):
            res = run([versions] + (["-version", version] if version else [])
                      + [broker, "sarama-" + (version or "default"), "10"])
            check(res.returncode == 0,
                  "Sarama produce + read back %s: %s" %
                  (version or "default (0.8.2)", result_line(res)))
    else:
        check(False, "sarama_versions builds")
    if kafkago:
        res = run([kafkago, "-mode", "reader", "-timeout", "20s", broker,
                   TOPIC, "unused", str(N_RECORDS)])
        check(res.returncode == 0, "kafka-go Reader: " + result_line(res))
        # The Writer waits its BatchTimeout (1 s) for every message.
        res = run([kafkago, "-mode", "writer", "-timeout", "30s", broker,
                   "kafka-go-writes", "unused", "3"])
        check(res.returncode == 0, "kafka-go Writer: " + result_line(res))
        return kafkago
    check(False, "kafka-go compat program builds")
    return None


def test_kafka_go_records(broker, kcat):
    res = run([kcat, "-C", "-b", broker, "-t", "kafka-go-writes", "-o",
               "beginning", "-e", "-q", "-f", "%o %k %s\n"])
    check(res.stdout.decode() ==
          "0 k record-0\n1 k record-1\n2 k record-2\n",
          "kafka-go Writer's records read back by kcat: %r" %
          res.stdout.decode()[:200])


def test_kafka_python(broker, values):
    try:
        from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    except ImportError:
        print("skip: kafka-python (python3-kafka) is not installed")
        return
    for api in ((0, 9), (0, 10, 0), (0, 11), (2, 1), None):
        kw = {} if api is None else {"api_version": api}
        name = "auto" if api is None else ".".join(map(str, api))
        consumer = KafkaConsumer(bootstrap_servers=broker, group_id=None,
                                 enable_auto_commit=False,
                                 consumer_timeout_ms=5000, **kw)
        consumer.assign([TopicPartition(TOPIC, 0)])
        consumer.seek_to_beginning()
        got = []
        for m in consumer:
            got.append((m.offset, m.value))
            if len(got) == len(values):
                break
        consumer.close()
        check(got == list(enumerate(values)),
              "kafka-python %s reads %d values byte-identical (got %d)" %
              (name, len(values), len(got)))

        topic = "kafka-python-" + name
        producer = KafkaProducer(bootstrap_servers=broker, **kw)
        offsets = [producer.send(topic, key=b"k%d" % i,
                                 value=values[i]).get(timeout=10).offset
                   for i in range(3)]
        producer.close()
        consumer = KafkaConsumer(bootstrap_servers=broker, group_id=None,
                                 enable_auto_commit=False,
                                 consumer_timeout_ms=5000, **kw)
        consumer.assign([TopicPartition(topic, 0)])
        consumer.seek_to_beginning()
        # Stops at the third record instead of waiting out the consumer
        # timeout; a fourth record, which would be a duplicate append, is
        # looked for with a short poll.
        back = []
        for m in consumer:
            back.append((m.offset, m.key, m.value))
            if len(back) == 3:
                break
        for recs in consumer.poll(timeout_ms=200).values():
            back.extend((m.offset, m.key, m.value) for m in recs)
        consumer.close()
        check(offsets == [0, 1, 2] and
              back == [(i, b"k%d" % i, values[i]) for i in range(3)],
              "kafka-python %s produces and reads back (offsets %r)" %
              (name, offsets))


def test_kafka_ts(port, scratch):
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("skip: kafka-ts needs node and npm")
        return
    prefix = os.path.join(scratch, "kafka-ts")
    os.makedirs(prefix, exist_ok=True)
    shutil.copy(os.path.join(HERE, "kafka_ts", "package.json"), prefix)
    shutil.copy(os.path.join(HERE, "kafka_ts", "flexible.js"), prefix)
    if not os.path.isdir(os.path.join(prefix, "node_modules", "kafka-ts")):
        res = subprocess.run(["npm", "install", "--no-audit", "--no-fund",
                              "--no-package-lock"], cwd=prefix,
                             capture_output=True, timeout=300)
        if res.returncode != 0:
            print("skip: npm install kafka-ts failed: " +
                  res.stderr.decode(errors="replace")[-300:])
            return
    res = run(["node", os.path.join(prefix, "flexible.js"), str(port),
               "kafka-ts-writes", TOPIC, str(N_RECORDS)])
    check(res.returncode == 0,
          "kafka-ts (flexible versions): " + result_line(res))


def parse_kcat(out):
    """kcat -f '%o %R%s': offset, space, int32 value length, value."""
    records, pos = [], 0
    while pos < len(out):
        space = out.index(b" ", pos)
        (length,) = struct.unpack(">i", out[space + 1:space + 5])
        records.append((int(out[pos:space]),
                        out[space + 5:space + 5 + length]))
        pos = space + 5 + length
    return records


def test_kcat(broker, kcat, values):
    for extra in ([], ["-X", "api.version.request=false",
                       "-X", "broker.version.fallback=0.9.0"]):
        res = run([kcat, "-C", "-b", broker, "-t", TOPIC, "-o", "beginning",
                   "-e", "-q", "-f", "%o %R%s"] + extra)
        check(res.returncode == 0 and
              parse_kcat(res.stdout) == list(enumerate(values)),
              "kcat %s reads the values byte-identical" %
              ("0.9.0 (no ApiVersions)" if extra else "(ApiVersions)"))


def main():
    kcat, scratch = sys.argv[1], sys.argv[2]
    os.makedirs(scratch, exist_ok=True)
    Gst.init(None)
    rng = random.Random(11)
    values = [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2000)))
              for _ in range(N_RECORDS)]
    pipe = Pipeline()
    try:
        pipe.push(values)
        broker = "127.0.0.1:%d" % pipe.port
        test_kcat(broker, kcat, values)
        test_kafka_python(broker, values)
        test_kafka_ts(pipe.port, scratch)
        if test_go(broker, scratch):
            test_kafka_go_records(broker, kcat)
    finally:
        pipe.stop()
    if failures:
        print("%d failures" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Compatibility of gst/kafka/rgkafka.c with an independent implementation of the
# Kafka protocol: kafka-python's protocol classes (Debian's python3-kafka).
#
# 1. Responses: runs `kafka-dump responses DIR` (argv[1]) and decodes every
#    frame with kafka.protocol's Response classes (ApiVersions v3, which
#    kafka-python 2.0.2 lacks, with a small compact-type decoder below),
#    checking every field against the content kafka-dump.c builds.
# 2. Requests: encodes requests of every supported type and version with
#    kafka.protocol's Request classes and RequestHeader, runs
#    `kafka-dump parse` on them and compares the fields it prints.
# Exit status: 0 pass, 1 fail, 77 skip (kafka-python missing).

import hashlib
import io
import os
import struct
import subprocess
import sys
import tempfile

try:
    from kafka.protocol.admin import ApiVersionRequest, ApiVersionResponse
    from kafka.protocol.fetch import FetchRequest, FetchResponse
    from kafka.protocol.metadata import MetadataRequest, MetadataResponse
    from kafka.protocol.offset import OffsetRequest, OffsetResponse
    from kafka.protocol.produce import ProduceRequest, ProduceResponse
    from kafka.protocol.struct import Struct
    from kafka.protocol.types import Int32
    from kafka.protocol.api import RequestHeader
    from kafka.record import MemoryRecords
except ImportError:
    print("kafka-python (python3-kafka) is not installed: skipping")
    sys.exit(77)

ADVERTISED = [(0, 3, 7), (1, 4, 4), (2, 1, 2), (3, 0, 4), (18, 0, 3)]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def load(d, name):
    """Returns (correlation id, body stream) after checking the prefix."""
    with open(os.path.join(d, name + ".bin"), "rb") as f:
        data = f.read()
    size = struct.unpack_from(">i", data)[0]
    check(size == len(data) - 4, "%s: size prefix %d for %d bytes" %
          (name, size, len(data)))
    corr = struct.unpack_from(">i", data, 4)[0]
    return corr, io.BytesIO(data[8:])


def decode(cls, stream, name):
    obj = cls.decode(stream)
    rest = stream.read()
    check(rest == b"", "%s: %d bytes left after decoding" % (name, len(rest)))
    return obj


def uvarint(s):
    shift = value = 0
    while True:
        b = s.read(1)[0]
        value |= (b & 0x7f) << shift
        if not b & 0x80:
            return value
        shift += 7


def api_versions_v3(stream):
    """ApiVersions v3 body, decoded from the spec (compact array + tags)."""
    err = struct.unpack(">h", stream.read(2))[0]
    n = uvarint(stream) - 1
    apis = []
    for _ in range(n):
        apis.append(struct.unpack(">hhh", stream.read(6)))
        check(uvarint(stream) == 0, "api-versions-v3: element tags")
    throttle = struct.unpack(">i", stream.read(4))[0]
    check(uvarint(stream) == 0, "api-versions-v3: body tags")
    check(stream.read() == b"", "api-versions-v3: trailing bytes")
    return err, apis, throttle


def check_api_versions(d):
    for v in range(4):
        name = "api-versions-v%d" % v
        corr, s = load(d, name)
        check(corr == 100 + v, "%s: correlation id %d" % (name, corr))
        if v == 3:
            err, apis, throttle = api_versions_v3(s)
        else:
            r = decode(ApiVersionResponse[v], s, name)
            err, apis = r.error_code, [tuple(a) for a in r.api_versions]
            throttle = r.throttle_time_ms if v >= 1 else 3
        check(err == 0, "%s: error %d" % (name, err))
        check(apis == ADVERTISED, "%s: table %r" % (name, apis))
        check(throttle == 3, "%s: throttle %d" % (name, throttle))
    corr, s = load(d, "api-versions-error")
    r = decode(ApiVersionResponse[0], s, "api-versions-error")
    check(corr == 199 and r.error_code == 35 and
          [tuple(a) for a in r.api_versions] == [(18, 0, 3)],
          "api-versions-error: %r" % (r,))


def check_metadata(d):
    for v in range(5):
        name = "metadata-v%d" % v
        corr, s = load(d, name)
        r = decode(MetadataResponse[v], s, name)
        check(corr == 200 + v, "%s: correlation id" % name)
        b = r.brokers
        check(len(b) == 1 and tuple(b[0][:3]) == (1, "127.0.0.1", 9092),
              "%s: brokers %r" % (name, b))
        if v >= 1:
            check(b[0][3] is None, "%s: rack" % name)
            check(r.controller_id == 1, "%s: controller" % name)
        if v >= 2:
            check(r.cluster_id == "gst-rg", "%s: cluster id" % name)
        if v >= 3:
            check(r.throttle_time_ms == 5, "%s: throttle" % name)
        t = r.topics
        check(len(t) == 2, "%s: %d topics" % (name, len(t)))
        check(t[0][0] == 0 and t[0][1] == "cam", "%s: topic 0" % name)
        check(t[1][0] == 3 and t[1][1] == "missing", "%s: topic 1" % name)
        parts = t[0][-1]
        check([tuple(p[:3]) + (list(p[3]), list(p[4])) for p in parts] ==
              [(0, 0, 1, [1], [1])], "%s: partitions %r" % (name, parts))
        check(list(t[1][-1]) == [], "%s: missing topic partitions" % name)
        if v >= 1:
            check(t[0][2] is False, "%s: is_internal" % name)


def check_produce_list_offsets(d):
    for v in range(3, 8):
        name = "produce-v%d" % v
        corr, s = load(d, name)
        r = decode(ProduceResponse[v], s, name)
        check(corr == 300 + v and r.throttle_time_ms == 7,
              "%s: header/throttle" % name)
        got = [(t[0], [tuple(p) for p in t[1]]) for t in r.topics]
        cam = (0, 0, 42, -1) + ((10,) if v >= 5 else ())
        other = (1, 29, -1, -1) + ((-1,) if v >= 5 else ())
        check(got == [("cam", [cam]), ("other", [other])],
              "%s: %r" % (name, got))
    for v in (1, 2):
        name = "list-offsets-v%d" % v
        corr, s = load(d, name)
        r = decode(OffsetResponse[v], s, name)
        check(corr == 400 + v, "%s: correlation id" % name)
        if v >= 2:
            check(r.throttle_time_ms == 9, "%s: throttle" % name)
        got = [(t[0], [tuple(p) for p in t[1]]) for t in r.topics]
        check(got == [("cam", [(0, 0, -1, 42)])], "%s: %r" % (name, got))


def check_fetch(d):
    corr, s = load(d, "fetch-v4")
    r = decode(FetchResponse[4], s, "fetch-v4")
    check(corr == 500 and r.throttle_time_ms == 11, "fetch-v4: header")
    topic, parts = r.topics[0]
    check(topic == "cam" and len(parts) == 2, "fetch-v4: topics")
    p0, p1 = parts
    check(tuple(p0[:4]) == (0, 0, 3, 3) and p0[4] is None,
          "fetch-v4: partition 0 %r" % (p0[:5],))
    records = MemoryRecords(p0[5])
    got = []
    while records.has_next():
        batch = records.next_batch()
        check(batch.validate_crc(), "fetch-v4: batch CRC")
        for rec in batch:
            got.append((rec.offset, rec.value))
    check(got == [(0, b"value-0"), (1, b"value-1"), (2, b"value-2")],
          "fetch-v4: records %r" % got)
    check(tuple(p1[:4]) == (1, 1, 0, 0) and list(p1[4]) == [] and
          p1[5] == b"", "fetch-v4: partition 1 %r" % (p1,))


def frame(request, corr, client="compat"):
    # Keep the header alive: kafka-python's encode() holds only a weak
    # reference to its object.
    header = RequestHeader(request, correlation_id=corr, client_id=client)
    return header.encode() + request.encode()


def requests():
    """(file name, frame, expected line suffix after 'FILE: ')."""
    out = []
    for v in range(3):
        req = ApiVersionRequest[v]()
        out.append(("apiversions-v%d" % v, frame(req, 10 + v),
                    "api=18 v=%d cid=%d client=compat name=<null> "
                    "version=<null>" % (v, 10 + v)))
    for v in range(5):
        topics = ["cam", "b"]
        args = [topics] + ([False] if v == 4 else [])
        req = MetadataRequest[v](*args)
        out.append(("metadata-v%d" % v, frame(req, 20 + v),
                    "api=3 v=%d cid=%d client=compat all=0 auto=%d "
                    "topic=cam topic=b" % (v, 20 + v, 0 if v == 4 else 1)))
    all_v1 = MetadataRequest[1](None)
    out.append(("metadata-v1-all", frame(all_v1, 30),
                "api=3 v=1 cid=30 client=compat all=1 auto=1"))
    all_v0 = MetadataRequest[0]([])
    out.append(("metadata-v0-all", frame(all_v0, 31, None),
                "api=3 v=0 cid=31 client=<null> all=1 auto=1"))
    batch = bytes(range(70))
    sha = hashlib.sha1(batch).hexdigest()
    for v in range(3, 8):
        req = ProduceRequest[v](None, -1, 1500,
                                [("cam", [(0, batch), (3, b"")])])
        out.append(("produce-v%d" % v, frame(req, 40 + v),
                    "api=0 v=%d cid=%d client=compat txn=<null> acks=-1 "
                    "timeout=1500 topic=cam p=0:70:%s p=3:0:%s" %
                    (v, 40 + v, sha, hashlib.sha1(b"").hexdigest())))
    req = OffsetRequest[1](-1, [("cam", [(0, -2), (1, 1700000000000)])])
    out.append(("listoffsets-v1", frame(req, 51),
                "api=2 v=1 cid=51 client=compat replica=-1 iso=0 topic=cam "
                "p=0:-2 p=1:1700000000000"))
    req = OffsetRequest[2](-1, 1, [("cam", [(0, -1)])])
    out.append(("listoffsets-v2", frame(req, 52),
                "api=2 v=2 cid=52 client=compat replica=-1 iso=1 topic=cam "
                "p=0:-1"))
    req = FetchRequest[4](-1, 500, 1, 52428800, 1,
                          [("cam", [(0, 42, 1048576)]), ("b", [(2, 0, 7)])])
    out.append(("fetch-v4", frame(req, 60),
                "api=1 v=4 cid=60 client=compat replica=-1 wait=500 min=1 "
                "max=52428800 iso=1 topic=cam p=0:42:1048576 topic=b "
                "p=2:0:7"))
    return out


def check_requests(dump, d):
    cases = requests()
    paths = []
    for name, data, _ in cases:
        path = os.path.join(d, name + ".req")
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    res = subprocess.run([dump, "parse"] + paths, stdout=subprocess.PIPE,
                         universal_newlines=True)
    lines = res.stdout.splitlines()
    check(res.returncode == 0, "parse exit status %d" % res.returncode)
    check(len(lines) == len(cases), "parse printed %d lines" % len(lines))
    for (name, _, expected), path, line in zip(cases, paths, lines):
        check(line == path + ": " + expected,
              "request %s:\n  got      %s\n  expected %s" %
              (name, line, path + ": " + expected))


def main():
    dump = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([dump, "responses", d], check=True)
        check_api_versions(d)
        check_metadata(d)
        check_produce_list_offsets(d)
        check_fetch(d)
        check_requests(dump, d)
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("all responses decoded by kafka-python and all kafka-python "
          "requests parsed as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())

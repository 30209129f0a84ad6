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

ADVERTISED = [(0, 0, 9), (1, 0, 12), (2, 0, 7), (3, 0, 12), (18, 0, 3)]

# The highest non-flexible version of each api that kafka-python 2.0.2 has
# classes for; flexible versions (Metadata 9+, Produce 9, ListOffsets 6+,
# Fetch 12) are checked by golden bytes in kafka.c instead.
METADATA_MAX = len(MetadataResponse) - 1
PRODUCE_MAX = len(ProduceResponse) - 1
OFFSET_MAX = len(OffsetResponse) - 1
FETCH_MAX = len(FetchResponse) - 1
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
    for v in range(METADATA_MAX + 1):
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
        if v >= 5:
            check(list(parts[0][5]) == [], "%s: offline replicas" % name)
        check(list(t[1][-1]) == [], "%s: missing topic partitions" % name)
        if v >= 1:
            check(t[0][2] is False, "%s: is_internal" % name)


PRODUCE_V8 = [("cam", [(0, 0, 42, -1, 10, [], None)]),
              ("other", [(1, 29, -1, -1, -1, [], None)]), 7]


def produce_v8(s):
    """ProduceResponse v8 from the spec: per partition index, error, base
    offset, log append time, log start offset, ARRAY record errors,
    NULLABLE_STRING error message; then the throttle time."""
    def get(fmt):
        return struct.unpack(fmt, s.read(struct.calcsize(fmt)))[0]

    def string():
        n = get(">h")
        return None if n < 0 else s.read(n).decode()

    out = []
    for _ in range(get(">i")):
        topic = string()
        parts = []
        for _ in range(get(">i")):
            p = [get(">i"), get(">h"), get(">q"), get(">q"), get(">q")]
            p.append([(get(">i"), string()) for _ in range(get(">i"))])
            p.append(string())
            parts.append(tuple(p))
        out.append((topic, parts))
    out.append(get(">i"))
    check(s.read() == b"", "produce-v8: trailing bytes")
    return out


def check_produce_list_offsets(d):
    # kafka-python's ProduceResponse v8 lacks v8's RecordErrors and
    # ErrorMessage (KIP-467, in Kafka's ProduceResponse.json since v8), so
    # v8 is decoded by hand from the spec.
    for v in range(min(PRODUCE_MAX, 8) + 1):
        name = "produce-v%d" % v
        corr, s = load(d, name)
        if v == 8:
            check(corr == 308 and produce_v8(s) == PRODUCE_V8,
                  "%s: decoded by hand" % name)
            continue
        r = decode(ProduceResponse[v], s, name)
        check(corr == 300 + v, "%s: correlation id" % name)
        if v >= 1:
            check(r.throttle_time_ms == 7, "%s: throttle" % name)
        got = [(t[0], [tuple(p) for p in t[1]]) for t in r.topics]
        cam = (0, 0, 42) + ((-1,) if v >= 2 else ()) + \
            ((10,) if v >= 5 else ())
        other = (1, 29, -1) + ((-1,) if v >= 2 else ()) + \
            ((-1,) if v >= 5 else ())
        check(got == [("cam", [cam]), ("other", [other])],
              "%s: %r" % (name, got))
    for v in range(OFFSET_MAX + 1):
        name = "list-offsets-v%d" % v
        corr, s = load(d, name)
        r = decode(OffsetResponse[v], s, name)
        check(corr == 400 + v, "%s: correlation id" % name)
        if v >= 2:
            check(r.throttle_time_ms == 9, "%s: throttle" % name)
        got = [(t[0], [tuple(p) if v else (p[0], p[1], list(p[2]))
                       for p in t[1]]) for t in r.topics]
        if v == 0:
            want = (0, 0, [42])
        else:
            want = (0, 0, -1, 42) + ((0,) if v >= 4 else ())
        check(got == [("cam", [want])], "%s: %r" % (name, got))


def check_fetch(d):
    for v in range(FETCH_MAX + 1):
        name = "fetch-v%d" % v
        corr, s = load(d, name)
        r = decode(FetchResponse[v], s, name)
        check(corr == 500 + v, "%s: correlation id" % name)
        if v >= 1:
            check(r.throttle_time_ms == 11, "%s: throttle" % name)
        if v >= 7:
            check(r.error_code == 0 and r.session_id == 0,
                  "%s: error / session id" % name)
        topic, parts = r.topics[0]
        check(topic == "cam" and len(parts) == 2, "%s: topics" % name)
        p0, p1 = parts
        want0 = [0, 0, 3] + ([3] if v >= 4 else []) + \
            ([1] if v >= 5 else [])
        check(list(p0[:len(want0)]) == want0, "%s: partition 0 %r" %
              (name, p0))
        if v >= 4:
            check(p0[len(want0)] is None, "%s: aborted transactions" % name)
        if v >= 11:
            check(p0[-2] == -1, "%s: preferred read replica" % name)
        records = MemoryRecords(p0[-1])
        got = []
        while records.has_next():
            batch = records.next_batch()
            check(batch.validate_crc(), "%s: batch CRC" % name)
            for rec in batch:
                got.append((rec.offset, rec.value))
        check(got == [(0, b"value-0"), (1, b"value-1"), (2, b"value-2")],
              "%s: records %r" % (name, got))
        check(p1[0] == 1 and p1[1] == 1 and p1[-1] == b"",
              "%s: partition 1 %r" % (name, p1))


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
    for v in range(len(MetadataRequest)):
        topics = ["cam", "b"]
        args = [topics] + ([False] if v >= 4 else [])
        req = MetadataRequest[v](*args)
        out.append(("metadata-v%d" % v, frame(req, 20 + v),
                    "api=3 v=%d cid=%d client=compat all=0 auto=%d "
                    "topic=cam topic=b" % (v, 20 + v, 0 if v >= 4 else 1)))
    all_v1 = MetadataRequest[1](None)
    out.append(("metadata-v1-all", frame(all_v1, 30),
                "api=3 v=1 cid=30 client=compat all=1 auto=1"))
    all_v0 = MetadataRequest[0]([])
    out.append(("metadata-v0-all", frame(all_v0, 31, None),
                "api=3 v=0 cid=31 client=<null> all=1 auto=1"))
    batch = bytes(range(70))
    sha = hashlib.sha1(batch).hexdigest()
    for v in range(len(ProduceRequest)):
        args = [-1, 1500, [("cam", [(0, batch), (3, b"")])]]
        req = ProduceRequest[v](*(([None] if v >= 3 else []) + args))
        out.append(("produce-v%d" % v, frame(req, 40 + v),
                    "api=0 v=%d cid=%d client=compat txn=<null> acks=-1 "
                    "timeout=1500 topic=cam p=0:70:%s p=3:0:%s" %
                    (v, 40 + v, sha, hashlib.sha1(b"").hexdigest())))
    # Sarama's default (Kafka 0.8.2) asks with v0's old multi-offset form.
    req = OffsetRequest[0](-1, [("cam", [(0, -1, 1)])])
    out.append(("listoffsets-v0", frame(req, 50),
                "api=2 v=0 cid=50 client=compat replica=-1 iso=0 topic=cam "
                "p=0:-1:max=1"))
    req = OffsetRequest[1](-1, [("cam", [(0, -2), (1, 1700000000000)])])
    out.append(("listoffsets-v1", frame(req, 51),
                "api=2 v=1 cid=51 client=compat replica=-1 iso=0 topic=cam "
                "p=0:-2 p=1:1700000000000"))
    # v4-5 are left out: kafka-python encodes their CurrentLeaderEpoch as
    # an int64, where ListOffsetsRequest.json says int32 (kafka.c has
    # golden bytes for v4).
    for v in range(2, 4):
        req = OffsetRequest[v](-1, 1, [("cam", [(0, -1)])])
        out.append(("listoffsets-v%d" % v, frame(req, 50 + v),
                    "api=2 v=%d cid=%d client=compat replica=-1 iso=1 "
                    "topic=cam p=0:-1" % (v, 50 + v)))
    for v in range(len(FetchRequest)):
        out.append(fetch_request(v))
    return out


def fetch_request(v):
    """Fetch v (0-11) as kafka-python encodes it, and what kafka-dump must
    print for it."""
    cam = (0, 42, 1048576)
    b = (2, 0, 7)
    if v >= 9:
        cam, b = (0, 3, 42, -1, 1048576), (2, 3, 0, -1, 7)
    elif v >= 5:
        cam, b = (0, 42, -1, 1048576), (2, 0, -1, 7)
    args = [-1, 500, 1]
    if v >= 3:
        args.append(52428800)
    if v >= 4:
        args.append(1)
    if v >= 7:
        args += [0, -1]
    args.append([("cam", [cam]), ("b", [b])])
    if v >= 7:
        # kafka-python cannot encode forgotten topics (its schema names the
        # type String without an encoding); kafka.c covers them.
        args.append([])
    if v >= 11:
        args.append("rack-a")
    req = FetchRequest[v](*args)
    expected = ("api=1 v=%d cid=%d client=compat replica=-1 wait=500 min=1 "
                "max=%d iso=%d" % (v, 60 + v,
                                   52428800 if v >= 3 else 2147483647,
                                   1 if v >= 4 else 0))
    if v >= 7:
        expected += " session=0:-1 forgotten=0"
    if v >= 5:
        epoch = 3 if v >= 9 else -1
        expected += (" topic=cam p=0:42:1048576:lso=-1:epoch=%d topic=b "
                     "p=2:0:7:lso=-1:epoch=%d" % (epoch, epoch))
    else:
        expected += " topic=cam p=0:42:1048576 topic=b p=2:0:7"
    if v >= 11:
        expected += " rack=rack-a"
    return ("fetch-v%d" % v, frame(req, 60 + v), expected)


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

#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Cross-check of gst-rg's __consumer_offsets record schemas
# (gst/kafka/rgkafkaoffsets.c) with a second, independent implementation.
# kafka-python has no encoder for these schemas, so this file carries its
# own, written with struct from Kafka's JSON specs (OffsetCommitKey,
# GroupMetadataKey, OffsetCommitValue, GroupMetadataValue) without looking
# at the C code. offsets-dump (argv[1]) prints the C encodings of fixed
# inputs; each must equal this encoder's bytes for the same inputs, and
# this file's decoder must read back every field. Exit status: 0 pass,
# 1 fail.

import struct
import subprocess
import sys


def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode("utf-8")
    return struct.pack(">h", len(b)) + b


def blob(b):
    return struct.pack(">i", len(b)) + b


def key(version, group, topic, partition):
    out = struct.pack(">h", version) + string(group)
    if version in (0, 1):
        out += string(topic) + struct.pack(">i", partition)
    return out


def commit(version, offset, epoch, metadata, ts, expire):
    out = struct.pack(">hq", version, offset)
    if version == 3:
        out += struct.pack(">i", epoch)
    out += string(metadata) + struct.pack(">q", ts)
    if version == 1:
        out += struct.pack(">q", expire)
    return out


def member(version, m):
    out = string(m["id"])
    if version == 3:
        out += string(m["instance"])
    out += string(m["client"]) + string(m["host"])
    if version >= 1:
        out += struct.pack(">i", m["rebalance"])
    out += struct.pack(">i", m["session"])
    return out + blob(m["subscription"]) + blob(m["assignment"])


def group(version, g):
    out = struct.pack(">h", version) + string(g["type"])
    out += struct.pack(">i", g["generation"])
    out += string(g["protocol"]) + string(g["leader"])
    if version >= 2:
        out += struct.pack(">q", g["state_ts"])
    out += struct.pack(">i", len(g["members"]))
    return out + b"".join(member(version, m) for m in g["members"])


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def blob(self):
        n = self.take(">i")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def done(self):
        assert self.pos == len(self.data), "bytes left over"


def decode_group(data):
    r = Reader(data)
    v = r.take(">h")
    g = {"type": r.string(), "generation": r.take(">i"),
         "protocol": r.string(), "leader": r.string(), "members": []}
    if v >= 2:
        g["state_ts"] = r.take(">q")
    for _ in range(r.take(">i")):
        m = {"id": r.string()}
        m["instance"] = r.string() if v == 3 else None
        m["client"], m["host"] = r.string(), r.string()
        if v >= 1:
            m["rebalance"] = r.take(">i")
        m["session"] = r.take(">i")
        m["subscription"], m["assignment"] = r.blob(), r.blob()
        g["members"].append(m)
    r.done()
    return v, g


# The inputs offsets-dump.c encodes (keep the two in step).
GROUP = "console-consumer-4711"
TOPIC = "camera.front"
OFFSET, EPOCH = 81985529216486895, 12
METADATA = "snapshot \u00e9t\u00e9"
TS, EXPIRE = 1764931200000, 1765536000000
SUB = bytes([0, 1, 0, 0, 0, 1, 0, 5]) + b"video" + b"\xff\xff\xff\xff"
ASSIGN = bytes([0, 1, 0, 0, 0, 0])
MEMBERS = [
    {"id": "rdkafka-0b7a", "instance": "cam-1", "client": "rdkafka",
     "host": "/127.0.0.1", "rebalance": 300000, "session": 10000,
     "subscription": SUB, "assignment": ASSIGN},
    {"id": "rdkafka-91cc", "instance": None, "client": "rdkafka",
     "host": "/127.0.0.1", "rebalance": 300001, "session": 10001,
     "subscription": SUB, "assignment": b""},
]
GROUP_VALUE = {"type": "consumer", "generation": 3,
               "protocol": "cooperative-sticky", "leader": "rdkafka-0b7a",
               "state_ts": TS, "members": MEMBERS}


def expected():
    want = {}
    for v in range(3):
        want["key-v%d" % v] = key(v, GROUP, TOPIC, 2147483647 - v)
    for v in range(4):
        want["commit-v%d" % v] = commit(v, OFFSET, EPOCH, METADATA, TS,
                                        EXPIRE)
        want["group-v%d" % v] = group(v, GROUP_VALUE)
    return want


def check_group_roundtrip(name, data):
    v, g = decode_group(data)
    for field in ("type", "generation", "protocol", "leader"):
        assert g[field] == GROUP_VALUE[field], (name, field)
    for got, want in zip(g["members"], MEMBERS):
        for field in ("id", "client", "host", "session", "subscription",
                      "assignment"):
            assert got[field] == want[field], (name, field)
        if v >= 1:
            assert got["rebalance"] == want["rebalance"], name
        if v == 3:
            assert got["instance"] == want["instance"], name


def main():
    out = subprocess.run([sys.argv[1]], check=True, capture_output=True,
                         text=True).stdout
    got = dict(line.split(" ", 1) for line in out.splitlines())
    want = expected()
    failed = 0
    for name, data in sorted(want.items()):
        if bytes.fromhex(got.get(name, "").strip()) != data:
            print("FAIL %s:\n  C:      %s\n  Python: %s" %
                  (name, got.get(name, "(missing)").strip(), data.hex()))
            failed += 1
            continue
        if name.startswith("group"):
            check_group_roundtrip(name, data)
        print("ok %s (%d bytes)" % (name, len(data)))
    print("%d passed, %d failed" % (len(want) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

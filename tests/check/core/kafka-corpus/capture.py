#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Regenerates the seed corpus of real client requests in this directory.
# Starts a tiny loopback Kafka responder (127.0.0.1 only) that records every
# request frame (the bytes after the int32 size prefix) and answers just
# enough of ApiVersions, Metadata, ListOffsets, Fetch and Produce for the
# clients to go on, then runs kcat (librdkafka) and kafka-python against it.
# The answers are encoded here by hand, independently of gst/kafka/rgkafka.c.
#
# Usage: /usr/bin/python3 capture.py [OUTDIR]   (default: this directory)
# Frames are named <client>-<NN>-<api>-v<version>.bin; the first frame of
# each (api, version) per client run is kept.

import os
import socket
import struct
import subprocess
import sys
import threading
import time

TOPIC = b"x"
APIS = [(0, 3, 7), (1, 4, 4), (2, 1, 2), (3, 0, 4), (18, 0, 3)]
NAMES = {0: "produce", 1: "fetch", 2: "listoffsets", 3: "metadata",
         18: "apiversions"}


def s16(b):
    return struct.pack(">h", -1) if b is None else \
        struct.pack(">h", len(b)) + b


def api_versions_body(version):
    if version > 3:
        return struct.pack(">hi", 35, 1) + struct.pack(">hhh", 18, 0, 3)
    if version == 3:
        body = struct.pack(">h", 0) + bytes([len(APIS) + 1])
        for k, lo, hi in APIS:
            body += struct.pack(">hhh", k, lo, hi) + b"\0"
        return body + struct.pack(">i", 0) + b"\0"
    body = struct.pack(">hi", 0, len(APIS))
    for k, lo, hi in APIS:
        body += struct.pack(">hhh", k, lo, hi)
    return body + (struct.pack(">i", 0) if version >= 1 else b"")


def metadata_body(version, port, topics):
    body = struct.pack(">i", 0) if version >= 3 else b""
    body += struct.pack(">i", 1) + struct.pack(">i", 1) + s16(b"127.0.0.1")
    body += struct.pack(">i", port)
    if version >= 1:
        body += s16(None)
    if version >= 2:
        body += s16(b"capture")
    if version >= 1:
        body += struct.pack(">i", 1)
    body += struct.pack(">i", len(topics))
    for t in topics:
        body += struct.pack(">h", 0) + s16(t)
        if version >= 1:
            body += b"\0"
        body += struct.pack(">i", 1) + struct.pack(">hii", 0, 0, 1)
        body += struct.pack(">ii", 1, 1) + struct.pack(">ii", 1, 1)
    return body


class Reader:
    def __init__(self, data, pos):
        self.d, self.p = data, pos

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)
        self.p += struct.calcsize(fmt)
        return v[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        v = self.d[self.p:self.p + n]
        self.p += n
        return v


def topics_of(frame, api, version, r):
    """Topic names and partitions of a request, for the answer."""
    if api == 3:
        n = r.take(">i")
        return [r.string() for _ in range(max(n, 0))] or [TOPIC]
    if api == 0:
        r.string()
        r.take(">h")
        r.take(">i")
    elif api == 2:
        r.take(">i")
        if version >= 2:
            r.take(">b")
    elif api == 1:
        r.take(">iiiib")
    out = []
    for _ in range(r.take(">i")):
        name = r.string()
        parts = []
        for _ in range(r.take(">i")):
            parts.append(r.take(">i"))
            if api == 0:
                n = r.take(">i")
                r.p += max(n, 0)
            elif api == 2:
                r.take(">q")
            else:
                r.take(">qi")
        out.append((name, parts))
    return out


def answer(frame, port):
    api, version, corr = struct.unpack_from(">hhi", frame)
    r = Reader(frame, 8)
    r.string()
    if api == 18:
        return struct.pack(">i", corr) + api_versions_body(version)
    topics = topics_of(frame, api, version, r)
    if api == 3:
        return struct.pack(">i", corr) + metadata_body(version, port, topics)
    body = b""
    if api == 2:
        body += struct.pack(">i", 0) if version >= 2 else b""
        body += struct.pack(">i", len(topics))
        for name, parts in topics:
            body += s16(name) + struct.pack(">i", len(parts))
            for p in parts:
                body += struct.pack(">ihqq", p, 0, -1, 0)
    elif api == 1:
        body += struct.pack(">ii", 0, len(topics))
        for name, parts in topics:
            body += s16(name) + struct.pack(">i", len(parts))
            for p in parts:
                body += struct.pack(">ihqqii", p, 0, 0, 0, -1, 0)
    elif api == 0:
        body += struct.pack(">i", len(topics))
        for name, parts in topics:
            body += s16(name) + struct.pack(">i", len(parts))
            for p in parts:
                body += struct.pack(">ihqq", p, 0, 0, -1)
                if version >= 5:
                    body += struct.pack(">q", 0)
        body += struct.pack(">i", 0)
    else:
        return None
    return struct.pack(">i", corr) + body


class Recorder:
    def __init__(self, outdir):
        self.outdir = outdir
        self.label = "none"
        self.seen = set()
        self.count = 0
        self.per_label = {}
        self.lock = threading.Lock()

    def record(self, frame):
        api, version = struct.unpack_from(">hh", frame)
        with self.lock:
            key = (self.label, api, version)
            if key in self.seen:
                return
            self.seen.add(key)
            self.count += 1
            n = self.per_label[self.label] = self.per_label.get(self.label,
                                                                0) + 1
            name = "%s-%02d-%s-v%d.bin" % (self.label, n,
                                           NAMES.get(api, str(api)), version)
            with open(os.path.join(self.outdir, name), "wb") as f:
                f.write(frame)


def produce_acks(frame):
    r = Reader(frame, 8)
    r.string()  # client id
    r.string()  # transactional id
    return r.take(">h")


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def serve_conn(conn, port, recorder):
    with conn:
        while True:
            size = recv_exact(conn, 4)
            if size is None:
                return
            frame = recv_exact(conn, struct.unpack(">i", size)[0])
            if frame is None:
                return
            recorder.record(frame)
            api = struct.unpack_from(">h", frame)[0]
            if api == 0 and produce_acks(frame) == 0:
                continue  # acks=0: no response at all
            resp = answer(frame, port)
            if resp is None:
                return
            conn.sendall(struct.pack(">i", len(resp)) + resp)


def serve(sock, recorder):
    port = sock.getsockname()[1]
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        threading.Thread(target=serve_conn, args=(conn, port, recorder),
                         daemon=True).start()


def run_kafka_python(bootstrap, what):
    code = {
        "admin": """
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=%r, client_id='kafka-python-admin')
a.close()
""",
        "consumer": """
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=%r, client_id='kafka-python-consumer',
                  enable_auto_commit=False, group_id=None)
tp = TopicPartition('x', 0)
c.assign([tp])
c.seek_to_beginning(tp)
c.poll(timeout_ms=1500)
c.close()
""",
        "producer": """
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=%r, client_id='kafka-python-producer',
                  acks=1)
p.send('x', key=b'k', value=b'hello').get(timeout=10)
p.close()
""",
    }[what] % bootstrap
    subprocess.run(["/usr/bin/python3", "-c", code], timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.abspath(__file__))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    bootstrap = "127.0.0.1:%d" % sock.getsockname()[1]
    recorder = Recorder(outdir)
    threading.Thread(target=serve, args=(sock, recorder), daemon=True).start()

    runs = [
        ("kcat-L", ["kcat", "-b", bootstrap, "-L"], None),
        ("kcat-C", ["kcat", "-b", bootstrap, "-C", "-t", "x", "-o",
                    "beginning", "-e"], None),
        ("kcat-P", ["kcat", "-b", bootstrap, "-P", "-t", "x", "-p", "0"],
         b"hello\n"),
    ]
    for label, argv, stdin in runs:
        recorder.label = label
        subprocess.run(argv, input=stdin, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.2)
    for what in ("admin", "consumer", "producer"):
        recorder.label = "kafka-python-" + what
        run_kafka_python(bootstrap, what)
        time.sleep(0.2)
    sock.close()
    print("%d frames written to %s" % (recorder.count, outdir))


if __name__ == "__main__":
    main()

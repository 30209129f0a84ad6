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

"""rgbrokersink's SASL, TLS and ACLs against real clients: kcat
(librdkafka) and confluent-kafka (librdkafka through Python).

A pipeline `appsrc ! rgbrokersink` in this process serves random binary
buffers over a SASL_SSL listener whose CA, certificate, credentials and ACL
this script makes: the CA with the openssl command, the SCRAM credentials
with Python's hashlib (an implementation independent of the broker's, so
the two derivations are checked against each other). Then:
  - PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 with the right password read
    every buffer byte for byte;
  - a wrong password, a clear-text client and a client trusting another
    CA each fail with the client's own message;
  - the ACL refuses a write into a topic the user may only read, and
    allows writes and reads of the prefix it grants;
  - kafka-python (SaslHandshake v0, then bare SASL tokens: the other flow
    Kafka has) reads every buffer with SCRAM over TLS, and a wrong
    password gets it nowhere;
  - confluent-kafka group consumers (subscribe()): one with read on its
    group and the topic reads every buffer, one whose group is not granted
    gets GROUP_AUTHORIZATION_FAILED, one granted its group but not the
    topic gets TOPIC_AUTHORIZATION_FAILED.
Usage: auth_clients.py KCAT. Exits 77 (skipped) when a client is missing.
"""

import base64
import hashlib
import hmac
import os
import random
import subprocess
import sys
import tempfile
import time

try:
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst  # noqa: E402
    import confluent_kafka  # noqa: E402
except ImportError as e:
    print("SKIP: %s" % e)
    sys.exit(77)

TOPIC = "frames"
N_RECORDS = 30
CLIENT_TIMEOUT = 60
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    else:
        print("ok:", what, flush=True)


def scram_entry(user, password, mechanism, iterations=4096):
    """One credentials-file line, derived as RFC 5802 says."""
    h = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mechanism]
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac(h, password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", h).digest()
    server_key = hmac.new(salted, b"Server Key", h).digest()

    def b64(x):
        return base64.b64encode(x).decode()
    return "%s %s %d %s %s %s" % (user, mechanism, iterations, b64(salt),
                                  b64(hashlib.new(h, client_key).digest()),
                                  b64(server_key))


def make_files(d):
    def sh(cmd):
        subprocess.run(cmd, shell=True, cwd=d, check=True,
                       capture_output=True)
    sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -keyout ca.key "
       "-out ca.pem -subj '/CN=rg test CA'")
    sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -keyout other.key "
       "-out other.pem -subj '/CN=rg test CA'")
    sh("openssl req -newkey rsa:2048 -nodes -keyout server.key "
       "-out server.csr -subj '/CN=localhost' && "
       "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san && "
       "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
       "-CAcreateserial -days 1 -extfile san -out server.pem")
    with open(os.path.join(d, "users"), "w") as f:
        for mech in ("SCRAM-SHA-256", "SCRAM-SHA-512"):
            f.write(scram_entry("alice", "alice-secret", mech) + "\n")
        f.write(scram_entry("bob", "bob-secret", "SCRAM-SHA-512") + "\n")
    with open(os.path.join(d, "acl"), "w") as f:
        f.write("# alice reads the pipeline's topic and owns ingest.*\n"
                "alice read %s\n"
                "alice read,write,create ingest.*\n"
                "alice read group:auth-alice-*\n"
                "bob read group:auth-bob\n"
                "bob read %s\n"
                "# alice manages the ACLs\n"
                "alice alter,describe cluster:kafka-cluster\n" % (TOPIC, TOPIC))


class Pipeline:
    def __init__(self, d):
        self.pipeline = Gst.parse_launch(
            "appsrc name=src format=time ! rgbrokersink name=sink "
            "topic=%s port=0 ring-size=1000 ingest=true sync=false "
            "tls-certificate=%s/server.pem tls-key=%s/server.key "
            "sasl-mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512 "
            "credentials-file=%s/users acl-file=%s/acl" %
            (TOPIC, d, d, d, d))
        self.src = self.pipeline.get_by_name("src")
        self.sink = self.pipeline.get_by_name("sink")
        ret = self.pipeline.set_state(Gst.State.PLAYING)
        assert ret != Gst.StateChangeReturn.FAILURE, ret
        self.port = self.sink.get_property("bound-port")
        assert self.port > 0

    def push(self, i, value):
        buf = Gst.Buffer.new_wrapped(value)
        buf.pts = i * Gst.MSECOND
        assert self.src.emit("push-buffer", buf) == Gst.FlowReturn.OK

    def wait_appended(self, n):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.sink.get_property("stats").get_value(
                    "high-watermark") >= n:
                return True
            time.sleep(0.01)
        return False

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def kcat_args(kcat, port, d, mech, user, password, protocol="SASL_SSL",
              ca="ca.pem"):
    args = [kcat, "-b", "127.0.0.1:%d" % port,
            "-X", "security.protocol=" + protocol,
            "-X", "sasl.mechanisms=" + mech,
            "-X", "sasl.username=" + user,
            "-X", "sasl.password=" + password]
    if protocol.endswith("SSL"):
        args += ["-X", "ssl.ca.location=" + os.path.join(d, ca)]
    return args


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          timeout=CLIENT_TIMEOUT)


def kcat_read(kcat, port, d, mech, user, password, refused=False, **kw):
    """kcat -C of the whole topic: (rc, list of values, stderr). Not -q:
    librdkafka's own error lines are what the failure checks read. A
    client expected to be @refused gives up waiting for metadata after 1 s
    instead of kcat's 5: its error is logged within milliseconds, and the
    other 4 s would only be waiting."""
    wait = ["-m", "1"] if refused else []
    res = run(kcat_args(kcat, port, d, mech, user, password, **kw) + wait +
              ["-C", "-t", TOPIC, "-o", "beginning", "-e",
               "-f", "%S:%s"])
    values = []
    out = res.stdout
    pos = 0
    while pos < len(out):
        colon = out.index(b":", pos)
        size = int(out[pos:colon])
        values.append(out[colon + 1:colon + 1 + size])
        pos = colon + 1 + size
    return res.returncode, values, res.stderr.decode(errors="replace")


def test_kcat(kcat, port, d, values):
    for mech, user, password in (("PLAIN", "alice", "alice-secret"),
                                 ("SCRAM-SHA-256", "alice", "alice-secret"),
                                 ("SCRAM-SHA-512", "bob", "bob-secret")):
        rc, got, err = kcat_read(kcat, port, d, mech, user, password)
        check(rc == 0 and got == values,
              "kcat %s over TLS reads the %d values byte for byte "
              "(rc %d, %d values, %s)" % (mech, len(values), rc, len(got),
                                          err.strip()[-200:]))

    rc, got, err = kcat_read(kcat, port, d, "SCRAM-SHA-512", "alice",
                             "wrong", refused=True)
    check(rc != 0 and not got and
          "SASL authentication error: Authentication failed during "
          "authentication due to invalid credentials with SASL mechanism "
          "SCRAM-SHA-512" in err,
          "kcat with a wrong password: its SASL authentication error "
          "(%s)" % err.strip()[-300:])
    rc, got, err = kcat_read(kcat, port, d, "PLAIN", "alice", "wrong",
                             refused=True)
    check(rc != 0 and not got and "invalid credentials with SASL mechanism "
          "PLAIN" in err, "kcat PLAIN with a wrong password is refused")
    rc, got, err = kcat_read(kcat, port, d, "SCRAM-SHA-256", "alice",
                             "alice-secret", protocol="SASL_PLAINTEXT",
                             refused=True)
    check(rc != 0 and not got and "Disconnected while requesting "
          "ApiVersion" in err and "SSL listener" in err,
          "kcat without TLS: disconnected, pointing at an SSL listener "
          "(%s)" % err.strip()[-300:])
    rc, got, err = kcat_read(kcat, port, d, "SCRAM-SHA-256", "alice",
                             "alice-secret", ca="other.pem", refused=True)
    check(rc != 0 and not got and "certificate verify failed" in err,
          "kcat trusting another CA: certificate verify failed (%s)" %
          err.strip()[-300:])

    # ACL: alice may read the pipeline's topic, not write it (the topic
    # is the pipeline's anyway), and owns ingest.*.
    base = kcat_args(kcat, port, d, "SCRAM-SHA-256", "alice",
                     "alice-secret")
    res = run(base + ["-P", "-t", TOPIC, "-X", "message.timeout.ms=8000"],
              stdin=b"intruder\n")
    err = res.stderr.decode(errors="replace")
    check(res.returncode != 0 and "Topic authorization failed" in err,
          "kcat -P into a topic alice may only read: Topic authorization "
          "failed (%s)" % err.strip()[-200:])
    res = run(base + ["-P", "-t", "ingest.kcat",
                      "-X", "message.timeout.ms=8000"],
              stdin=b"one\ntwo\n")
    check(res.returncode == 0, "kcat -P into ingest.kcat (alice's) works "
          "(%s)" % res.stderr.decode(errors="replace").strip()[-200:])
    res = run(base + ["-C", "-t", "ingest.kcat", "-o", "beginning", "-e",
                      "-q", "-f", "%s\n"])
    check(res.stdout == b"one\ntwo\n", "kcat reads back what alice "
          "produced (%r)" % res.stdout)
    bob = kcat_args(kcat, port, d, "SCRAM-SHA-512", "bob", "bob-secret")
    res = run(bob + ["-P", "-t", "ingest.bob", "-X",
                     "message.timeout.ms=8000"], stdin=b"x\n")
    err = res.stderr.decode(errors="replace")
    check(res.returncode != 0 and "authorization failed" in err.lower(),
          "kcat -P as bob into ingest.bob (no grant) is refused (%s)" %
          err.strip()[-200:])


def ck_config(port, d, mech, user, password, protocol="SASL_SSL",
              ca="ca.pem"):
    conf = {"bootstrap.servers": "127.0.0.1:%d" % port,
            "security.protocol": protocol,
            "sasl.mechanisms": mech,
            "sasl.username": user,
            "sasl.password": password}
    if protocol.endswith("SSL"):
        conf["ssl.ca.location"] = os.path.join(d, ca)
    return conf


def ck_read(conf, n, timeout=15, expect=None):
    """Reads partition 0 of TOPIC from offset 0: (values, errors seen).
    A read expected to fail stops as soon as the @expect text is among the
    errors; without it, 6 s after the first error."""
    errors = []
    conf = dict(conf, **{"group.id": "auth-test",
                         "enable.auto.commit": False,
                         "error_cb": lambda e: errors.append(str(e))})
    consumer = confluent_kafka.Consumer(conf)
    consumer.assign([confluent_kafka.TopicPartition(TOPIC, 0, 0)])
    values = []
    deadline = time.monotonic() + timeout
    while len(values) < n and time.monotonic() < deadline:
        msg = consumer.poll(0.1 if expect else 0.5)
        if expect and expect in " | ".join(errors):
            break
        if msg is None:
            if errors and not values and time.monotonic() > deadline - \
                    timeout + 6:
                break
            continue
        if msg.error():
            errors.append(str(msg.error()))
            continue
        values.append(msg.value())
    consumer.close()
    return values, " | ".join(errors)


def test_confluent_kafka(port, d, values):
    got, err = ck_read(ck_config(port, d, "SCRAM-SHA-512", "alice",
                                 "alice-secret"), len(values))
    check(got == values, "confluent-kafka SCRAM-SHA-512 over TLS reads the "
          "%d values (%d, %s)" % (len(values), len(got), err[-200:]))
    got, err = ck_read(ck_config(port, d, "PLAIN", "bob", "bob-secret"),
                       len(values))
    check(got == values, "confluent-kafka PLAIN over TLS reads the values "
          "(%s)" % err[-200:])
    bad_password = ("Authentication failed during authentication due to "
                    "invalid credentials with SASL mechanism SCRAM-SHA-256")
    got, err = ck_read(ck_config(port, d, "SCRAM-SHA-256", "alice", "nope"),
                       1, expect=bad_password)
    check(not got and bad_password in err,
          "confluent-kafka with a wrong password: its authentication error "
          "(%s)" % err[-300:])
    got, err = ck_read(ck_config(port, d, "SCRAM-SHA-256", "alice",
                                 "alice-secret", ca="other.pem"), 1,
                       expect="certificate verify failed")
    check(not got and "certificate verify failed" in err,
          "confluent-kafka trusting another CA: certificate verify failed "
          "(%s)" % err[-300:])
    got, err = ck_read(ck_config(port, d, "SCRAM-SHA-256", "alice",
                                 "alice-secret", protocol="SASL_PLAINTEXT"),
                       1, expect="Disconnected while requesting ApiVersion")
    check(not got and "Disconnected while requesting ApiVersion" in err,
          "confluent-kafka without TLS: disconnected (%s)" % err[-300:])

    # ACL: a write into the pipeline's topic fails for good, one into
    # alice's prefix is delivered.
    results = {}

    def report(err, msg):
        results[msg.topic()] = err

    producer = confluent_kafka.Producer(dict(
        ck_config(port, d, "SCRAM-SHA-256", "alice", "alice-secret"),
        **{"message.timeout.ms": 8000}))
    for topic in (TOPIC, "ingest.ck"):
        producer.produce(topic, b"payload", on_delivery=report)
    producer.flush(20)
    err = results.get(TOPIC)
    check(err is not None and err.code() ==
          confluent_kafka.KafkaError.TOPIC_AUTHORIZATION_FAILED,
          "confluent-kafka produce into %s: TOPIC_AUTHORIZATION_FAILED "
          "(%s)" % (TOPIC, err))
    check("ingest.ck" in results and results["ingest.ck"] is None,
          "confluent-kafka produce into ingest.ck delivered (%s)" %
          results.get("ingest.ck", "no report"))


def ck_subscribe(conf, group, topic, n, timeout=20):
    """A group consumer of @topic: (values, error codes seen)."""
    codes = []
    conf = dict(conf, **{"group.id": group,
                         "auto.offset.reset": "earliest",
                         "error_cb": lambda e: codes.append(e.code())})
    consumer = confluent_kafka.Consumer(conf)
    consumer.subscribe([topic])
    values = []
    deadline = time.monotonic() + timeout
    while len(values) < n and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            codes.append(msg.error().code())
            if msg.error().fatal() or not msg.error().retriable():
                break
            continue
        values.append(msg.value())
    consumer.close()
    return values, codes


def test_confluent_kafka_groups(port, d, values):
    alice = ck_config(port, d, "SCRAM-SHA-512", "alice", "alice-secret")
    bob = ck_config(port, d, "SCRAM-SHA-512", "bob", "bob-secret")
    got, codes = ck_subscribe(alice, "auth-alice-1", TOPIC, len(values))
    check(got == values, "confluent-kafka group consumer with read on its "
          "group reads the %d values (%d, %s)" % (len(values), len(got),
                                                 codes))
    got, codes = ck_subscribe(bob, "auth-alice-2", TOPIC, 1, timeout=10)
    check(not got and confluent_kafka.KafkaError.GROUP_AUTHORIZATION_FAILED
          in codes, "confluent-kafka group consumer without read on its "
          "group: GROUP_AUTHORIZATION_FAILED (%s)" % codes)
    got, codes = ck_subscribe(bob, "auth-bob", "ingest.ck", 1, timeout=10)
    check(not got and confluent_kafka.KafkaError.TOPIC_AUTHORIZATION_FAILED
          in codes, "confluent-kafka group consumer without read on the "
          "topic: TOPIC_AUTHORIZATION_FAILED (%s)" % codes)


def test_kafka_python(port, d, values):
    try:
        import ssl
        from kafka import KafkaConsumer, TopicPartition
        from kafka.errors import KafkaError
    except ImportError:
        print("skip: kafka-python is not installed")
        return

    def read(password):
        ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
        try:
            consumer = KafkaConsumer(
                bootstrap_servers="127.0.0.1:%d" % port,
                security_protocol="SASL_SSL", ssl_context=ctx,
                sasl_mechanism="SCRAM-SHA-256",
                sasl_plain_username="alice", sasl_plain_password=password,
                group_id=None, enable_auto_commit=False,
                api_version_auto_timeout_ms=8000, request_timeout_ms=10000,
                max_partition_fetch_bytes=1024 * 1024)
        except KafkaError as e:
            return None, repr(e)
        tp = TopicPartition(TOPIC, 0)
        consumer.assign([tp])
        consumer.seek(tp, 0)
        got = []
        deadline = time.monotonic() + 20
        while len(got) < len(values) and time.monotonic() < deadline:
            for recs in consumer.poll(timeout_ms=500).values():
                got.extend(r.value for r in recs)
        consumer.close()
        return got, ""

    got, err = read("alice-secret")
    check(got == values, "kafka-python SCRAM-SHA-256 (bare-token flow) "
          "over TLS reads the %d values (%s)" % (len(values), err))
    got, err = read("wrong")
    check(got is None and "NoBrokersAvailable" in err,
          "kafka-python with a wrong password finds no broker (%s)" % err)


def test_acl_apis(port, d, values):
    """The ACL apis with kafka-python's admin client (DescribeAcls,
    CreateAcls, DeleteAcls v1): a deny alice creates stops bob's reads
    (confluent-kafka) and is written to the file; deleting it gives them
    back; bob may not manage ACLs."""
    try:
        import ssl
        from kafka.admin import (KafkaAdminClient, ACL, ACLFilter,
                                 ResourcePattern, ResourcePatternFilter,
                                 ResourceType, ACLOperation,
                                 ACLPermissionType, ACLResourcePatternType)
        from kafka.errors import ClusterAuthorizationFailedError
    except ImportError:
        print("skip: kafka-python is not installed")
        return

    def admin(user, password):
        ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
        return KafkaAdminClient(
            bootstrap_servers="127.0.0.1:%d" % port,
            security_protocol="SASL_SSL", ssl_context=ctx,
            sasl_mechanism="SCRAM-SHA-512", sasl_plain_username=user,
            sasl_plain_password=password, request_timeout_ms=10000)

    def bob_reads():
        got, err = ck_read(ck_config(port, d, "PLAIN", "bob", "bob-secret"),
                           len(values), timeout=10,
                           expect="TOPIC_AUTHORIZATION_FAILED")
        return got == values

    def acl_file():
        with open(os.path.join(d, "acl")) as f:
            return f.read()

    deny = ACL(principal="User:bob", host="*", operation=ACLOperation.READ,
               permission_type=ACLPermissionType.DENY,
               resource_pattern=ResourcePattern(
                   ResourceType.TOPIC, TOPIC, ACLResourcePatternType.LITERAL))
    bob_filter = ACLFilter(
        principal="User:bob", host=None, operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(
            ResourceType.TOPIC, TOPIC, ACLResourcePatternType.MATCH))
    alice = admin("alice", "alice-secret")
    result = alice.create_acls([deny])
    check(len(result["succeeded"]) == 1 and not result["failed"],
          "kafka-python create_acls: a deny for bob created (%s)" % result)
    acls, err = alice.describe_acls(bob_filter)
    check(sorted((a.operation, a.permission_type) for a in acls) ==
          [(ACLOperation.READ, ACLPermissionType.DENY),
           (ACLOperation.READ, ACLPermissionType.ALLOW)],
          "kafka-python describe_acls: bob's allow (from the file) and "
          "deny (%s)" % acls)
    check("bob read topic:%s deny host=*\n" % TOPIC in acl_file(),
          "the deny is written to the ACL file")
    check(not bob_reads(), "confluent-kafka: bob's read is refused")
    deny_filter = ACLFilter(
        principal="User:bob", host="*", operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.DENY,
        resource_pattern=ResourcePatternFilter(
            ResourceType.TOPIC, None, ACLResourcePatternType.ANY))
    deleted = alice.delete_acls([deny_filter])
    check(len(deleted) == 1 and len(deleted[0][1]) == 1,
          "kafka-python delete_acls: the deny deleted (%s)" % deleted)
    check("deny" not in acl_file(), "the deny is gone from the ACL file")
    check(bob_reads(), "confluent-kafka: bob reads again")
    alice.close()
    bob = admin("bob", "bob-secret")
    try:
        bob.describe_acls(bob_filter)
        refused = False
    except ClusterAuthorizationFailedError:
        refused = True
    check(refused, "kafka-python describe_acls as bob: "
          "CLUSTER_AUTHORIZATION_FAILED")
    bob.close()


def main():
    kcat = sys.argv[1] if len(sys.argv) > 1 else "kcat"
    if subprocess.run(["which", kcat], capture_output=True).returncode:
        print("SKIP: kcat not found")
        return 77
    Gst.init(None)
    rng = random.Random(12)
    values = [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 5000)))
              for _ in range(N_RECORDS)]
    values[3] = bytes(rng.getrandbits(8) for _ in range(200000))
    with tempfile.TemporaryDirectory(prefix="rg-auth-") as d:
        make_files(d)
        pipe = Pipeline(d)
        try:
            for i, v in enumerate(values):
                pipe.push(i, v)
            assert pipe.wait_appended(len(values))
            test_kcat(kcat, pipe.port, d, values)
            test_confluent_kafka(pipe.port, d, values)
            test_confluent_kafka_groups(pipe.port, d, values)
            test_kafka_python(pipe.port, d, values)
            test_acl_apis(pipe.port, d, values)
        finally:
            pipe.stop()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Client matrix: topic and broker configs through two admin clients,
# confluent-kafka-python's AdminClient (librdkafka: CreateTopics v4 with
# configs, DescribeConfigs v1, AlterConfigs v0, IncrementalAlterConfigs
# where it has it) and kafka-python's KafkaAdminClient (its own encoders:
# CreateTopics, DescribeConfigs and AlterConfigs in the versions it picks).
#
#   configs_admin.py BOOTSTRAP TOPIC_PREFIX
#
# Prints "RESULT client=configs-admin checks=N failed=M first=..." and
# exits 0 when every check held: a topic created with configs reports
# them, an AlterConfigs shows in the next describe, an unknown key is
# INVALID_CONFIG naming it, the broker resource "0" lists the element's
# properties.

import sys

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka.admin import ConfigResource as KpResource
from kafka.admin import ConfigResourceType, KafkaAdminClient
from kafka.admin import NewTopic as KpNewTopic

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)


def confluent(bootstrap, prefix):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topic = prefix + "-confluent"
    futures = admin.create_topics([NewTopic(
        topic, num_partitions=1, replication_factor=1,
        config={"max.message.bytes": "4000", "compression.type": "lz4"})])
    futures[topic].result(15)

    res = ConfigResource("topic", topic)
    configs = admin.describe_configs([res])[res].result(15)
    check(configs["max.message.bytes"].value == "4000",
          "confluent: max.message.bytes %r" % configs["max.message.bytes"])
    check(configs["compression.type"].value == "lz4",
          "confluent: compression.type")
    check(configs["cleanup.policy"].value == "delete",
          "confluent: cleanup.policy")

    res = ConfigResource("topic", topic, set_config={
        "max.message.bytes": "5000"})
    admin.alter_configs([res])[res].result(15)
    res = ConfigResource("topic", topic)
    configs = admin.describe_configs([res])[res].result(15)
    check(configs["max.message.bytes"].value == "5000",
          "confluent: altered max.message.bytes")
    # AlterConfigs replaces the set: compression.type is back to default.
    check(configs["compression.type"].value == "producer",
          "confluent: compression.type after AlterConfigs")

    res = ConfigResource("topic", topic, set_config={"no.such.key": "1"})
    try:
        admin.alter_configs([res])[res].result(15)
        check(False, "confluent: unknown key accepted")
    except Exception as e:
        check("no.such.key" in str(e), "confluent: message %s" % e)

    res = ConfigResource("broker", "0")
    configs = admin.describe_configs([res])[res].result(15)
    check("listeners" in configs and configs["listeners"].is_read_only,
          "confluent: broker listeners")


def kafka_python(bootstrap, prefix):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap,
                             request_timeout_ms=15000)
    topic = prefix + "-kafka-python"
    admin.create_topics([KpNewTopic(
        topic, 1, 1, topic_configs={"segment.bytes": "1048576"})])

    def describe():
        resp = admin.describe_configs([KpResource(
            ConfigResourceType.TOPIC, topic)])[0]
        err, _msg, _type, _name, entries = resp.resources[0][:5]
        check(err == 0, "kafka-python: describe error %d" % err)
        return {e[0]: e[1] for e in entries}

    configs = describe()
    check(configs.get("segment.bytes") == "1048576",
          "kafka-python: segment.bytes %r" % configs.get("segment.bytes"))
    resp = admin.alter_configs([KpResource(
        ConfigResourceType.TOPIC, topic,
        configs={"flush.ms": "1000", "segment.bytes": "1048576"})])
    check(resp.resources[0][0] == 0,
          "kafka-python: alter error %r" % (resp.resources[0],))
    configs = describe()
    check(configs.get("flush.ms") == "1000", "kafka-python: flush.ms")

    resp = admin.alter_configs([KpResource(
        ConfigResourceType.TOPIC, topic,
        configs={"cleanup.policy": "compact"})])
    check(resp.resources[0][0] == 40 and "cleanup.policy" in
          (resp.resources[0][1] or ""),
          "kafka-python: compact refused %r" % (resp.resources[0],))
    admin.close()


def main():
    bootstrap, prefix = sys.argv[1:3]
    for client in (confluent, kafka_python):
        try:
            client(bootstrap, prefix)
        except Exception as e:
            failures.append("%s: %r" % (client.__name__, e))
    print("RESULT client=configs-admin checks=%d failed=%d first=%r" % (
        checks, len(failures), failures[0] if failures else None))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

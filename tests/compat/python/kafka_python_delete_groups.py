#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Client matrix: kafka-python's KafkaAdminClient (Debian's python3-kafka)
# deleting a consumer group, as its documentation writes it: a consumer
# commits an offset in GROUP and closes, then delete_consumer_groups()
# removes the group, a second call finds it gone, and its committed
# offsets are gone with it. (kafka-python 2.0.2 has no delete_records,
# confluent-kafka-python 1.7 neither; librdkafka's 0081_admin covers it.)
#
#   kafka_python_delete_groups.py BOOTSTRAP TOPIC GROUP [TIMEOUT_S]
#
# Prints one "RESULT ..." line and exits 0 when all of that held. A
# watchdog ends a hung run with "... hung".

import logging
import signal
import sys

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata


def main():
    bootstrap, topic, group = sys.argv[1:4]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    stage = ["commit"]

    def fire(signum, frame):
        print("RESULT client=kafka-python-delete-groups error=%r" %
              (stage[0] + " hung"))
        sys.stdout.flush()
        sys.exit(1)

    signal.signal(signal.SIGALRM, fire)
    signal.alarm(int(timeout) + 20)
    tp = TopicPartition(topic, 0)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                             enable_auto_commit=False)
    consumer.assign([tp])
    consumer.commit({tp: OffsetAndMetadata(5, "")})
    consumer.close()

    stage[0] = "admin"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    before = admin.list_consumer_group_offsets(group)
    first = admin.delete_consumer_groups([group])
    second = admin.delete_consumer_groups([group])
    after = admin.list_consumer_group_offsets(group)
    admin.close()
    # kafka-python answers each group with an error class, not an instance.
    first_err = first[0][1].__name__
    second_err = second[0][1].__name__
    print("RESULT client=kafka-python-delete-groups committed=%s first=%s "
          "second=%s offsets_after=%d" % (
              before.get(tp).offset if tp in before else None, first_err,
              second_err, len(after)))
    ok = (tp in before and before[tp].offset == 5 and
          first_err == "NoError" and second_err == "GroupIdNotFoundError"
          and not after)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Client matrix: kafka-python (Debian's python3-kafka) consuming with a
# group_id, the way its README does, and committing.
#
#   kafka_python_group.py BOOTSTRAP TOPIC GROUP COUNT [TIMEOUT_S]
#
# Prints one "RESULT ..." line and exits 0 when COUNT records were
# consumed and the committed offset reads back. kafka-python retries some
# failures forever, so a watchdog ends the run with "... hung".

import logging
import signal
import sys

from kafka import KafkaConsumer, TopicPartition


def main():
    bootstrap, topic, group, count = sys.argv[1:5]
    count = int(count)
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    stage = ["connect"]

    def fire(signum, frame):
        print("RESULT client=kafka-python-group error=%r" %
              (stage[0] + " hung"))
        sys.stdout.flush()
        sys.exit(1)

    signal.signal(signal.SIGALRM, fire)
    signal.alarm(int(timeout) + 20)
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap,
                             group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False,
                             consumer_timeout_ms=int(timeout * 1000))
    stage[0] = "consume"
    got, first, last = 0, None, None
    for msg in consumer:
        got += 1
        first = msg.offset if first is None else first
        last = msg.offset
        if got >= count:
            break
    committed = None
    if got:
        stage[0] = "commit"
        consumer.commit()
        committed = consumer.committed(TopicPartition(topic, 0))
    stage[0] = "close"
    consumer.close()
    signal.alarm(0)
    print("RESULT client=kafka-python-group consumed=%d first=%s last=%s "
          "committed=%s" % (got, first, last, committed))
    return 0 if got >= count and committed == last + 1 else 1


if __name__ == "__main__":
    sys.exit(main())

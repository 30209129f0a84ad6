#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Client matrix: confluent-kafka-python (Debian's python3-confluent-kafka,
# librdkafka underneath) consuming with group.id + subscribe() and
# committing, the way its documentation's consumer example does.
#
#   confluent_group.py BOOTSTRAP TOPIC GROUP COUNT [TIMEOUT_S]
#
# Prints one "RESULT ..." line (consumed count, first and last offset,
# committed offset as committed() reads it back) and exits 0 when COUNT
# records were consumed and the commit reads back, 1 otherwise. A watchdog
# ends a hanging close() (a known failure) with "close() hung".

import signal
import sys
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition


def watchdog(seconds, what):
    def fire(signum, frame):
        print("RESULT client=confluent-group error=%r" % (what + " hung"))
        sys.stdout.flush()
        sys.exit(1)
    signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)


def main():
    bootstrap, topic, group, count = sys.argv[1:5]
    count = int(count)
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    got, first, last = 0, None, None
    deadline = time.monotonic() + timeout
    while got < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            print("error: %s" % msg.error())
            continue
        got += 1
        first = msg.offset() if first is None else first
        last = msg.offset()
    committed = None
    error = None
    if got:
        try:
            consumer.commit(asynchronous=False)
            tp = consumer.committed([TopicPartition(topic, 0)], timeout=10)
            committed = tp[0].offset
        except KafkaException as e:
            error = str(e)
    watchdog(20, "close()")
    consumer.close()
    signal.alarm(0)
    print("RESULT client=confluent-group consumed=%d first=%s last=%s "
          "committed=%s error=%r" % (got, first, last, committed, error))
    ok = got >= count and committed == last + 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

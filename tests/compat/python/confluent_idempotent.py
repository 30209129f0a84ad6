#!/usr/bin/python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Client matrix: an idempotent producer, confluent-kafka-python with
# enable.idempotence=true (the Java client's default since Kafka 3.0),
# producing into an ingest topic.
#
#   confluent_idempotent.py BOOTSTRAP TOPIC COUNT [TIMEOUT_S]
#
# Prints "RESULT client=idempotent-producer delivered=N failed=M
# offsets=FIRST..LAST error=..." and exits 0 when every record was
# delivered once, at consecutive offsets.

import sys

from confluent_kafka import Producer


def main():
    bootstrap, topic, count = sys.argv[1:4]
    count = int(count)
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30
    delivered, errors = [], []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append(msg.offset())

    producer = Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,
        "message.timeout.ms": int(timeout * 1000),
    })
    try:
        for i in range(count):
            producer.produce(topic, value=b"record-%d" % i, key=b"k",
                             on_delivery=report)
            producer.poll(0)
        left = producer.flush(timeout + 5)
    except Exception as e:  # a fatal idempotence error raises here
        errors.append(str(e))
        left = count - len(delivered)
    offsets = sorted(delivered)
    print("RESULT client=idempotent-producer delivered=%d failed=%d "
          "unflushed=%d offsets=%s error=%r" % (
              len(delivered), len(errors), left,
              "%d..%d" % (offsets[0], offsets[-1]) if offsets else "-",
              errors[0] if errors else None))
    ok = (len(offsets) == count and not errors and
          offsets == list(range(offsets[0], offsets[0] + count)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

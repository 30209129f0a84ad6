#!/usr/bin/env python3
# gst-rg
# Copyright (C) 2026 gst-rg contributors
#
# This library is free software; you can redistribute it and/or
# modify it under the terms of the GNU Library General Public
# License as published by the Free Software Foundation; either
# version 2.1 of the License, or (at your option) any later version.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""A sensor fleet producing telemetry into an rgbrokersink with ingest=true
(docs/elements/rgbrokersink.md, "Durable ingest"), as any Kafka producer
would: confluent-kafka (librdkafka), acks=all, one key per sensor, a header
with the unit, the reading's own time as the record timestamp.

    ingest_produce.py BOOTSTRAP TOPIC N

Prints "acknowledged N" once every record was acknowledged: with a
journal-backed ingest topic, each one is then on disk.
"""

import json
import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                        "linger.ms": 5})
    acked = []
    failed = []

    def report(err, msg):
        (failed if err else acked).append(err or msg.offset())

    now_ms = int(time.time() * 1000)
    for i in range(count):
        sensor = "sensor-%d" % (i % 4)
        reading = {"seq": i, "celsius": round(20 + (i % 7) * 0.5, 1)}
        producer.produce(topic, json.dumps(reading).encode(), sensor.encode(),
                         headers=[("unit", b"C")], timestamp=now_ms + i,
                         on_delivery=report)
        producer.poll(0)
    producer.flush(30)
    if failed:
        print("failed %d: %s" % (len(failed), failed[0]))
        sys.exit(1)
    print("acknowledged %d (offsets %d..%d)" % (len(acked), min(acked),
                                                 max(acked)))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# gst-rg example: read a pipeline's frames from rgbrokersink with kafka-python.
#
# Copyright (C) 2026 gst-rg contributors
#
# This library is free software; you can redistribute it and/or modify it
# under the terms of the GNU Lesser General Public License as published by the
# Free Software Foundation; either version 2.1 of the License, or (at your
# option) any later version. See COPYING.
"""Print offset, pts, flags and size of every frame of an rgbrokersink topic.

Any Kafka client reads rgbrokersink's stream; this one is kafka-python
(Debian: python3-kafka). Each record is one buffer: the value is the
buffer's bytes, the headers carry its timestamps and flags (gst.pts: 8 bytes
big-endian nanoseconds, -1 for none; gst.flags: 4 bytes big-endian
GstBufferFlags; gst.caps on the first record and on keyframes).

  /usr/bin/python3 examples/consume.py                 # from the beginning
  /usr/bin/python3 examples/consume.py 120             # from offset 120
  /usr/bin/python3 examples/consume.py --count 5 -b 127.0.0.1:9093

No consumer group: the partition is assigned and the start offset chosen
here, so any number of these can read the same stream independently.
"""

import argparse
import struct
import sys

from kafka import KafkaConsumer, TopicPartition

# The GstBufferFlags a viewer of a video stream cares about.
FLAG_NAMES = ((0x0040, "discont"), (0x0400, "header"), (0x0800, "gap"),
              (0x1000, "droppable"), (0x2000, "delta"))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("start", nargs="?", default="beginning",
                        help="offset to start at, or 'beginning' (default) "
                        "or 'end' (only new frames)")
    parser.add_argument("-b", "--bootstrap", default="127.0.0.1:9092",
                        help="broker address (default 127.0.0.1:9092)")
    parser.add_argument("-t", "--topic", default="camera",
                        help="topic (default camera)")
    parser.add_argument("-c", "--count", type=int, default=0,
                        help="stop after this many frames (default: follow "
                        "until Ctrl-C)")
    parser.add_argument("--timeout", type=float, default=0,
                        help="give up after this many seconds without a "
                        "frame (default: wait forever)")
    return parser.parse_args()


def header_int(headers, name, fmt):
    """A big-endian integer header, or None if absent or not that size."""
    value = headers.get(name)
    if value is None or len(value) != struct.calcsize(fmt):
        return None
    return struct.unpack(fmt, value)[0]


def describe_flags(flags):
    if flags is None:
        return "-"
    names = [name for bit, name in FLAG_NAMES if flags & bit]
    if not flags & 0x2000:
        names.insert(0, "keyframe")
    return ",".join(names)


def format_pts(pts):
    # -1 (GST_CLOCK_TIME_NONE as a signed int64) means the buffer had none.
    if pts is None or pts < 0:
        return "none"
    return "{:d}:{:02d}:{:02d}.{:09d}".format(
        pts // 3600000000000, pts // 60000000000 % 60,
        pts // 1000000000 % 60, pts % 1000000000)


def short_caps(headers, seen):
    """The media type of the caps header, on the first record read: the
    full caps string (codec_data and all) is in headers["gst.caps"]."""
    caps = headers.get("gst.caps")
    if caps is None or seen:
        return ""
    fields = caps.decode(errors="replace").split(",")
    return "  caps " + fields[0] + (", ..." if len(fields) > 1 else "")


def main():
    args = parse_args()
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap, group_id=None,
                             enable_auto_commit=False,
                             consumer_timeout_ms=int(args.timeout * 1000)
                             if args.timeout > 0 else float("inf"))
    partition = TopicPartition(args.topic, 0)
    consumer.assign([partition])
    if args.start == "beginning":
        consumer.seek_to_beginning(partition)
    elif args.start == "end":
        consumer.seek_to_end(partition)
    else:
        consumer.seek(partition, int(args.start))

    seen = 0
    try:
        for record in consumer:
            headers = dict(record.headers or [])
            pts = header_int(headers, "gst.pts", ">q")
            flags = header_int(headers, "gst.flags", ">I")
            print("offset {:6d}  pts {}  flags {:<22} {:7d} bytes{}".format(
                record.offset, format_pts(pts), describe_flags(flags),
                len(record.value or b""), short_caps(headers, seen)),
                flush=True)
            seen += 1
            if args.count and seen >= args.count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
    if args.count and seen < args.count:
        print("only {} of {} frames arrived".format(seen, args.count),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

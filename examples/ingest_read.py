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

"""Reads an ingest topic into a GStreamer pipeline with rgsrc and prints
each record as the producer sent it: offset, record timestamp, key,
headers, value (GstRgMeta, through the GstRg typelib).

    ingest_read.py LOCATION

LOCATION is the topic's journal directory (<location>.ingest/<topic>) or
kafka://host:port/topic. Ends at the end of the topic.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRg", "1.0")
from gi.repository import Gst, GstRg  # noqa: E402


def describe(buf):
    meta = GstRg.buffer_get_meta(buf)
    ok, info = buf.map(Gst.MapFlags.READ)
    value = bytes(info.data).decode(errors="replace")
    buf.unmap(info)
    key = meta.get_key()
    headers = []
    i = 0
    while meta.get_header_name(i) is not None:
        name = meta.get_header_name(i)
        hval = meta.get_header(name)
        headers.append("%s=%s" % (name, bytes(hval.get_data()).decode()
                                  if hval else "null"))
        i += 1
    return "offset=%d time=%d key=%s %s %s" % (
        buf.offset, meta.timestamp,
        bytes(key.get_data()).decode() if key else "null",
        " ".join(headers), value)


def main():
    Gst.init(None)
    pipeline = Gst.parse_launch(
        "rgsrc location=%s ! appsink name=sink sync=false" % sys.argv[1])
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    n = 0
    while True:
        sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
        if sample is None:
            break
        print(describe(sample.get_buffer()))
        n += 1
    pipeline.set_state(Gst.State.NULL)
    print("%d records" % n)


if __name__ == "__main__":
    main()

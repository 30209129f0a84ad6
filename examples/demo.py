#!/usr/bin/python3
# gst-rg demo: one live H.264 stream fanned out by rgtee to a fast branch, a
# deliberately slow branch and a lossless recording branch.
#
# Copyright (C) 2026 gst-rg contributors
#
# This library is free software; you can redistribute it and/or modify it
# under the terms of the GNU Lesser General Public License as published by the
# Free Software Foundation; either version 2.1 of the License, or (at your
# option) any later version. See COPYING.
"""Run the rgtee demo pipeline and print per-branch counters at EOS.

The slow branch sleeps in identity for longer than a frame lasts, so it falls
behind; with lag-policy=keyframe rgtee drops whole GOPs for it (posting rg-lag
element messages) while the fast branch and the recording branch receive
every buffer. Run through examples/demo.sh, which builds the plugin and sets
GST_PLUGIN_PATH.
"""

import argparse
import os
import signal
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Gst  # noqa: E402

BRANCHES = (
    ("src_0", "fast", "fakesink sync=true"),
    ("src_1", "slow",
     "identity name=slow sleep-time={sleep_us} ! fakesink sync=false"),
    ("src_2", "record", "filesink location={record_path}"),
)
COUNTERS = ("in", "out", "dropped", "dropped-gops", "max-lag-time-seen")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-buffers", type=int, default=300,
                        help="frames to encode (30 per second; default 300)")
    parser.add_argument("--slow-sleep-ms", type=int, default=100,
                        help="how long the slow branch sleeps per frame "
                        "(default 100 ms: a third of the frame rate)")
    parser.add_argument("--slow-max-lag-ms", type=int, default=500,
                        help="lag budget of the slow branch (default 500 ms)")
    parser.add_argument("--out-dir", default=None,
                        help="where the recording branch writes demo.h264 "
                        "(default: a new temporary directory)")
    return parser.parse_args()


def pipeline_description(args, record_path):
    source = (
        "videotestsrc is-live=true num-buffers={n} "
        "! video/x-raw,width=640,height=360,framerate=30/1 "
        "! x264enc tune=zerolatency key-int-max=30 "
        "! h264parse "
        # Pad properties, set through rgtee's GstChildProxy interface: the
        # slow branch resyncs on keyframes once it lags more than its budget,
        # the recording branch never drops (upstream waits for it instead).
        "! rgtee name=t src_1::lag-policy=keyframe src_1::max-lag-time={lag} "
        "src_2::lag-policy=block".format(
            n=args.num_buffers, lag=args.slow_max_lag_ms * Gst.MSECOND))
    parts = [source]
    for pad, _, sink in BRANCHES:
        parts.append("t.{pad} ! {sink}".format(
            pad=pad, sink=sink.format(sleep_us=args.slow_sleep_ms * 1000,
                                      record_path=record_path)))
    return " ".join(parts)


def watch_resumes(pipeline, counts):
    """Counts, on the slow branch, the buffers flagged DISCONT after the
    first one (rgtee flags the first buffer after each drop) and how many of
    them are keyframes."""
    def probe(pad, info):
        buffer = info.get_buffer()
        counts["seen"] += 1
        if counts["seen"] > 1 and buffer.has_flags(Gst.BufferFlags.DISCONT):
            counts["discont"] += 1
            if not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT):
                counts["keyframe"] += 1
        return Gst.PadProbeReturn.OK

    sink = pipeline.get_by_name("slow").get_static_pad("sink")
    sink.add_probe(Gst.PadProbeType.BUFFER, probe)


def enum_nick(value):
    nick = getattr(value, "value_nick", None)
    return nick if nick is not None else str(value)


def format_time(ns):
    if ns is None or ns == Gst.CLOCK_TIME_NONE:
        return "-"
    return "{:.1f} ms".format(ns / Gst.MSECOND)


def print_table(tee, record_path, resumes):
    header = ("branch", "pad", "policy") + COUNTERS
    rows = []
    for pad_name, label, _ in BRANCHES:
        pad = tee.get_static_pad(pad_name)
        values = [pad.get_property(name) for name in COUNTERS]
        values[-1] = format_time(values[-1])
        rows.append([label, pad_name, enum_nick(pad.get_property(
            "lag-policy"))] + [str(v) for v in values])
    widths = [max(len(str(r[i])) for r in rows + [list(header)])
              for i in range(len(header))]
    print()
    for row in [list(header)] + rows:
        print("  ".join(str(c).rjust(w) if i >= 3 else str(c).ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
    size = os.path.getsize(record_path) if os.path.exists(record_path) else 0
    print("\nslow branch: {} buffers arrived flagged DISCONT (after a drop), "
          "{} of them keyframes".format(resumes["discont"],
                                        resumes["keyframe"]))
    print("recording branch wrote {} bytes of H.264 to {}".format(
        size, record_path))


def on_message(bus, message, state):
    kind = message.type
    if kind == Gst.MessageType.ELEMENT:
        structure = message.get_structure()
        if structure is not None and structure.get_name() in ("rg-lag",
                                                              "rg-branch-cut"):
            print("[{:6.2f} s] {}".format(
                (Gst.util_get_timestamp() - state["start"]) / Gst.SECOND,
                structure.to_string()))
    elif kind == Gst.MessageType.EOS:
        state["loop"].quit()
    elif kind == Gst.MessageType.ERROR:
        err, debug = message.parse_error()
        print("ERROR from {}: {}\n{}".format(message.src.get_name(),
                                             err.message, debug or ""),
              file=sys.stderr)
        state["failed"] = True
        state["loop"].quit()
    elif kind == Gst.MessageType.WARNING:
        err, _ = message.parse_warning()
        print("WARNING from {}: {}".format(message.src.get_name(),
                                           err.message), file=sys.stderr)
    return True


def on_timeout(state):
    print("ERROR: no EOS {} s after the stream should have ended".format(
        state["grace"]), file=sys.stderr)
    state["failed"] = True
    state["loop"].quit()
    return False


def main():
    args = parse_args()
    Gst.init(None)
    if Gst.ElementFactory.find("rgtee") is None:
        print("rgtee not found: build gst-rg and point GST_PLUGIN_PATH at "
              "<build dir>/plugins (examples/demo.sh does both)",
              file=sys.stderr)
        return 1

    out_dir = args.out_dir or tempfile.mkdtemp(prefix="gst-rg-demo-")
    record_path = os.path.join(out_dir, "demo.h264")
    description = pipeline_description(args, record_path)
    print("Pipeline (gst-launch-1.0 syntax):")
    print("  " + description + "\n")

    pipeline = Gst.parse_launch(description)
    tee = pipeline.get_by_name("t")
    resumes = {"seen": 0, "discont": 0, "keyframe": 0}
    watch_resumes(pipeline, resumes)

    loop = GLib.MainLoop()
    state = {"loop": loop, "failed": False, "grace": 30,
             "start": Gst.util_get_timestamp()}
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message, state)
    # Ctrl-C ends the stream cleanly so the counters are still printed.
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT,
                         lambda: pipeline.send_event(Gst.Event.new_eos())
                         or True)
    GLib.timeout_add_seconds(args.num_buffers // 30 + state["grace"],
                             on_timeout, state)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("ERROR: the pipeline refused to start", file=sys.stderr)
        return 1
    loop.run()
    print_table(tee, record_path, resumes)
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    return 1 if state["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# gst-rg inference example: a "model" branch that sees numpy frames, a
# recording branch, a Kafka branch, and pre-event clips exported from the
# journal by record offset through GstRgMeta.
#
# Copyright (C) 2026 gst-rg contributors
#
# This library is free software; you can redistribute it and/or modify it
# under the terms of the GNU Lesser General Public License as published by the
# Free Software Foundation; either version 2.1 of the License, or (at your
# option) any later version. See COPYING.
"""Flag events with a toy model and export what led up to each one.

A live test pattern (videotestsrc pattern=ball: no camera needed) is encoded
to H.264 and fanned out by rgtee to three branches:

  model   avdec_h264 -> GRAY8 -> appsink. Each frame becomes a numpy array;
          the "model" takes --model-ms per frame (slower than the frame
          rate on purpose), so with lag-policy=keyframe and a short lag
          budget rgtee drops whole GOPs for it and it resumes on keyframes.
  record  rgjournalsink (lag-policy=block: nothing is lost).
  kafka   rgbrokersink, serving the stream as Kafka topic "camera".

The toy rule (deterministic, on the frames the model gets): the bright ball
of the pattern sweeps left and right; an event is the ball's centroid
entering the outer tenth of the frame on either side.

For each event, an exporter thread finds the frame in the journal: it reads
the recording with GstRg.JournalReader (the GstRg-1.0 typelib, following the
writer) and takes the record whose PTS is the PTS of the frame the model
flagged; that record's GstRgMeta gives its offset. The exporter then replays
the offsets [offset - pre, offset] with rgsrc start-offset/stop-offset
(snapped back to a keyframe) into an MP4, and checks, again through
GstRgMeta, that the clip holds exactly the records from that keyframe to
the event. No wall-clock or record timestamp is used to find anything.

Per-branch lag is printed every second (rgtee's pad properties) and as
rgtee's rg-lag messages arrive. Exits non-zero when an export does not hold
what it should, or when no event was flagged. Run it through
examples/inference.sh, which builds gst-rg and sets GST_PLUGIN_PATH,
GI_TYPELIB_PATH and LD_LIBRARY_PATH for the build tree.
"""

import argparse
import os
import queue
import sys
import tempfile
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("GstRg", "1.0")
# GstApp is imported for its side effect: appsink then has pull_sample().
from gi.repository import GLib, Gst, GstApp, GstRg, GstVideo  # noqa: E402,F401

import numpy  # noqa: E402  (Debian's python3-numpy)

WIDTH, HEIGHT, FPS = 320, 180, 30
EDGE = WIDTH // 10
BRANCHES = (("src_0", "model"), ("src_1", "record"), ("src_2", "kafka"))
FOLLOW_SECONDS = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-buffers", type=int, default=240,
                        help="frames to capture, 30 per second (default "
                        "240: 8 s)")
    parser.add_argument("--model-ms", type=float, default=45.0,
                        help="time the model takes per frame (default 45 ms, "
                        "slower than the 33 ms a frame lasts)")
    parser.add_argument("--model-max-lag-ms", type=int, default=250,
                        help="lag budget of the model branch (default 250)")
    parser.add_argument("--pre-frames", type=int, default=60,
                        help="records before the event to export (default "
                        "60: 2 s; the clip starts at the keyframe at or "
                        "before that)")
    parser.add_argument("--out-dir", default=None,
                        help="where journal/ and the clips go (default: a "
                        "new temporary directory)")
    return parser.parse_args()


def pipeline_description(args, journal_dir):
    return (
        "videotestsrc is-live=true pattern=ball num-buffers={n} "
        "! video/x-raw,width={w},height={h},framerate={fps}/1 "
        "! x264enc tune=zerolatency key-int-max={fps} "
        "! h264parse "
        "! rgtee name=t src_0::lag-policy=keyframe src_0::max-lag-time={lag} "
        "src_1::lag-policy=block "
        "t.src_0 ! avdec_h264 ! videoconvert "
        "! video/x-raw,format=GRAY8 ! appsink name=model sync=false "
        "emit-signals=true max-buffers=1 "
        "t.src_1 ! rgjournalsink name=journal location=\"{journal}\" "
        "sync=interval "
        "t.src_2 ! rgbrokersink name=broker host=127.0.0.1 port=0 "
        "topic=camera".format(n=args.num_buffers, w=WIDTH, h=HEIGHT, fps=FPS,
                              lag=args.model_max_lag_ms * Gst.MSECOND,
                              journal=journal_dir))


def elapsed(state):
    return time.monotonic() - state["start"]


# ---- The model ---------------------------------------------------------------

def frame_array(buffer, caps):
    """The frame as a HEIGHT x WIDTH uint8 array (a copy: the mapping ends
    here), honouring the row stride of the negotiated video info."""
    info = GstVideo.VideoInfo.new_from_caps(caps)
    ok, mapped = buffer.map(Gst.MapFlags.READ)
    if not ok:
        raise RuntimeError("cannot map a decoded frame")
    try:
        stride = info.stride[0]
        rows = numpy.frombuffer(mapped.data, dtype=numpy.uint8,
                                count=stride * info.height)
        return rows.reshape(info.height, stride)[:, :info.width].copy()
    finally:
        buffer.unmap(mapped)


def ball_x(frame):
    """The toy model: x of the centroid of the bright pixels, or None."""
    _, xs = numpy.nonzero(frame > 128)
    return float(xs.mean()) if xs.size else None


def on_frame(sink, state):
    """appsink new-sample, in the model branch's streaming thread."""
    sample = sink.pull_sample()
    if sample is None:
        return Gst.FlowReturn.EOS
    buffer = sample.get_buffer()
    frame = frame_array(buffer, sample.get_caps())
    x = ball_x(frame)
    time.sleep(state["model-seconds"])
    state["frames-seen"] += 1
    zone = None
    if x is not None and x >= WIDTH - EDGE:
        zone = "right"
    elif x is not None and x < EDGE:
        zone = "left"
    if zone and zone != state["zone"]:
        state["flagged"] += 1
        state["events"].put({"pts": buffer.pts, "x": x, "zone": zone,
                             "seen-at": elapsed(state)})
        print("[{:5.2f} s] model: ball entered the {} edge (x={:.0f}) in the "
              "frame with PTS {}".format(elapsed(state), zone, x,
                                         format_pts(buffer.pts)))
    state["zone"] = zone
    return Gst.FlowReturn.OK


# ---- Finding the event in the journal and exporting the window -----------------

class JournalIndex:
    """PTS -> record offset for the journal being written, read through
    GstRg.JournalReader while rgjournalsink appends (the reader follows the
    writer: it waits for new records instead of ending)."""

    def __init__(self, directory, first_offset):
        self.reader = GstRg.journal_reader_open(directory)
        # Records of earlier runs in the same directory have the same PTS:
        # start at this run's first record.
        self.reader.seek_offset(first_offset, False)
        self.offsets = {}

    def find(self, pts, deadline_s):
        deadline = GLib.get_monotonic_time() + int(deadline_s * 1e6)
        while pts not in self.offsets:
            result, record = self.reader.next_record(True, deadline)
            if result != GstRg.JournalReadResult.OK:
                return None
            # The offset as every replayed buffer carries it.
            meta = GstRg.buffer_get_meta(record.buffer)
            if meta.offset != record.offset:
                raise AssertionError("GstRgMeta offset {} on record {}".format(
                    meta.offset, record.offset))
            self.offsets[record.buffer.pts] = meta.offset
        return self.offsets[pts]


def export_window(journal_dir, first, last, path):
    """rgsrc from the keyframe at or before `first` up to `last` into an
    MP4; returns the record offsets and keyframe flags rgsrc pushed."""
    description = (
        "rgsrc name=replay location=\"{dir}\" start=offset start-offset={a} "
        "stop-offset={b} snap-to-keyframe=true "
        "! h264parse ! mp4mux ! filesink location=\"{clip}\"".format(
            dir=journal_dir, a=first, b=last + 1, clip=path))
    pipeline = Gst.parse_launch(description)
    pushed = []

    def probe(pad, info):
        buffer = info.get_buffer()
        pushed.append((GstRg.buffer_get_meta(buffer).offset,
                       not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT)))
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name("replay").get_static_pad("src").add_probe(
        Gst.PadProbeType.BUFFER, probe)
    pipeline.set_state(Gst.State.PLAYING)
    message = pipeline.get_bus().timed_pop_filtered(
        30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if message is None:
        raise AssertionError("export of {}..{} did not finish".format(
            first, last))
    if message.type == Gst.MessageType.ERROR:
        err, debug = message.parse_error()
        raise AssertionError("export failed: {} ({})".format(err.message,
                                                              debug))
    return description, pushed


def check_export(pushed, first, last):
    """The clip is the records from a keyframe at or before `first` up to
    and including `last`, each once, in order."""
    offsets = [offset for offset, _ in pushed]
    if not pushed or not pushed[0][1]:
        raise AssertionError("the clip does not start on a keyframe")
    if offsets[0] > first:
        raise AssertionError("the clip starts at {}, after {}".format(
            offsets[0], first))
    if offsets != list(range(offsets[0], last + 1)):
        raise AssertionError("the clip holds offsets {}..{} with gaps or "
                             "extras; want {}..{}".format(
                                 offsets[0], offsets[-1], offsets[0], last))


def exporter(state, args, journal_dir, out_dir):
    """Runs in its own thread: one event at a time, until None."""
    index = None
    while True:
        event = state["events"].get()
        if event is None:
            return
        try:
            if index is None:
                index = JournalIndex(journal_dir, state["first-offset"])
            offset = index.find(event["pts"], FOLLOW_SECONDS)
            if offset is None:
                raise AssertionError("no record with PTS {} within {} s".format(
                    format_pts(event["pts"]), FOLLOW_SECONDS))
            # The window stays within this run's records.
            first = max(state["first-offset"], offset - args.pre_frames)
            number = len(state["exports"]) + 1
            path = os.path.join(out_dir, "event-{}.mp4".format(offset))
            description, pushed = export_window(journal_dir, first, offset,
                                                path)
            check_export(pushed, first, offset)
            if os.path.getsize(path) == 0:
                raise AssertionError(path + " is empty")
        except (AssertionError, GLib.Error) as error:
            print("ERROR: event at PTS {}: {}".format(
                format_pts(event["pts"]), error),
                  file=sys.stderr)
            state["failures"] += 1
            continue
        state["exports"].append(path)
        print("[{:5.2f} s] export {}: the flagged frame is record {} "
              "(GstRgMeta); replayed records {}..{} ({} frames, from the "
              "keyframe at or before {}) into {}\n    gst-launch-1.0 {}".format(
                  elapsed(state), number, offset, pushed[0][0], offset,
                  len(pushed), first, path, description))


# ---- Lag reporting -------------------------------------------------------------

def journal_end(journal_dir):
    """The offset this run's first record will get: the end of a journal
    an earlier run left in the directory, else 0."""
    if not os.path.isdir(journal_dir):
        return 0
    _, _, end = GstRg.journal_reader_open(journal_dir).get_range()
    return end


def format_pts(pts):
    """A PTS as GStreamer prints it (H:MM:SS.mmm)."""
    seconds = pts / Gst.SECOND
    return "{}:{:02}:{:06.3f}".format(int(seconds // 3600),
                                      int(seconds % 3600 // 60), seconds % 60)


def print_lag(tee, state):
    parts = []
    for pad_name, label in BRANCHES:
        pad = tee.get_static_pad(pad_name)
        parts.append("{} lag {:.0f} ms/{} buf, dropped {}".format(
            label, pad.get_property("lag-time") / Gst.MSECOND,
            pad.get_property("lag-buffers"), pad.get_property("dropped")))
    print("[{:5.2f} s] lag: {}".format(elapsed(state), "; ".join(parts)))
    return True


def print_table(tee, broker, journal):
    print("\nbranch  pad    policy    in   out  dropped  dropped-gops  "
          "max-lag-time-seen")
    for pad_name, label in BRANCHES:
        pad = tee.get_static_pad(pad_name)
        print("{:7} {:6} {:8} {:4} {:5} {:8} {:13} {:10.1f} ms".format(
            label, pad_name, pad.get_property("lag-policy").value_nick,
            pad.get_property("in"), pad.get_property("out"),
            pad.get_property("dropped"), pad.get_property("dropped-gops"),
            pad.get_property("max-lag-time-seen") / Gst.MSECOND))
    stats = broker.get_property("stats")
    print("kafka: rgbrokersink on 127.0.0.1:{} holds topic camera ({} records "
          "served to clients)".format(broker.get_property("bound-port"),
                                      stats.get_value("records-served")))
    print("record: rgjournalsink next-offset {}".format(
        journal.get_property("next-offset")))


def on_message(bus, message, state):
    if message.type == Gst.MessageType.ELEMENT:
        structure = message.get_structure()
        if structure is not None and structure.get_name() == "rg-lag":
            print("[{:5.2f} s] rgtee: {}".format(elapsed(state),
                                                 structure.to_string()))
    elif message.type == Gst.MessageType.EOS:
        state["loop"].quit()
    elif message.type == Gst.MessageType.ERROR:
        err, debug = message.parse_error()
        print("ERROR from {}: {}\n{}".format(message.src.get_name(),
                                             err.message, debug or ""),
              file=sys.stderr)
        state["failures"] += 1
        state["loop"].quit()
    return True


def on_timeout(state):
    print("ERROR: no EOS in time", file=sys.stderr)
    state["failures"] += 1
    state["loop"].quit()
    return False


def main():
    args = parse_args()
    Gst.init(None)
    for name in ("rgtee", "rgjournalsink", "rgbrokersink", "rgsrc"):
        if Gst.ElementFactory.find(name) is None:
            print("{} not found: build gst-rg and set GST_PLUGIN_PATH (see "
                  "examples/inference.sh)".format(name), file=sys.stderr)
            return 1
    out_dir = args.out_dir or tempfile.mkdtemp(prefix="gst-rg-inference-")
    journal_dir = os.path.join(out_dir, "journal")
    description = pipeline_description(args, journal_dir)
    print("Pipeline:\n  gst-launch-1.0 " + description + "\n")

    state = {"start": time.monotonic(), "zone": None, "frames-seen": 0,
             "flagged": 0, "first-offset": journal_end(journal_dir),
             "events": queue.Queue(), "exports": [], "failures": 0,
             "model-seconds": args.model_ms / 1000.0,
             "loop": GLib.MainLoop()}
    if state["first-offset"]:
        print("{} already holds records 0..{}: this run appends after "
              "them\n".format(journal_dir, state["first-offset"] - 1))
    pipeline = Gst.parse_launch(description)
    tee = pipeline.get_by_name("t")
    pipeline.get_by_name("model").connect("new-sample", on_frame, state)
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message, state)
    thread = threading.Thread(target=exporter,
                              args=(state, args, journal_dir, out_dir))
    thread.start()
    lag_timer = GLib.timeout_add_seconds(1, print_lag, tee, state)
    timeout = GLib.timeout_add_seconds(args.num_buffers // FPS + 20,
                                       on_timeout, state)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("ERROR: the pipeline refused to start", file=sys.stderr)
        state["failures"] += 1
    else:
        state["loop"].run()
    GLib.source_remove(lag_timer)
    GLib.source_remove(timeout)
    # The exporter finishes the events already flagged while the journal is
    # still open, then stops.
    state["events"].put(None)
    thread.join()
    print_table(tee, pipeline.get_by_name("broker"),
                pipeline.get_by_name("journal"))
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()

    print("\nmodel: {} frames seen of {}, {} events flagged, {} clips "
          "exported into {}".format(state["frames-seen"], args.num_buffers,
                                    state["flagged"],
                                    len(state["exports"]), out_dir))
    if state["failures"]:
        return 1
    if not state["exports"]:
        print("ERROR: the model flagged no event", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# gst-rg demo: one live H.264 stream fanned out by rgtee to a fast branch, a
# deliberately slow branch, a lossless recording branch into a journal and a
# branch served to Kafka clients by rgbrokersink, then a clip from the middle
# of the journal exported to MP4.
#
# Copyright (C) 2026 gst-rg contributors
#
# This library is free software; you can redistribute it and/or modify it
# under the terms of the GNU Lesser General Public License as published by the
# Free Software Foundation; either version 2.1 of the License, or (at your
# option) any later version. See COPYING.
"""Record a live stream through rgtee into a journal, then export a clip.

The slow branch sleeps in identity for longer than a frame lasts, so it falls
behind; with lag-policy=keyframe rgtee drops whole GOPs for it (posting rg-lag
element messages) while the fast branch and the recording branch receive
every buffer. The recording branch writes a crash-safe journal with
rgjournalsink. The fourth branch, rgbrokersink, serves the stream as Kafka
topic "camera" from a broker embedded in the pipeline: while the pipeline
runs, the demo reads it with kcat and with examples/consume.py (kafka-python).
At EOS the demo prints per-branch counters and the journal's
summary, then replays a window from the middle of the journal with rgsrc
(snapped back to a keyframe) into an MP4 and prints the clip's duration as
gst-discoverer-1.0 reads it. Run through examples/demo.sh, which builds the
plugin and sets GST_PLUGIN_PATH and RG_JOURNAL_TOOL.
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Gst  # noqa: E402

TOPIC = "camera"
CONSUMED_RECORDS = 5
HERE = os.path.dirname(os.path.abspath(__file__))
BRANCHES = (
    ("src_0", "fast", "fakesink sync=true"),
    ("src_1", "slow",
     "identity name=slow sleep-time={sleep_us} ! fakesink sync=false"),
    ("src_2", "record",
     "rgjournalsink name=journal location=\"{journal_dir}\" sync=interval"),
    ("src_3", "kafka",
     "rgbrokersink name=broker host=127.0.0.1 port={port} topic=" + TOPIC),
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
                        help="where the journal (journal/) and the exported "
                        "clip (clip.mp4) go; an existing journal there is "
                        "appended to (default: a new temporary directory)")
    parser.add_argument("--clip-start", type=float, default=0.4,
                        help="where the exported clip starts, as a fraction "
                        "of the recording (default 0.4; snapped back to the "
                        "keyframe at or before it)")
    parser.add_argument("--clip-seconds", type=float, default=3.0,
                        help="how long the exported clip asks for "
                        "(default 3 s)")
    parser.add_argument("--port", type=int, default=9092,
                        help="port of the embedded Kafka broker (default "
                        "9092; if it is taken, a free port is picked; 0 "
                        "always picks a free port)")
    return parser.parse_args()


def pipeline_description(args, journal_dir):
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
                                      journal_dir=journal_dir,
                                      port=args.port)))
    return " ".join(parts)


def port_is_free(port):
    """Whether 127.0.0.1:port can be listened on (another Kafka, or another
    demo, may hold 9092)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def consumer_commands(port, count):
    """The two clients the demo runs against its own broker; the same
    commands work against any running rgbrokersink."""
    bootstrap = "127.0.0.1:{}".format(port)
    kcat = ["kcat", "-C", "-b", bootstrap, "-t", TOPIC, "-o", "beginning",
            "-f", "offset %o, %S bytes\\n"]
    python = ["/usr/bin/python3", os.path.join(HERE, "consume.py"),
              "-b", bootstrap, "-t", TOPIC]
    if count:
        kcat[-2:-2] = ["-c", str(count)]
        python += ["--count", str(count), "--timeout", "10"]
    return [("kcat", kcat), ("consume.py", python)]


def start_consumers(state, port, count):
    """Starts kcat and consume.py against the running pipeline's broker;
    their output is printed as each one exits."""
    state["consumer-timer"] = None
    state["consumers"] = []
    for name, command in consumer_commands(port, count):
        print("[{:6.2f} s] starting {}: {}".format(
            (Gst.util_get_timestamp() - state["start"]) / Gst.SECOND, name,
            shlex.join(command)))
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, text=True)
        except OSError as error:
            print("ERROR: cannot run {}: {}".format(name, error),
                  file=sys.stderr)
            state["consumer-failures"] += 1
            continue
        state["consumers"].append((name, process))
    GLib.timeout_add(100, poll_consumers, state)
    return False


def report_consumer(state, name, process, output):
    print("[{:6.2f} s] {} read topic {} (exit {}):".format(
        (Gst.util_get_timestamp() - state["start"]) / Gst.SECOND, name,
        TOPIC, process.returncode))
    for line in output.splitlines():
        print("    " + line)
    if process.returncode != 0:
        state["consumer-failures"] += 1


def poll_consumers(state):
    """Reports each consumer once it exits; keeps polling while any runs."""
    running = []
    for name, process in state["consumers"]:
        if process.poll() is None:
            running.append((name, process))
        else:
            report_consumer(state, name, process, process.stdout.read())
    state["consumers"] = running
    return bool(running)


def finish_consumers(state):
    """Waits a little for consumers still running at EOS (the broker serves
    until the pipeline stops), then stops them. A stream shorter than the
    delay before they start is not read at all."""
    if state.get("consumer-timer") is not None:
        GLib.source_remove(state["consumer-timer"])
        state["consumer-timer"] = None
    for name, process in state.get("consumers", []):
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            output += "(stopped: still running 10 s after EOS)"
        report_consumer(state, name, process, output)
    state["consumers"] = []


def print_serving(broker):
    """The sink's own view of what it served, read before it stops."""
    stats = broker.get_property("stats")
    print("\nkafka branch: rgbrokersink on 127.0.0.1:{} served {} records, "
          "{} bytes in {} fetches over {} client connections".format(
              broker.get_property("bound-port"),
              stats.get_value("records-served"),
              stats.get_value("bytes-served"), stats.get_value("fetches"),
              stats.get_value("connections-total")))


def print_try_it(port):
    print("\nTo read a pipeline's stream yourself, start one that serves it "
          "(GST_PLUGIN_PATH=<build dir>/plugins):")
    print("  gst-launch-1.0 videotestsrc is-live=true ! x264enc "
          "tune=zerolatency key-int-max=30 ! h264parse ! rgbrokersink "
          "port={} topic={}".format(port, TOPIC))
    print("then, from another terminal, while it runs:")
    for _, command in consumer_commands(port, 0):
        print("  " + shlex.join(command))


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


def print_table(tee, resumes):
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
    print("\nslow branch: {} buffers arrived flagged DISCONT (after a drop), "
          "{} of them keyframes".format(resumes["discont"],
                                        resumes["keyframe"]))


def print_journal(journal, journal_dir):
    """The sink's own view (what it wrote and made durable), then the
    journal tool's, which reads the directory back from disk."""
    stats = journal.get_property("stats")
    print("\nrecording branch: rgjournalsink wrote {} records, {} bytes, "
          "{} fdatasyncs; durable-offset {} (every record below it is on "
          "disk)".format(stats.get_value("records"), stats.get_value("bytes"),
                         stats.get_value("fsyncs"),
                         journal.get_property("durable-offset")))
    tool = os.environ.get("RG_JOURNAL_TOOL") or shutil.which("rg-journal")
    if not tool:
        print("(rg-journal not found: set RG_JOURNAL_TOOL to run "
              "`rg-journal stats`)")
        return
    for command in ("stats", "verify"):
        print("\n$ rg-journal {} {}".format(command, journal_dir))
        sys.stdout.flush()
        subprocess.run([tool, command, journal_dir], check=True)


def on_message(bus, message, state):
    kind = message.type
    if kind == Gst.MessageType.ELEMENT:
        structure = message.get_structure()
        if structure is not None and structure.get_name() in (
                "rg-lag", "rg-branch-cut"):
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


def on_sync_message(bus, message, state):
    """rgjournalsink posts rg-segment-closed when it makes a closed segment
    durable, the last one while the pipeline stops: after the main loop has
    quit and while the bus is about to be flushed. A sync handler sees it
    in the posting thread whatever the pipeline's state."""
    structure = message.get_structure()
    if structure is None or structure.get_name() != "rg-segment-closed":
        return
    state["segments"].append({
        name: structure.get_value(name)
        for name in ("first-offset", "last-offset", "first-timestamp",
                     "last-timestamp")})
    print("[{:6.2f} s] {}".format(
        (Gst.util_get_timestamp() - state["start"]) / Gst.SECOND,
        structure.to_string()))


def run(pipeline, state, seconds):
    """Plays the pipeline until EOS, an error or `seconds` (plus a grace
    period) have passed; returns False on failure."""
    loop = GLib.MainLoop()
    state.update({"loop": loop, "failed": False,
                  "start": Gst.util_get_timestamp()})
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    handler = bus.connect("message", on_message, state)
    # Ctrl-C ends the stream cleanly so the counters are still printed.
    sigint = GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT,
                                  lambda: pipeline.send_event(
                                      Gst.Event.new_eos()) or True)
    timeout = GLib.timeout_add_seconds(seconds + state["grace"], on_timeout,
                                       state)
    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print("ERROR: the pipeline refused to start", file=sys.stderr)
        state["failed"] = True
    else:
        loop.run()
    for source in (sigint, timeout):
        GLib.source_remove(source)
    bus.disconnect(handler)
    bus.remove_signal_watch()
    return not state["failed"]


def clip_window(args, segments):
    """The window to export, in record timestamps (ms since the epoch):
    from --clip-start of the recording, --clip-seconds long."""
    first = min(seg["first-timestamp"] for seg in segments)
    last = max(seg["last-timestamp"] for seg in segments)
    start = first + int((last - first) * args.clip_start)
    return start, start + int(args.clip_seconds * 1000)


def watch_clip(pipeline, clip):
    """Counts the frames rgsrc replays and notes the first one's flags."""
    def probe(pad, info):
        buffer = info.get_buffer()
        if clip["frames"] == 0:
            clip["first-keyframe"] = not buffer.has_flags(
                Gst.BufferFlags.DELTA_UNIT)
        clip["frames"] += 1
        return Gst.PadProbeReturn.OK

    src = pipeline.get_by_name("replay").get_static_pad("src")
    src.add_probe(Gst.PadProbeType.BUFFER, probe)


def discovered_duration(path):
    """The duration gst-discoverer-1.0 reports for the file, as printed."""
    result = subprocess.run(["gst-discoverer-1.0", path], check=True,
                            capture_output=True, text=True)
    match = re.search(r"Duration: (\S+)", result.stdout)
    return match.group(1) if match else "(none reported)"


def export_clip(args, journal_dir, segments, clip_path, state):
    """Replays a window from the middle of the journal into an MP4."""
    start, stop = clip_window(args, segments)
    description = (
        "rgsrc name=replay location=\"{dir}\" start=time "
        "start-time={start} stop-time={stop} snap-to-keyframe=true "
        "! h264parse ! mp4mux ! filesink location=\"{clip}\"".format(
            dir=journal_dir, start=start, stop=stop, clip=clip_path))
    print("\nExport {:.1f} s from {:.0f} % into the recording "
          "(start-time and stop-time are record timestamps, ms since the "
          "epoch):".format(args.clip_seconds, args.clip_start * 100))
    print("  gst-launch-1.0 " + description)
    pipeline = Gst.parse_launch(description)
    clip = {"frames": 0, "first-keyframe": False}
    watch_clip(pipeline, clip)
    ok = run(pipeline, state, int(args.clip_seconds) + 1)
    pipeline.set_state(Gst.State.NULL)
    if not ok:
        return False
    print("rgsrc replayed {} frames ({:.2f} s at 30 fps); the first is {}".
          format(clip["frames"], clip["frames"] / 30.0,
                 "a keyframe" if clip["first-keyframe"] else
                 "NOT a keyframe"))
    print("gst-discoverer-1.0 {}: Duration {}".format(
        clip_path, discovered_duration(clip_path)))
    return clip["first-keyframe"]


def main():
    args = parse_args()
    Gst.init(None)
    for name in ("rgtee", "rgjournalsink", "rgsrc", "rgbrokersink"):
        if Gst.ElementFactory.find(name) is None:
            print("{} not found: build gst-rg and point GST_PLUGIN_PATH at "
                  "<build dir>/plugins (examples/demo.sh does both)".format(
                      name), file=sys.stderr)
            return 1

    out_dir = args.out_dir or tempfile.mkdtemp(prefix="gst-rg-demo-")
    journal_dir = os.path.join(out_dir, "journal")
    clip_path = os.path.join(out_dir, "clip.mp4")
    if args.port and not port_is_free(args.port):
        print("127.0.0.1:{} is taken: the broker picks a free port".format(
            args.port))
        args.port = 0
    description = pipeline_description(args, journal_dir)
    print("Pipeline (gst-launch-1.0 syntax):")
    print("  " + description + "\n")

    pipeline = Gst.parse_launch(description)
    tee = pipeline.get_by_name("t")
    resumes = {"seen": 0, "discont": 0, "keyframe": 0}
    watch_resumes(pipeline, resumes)
    state = {"grace": 30, "segments": [], "start": Gst.util_get_timestamp()}
    bus = pipeline.get_bus()
    bus.enable_sync_message_emission()
    bus.connect("sync-message::element", on_sync_message, state)

    # Two Kafka clients read the stream while it runs: 2 s in, the broker's
    # ring holds the first minute of frames, so both start at offset 0.
    broker = pipeline.get_by_name("broker")
    state["consumer-failures"] = 0
    state["consumer-timer"] = GLib.timeout_add_seconds(
        min(2, max(1, args.num_buffers // 60)),
        lambda: start_consumers(state, broker.get_property("bound-port"),
                                CONSUMED_RECORDS))
    ok = run(pipeline, state, args.num_buffers // 30)
    finish_consumers(state)
    port = broker.get_property("bound-port")
    print_serving(broker)
    print_table(tee, resumes)
    # Stopping the sink closes the last segment: it posts rg-segment-closed
    # and its stats are final.
    pipeline.set_state(Gst.State.NULL)
    print_journal(pipeline.get_by_name("journal"), journal_dir)
    bus.disable_sync_message_emission()
    if not ok:
        return 1
    if not state["segments"]:
        print("ERROR: the journal closed no segment", file=sys.stderr)
        return 1
    if not export_clip(args, journal_dir, state["segments"], clip_path, state):
        return 1
    print_try_it(port)
    print("\nEverything is in {}".format(out_dir))
    if state["consumer-failures"]:
        print("ERROR: {} Kafka consumer(s) failed (see above)".format(
            state["consumer-failures"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

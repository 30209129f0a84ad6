#!/usr/bin/env bash
# gst-rg: durable ingest from Python into GStreamer (docs/ingest.md).
#
# 1. gst-launch runs an rgbrokersink with ingest=true and a journal
#    location: topics that Kafka clients produce into become journals in
#    <location>.ingest/<topic>, acknowledged once on disk.
# 2. examples/ingest_produce.py (confluent-kafka, acks=all) produces 20
#    sensor readings into topic "telemetry".
# 3. gst-launch is killed with SIGKILL and started again: the topic and its
#    offsets are back.
# 4. rgsrc reads the topic twice, from its journal directory and through
#    kafka://, and prints each record's key, headers and timestamp
#    (examples/ingest_read.py); kcat reads it too.
#
# Needs python3-confluent-kafka, python3-gi, kcat and a build in build/
# (meson setup build && ninja -C build). Usage: ingest-python.sh [PORT]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
build="$repo/build"
port="${1:-19092}"
work="$(mktemp -d /tmp/rg-ingest-example-XXXXXX)"
export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GI_TYPELIB_PATH="$build/gst${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}"
export LD_LIBRARY_PATH="$build/gst${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
python=/usr/bin/python3

broker_pid=
start_broker () {
  gst-launch-1.0 -q videotestsrc is-live=true pattern=black ! \
    video/x-raw,width=16,height=16,framerate=1/1 ! \
    rgbrokersink topic=heartbeat port="$port" ingest=true \
    location="$work/box" journal-sync=always &
  broker_pid=$!
  for _ in $(seq 100); do
    kcat -L -b "127.0.0.1:$port" -m 1 >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "the broker did not start" >&2
  exit 1
}
cleanup () {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_broker
"$python" "$here/ingest_produce.py" "127.0.0.1:$port" telemetry 20

echo "== kill -9 and restart"
kill -9 "$broker_pid"
wait "$broker_pid" 2>/dev/null || true
start_broker
ls "$work/box.ingest"

echo "== rgsrc, from the journal directory"
"$python" "$here/ingest_read.py" "$work/box.ingest/telemetry"
echo "== rgsrc, through kafka://"
"$python" "$here/ingest_read.py" "kafka://127.0.0.1:$port/telemetry"
echo "== kcat"
kcat -C -b "127.0.0.1:$port" -t telemetry -o beginning -e -q \
  -f '%o %k %h %s\n' | head -5
echo "== rg-journal"
"$build/gst/tools/rg-journal" verify "$work/box.ingest"

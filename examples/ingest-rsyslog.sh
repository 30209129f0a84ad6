#!/usr/bin/env bash
# gst-rg: durable ingest from rsyslog into GStreamer (docs/ingest.md).
#
# An rgbrokersink with ingest=true and a journal location serves as the
# Kafka broker of rsyslog's omkafka output (Debian package rsyslog-kafka):
# log lines sent to a private rsyslogd (its own config, socket and work
# directory; the system's syslog is not touched) become records of topic
# "syslog", each in the journal <location>.ingest/syslog once
# acknowledged; rgsrc then reads them back with their timestamps.
#
# Needs rsyslog-kafka, python3-gi, kcat and a build in build/.
# Usage: ingest-rsyslog.sh [PORT]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
build="$repo/build"
port="${1:-19093}"
work="$(mktemp -d /tmp/rg-ingest-rsyslog-XXXXXX)"
export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GI_TYPELIB_PATH="$build/gst${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}"
export LD_LIBRARY_PATH="$build/gst${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

broker_pid=
rsyslog_pid=
cleanup () {
  # rsyslog first, so that it does not report the broker going away.
  if [ -n "$rsyslog_pid" ]; then
    kill "$rsyslog_pid" 2>/dev/null || true
    wait "$rsyslog_pid" 2>/dev/null || true
  fi
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

gst-launch-1.0 -q videotestsrc is-live=true pattern=black ! \
  video/x-raw,width=16,height=16,framerate=1/1 ! \
  rgbrokersink topic=heartbeat port="$port" ingest=true \
  location="$work/box" journal-sync=always &
broker_pid=$!
for _ in $(seq 100); do
  kcat -L -b "127.0.0.1:$port" -m 1 >/dev/null 2>&1 && break
  sleep 0.1
done

# omkafka, as its documentation configures it: acks=all so that a line is
# acknowledged once the broker has it on disk; the message is the key-less
# RFC 5424 line.
mkdir -p "$work/rsyslog"
cat > "$work/rsyslog.conf" <<EOF
global(workDirectory="$work/rsyslog")
module(load="imuxsock" SysSock.Use="off")
module(load="omkafka")
input(type="imuxsock" Socket="$work/log.sock" CreatePath="on")
template(name="line" type="string" string="%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag%%msg%")
action(type="omkafka" broker=["127.0.0.1:$port"] topic="syslog"
       template="line" confParam=["acks=all", "linger.ms=5"])
EOF
rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" &
rsyslog_pid=$!
for _ in $(seq 100); do
  [ -S "$work/log.sock" ] && break
  sleep 0.1
done

for i in $(seq 1 10); do
  logger -u "$work/log.sock" -t sensor-gw "reading $i: 21.$i C"
done
# omkafka sends in the background: wait until the ten lines are there.
for _ in $(seq 100); do
  n=$(kcat -C -b "127.0.0.1:$port" -t syslog -o beginning -e -q 2>/dev/null \
    | wc -l)
  [ "$n" -ge 10 ] && break
  sleep 0.2
done

echo "== rgsrc, from the journal directory"
/usr/bin/python3 "$here/ingest_read.py" "$work/box.ingest/syslog"
echo "== rg-journal"
"$build/gst/tools/rg-journal" stats "$work/box.ingest" | head -4

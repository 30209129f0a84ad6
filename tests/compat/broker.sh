# shellcheck shell=bash
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sourced by the outside checks: starts the broker they run against, a
# pipeline from a build tree whose rgbrokersink serves a live test stream as
# topic "video" and accepts ingest (the clients produce into topics of
# their own and create them) with four partitions per topic they create,
# as librdkafka's test cluster has (num.partitions=4), on a free loopback
# port. Each partition keeps the last 8192 batches produced into it (in
# memory; a Kafka broker keeps them on disk): the tests read back what they
# produce, up to a few thousand batches per topic.
#
#   rg_compat_start_broker BUILD_DIR LOG [PROPERTY=VALUE...]
#
# PROPERTY=VALUE pairs are more rgbrokersink properties (e.g.
# auto-create-topics=false for a broker that creates topics only on
# CreateTopics, as Kafka with auto.create.topics.enable=false).
#
# Sets RG_COMPAT_BOOTSTRAP (host:port) and RG_COMPAT_BROKER_PID, and waits
# until the port answers. rg_compat_stop_broker ends the pipeline.

rg_compat_start_broker ()
{
  local build="$1" log="$2" port i
  shift 2
  port=$(/usr/bin/python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  GST_PLUGIN_PATH="$build/plugins" gst-launch-1.0 -e videotestsrc \
    is-live=true ! video/x-raw,width=64,height=48,framerate=10/1 ! \
    rgbrokersink host=127.0.0.1 port="$port" topic=video ingest=true \
    ingest-partitions=4 ring-size=8192 "$@" > "$log" 2>&1 &
  RG_COMPAT_BROKER_PID=$!
  RG_COMPAT_BOOTSTRAP=127.0.0.1:$port
  # The clients of the matrix read 20 records of "video": 10 per second.
  for i in $(seq 50); do
    if ! kill -0 "$RG_COMPAT_BROKER_PID" 2>/dev/null; then
      echo "the broker did not start (see $log)" >&2
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && [ "$i" -ge 25 ]
    then
      return 0
    fi
    sleep 0.1
  done
  echo "the broker did not open port $port (see $log)" >&2
  return 1
}

rg_compat_stop_broker ()
{
  if [ -n "${RG_COMPAT_BROKER_PID:-}" ]; then
    kill "$RG_COMPAT_BROKER_PID" 2>/dev/null
    wait "$RG_COMPAT_BROKER_PID" 2>/dev/null
    RG_COMPAT_BROKER_PID=
  fi
}

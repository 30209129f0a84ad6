#!/bin/sh
# gst-rg
# Copyright (C) 2026 gst-rg authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Interleaved A/B of the 1 MiB fan-out cases of rg-bench-broker against the
# loopback copy limit: within each round the copy limit (rg-bench-copy-limit:
# the same bytes into the same number of sockets, nothing else),
# tcpserversink, rgbrokersink (in memory, default send-threads),
# rgbrokersink with send-threads=0 (the event loop sends alone) and
# rgbrokersink journal-backed alternate, so that a slow moment of a shared
# machine hits all.
#
# Prints one line per case: round, readers, case (limit, tcp, mem, mem0,
# jrn: journal-backed with every record in its hot tail, so its readers are
# at the live edge; jrnf: journal-backed with ring-size=1, its readers
# served from the files), aggregate MB/s (readers x buffers x 1 MiB over first push to last
# reader done, the benchmark's own @start_us/@done_us), and the load
# average when the case ended. After each round, one line per reader count
# with that round's ratios: "ratio ROUND READERS mem/tcp=X mem/limit=Y
# mem0/tcp=.. jrn/mem=.." (only ratios of the same round are compared).
#
# Usage: tests/bench/run-broker-ab.sh [ROUNDS]   (default 5)
#   BENCH_BUILD_DIR=dir   build directory holding tests/bench/ (default: build)
#   BENCH_CASES="..."     cases and their order in a round
#                         (default: "limit tcp mem mem0 jrn")
#   BENCH_SIZE=bytes      record size (default 1048576)
#   BENCH_COUNTS="..."    readers:buffers pairs (default "8:1024 64:256";
#                         for 100 B records to 64 readers: "64:25000")
set -eu

rounds=${1:-5}
dir=${BENCH_BUILD_DIR:-build}/tests/bench
cases=${BENCH_CASES:-limit tcp mem mem0 jrn}
size=${BENCH_SIZE:-1048576}
counts=${BENCH_COUNTS:-8:1024 64:256}

# One case; prints its aggregate MB/s (payload bytes / 10^6 per second).
run_case () {
  readers=$1 buffers=$2 sink=$3
  case $sink in
    limit)
      out=$("$dir/rg-bench-copy-limit" --consumers="$readers" --size="$size" \
          --buffers="$buffers" 2>/dev/null) ;;
    *)
      threads=-1
      ring=0
      kind=$sink
      [ "$sink" = mem0 ] && threads=0 && kind=mem
      [ "$sink" = jrn ] && kind=journal
      [ "$sink" = jrnf ] && kind=journal && ring=1
      out=$("$dir/rg-bench-broker" server --sink="$kind" --mode=throughput \
          --size="$size" --buffers="$buffers" --consumers="$readers" \
          --reader=bench --send-threads=$threads --ring-size=$ring \
          2>/dev/null) ;;
  esac
  start=$(echo "$out" | sed -n 's/^@start_us=//p')
  done_us=$(echo "$out" | sed -n 's/^@done_us=//p')
  all=$(echo "$out" | sed -n 's/^@all_done=//p')
  if [ "$all" != 1 ]; then
    echo 0
    return
  fi
  awk -v n="$readers" -v b="$buffers" -v m="$size" -v t0="$start" \
      -v t1="$done_us" 'BEGIN { printf "%.0f\n", n * b * m / (t1 - t0) }'
}

round=1
while [ "$round" -le "$rounds" ]; do
  for c in $counts; do
    readers=${c%%:*}
    buffers=${c#*:}
    line="ratio $round $readers"
    results=""
    for sink in $cases; do
      rate=$(run_case "$readers" "$buffers" "$sink")
      load=$(cut -d' ' -f1-3 /proc/loadavg)
      echo "$round $readers $sink $rate load $load"
      results="$results $sink=$rate"
    done
    echo "$line$results" | awk '{
      for (i = 4; i <= NF; i++) { split ($i, kv, "="); v[kv[1]] = kv[2] }
      out = $1 " " $2 " " $3
      if (v["tcp"] > 0) {
        if ("mem" in v) out = out sprintf (" mem/tcp=%.2f", v["mem"] / v["tcp"])
        if ("mem0" in v) out = out sprintf (" mem0/tcp=%.2f", v["mem0"] / v["tcp"])
      }
      if (v["limit"] > 0) {
        if ("mem" in v) out = out sprintf (" mem/limit=%.2f", v["mem"] / v["limit"])
        if ("tcp" in v) out = out sprintf (" tcp/limit=%.2f", v["tcp"] / v["limit"])
      }
      if (v["mem"] > 0 && ("jrn" in v))
        out = out sprintf (" jrn/mem=%.2f", v["jrn"] / v["mem"])
      if (v["mem"] > 0 && ("jrnf" in v))
        out = out sprintf (" jrnf/mem=%.2f", v["jrnf"] / v["mem"])
      print out }'
  done
  round=$((round + 1))
done

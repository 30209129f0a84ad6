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
# served from the files), aggregate MB/s (readers x buffers x 1 MiB over
# first push to last reader done, the benchmark's own @start_us/@done_us),
# then where the CPU went: "sink=S" the sink's process (or the copy
# limit's senders) and "readers=R" the readers' process, both in CPU
# seconds per GB delivered, and "first=F%" when the first reader finished,
# as a share of the case (100% = every reader finished together; a sink
# that serves a few readers at a time finishes some early), and last the
# load average when the case ended. After each round, one line per reader
# count with that round's ratios: "ratio ROUND READERS mem/tcp=X
# mem/limit=Y mem0/tcp=.. jrn/mem=.." and "sinkcpu mem/tcp=.." (the
# broker's CPU per GB against tcpserversink's); only ratios of the same
# round are compared.
#
# Usage: tests/bench/run-broker-ab.sh [ROUNDS]   (default 5)
#   BENCH_BUILD_DIR=dir   build directory holding tests/bench/ (default: build)
#   BENCH_CASES="..."     cases and their order in a round
#                         (default: "limit tcp mem mem0 jrn")
#   BENCH_SIZE=bytes      record size (default 1048576)
#   BENCH_COUNTS="..."    readers:buffers pairs (default "8:1024 64:256";
#                         for 100 B records to 64 readers: "64:25000")
#   BENCH_ACTIVE=K        an experiment, not a target run: at most K readers
#                         of the sink cases read at a time (rg-bench-broker
#                         --active; default 0, all at once)
set -eu

rounds=${1:-5}
dir=${BENCH_BUILD_DIR:-build}/tests/bench
cases=${BENCH_CASES:-limit tcp mem mem0 jrn}
size=${BENCH_SIZE:-1048576}
counts=${BENCH_COUNTS:-8:1024 64:256}
active=${BENCH_ACTIVE:-0}

# One case; prints its aggregate MB/s (payload bytes / 10^6 per second),
# the sink's and the readers' CPU seconds per GB, and the first reader's
# finish as a share of the case ("0 0 0 0" when a reader did not finish).
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
          --active="$active" 2>/dev/null) ;;
  esac
  all=$(echo "$out" | sed -n 's/^@all_done=//p')
  if [ "$all" != 1 ]; then
    echo 0 0 0 0
    return
  fi
  echo "$out" | awk -F= -v n="$readers" -v b="$buffers" -v m="$size" '
    $1 == "@start_us" { t0 = $2 }
    $1 == "@done_us" { t1 = $2 }
    $1 == "@first_done_us" { tf = $2 }
    $1 == "@server_cpu_s" { sc = $2 }
    $1 == "@reader_cpu_s" { rc = $2 }
    END {
      gb = n * b * m / 1e9
      printf "%.0f %.3f %.3f %.0f\n", gb * 1e9 / (t1 - t0), sc / gb,
          rc / gb, 100 * (tf - t0) / (t1 - t0)
    }'
}

round=1
while [ "$round" -le "$rounds" ]; do
  for c in $counts; do
    readers=${c%%:*}
    buffers=${c#*:}
    line="ratio $round $readers"
    results=""
    for sink in $cases; do
      # shellcheck disable=SC2046  # four numbers, split on purpose
      set -- $(run_case "$readers" "$buffers" "$sink")
      load=$(cut -d' ' -f1-3 /proc/loadavg)
      echo "$round $readers $sink $1 sink=$2 readers=$3 first=$4% load $load"
      results="$results $sink=$1 cpu_$sink=$2"
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
      if (v["cpu_tcp"] > 0 && v["cpu_mem"] > 0)
        out = out sprintf (" sinkcpu mem/tcp=%.2f", v["cpu_mem"] / v["cpu_tcp"])
      print out }'
  done
  round=$((round + 1))
done

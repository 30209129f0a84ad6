#!/bin/sh
# gst-rg
# Copyright (C) 2026 gst-rg authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Interleaved A/B of the 1 MiB fan-out cases of rg-bench-broker:
# tcpserversink, rgbrokersink (in memory, default send-threads) and
# rgbrokersink with send-threads=0 (the event loop sends alone) alternate
# within each round, so that a slow moment of a shared machine hits all.
# Prints one line per case: round, readers, sink (tcp, mem, mem0), aggregate
# MB/s (readers x buffers x 1 MiB over first push to last reader done, the
# benchmark's own @start_us/@done_us).
#
# Usage: tests/bench/run-broker-ab.sh [ROUNDS]   (default 5)
#   BENCH_BUILD_DIR=dir   build directory holding tests/bench/rg-bench-broker
#                         (default: build)
set -eu

rounds=${1:-5}
bench=${BENCH_BUILD_DIR:-build}/tests/bench/rg-bench-broker
mib=1048576

round=1
while [ "$round" -le "$rounds" ]; do
  for c in "8 1024" "64 256"; do
    set -- $c
    for sink in tcp mem mem0; do
      threads=-1
      kind=$sink
      if [ "$sink" = mem0 ]; then
        threads=0
        kind=mem
      fi
      out=$("$bench" server --sink="$kind" --mode=throughput --size=$mib \
          --buffers="$2" --consumers="$1" --reader=bench \
          --send-threads=$threads 2>/dev/null)
      start=$(echo "$out" | sed -n 's/^@start_us=//p')
      done_us=$(echo "$out" | sed -n 's/^@done_us=//p')
      awk -v r="$round" -v n="$1" -v s="$sink" -v b="$2" -v m=$mib \
          -v t0="$start" -v t1="$done_us" \
          'BEGIN { printf "%d %d %s %.0f\n", r, n, s, n * b * m / (t1 - t0) }'
    done
  done
  round=$((round + 1))
done

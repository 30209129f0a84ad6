#!/bin/sh
# gst-rg
# Copyright (C) 2026 gst-rg authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Interleaved A/B of two builds on issue 12's single-producer target: one
# producer, 100 B records, acks=1, into a memory ingest topic against the
# raw TCP sink (rg-bench-ingest --mode=single, docs/performance.md "One
# producer, acks=1, memory, against a raw TCP sink"). Within each round
# build A and build B run one bench round each, the order alternating from
# round to round, so that a slow moment of a shared machine hits both.
#
# Prints one line per build and round: the broker's records/s, the raw
# sink's, their ratio, the broker process's CPU seconds per second and its
# CPU nanoseconds per record (the figure that moves least with the load of
# a shared machine), and the load average; then per build the median and
# range of the ratio and of the CPU per record.
#
# Usage: tests/bench/run-ingest-ab.sh BUILD_A BUILD_B [ROUNDS] [BATCH]
#   (defaults: 5 rounds, batches of 100 records; window 5, 3 s per side)
set -eu

a=$1
b=$2
rounds=${3:-5}
batch=${4:-100}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# one BUILD ROUND: one bench round of BUILD, one line to $out.
one ()
{
  "$1/tests/bench/rg-bench-ingest" --mode=single --batch="$batch" \
      --window=5 --rounds=1 --seconds=3 2>/dev/null |
    awk -v build="$1" -v round="$2" -v load="$(cut -d' ' -f1 /proc/loadavg)" '
      /^round/ { ratio = $(NF) ; sub (/x$/, "", ratio) }
      /^  broker/ {
        for (i = 1; i <= NF; i++) {
          if ($i == "records/s;" && !rate) rate = $(i - 1)
          if ($i == "server" && cpu == "") { cpu = $(i + 1); sub (/;$/, "", cpu) }
        }
      }
      /^  raw TCP sink/ {
        for (i = 1; i <= NF; i++)
          if ($i == "records/s;" && !raw) raw = $(i - 1)
      }
      END {
        printf "%s round %s: broker %d raw %d ratio %.2f cpu %.2f " \
            "ns/record %.1f load %s\n", build, round, rate, raw, ratio, \
            cpu, cpu / rate * 1e9, load
      }' | tee -a "$out"
}

r=1
while [ "$r" -le "$rounds" ]; do
  if [ $((r % 2)) -eq 1 ]; then
    one "$a" "$r"; one "$b" "$r"
  else
    one "$b" "$r"; one "$a" "$r"
  fi
  r=$((r + 1))
done

# median and range of field NAME's value for BUILD.
summary ()
{
  grep "^$1 round" "$out" | awk -v name="$2" '
    { for (i = 1; i <= NF; i++) if ($i == name) print $(i + 1) }' |
    sort -g | awk -v build="$1" -v name="$2" '
      { v[NR] = $1 }
      END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%s %s: median %s, min %s, max %s (%d rounds)\n", build, \
            name, m, v[1], v[NR], NR
      }'
}

for build in "$a" "$b"; do
  summary "$build" ratio
  summary "$build" ns/record
done

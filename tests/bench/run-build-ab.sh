#!/bin/sh
# gst-rg
# Copyright (C) 2026 gst-rg authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Interleaved A/B of two builds of gst-rg on the same cases: did a change
# (a re-layout, a compiler flag) move any benchmark beyond noise? Within each
# round every case runs once with build A and once with build B, the order
# alternating from round to round, so that a slow moment of a shared machine
# hits both. Prints one line per case and round, then per case the median of
# the per-round ratios B/A and their range.
#
# Cases (each a short run of a benchmark under tests/bench/):
#   tee-100B, tee-1MiB      rg-bench-tee throughput, rgtee-block, 4 branches
#   journal-100B, -1MiB     rg-bench-journal write-none-100 / write-none-1m
#   replay-100B             rg-bench-replay read, rgsrc, warm page cache
#   broker-100B, -1MiB      rg-bench-broker, memory sink, 8 bench readers
#
# Usage: tests/bench/run-build-ab.sh BUILD_A BUILD_B [ROUNDS]  (default 5)
# Higher is better for every figure (buffers/s, records/s or MB/s).
set -eu

a=$1
b=$2
rounds=${3:-5}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# figure BUILD CASE: prints the case's figure for BUILD.
figure ()
{
  bench=$1/tests/bench
  case $2 in
    tee-100B) "$bench/rg-bench-tee" throughput --fanout=rgtee-block \
        --branches=4 --size=100 --buffers=200000 2>/dev/null |
        awk -F= '/^@delivered=/{d=$2} /^@wall_s=/{w=$2} END{printf "%.0f", d/w}' ;;
    tee-1MiB) "$bench/rg-bench-tee" throughput --fanout=rgtee-block \
        --branches=4 --size=1048576 --buffers=3000 2>/dev/null |
        awk -F= '/^@delivered=/{d=$2} /^@wall_s=/{w=$2} END{printf "%.0f", d/w}' ;;
    journal-100B) "$bench/rg-bench-journal" --dir="$scratch/j" --scale=0.2 \
        --case=write-none-100 2>/dev/null | awk '{printf "%.0f", $1}' ;;
    journal-1MiB) "$bench/rg-bench-journal" --dir="$scratch/j" --scale=0.2 \
        --case=write-none-1m 2>/dev/null | awk '{printf "%.0f", $1}' ;;
    replay-100B) "$bench/rg-bench-replay" read --source=rgsrc \
        --path="$scratch/r100" --size=100 --buffers=100000 2>/dev/null |
        awk -F= '/^@buffers=/{n=$2} /^@wall-s=/{w=$2} END{printf "%.0f", n/w}' ;;
    broker-100B) "$bench/rg-bench-broker" server --sink=mem \
        --mode=throughput --size=100 --buffers=100000 --consumers=8 \
        --reader=bench 2>/dev/null |
        awk -F= '/^@records=/{n=$2} /^@start_us=/{s=$2} /^@done_us=/{d=$2}
          END{printf "%.0f", n/((d-s)/1e6)}' ;;
    broker-1MiB) "$bench/rg-bench-broker" server --sink=mem \
        --mode=throughput --size=1048576 --buffers=512 --consumers=8 \
        --reader=bench 2>/dev/null |
        awk -F= '/^@records=/{n=$2} /^@start_us=/{s=$2} /^@done_us=/{d=$2}
          END{printf "%.0f", n*1.048576/((d-s)/1e6)}' ;;
  esac
}

cases="tee-100B tee-1MiB journal-100B journal-1MiB replay-100B broker-100B broker-1MiB"
"$a/tests/bench/rg-bench-replay" write --sink=journal --path="$scratch/r100" \
  --size=100 --buffers=100000 >/dev/null 2>&1

: >"$scratch/ratios"
round=1
while [ "$round" -le "$rounds" ]; do
  for c in $cases; do
    if [ $((round % 2)) -eq 1 ]; then
      fa=$(figure "$a" "$c"); fb=$(figure "$b" "$c")
    else
      fb=$(figure "$b" "$c"); fa=$(figure "$a" "$c")
    fi
    echo "round $round $c A=$fa B=$fb" |
      awk '{split($4,x,"=");split($5,y,"=");
        printf "%s ratio=%.3f\n", $0, (x[2]>0 ? y[2]/x[2] : 0)}'
    echo "$c $fa $fb" >>"$scratch/ratios"
  done
  round=$((round + 1))
done

echo "case: median B/A (range over $rounds rounds)"
for c in $cases; do
  grep "^$c " "$scratch/ratios" | awk '$2>0{print $3/$2}' | sort -n |
    awk -v c="$c" '{r[NR]=$1} END{m=(NR%2)?r[(NR+1)/2]:(r[NR/2]+r[NR/2+1])/2;
      printf "%-13s %.3f (%.3f - %.3f)\n", c, m, r[1], r[NR]}'
done

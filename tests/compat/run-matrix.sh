#!/bin/bash
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The client matrix: each stock client, written the way its documentation
# writes it, against a running gst-rg broker.
#
#   tests/compat/run-matrix.sh BOOTSTRAP [SERVED_TOPIC] [COUNT]
#
# SERVED_TOPIC (default "video") must hold at least COUNT (default 20)
# records; the producers write into "compat-<client>" topics, so the
# broker needs ingest=true. Start one from a build tree with, for example:
#
#   GST_PLUGIN_PATH=build/plugins gst-launch-1.0 -e videotestsrc \
#     is-live=true ! video/x-raw,width=64,height=48,framerate=10/1 ! \
#     rgbrokersink port=19092 topic=video ingest=true
#
# Go programs are built with Debian's packages (GO111MODULE=off,
# GOPATH=/usr/share/gocode) and kafkajs is installed from the npm registry
# at the version pinned in node/package.json, both into a scratch
# directory ($RG_COMPAT_SCRATCH, default a new temporary one). Every
# program prints one "RESULT ..." line; this script ends with
# "N passed, N failed" and exits non-zero if any failed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
bootstrap=${1:?usage: run-matrix.sh BOOTSTRAP [SERVED_TOPIC] [COUNT]}
topic=${2:-video}
count=${3:-20}
timeout=${RG_COMPAT_TIMEOUT:-20}
scratch=${RG_COMPAT_SCRATCH:-$(mktemp -d -t rg-compat.XXXXXX)}
python=/usr/bin/python3
run_id=$$
passed=0
failed=0

build_go () {
  local name=$1
  mkdir -p "$scratch/go"
  (cd "$here/go/$name" && GO111MODULE=off GOPATH=/usr/share/gocode \
    GOCACHE="$scratch/go/cache" go build -o "$scratch/go/$name" main.go) \
    > "$scratch/go/$name.log" 2>&1 || {
      echo "cannot build $name: see $scratch/go/$name.log"; return 1; }
}

setup_node () {
  mkdir -p "$scratch/node"
  cp "$here/node/package.json" "$here/node/package-lock.json" \
    "$here/node/"*.js "$scratch/node/"
  (cd "$scratch/node" && npm ci --no-audit --no-fund) \
    > "$scratch/node/npm.log" 2>&1 || {
      echo "npm ci failed: see $scratch/node/npm.log"; return 1; }
}

check () {
  local name=$1
  shift
  local out
  out=$(timeout $((timeout + 60)) "$@" 2>"$scratch/$name.err")
  local rc=$?
  echo "$out" | grep '^RESULT' || echo "RESULT client=$name exit=$rc (no result line)"
  if [ $rc -eq 0 ]; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name (stderr: $scratch/$name.err)"
    failed=$((failed + 1))
  fi
}

build_go sarama && build_go kafkago
setup_node

g=rg-compat-$run_id
check confluent-group $python "$here/python/confluent_group.py" \
  "$bootstrap" "$topic" "$g-confluent" "$count" "$timeout"
check kafka-python-group $python "$here/python/kafka_python_group.py" \
  "$bootstrap" "$topic" "$g-kafka-python" "$count" "$timeout"
check kafkajs-consumer node "$scratch/node/consumer.js" \
  "$bootstrap" "$topic" "$g-kafkajs" "$count" "$timeout"
check kafkajs-producer node "$scratch/node/producer.js" \
  "$bootstrap" compat-kafkajs "$count"
check sarama-partition "$scratch/go/sarama" -mode partition \
  -timeout "${timeout}s" "$bootstrap" "$topic" unused "$count"
check sarama-group "$scratch/go/sarama" -mode group \
  -timeout "${timeout}s" "$bootstrap" "$topic" "$g-sarama" "$count"
check kafka-go-reader "$scratch/go/kafkago" -mode reader \
  -timeout "${timeout}s" "$bootstrap" "$topic" unused "$count"
check kafka-go-group "$scratch/go/kafkago" -mode group \
  -timeout "${timeout}s" "$bootstrap" "$topic" "$g-kafka-go" "$count"
check kafka-go-writer "$scratch/go/kafkago" -mode writer \
  -timeout "${timeout}s" "$bootstrap" compat-kafka-go unused "$count"
check idempotent-producer $python "$here/python/confluent_idempotent.py" \
  "$bootstrap" compat-idempotent "$count" "$timeout"
check configs-admin $python "$here/python/configs_admin.py" \
  "$bootstrap" "compat-configs-$run_id"
check kafka-python-delete-groups $python \
  "$here/python/kafka_python_delete_groups.py" "$bootstrap" "$topic" \
  "$g-delete" "$timeout"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]

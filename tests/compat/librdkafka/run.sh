#!/bin/bash
# gst-rg
# Copyright (C) 2026 gst-rg contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# librdkafka's own integration test suite against gst-rg's broker.
#
#   tests/compat/librdkafka/run.sh BOOTSTRAP|auto [TEST...]
#
# Fetches the Debian source package of the installed librdkafka (apt-get
# source; needs a deb-src line for the installed suites), builds its
# tests/ against the installed library (never librdkafka's own src/) in a
# scratch directory ($RG_COMPAT_SCRATCH, default a new temporary one, kept
# for the next run), writes test.conf with bootstrap.servers=BOOTSTRAP and
# runs every test the allow-list beside this script marks "run" (or only
# the TESTs named, e.g. 0001_multiobj), one test-runner process each, with
# local-only tests left out (-L), $RG_COMPAT_JOBS (6) at a time, longest
# first, each
# stopped after $RG_COMPAT_TEST_TIMEOUT (180) seconds (twice that for the
# long_tests below). RG_COMPAT_QUICK=1 adds librdkafka's
# quick mode (-Q): less data, but sub-tests declared with SUB_TEST() are
# then skipped, so some tests (0018_cgrp_term) pass without doing
# anything.
#
# BOOTSTRAP "auto" starts a broker from the build tree in $RG_BUILD_DIR
# (default ./build): an rgbrokersink with ingest=true on a free port,
# stopped at the end.
#
# Tests that librdkafka's tests/test.c marks for the "noautocreate"
# scenario (a cluster with auto.create.topics.enable=false: topics exist
# only once CreateTopics made them) run with TEST_SCENARIO=noautocreate
# against a second broker: with "auto", one more rgbrokersink started with
# auto-create-topics=false; else $RG_COMPAT_NOAUTOCREATE_BOOTSTRAP, and
# without it they are reported as skipped.
#
# Nothing of librdkafka is committed to gst-rg; only the allow-list is.
# Ends with "N passed, N failed" and exits non-zero if any test failed.

set -u
here=$(cd "$(dirname "$0")" && pwd)
bootstrap=${1:?usage: run.sh BOOTSTRAP|auto [TEST...]}
shift
scratch=$(realpath -m "${RG_COMPAT_SCRATCH:-$(mktemp -d -t rg-librdkafka.XXXXXX)}")
jobs=${RG_COMPAT_JOBS:-6}
per_test_timeout=${RG_COMPAT_TEST_TIMEOUT:-180}
quick=
[ "${RG_COMPAT_QUICK:-0}" = 1 ] && quick=-Q
broker_pid=
noautocreate_pid=
noautocreate_bootstrap=${RG_COMPAT_NOAUTOCREATE_BOOTSTRAP:-}

fail () { echo "run.sh: $*" >&2; exit 2; }

fetch_source () {
  local version
  version=$(dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null) ||
    fail "librdkafka1 is not installed"
  src="$scratch/librdkafka-$version"
  [ -d "$src/tests" ] && return 0
  mkdir -p "$scratch/apt"
  (cd "$scratch/apt" && apt-get source -q --download-only \
      "librdkafka=$version") > "$scratch/apt/log" 2>&1 ||
    fail "apt-get source librdkafka=$version failed (see $scratch/apt/log):" \
      "add a deb-src line for the installed suites and run apt-get update"
  dpkg-source -x "$scratch"/apt/librdkafka_*.dsc "$src" \
    > "$scratch/apt/extract.log" 2>&1 || fail "dpkg-source -x failed"
}

# The tests include librdkafka's private headers (rd.h, config.h), so
# configure runs once to generate config.h; nothing of src/ is built. The
# objects link against the installed librdkafka and librdkafka++.
build_tests () {
  local t="$src/tests"
  [ -x "$t/test-runner" ] && return 0
  (cd "$src" && ./configure --disable-ssl --disable-gssapi --disable-zstd \
      --disable-curl) > "$scratch/configure.log" 2>&1 ||
    fail "configure failed (see $scratch/configure.log)"
  mkdir -p "$t/obj"
  (cd "$t" && ls [08]*-*.c test.c rusage.c sockem.c sockem_ctrl.c \
      ../src/tinycthread.c ../src/tinycthread_extra.c ../src/rdlist.c |
    xargs -P "$jobs" -I{} sh -c \
      'gcc -c -O1 -g -w -I../src -I.. -o obj/$(basename {} .c).o {}' &&
    ls [08]*-*.cpp testcpp.cpp | xargs -P "$jobs" -I{} sh -c \
      'g++ -c -O1 -g -w -I../src -I../src-cpp -I.. -o obj/$(basename {} .cpp).o {}' &&
    g++ -rdynamic -o test-runner obj/*.o -lrdkafka++ -lrdkafka -lpthread \
      -ldl -lm -lz) > "$scratch/build.log" 2>&1 ||
    fail "building the tests failed (see $scratch/build.log)"
}

# The two brokers of "auto": the default one, and one without topic
# auto-creation when a selected test needs it.
stop_brokers () {
  RG_COMPAT_BROKER_PID=$broker_pid rg_compat_stop_broker
  RG_COMPAT_BROKER_PID=$noautocreate_pid rg_compat_stop_broker
}

start_brokers () {
  # shellcheck source=tests/compat/broker.sh
  source "$here/../broker.sh"
  trap stop_brokers EXIT
  # An authorizer (acl-file) so that the ACL apis answer (without one they
  # get SECURITY_DISABLED, as from Kafka), with the unauthenticated
  # clients of the suite as a super user: everything stays allowed, and no
  # '*' binding shows up in 0081's DescribeAcls counts.
  printf '# librdkafka test suite: every client may do everything.\nsuper %s\n' \
    ANONYMOUS > "$scratch/acl"
  # Each broker writes the ACLs it is given back to its own file.
  cp "$scratch/acl" "$scratch/acl-noautocreate"
  rg_compat_start_broker "${RG_BUILD_DIR:-build}" "$scratch/broker.log" \
    acl-file="$scratch/acl" || fail "no broker"
  broker_pid=$RG_COMPAT_BROKER_PID
  bootstrap=$RG_COMPAT_BOOTSTRAP
  selected_tests "$@" | grep -q -x -F -f <(noautocreate_tests) || return 0
  rg_compat_start_broker "${RG_BUILD_DIR:-build}" \
    "$scratch/broker-noautocreate.log" auto-create-topics=false \
    acl-file="$scratch/acl-noautocreate" ||
    fail "no broker without auto-creation"
  noautocreate_pid=$RG_COMPAT_BROKER_PID
  noautocreate_bootstrap=$RG_COMPAT_BOOTSTRAP
}

# The tests librdkafka runs only in its "noautocreate" scenario: the
# _TEST() entries of tests/test.c whose .scenario names it.
noautocreate_tests () {
  awk '/_TEST\(/ { name = $0; sub(/.*_TEST\(/, "", name); sub(/,.*/, "", name) }
       /\.scenario *= *"[^"]*noautocreate/ { print name }' "$src/tests/test.c"
}

# 0081_admin runs every admin api twice (from a producer's handle and
# from a consumer's), and its group sub-tests start dozens of consumer
# groups, each waiting out the coordinator's first-rebalance delay (3 s,
# as Kafka's group.initial.rebalance.delay.ms): over 180 s here, so it
# gets twice the per-test limit and starts first.
long_tests=" 0081_admin "

# The tests that wait longest (40 to 80 s each here, most of it in
# session timeouts and retries), started first so that the last of them
# does not begin when every other test has ended: the whole suite then
# takes about as long as its slowest test, not a slow test's time on top.
slow_first="0081_admin 0076_produce_retry 0094_idempotence_msg_timeout 0026_consume_pause
0033_regex_subscribe 0110_batch_size 0053_stats 0030_offset_commit
0091_max_poll_interval_timeout 0122_buffer_cleaning_after_rebalance
0102_static_group_rebalance 0113_cooperative_rebalance"

allowed_tests () {
  awk '$1 !~ /^#/ && $2 == "run" { print $1 }' "$here/allow-list"
}

selected_tests () {
  local all
  if [ $# -gt 0 ]; then
    printf '%s\n' "$@"
    return
  fi
  all=$(allowed_tests)
  printf '%s\n' $slow_first | grep -x -F -f <(echo "$all")
  echo "$all" | grep -v -x -F -f <(printf '%s\n' $slow_first)
}

fetch_source
build_tests
[ "$bootstrap" = auto ] && start_brokers "$@"
printf 'bootstrap.servers=%s\ntest.timeout.multiplier=2\n' "$bootstrap" \
  > "$src/tests/test.conf"
printf 'bootstrap.servers=%s\ntest.timeout.multiplier=2\n' \
  "$noautocreate_bootstrap" > "$src/tests/test-noautocreate.conf"
noautocreate_tests | tr '\n' ' ' > "$scratch/noautocreate"

# run_one NAME: runs one test in its own test-runner process and prints
# one "PASS NAME" or "FAIL NAME: why" line.
run_one () {
  local name=$1 log rc why scenario=default conf=test.conf
  local limit=$per_test_timeout
  log="$scratch/logs/$name.log"
  [[ "$long_tests" == *" $name "* ]] && limit=$((2 * per_test_timeout))
  if [[ " $(cat "$scratch/noautocreate") " == *" $name "* ]]; then
    if ! grep -q '^bootstrap.servers=.' test-noautocreate.conf; then
      echo "SKIP $name: needs a broker without topic auto-creation" \
        "(RG_COMPAT_NOAUTOCREATE_BOOTSTRAP)"
      return
    fi
    scenario=noautocreate
    conf=test-noautocreate.conf
  fi
  # TESTS matches by test number: a full name also selects its _local
  # sibling, which -L leaves out, and its siblings of other scenarios,
  # which the scenario leaves out (so each of 0045's two noautocreate
  # tests runs both).
  # The braces keep the shell's own "Aborted" report out of the output;
  # the log has the test's failure.
  { TESTS=$name TEST_SCENARIO=$scenario RDKAFKA_TEST_CONF=$conf \
      timeout "$limit" ./test-runner $quick -L \
      > "$log" 2>&1; } 2>/dev/null
  rc=$?
  if [ $rc -eq 0 ]; then
    if grep -q "Test $name SKIPPED" "$log"; then
      echo "PASS $name (skipped by librdkafka itself)"
    else
      echo "PASS $name"
    fi
  else
    why=$(grep -a -m1 -A1 '### Test' "$log" | tail -1 | cut -c1-150)
    [ $rc -eq 124 ] && why="timed out after ${limit}s"
    echo "FAIL $name: ${why:-exit $rc} (log: $log)"
  fi
}

# Most tests spend their time waiting (session timeouts, lingers, polls),
# not computing: $jobs of them run at once against the one broker, each
# on topics and groups of its own random names.
export -f run_one
export scratch per_test_timeout long_tests quick
# The Kafka release the suite expects (its default is 2.4): gst-rg answers
# as Kafka 2.8 does (Produce v9; an AlterConfigs of an unknown topic gets
# UNKNOWN_TOPIC_OR_PARTITION, which 0081_admin expects from 2.7 on, where
# 2.4 said UNKNOWN). No test of the allow-list is gated between 2.4 and 2.8
# otherwise. $TEST_KAFKA_VERSION overrides it.
export TEST_KAFKA_VERSION=${TEST_KAFKA_VERSION:-2.8.0}
mkdir -p "$scratch/logs"
cd "$src/tests"
selected_tests "$@" | xargs -P "$jobs" -I{} bash -c 'run_one {}' \
  | tee "$scratch/results"
passed=$(grep -c '^PASS ' "$scratch/results")
failed=$(grep -c '^FAIL ' "$scratch/results")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

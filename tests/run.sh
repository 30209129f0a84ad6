#!/usr/bin/env bash
# gst-rg test runner (also what CI runs, through .ci/run).
#
# Installs what is missing (Debian 12, apt, see tests/deps.sh), then builds and
# tests three configurations:
#   build/       normal build, every suite; the 'element' suite runs with the
#                GStreamer leaks tracer, which gst-check turns into a failure
#   build-asan/  AddressSanitizer + UBSan + LeakSanitizer, every suite
#   build-tsan/  ThreadSanitizer, the 'tsan' suite: code that synchronises
#                through pthreads and C11 atomics only (the ring, the broker);
#                GMutex-based code would only give false reports there
#   build-fuzz/  -Dfuzz=true: the libFuzzer binary for the Kafka request
#                parser (built with clang), run for $RG_FUZZ_SECONDS (30) s
#                over the seed corpus and tests/fuzz/crashes/; counts as one
#                test. A crash, leak or timeout input is saved to
#                tests/fuzz/crashes/ (replayed by kafka-fuzz-replay from then
#                on) and fails the run
# Counts one result per gst-check test case (from the "Checks: N, Failures: F,
# Errors: E" line each check program prints); a test without such a line
# counts once, passed or failed by its meson result. Ends with one line
# "N passed, N failed" and exits non-zero if anything failed.
#
#   compat       the outside checks of tests/compat/ against pipelines of
#                build/: librdkafka's own integration test suite (built from
#                Debian's source package of the installed librdkafka; each
#                test its allow-list runs counts once) and the client
#                matrix of stock clients (each program counts once)
# Environment: RG_BUILDS="normal asan tsan fuzz compat" selects stages.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
python=/usr/bin/python3
total_passed=0
total_failed=0
summaries=()

# shellcheck source=tests/deps.sh
source "$here/deps.sh"

finish ()
{
  echo
  echo "== summary"
  local line
  for line in "${summaries[@]}"; do
    echo "$line"
  done
  echo "$total_passed passed, $total_failed failed"
  if [ "$total_failed" -ne 0 ]; then
    exit 1
  fi
  exit 0
}

# count_results LOG: prints one line per meson test and, last, "COUNT P F".
# A test whose check program printed its Checks line but still failed (a leak
# or crash reported at exit, after the last test case) adds one failure.
count_results ()
{
  "$python" - "$1" <<'PYTHON'
import json, re, sys

checks_re = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")
passed = failed = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        if not line.strip():
            continue
        test = json.loads(line)
        result = test.get("result", "ERROR")
        if result == "SKIP":
            print("   {:<28} skipped".format(test["name"]))
            continue
        ok = result in ("OK", "EXPECTEDFAIL")
        output = (test.get("stdout") or "") + (test.get("stderr") or "")
        found = checks_re.findall(output)
        if found:
            n = sum(int(c) for c, _, _ in found)
            f = sum(int(a) + int(b) for _, a, b in found)
            p = n - f
            note = "{} checks, {} failed".format(n, f)
            if n == 0:
                f = 1
                note += ": no test case ran (CK_RUN_SUITE/CK_RUN_CASE?)"
            elif not ok and f == 0:
                f = 1
                note += ", then failed at exit ({})".format(result)
        else:
            p, f = (1, 0) if ok else (0, 1)
            note = result if ok else "{} (no check results)".format(result)
        passed += p
        failed += f
        print("   {:<28} {}".format(test["name"], note))
print("COUNT {} {}".format(passed, failed))
PYTHON
}

# add_failure LABEL WHY: one failure that is not a test case (setup, build).
add_failure ()
{
  total_failed=$((total_failed + 1))
  summaries+=("$1: FAILED: $2")
}

# run_tests LABEL DIR [VAR=VALUE...] -- [meson test arguments...]
run_tests ()
{
  local label="$1" dir="$2" envs=() args=() log rc out counts p f
  shift 2
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    envs+=("$1")
    shift
  done
  [ "$#" -gt 0 ] && shift
  args=("$@")
  log="$dir/meson-logs/testlog.json"

  echo "== $label: meson test ${args[*]}"
  rm -f "$log"
  env "${envs[@]}" meson test -C "$dir" --print-errorlogs --num-processes 2 \
    "${args[@]}" </dev/null
  rc=$?
  if [ ! -f "$log" ]; then
    if [ "$rc" -ne 0 ]; then
      add_failure "$label" "meson test exited $rc without a test log"
    fi
    return
  fi
  if ! out="$(count_results "$log")"; then
    add_failure "$label" "could not read $log"
    return
  fi
  counts="$(tail -n 1 <<<"$out")"
  read -r _ p f <<<"$counts"
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  summaries+=("$label: $p passed, $f failed")
  while IFS= read -r line; do
    summaries+=("$line")
  done < <(head -n -1 <<<"$out")
}

# setup_build DIR OPTIONS...: configures DIR, reusing it when it exists.
setup_build ()
{
  local dir="$1"
  shift
  if [ -f "$dir/build.ninja" ] &&
      meson setup --reconfigure "$dir" "$repo" "$@"; then
    return 0
  fi
  # A stale or foreign build dir (moved source tree, other meson version):
  # start it over.
  if [ -d "$dir/meson-private" ]; then
    meson setup --wipe "$dir" "$repo" "$@"
  else
    rm -rf "$dir"
    meson setup "$dir" "$repo" "$@"
  fi
}

# build LABEL DIR OPTIONS...: configures and compiles; returns 1 on failure.
build ()
{
  local label="$1" dir="$2"
  shift 2
  echo "== $label: configure and compile $dir"
  if ! setup_build "$dir" "$@" </dev/null; then
    add_failure "$label" "meson setup failed"
    return 1
  fi
  if ! meson compile -C "$dir" </dev/null; then
    add_failure "$label" "compilation failed"
    return 1
  fi
  if [ "$(meson introspect --tests "$dir" | "$python" -c \
      'import json, sys; print(len(json.load(sys.stdin)))')" = 0 ]; then
    add_failure "$label" "no tests are defined"
    return 1
  fi
}

# prescan_registry DIR: fills the plugin registry the tests of DIR use (each
# build dir has its own, set in tests/check/meson.build) with the system's
# plugins, scanned the usual way by the uninstrumented gst-plugin-scanner.
# The sanitizer runs then scan with GST_REGISTRY_FORK=no, in the test process
# itself, because the uninstrumented scanner cannot load a sanitizer-built
# plugin (and would blacklist it); thanks to this prescan the only plugin they
# still load to scan is ours, not every system plugin with its own leaks and
# races (fontconfig, OpenNI2, ...).
prescan_registry ()
{
  local dir="$1" registry
  for registry in $(meson introspect --tests "$dir" | "$python" -c '
import json, sys
print("\n".join(sorted({t["env"].get("GST_REGISTRY_1_0", "")
                        for t in json.load(sys.stdin)} - {""})))'); do
    env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 GST_REGISTRY_1_0="$registry" \
      gst-inspect-1.0 coreelements >/dev/null 2>&1 </dev/null || true
  done
}

run_normal ()
{
  local dir="$repo/build"
  build normal "$dir" -Dsanitize=none -Dtests=enabled || return
  run_tests "normal/element (leaks tracer)" "$dir" GST_TRACERS=leaks -- \
    --suite element
  run_tests "normal/other suites" "$dir" -- --no-suite element
}

run_asan ()
{
  local dir="$repo/build-asan"
  build asan "$dir" -Dsanitize=address -Dbenchmarks=false -Dtests=enabled \
    || return
  prescan_registry "$dir"
  # G_SLICE=always-malloc: GLib 2.74 serves GstBuffer and other small objects
  # from its slice allocator, which hides their leaks and use-after-free from
  # ASan; with it every object is a plain malloc.
  # fast_unwind_on_malloc=0: GLib and GStreamer are built without frame
  # pointers, so only the slow unwinder sees past g_malloc() and lets the
  # narrow suppressions in tests/lsan.supp match.
  run_tests asan "$dir" \
    "ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:halt_on_error=1" \
    "LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0" \
    "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" \
    G_SLICE=always-malloc G_DEBUG=gc-friendly GST_REGISTRY_FORK=no -- \
    --timeout-multiplier 2
}

run_tsan ()
{
  local dir="$repo/build-tsan"
  build tsan "$dir" -Dsanitize=thread -Dbenchmarks=false -Dtests=enabled \
    || return
  prescan_registry "$dir"
  # G_SLICE=always-malloc: slices recycled inside GLib look like races to
  # TSan; plain malloc/free are intercepted. GstMiniObject reference counts
  # stay invisible to TSan (uninstrumented libgstreamer): the ring test
  # annotates the hand-over of the last reference itself.
  run_tests "tsan" "$dir" GST_REGISTRY_FORK=no G_SLICE=always-malloc \
    "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1" -- \
    --suite tsan --timeout-multiplier 2
}

run_fuzz ()
{
  local dir="$repo/build-fuzz" crashes="$here/fuzz/crashes" work before new
  local seconds="${RG_FUZZ_SECONDS:-30}" log rc
  echo "== fuzz: configure and compile $dir"
  # Only the fuzzer target is compiled here (-Dtests=enabled because the
  # fuzz directory lives under tests/); the tests are the other builds' job.
  if ! setup_build "$dir" -Dfuzz=true -Dtests=enabled -Dbenchmarks=false \
      </dev/null; then
    add_failure fuzz "meson setup failed"
    return
  fi
  if ! meson compile -C "$dir" tests/fuzz/kafka-request-fuzzer </dev/null; then
    add_failure fuzz "compilation failed"
    return
  fi
  # New interesting inputs go to a scratch directory, so the checked-in seed
  # corpus only changes when a person decides so; crash inputs go straight
  # to crashes/ under libFuzzer's names.
  work="$(mktemp -d)"
  log="$dir/fuzz.log"
  before="$(ls "$crashes")"
  echo "== fuzz: kafka-request-fuzzer for $seconds s"
  "$dir/tests/fuzz/kafka-request-fuzzer" -max_total_time="$seconds" \
    -max_len=4096 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$crashes/" \
    "$work" "$repo/tests/check/core/kafka-corpus" "$crashes" \
    </dev/null >"$log" 2>&1
  rc=$?
  rm -rf "$work"
  tail -n 15 "$log"
  new="$(comm -13 <(echo "$before") <(ls "$crashes"))"
  if [ "$rc" -eq 0 ] && [ -z "$new" ]; then
    total_passed=$((total_passed + 1))
    summaries+=("fuzz: 1 passed, 0 failed" \
      "   kafka-request-fuzzer         $seconds s, $(grep -m1 -o \
        'stat::number_of_executed_units: *[0-9]*' "$log" | \
        grep -o '[0-9]*$') inputs, no crash")
  else
    total_failed=$((total_failed + 1))
    summaries+=("fuzz: 0 passed, 1 failed" \
      "   kafka-request-fuzzer         exit $rc, new in tests/fuzz/crashes/:" \
      "     ${new:-none} (log: $log)")
  fi
}

# count_compat LABEL LOG: adds the "PASS name" / "FAIL name: why" lines an
# outside check printed, one result each.
count_compat ()
{
  local label="$1" log="$2" p f
  p="$(grep -c '^PASS ' "$log")"
  f="$(grep -c '^FAIL ' "$log")"
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  summaries+=("$label: $p passed, $f failed")
  while IFS= read -r line; do
    summaries+=("   $line")
  done < <(grep '^FAIL ' "$log")
}

# run_compat: the outside checks of tests/compat/ against pipelines of the
# normal build: librdkafka's own integration test suite (the tests its
# allow-list marks "run") and the client matrix (each stock client written
# the way its documentation writes it). Scratch files (librdkafka's source
# and test binaries, the Go builds, kafkajs) are kept in build-compat/ for
# the next run.
run_compat ()
{
  local dir="$repo/build" scratch="$repo/build-compat" log
  if [ ! -f "$dir/plugins/libgstrg.so" ]; then
    build normal "$dir" -Dsanitize=none -Dtests=enabled || return
  fi
  if ! rg_install_missing RG_COMPAT_PACKAGES || ! rg_ensure_deb_src; then
    add_failure compat "installing the outside checks' packages failed"
    return
  fi
  mkdir -p "$scratch"
  log="$scratch/librdkafka.log"
  echo "== compat: librdkafka's test suite"
  RG_COMPAT_SCRATCH="$scratch/librdkafka" RG_BUILD_DIR="$dir" \
    bash "$here/compat/librdkafka/run.sh" auto </dev/null 2>&1 | tee "$log"
  if ! grep -q '^[0-9]* passed, [0-9]* failed$' "$log"; then
    add_failure "compat/librdkafka" "the runner stopped (see $log)"
  fi
  count_compat "compat/librdkafka" "$log"

  log="$scratch/matrix.log"
  echo "== compat: client matrix"
  # shellcheck source=tests/compat/broker.sh
  source "$here/compat/broker.sh"
  if ! rg_compat_start_broker "$dir" "$scratch/matrix-broker.log"; then
    add_failure "compat/matrix" "the broker did not start"
    return
  fi
  RG_COMPAT_SCRATCH="$scratch/matrix" bash "$here/compat/run-matrix.sh" \
    "$RG_COMPAT_BOOTSTRAP" video </dev/null 2>&1 | tee "$log"
  rg_compat_stop_broker
  if ! grep -q '^[0-9]* passed, [0-9]* failed$' "$log"; then
    add_failure "compat/matrix" "the matrix stopped (see $log)"
  fi
  count_compat "compat/matrix" "$log"
}

if ! rg_install_missing; then
  add_failure setup "installing packages failed"
  finish
fi

for what in ${RG_BUILDS:-normal asan tsan fuzz compat}; do
  started=$SECONDS
  case "$what" in
    normal) run_normal ;;
    asan) run_asan ;;
    tsan) run_tsan ;;
    fuzz) run_fuzz ;;
    compat) run_compat ;;
    *) add_failure "$what" \
      "unknown build (RG_BUILDS takes normal asan tsan fuzz compat)" ;;
  esac
  summaries+=("   ($what: $((SECONDS - started)) s)")
done
finish

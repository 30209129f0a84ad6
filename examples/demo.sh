#!/usr/bin/env bash
# gst-rg demo: installs what is missing (Debian 12, apt), builds into build/
# and runs examples/demo.py: a live H.264 test stream fanned out by rgtee to a
# fast, a deliberately slow and a lossless recording branch that writes a
# journal (rgjournalsink), plus a branch served as Kafka topic "camera" by
# rgbrokersink (127.0.0.1:9092, or a free port), which kcat and
# examples/consume.py read while the pipeline runs; per-branch counters and
# the journal's summary are printed at the end; then a clip from the middle
# of the journal is replayed with rgsrc into an MP4. Extra arguments go to
# demo.py (--help).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
build="$repo/build"

# shellcheck source=tests/deps.sh
source "$repo/tests/deps.sh"
rg_install_missing

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$repo"
fi
meson compile -C "$build"

export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
# The journal tool, for the summary at the end (demo.py says so if missing).
for tool in "$build/gst/tools/rg-journal"; do
  if [ -x "$tool" ]; then
    export RG_JOURNAL_TOOL="$tool"
    break
  fi
done
# Debian's python3, which has the GStreamer bindings; the first python3 on
# PATH may be another one without them.
exec /usr/bin/python3 "$here/demo.py" "$@"

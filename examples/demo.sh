#!/usr/bin/env bash
# gst-rg demo: installs what is missing (Debian 12, apt), builds into build/
# and runs examples/demo.py: a live H.264 test stream fanned out by rgtee to a
# fast, a deliberately slow and a lossless recording branch, with per-branch
# counters printed at the end. Extra arguments go to demo.py (--help).
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
# Debian's python3, which has the GStreamer bindings; the first python3 on
# PATH may be another one without them.
exec /usr/bin/python3 "$here/demo.py" "$@"

#!/usr/bin/env bash
# gst-rg inference example: installs what is missing (Debian 12, apt), builds
# into build/ and runs examples/inference.py against the build tree: the
# plugin (GST_PLUGIN_PATH), the GstRg-1.0 typelib (GI_TYPELIB_PATH) and
# libgstrg-1.0 it describes (LD_LIBRARY_PATH). Takes about 10 s. Extra
# arguments go to inference.py (--help).
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
if [ ! -f "$build/gst/GstRg-1.0.typelib" ]; then
  echo "build/gst/GstRg-1.0.typelib is missing: configure with" \
    "-Dintrospection=enabled (and without -Dsanitize)" >&2
  exit 1
fi

export GST_PLUGIN_PATH="$build/plugins${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GI_TYPELIB_PATH="$build/gst${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}"
export LD_LIBRARY_PATH="$build/gst${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Debian's python3, which has PyGObject, the GStreamer overrides and numpy.
exec /usr/bin/python3 "$here/inference.py" "$@"

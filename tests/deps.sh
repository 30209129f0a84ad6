# shellcheck shell=bash
# The Debian 12 packages gst-rg needs to build, test and run its demo.
# Sourced by examples/demo.sh and tests/run.sh so that both install the same
# set; edit the list here only.

RG_PACKAGES=(
  # Build: compiler, meson, and the GStreamer development files (the gst-check
  # library used by the unit tests ships in libgstreamer1.0-dev).
  gcc meson ninja-build pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  # Elements the demo and tests use: videotestsrc (base), x264enc (ugly),
  # h264parse (bad), plus gst-launch-1.0/gst-inspect-1.0 (tools) and
  # gst-discoverer-1.0 (base-apps, the rgsrc tests check exported files).
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  gstreamer1.0-plugins-base-apps
  # The demo's pipeline runner is Python with GObject introspection.
  python3-gi python3-gst-1.0
  # GstRg-1.0.gir/.typelib: g-ir-scanner and g-ir-compiler
  # (gobject-introspection), GLib's and GObject's .gir and the
  # gobject-introspection-1.0 pkg-config file (libgirepository1.0-dev);
  # Gst-1.0.gir comes with libgstreamer1.0-dev above. At run time the Python
  # tests and examples/inference.py load the typelibs of GStreamer and its
  # base libraries (GstApp, GstVideo) and use numpy.
  gobject-introspection libgirepository1.0-dev
  gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 python3-numpy
  # The gi-meta test reads a journal through GJS too.
  gjs
  # Kafka record batches and the broker: librdkafka, kcat and kafka-python
  # as real clients, ISA-L for CRC-32C.
  librdkafka-dev kcat python3-kafka libisal-dev
  # Idempotent producers and admin clients (tests/check/elements/
  # idempotent_clients.py): confluent-kafka-python on librdkafka.
  python3-confluent-kafka
  # Leak checking.
  valgrind
  # The libFuzzer run of the Kafka request parser (clang's fuzzer runtime).
  clang libclang-rt-14-dev
)

# The outside checks of tests/compat/ (tests/run.sh's "compat" stage, not
# the demo): librdkafka's own test suite, built from its Debian source
# package against the installed library, and the stock clients of the
# client matrix (kafkajs itself comes from the npm registry, pinned in
# tests/compat/node/package-lock.json).
RG_COMPAT_PACKAGES=(
  build-essential dpkg-dev zlib1g-dev
  python3-confluent-kafka
  golang-go golang-github-shopify-sarama-dev
  golang-github-segmentio-kafka-go-dev
)
# Node.js with npm, Debian's packages unless a node with its own npm is
# already installed (NodeSource's nodejs ships npm and conflicts with
# Debian's npm package).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  RG_COMPAT_PACKAGES+=(nodejs npm)
fi

# rg_install_missing [LIST]: installs, with apt-get, every package of the
# array named LIST (default RG_PACKAGES) that dpkg does not list as
# installed. Asks apt only when something is missing, so a second run costs
# one dpkg-query per package.
rg_install_missing ()
{
  local -n wanted="${1:-RG_PACKAGES}"
  local missing=() pkg sudo=()

  for pkg in "${wanted[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != \
        "install ok installed" ]; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi

  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  echo "Installing missing packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# rg_ensure_deb_src: makes sure apt can fetch Debian source packages (the
# librdkafka test suite comes that way). A fresh Debian 12 image lists only
# binary packages; this adds a deb-src entry for the same suites of
# deb.debian.org and refreshes the lists, once.
rg_ensure_deb_src ()
{
  local file=/etc/apt/sources.list.d/gst-rg-deb-src.sources sudo=() codename
  if grep -Eqs '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list \
      /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  echo "Adding $file (Debian source packages for $codename)"
  printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
    "Suites: $codename $codename-updates" "Components: main" \
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" |
    "${sudo[@]}" tee "$file" >/dev/null || return 1
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
}

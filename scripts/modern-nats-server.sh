#!/usr/bin/env bash
# Prints the path of a nats-server binary new enough for Hookpost (2.12 or newer), fetching one when needed.
#
# Order: $NATS_SERVER_BIN, then `nats-server` on the PATH, then a cached copy (CACHE_DIR, then the
# default cache), each used only when its
# version is at least the minimum. Otherwise Debian's unstable suite's nats-server package (a static
# binary) is downloaded with apt into a cache folder and unpacked there: the system's packages and apt
# state are not touched. The mirror is the one this machine's apt sources already name.
#
# Usage: scripts/modern-nats-server.sh [--no-fetch] [CACHE_DIR]   (default ${XDG_CACHE_HOME:-$HOME/.cache}/hookpost/nats-server)
# Exit 1 with one line on stderr when no modern server can be found or fetched (with --no-fetch: found).
set -euo pipefail

minimum="2.12.0" # MINIMUM_SERVER_VERSION in libs/queue/server-version.ts
fetch=1
if [ "${1:-}" = "--no-fetch" ]; then
  fetch=0
  shift
fi
default_cache=${HOOKPOST_NATS_CACHE:-${XDG_CACHE_HOME:-${HOME:-.}/.cache}/hookpost/nats-server}
cache=${1:-$default_cache}

version_of() { "$1" --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9.]*\).*/\1/p' | head -n 1; }
modern() {
  local v
  v=$(version_of "$1") || return 1
  [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$minimum" "$v" | sort -V | head -n 1)" = "$minimum" ]
}

for candidate in "${NATS_SERVER_BIN:-}" "$(command -v nats-server 2>/dev/null || true)" "$cache/usr/sbin/nats-server" \
  "$default_cache/usr/sbin/nats-server"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && modern "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

fail() {
  echo "hookpost: no nats-server $minimum or newer: $* (install your distribution's nats-server, the release binary, or the nats container image, and set NATS_SERVER_BIN)" >&2
  exit 1
}

[ "$fetch" = 1 ] || fail "none on the PATH or in $cache"
command -v apt-get >/dev/null 2>&1 || fail "apt-get is not available to fetch one"
sources=/etc/apt/sources.list.d/debian.sources
uri=""
[ -r "$sources" ] && uri=$(awk '/^URIs:/{print $2; exit}' "$sources")
[ -n "$uri" ] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || fail "no Debian mirror found in the apt sources"

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
echo "deb $uri sid main" >"$apt_dir/sources.list"
opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::archives=$apt_dir/archives" -o APT::Get::List-Cleanup=0)
echo "hookpost: fetching a modern nats-server from Debian's unstable suite into $cache" >&2
apt-get "${opts[@]}" -qq update >&2 || fail "apt-get update of the unstable suite failed"
rm -f "$apt_dir"/nats-server_*.deb
(cd "$apt_dir" && apt-get "${opts[@]}" -qq download nats-server >&2) || fail "downloading the nats-server package failed"
dpkg-deb -x "$apt_dir"/nats-server_*.deb "$cache" || fail "unpacking the nats-server package failed"
modern "$cache/usr/sbin/nats-server" || fail "the fetched nats-server is $(version_of "$cache/usr/sbin/nats-server")"
echo "$cache/usr/sbin/nats-server"

#!/usr/bin/env bash
# Finds nats-server, or installs one into the project-local folder .nats/ without touching the system.
# Order: $PLEXUS_NATS_SERVER, .nats/bin/nats-server, PATH, /usr/sbin. A found server older than 2.10 is used only
# when nothing better can be installed. Install order: Debian trixie's 2.10.x .deb unpacked into .nats/ (static
# binary), then the distribution's package (apt-get install nats-server), else print how to install it. The trixie
# package comes from the Debian mirror the machine's own apt configuration names (PLEXUS_DEBIAN_MIRROR overrides it;
# deb.debian.org when apt names none).
# Prints the path of the server it settled on as its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_dir="$here/.nats"
local_bin="$local_dir/bin/nats-server"
want_major=2
want_minor=10

version_of() { "$1" --version 2>/dev/null | sed -n 's/.*v\([0-9][0-9.]*\).*/\1/p' | head -1; }
recent_enough() {
  local v; v="$(version_of "$1")"; [ -n "$v" ] || return 1
  local major minor; major="${v%%.*}"; minor="$(echo "$v" | cut -d. -f2)"
  [ "$major" -gt "$want_major" ] || { [ "$major" -eq "$want_major" ] && [ "$minor" -ge "$want_minor" ]; }
}
say() { echo "install-nats-server: $*" >&2; }

candidates=()
[ -n "${PLEXUS_NATS_SERVER:-}" ] && candidates+=("$PLEXUS_NATS_SERVER")
candidates+=("$local_bin")
command -v nats-server >/dev/null 2>&1 && candidates+=("$(command -v nats-server)")
candidates+=("/usr/sbin/nats-server" "/usr/local/bin/nats-server")

fallback=""
for c in "${candidates[@]}"; do
  if [ -x "$c" ]; then
    if recent_enough "$c"; then echo "$c"; exit 0; fi
    [ -z "$fallback" ] && fallback="$c"
  fi
done

# The Debian archive this machine's apt uses: the first URI of a "debian" repository (not security, not a third party)
# in /etc/apt/sources.list(.d), deb822 .sources files and one-line .list files alike.
debian_mirror() {
  if [ -n "${PLEXUS_DEBIAN_MIRROR:-}" ]; then echo "$PLEXUS_DEBIAN_MIRROR"; return; fi
  local files=() uri
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && files+=("$f"); done
  if [ "${#files[@]}" -gt 0 ]; then
    uri="$(sed -n -e 's/^[[:space:]]*URIs:[[:space:]]*//p' -e 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' "${files[@]}" 2>/dev/null \
      | tr ' ' '\n' | grep -E '^(https?|file)://' | grep -E '/debian/?$' | head -1)"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

install_from_trixie() {
  command -v apt-get >/dev/null 2>&1 || return 1
  command -v dpkg >/dev/null 2>&1 || return 1
  local work; work="$(mktemp -d)"
  mkdir -p "$work/lists/partial" "$work/archives/partial"
  local mirror; mirror="$(debian_mirror)"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" > "$work/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists"
              -o "Dir::Cache::archives=$work/archives" -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1")
  say "fetching nats-server from Debian trixie ($mirror) into $local_dir"
  apt-get "${opts[@]}" -qq update >/dev/null 2>&1 || { rm -rf "$work"; return 1; }
  (cd "$work" && apt-get "${opts[@]}" -qq download nats-server >/dev/null 2>&1) || { rm -rf "$work"; return 1; }
  local deb; deb="$(ls "$work"/nats-server_*.deb 2>/dev/null | head -1)"
  [ -n "$deb" ] || { rm -rf "$work"; return 1; }
  dpkg -x "$deb" "$work/root"
  mkdir -p "$local_dir/bin"
  cp "$work/root/usr/sbin/nats-server" "$local_bin" 2>/dev/null || cp "$work/root/usr/bin/nats-server" "$local_bin"
  chmod 0755 "$local_bin"
  rm -rf "$work"
  "$local_bin" --version >/dev/null 2>&1
}

install_from_distribution() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" -eq 0 ] || return 1
  say "installing the distribution's nats-server package"
  apt-get -qq update >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get -qq install -y nats-server >/dev/null 2>&1 || return 1
  [ -x /usr/sbin/nats-server ]
}

if install_from_trixie; then echo "$local_bin"; exit 0; fi
if [ -n "$fallback" ]; then say "using $fallback ($(version_of "$fallback")); 2.10 or newer is recommended"; echo "$fallback"; exit 0; fi
if install_from_distribution; then echo "/usr/sbin/nats-server"; exit 0; fi
say "nats-server was not found and could not be installed."
say "Install nats-server 2.10 or newer (https://docs.nats.io/running-a-nats-service/introduction/installation),"
say "then set PLEXUS_NATS_SERVER=/path/to/nats-server or put it on PATH."
exit 1

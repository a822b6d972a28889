#!/usr/bin/env bash
# Tests of the pure helpers in scripts/lib.sh (no root, no network, no Docker): apt_debian_mirror on fixture trees.
# Run by scripts/test.sh; exits non-zero on the first failure.
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="test-lib"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tmp=$(mktemp -d /tmp/tasker-test-lib.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

# check NAME EXPECTED: apt_debian_mirror on the tree the caller wrote under $tmp/NAME/etc/apt.
check() {
    local name=$1 expected=$2 actual
    actual=$(apt_debian_mirror "$tmp/$name")
    if [[ "$actual" == "$expected" ]]; then
        log "ok   $name"
    else
        warn "FAIL $name: expected '$expected', got '$actual'"
        failures=$((failures + 1))
    fi
}
tree() { mkdir -p "$tmp/$1/etc/apt/sources.list.d"; printf '%s\n' "$tmp/$1/etc/apt"; }

d=$(tree one-line)
cat >"$d/sources.list" <<'X'
# deb http://commented.example/debian bookworm main
deb-src http://src.example/debian bookworm main
deb http://security.debian.org/debian-security bookworm-security main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian/ bookworm main contrib
deb http://later.example/debian bookworm main
X
check one-line http://mirror.example/debian

d=$(tree deb822)
cat >"$d/sources.list.d/debian.sources" <<'X'
Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main

Types: deb-src deb
# a comment inside a stanza
URIs: ftp://ftp.example/debian https://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
X
check deb822 https://mirror.example/debian

d=$(tree third-party-first)
cat >"$d/sources.list.d/a-nodesource.sources" <<'X'
Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
X
printf 'deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n' >"$d/sources.list.d/b-google.list"
printf 'deb http://disabled.example/debian bookworm main\n' >"$d/sources.list.d/c.list.disabled-by-farm"
printf 'Types: deb\nURIs: http://deb.example/debian\nSuites: stable\nComponents: main\n' >"$d/sources.list.d/d-debian.sources"
check third-party-first http://deb.example/debian

d=$(tree list-beats-sources-dir)
printf 'deb http://first.example/debian bookworm main\n' >"$d/sources.list"
printf 'Types: deb\nURIs: http://second.example/debian\nSuites: bookworm\n' >"$d/sources.list.d/debian.sources"
check list-beats-sources-dir http://first.example/debian

d=$(tree nothing-usable)
printf 'deb-src http://src.example/debian bookworm main\ndeb cdrom:[Debian]/ bookworm main\n' >"$d/sources.list"
check nothing-usable ""

mkdir -p "$tmp/no-apt"
check no-apt ""

((failures == 0)) || die "$failures apt_debian_mirror case(s) failed"
log "all apt_debian_mirror cases passed"

#!/usr/bin/env bash
# Publish the tasker as it ships: compiled ahead of time (NativeAOT) for linux-x64, into out/tasker (or DIR):
# `tasker` plus the two native libraries it loads from its own folder (libsodium.so: receipt signing; libe_sqlite3.so:
# tasker api's SQLite store). Copy the three files together (the image does: Dockerfile, target prebuilt).
# Needs clang (or gcc) and binutils, which scripts/setup.sh installs; about 2 minutes and 160 s of CPU on 2 cores.
# Usage: scripts/publish-tasker.sh [DIR]
set -euo pipefail

LOG_TAG=publish-tasker
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
out=${1:-out/tasker}

command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 ||
    die "neither clang nor gcc found: the native compiler links with one of them (scripts/setup.sh installs clang)"
log "dotnet publish (NativeAOT, linux-x64) -> $out/tasker"
# A failed publish must not leave the previous binary to be packaged or tested in its place.
rm -f "$out/tasker"
# No build servers: the compiler runs in this process, at its priority (scripts/test.sh runs this at nice 19 beside
# the tests), and none is left running. No extra -p: properties: they would flow to the three libraries and compile
# them again; with none, only the command-line project compiles for linux-x64 and the libraries' Release build (setup.sh)
# is reused.
dotnet publish src/DataExchangeTasker -c Release -r linux-x64 -o "$out" --nologo -v quiet -tl:off -clp:NoSummary \
    --disable-build-servers
for f in tasker libsodium.so libe_sqlite3.so; do
    [[ -s $out/$f ]] || die "$out/$f missing after the publish"
done
log "binary: $(du -h "$out/tasker" | cut -f1) ($("$out/tasker" --version))"

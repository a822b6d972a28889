#!/usr/bin/env bash
# Publish the tasker as it ships: compiled ahead of time (NativeAOT) for linux-x64, into out/tasker (or DIR):
# `tasker` plus the two native libraries it loads from its own folder (libsodium.so: receipt signing; libe_sqlite3.so:
# tasker api's SQLite store). Copy the three files together (the image does: Dockerfile, target prebuilt).
# Needs clang (or gcc) and binutils, which scripts/setup.sh installs; about 2 minutes and 160 s of CPU on 2 cores.
# When the tasker image (scripts/build-tasker-image.sh) was packaged from a publish of the same inputs (its label
# dataexchange.tasker.publish-hash: the content hash of src/, the files the build reads beside it, this script, and
# the SDK and linker versions), the three files are copied out of that image instead: the native compile is the
# largest CPU cost of the test command, and a change to tests, scripts or docs does not change its output.
# Usage: scripts/publish-tasker.sh [--force] [--from-image TAG] [DIR]
#   --force             compile even when the image holds a publish of the same inputs
#   --from-image TAG    the image to reuse a publish from (default dataexchange-tasker:latest)
set -euo pipefail

LOG_TAG=publish-tasker
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
force=0
image=dataexchange-tasker:latest
while (($#)); do
    case $1 in
    --force) force=1 ;;
    --from-image)
        [[ -n ${2:-} ]] || die "--from-image needs an image tag (e.g. dataexchange-tasker:latest)"
        image=$2
        shift
        ;;
    -*) die "unknown option $1 (usage: scripts/publish-tasker.sh [--force] [--from-image TAG] [DIR])" ;;
    *) break ;;
    esac
    shift
done
out=${1:-out/tasker}
# What a publish gives and the image holds: the binary and the two native libraries it loads from its folder.
files=(tasker libsodium.so libe_sqlite3.so)
hash=$(tasker_publish_hash)
mkdir -p "$out"
# A failed publish must not leave the previous binary (or its hash) to be packaged or tested in its place.
rm -f "$out/tasker" "$out/$PUBLISH_HASH_FILE"

if ((!force)) && [[ $(image_label "$image" "$PUBLISH_HASH_LABEL") == "$hash" ]]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    container=$(docker_cli create "$image")
    docker_cli cp "$container:/opt/dataexchange-tasker/." "$tmp" && copied=1 || copied=0
    docker_cli rm "$container" >/dev/null
    ((copied)) || die "could not copy the tasker out of $image (scripts/publish-tasker.sh --force compiles it)"
    for f in "${files[@]}"; do
        [[ -s $tmp/$f ]] || die "$image holds no /opt/dataexchange-tasker/$f (scripts/publish-tasker.sh --force compiles it)"
        mv -f "$tmp/$f" "$out/$f"
    done
    echo "$hash" >"$out/$PUBLISH_HASH_FILE"
    log "inputs unchanged since $image was built (${hash:0:12}): its binary copied to $out ($("$out/tasker" --version))"
    exit 0
fi

command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 ||
    die "neither clang nor gcc found: the native compiler links with one of them (scripts/setup.sh installs clang)"
log "dotnet publish (NativeAOT, linux-x64) -> $out/tasker (inputs ${hash:0:12})"
# No build servers: the compiler runs in this process, at its priority (scripts/test.sh runs this at nice 19 beside
# the tests), and none is left running. The only -p: properties are the ones the build had (DOTNET_PROPERTIES,
# scripts/lib.sh): others would flow to the three libraries and compile them again; with the same ones, only the
# command-line project compiles for linux-x64 and the libraries' Release build (setup.sh) is reused.
dotnet publish src/DataExchangeTasker -c Release -r linux-x64 "${DOTNET_PROPERTIES[@]}" -o "$out" --nologo -v quiet -tl:off -clp:NoSummary \
    --disable-build-servers
for f in "${files[@]}"; do
    [[ -s $out/$f ]] || die "$out/$f missing after the publish"
done
echo "$hash" >"$out/$PUBLISH_HASH_FILE"
log "binary: $(du -h "$out/tasker" | cut -f1) ($("$out/tasker" --version))"

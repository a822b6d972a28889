#!/usr/bin/env bash
# Publish the single-file tasker and package it as the image `dataexchange-tasker` (Dockerfile target
# `prebuilt`), then check it runs: `tasker --version` inside the image.
# Usage: scripts/build-tasker-image.sh [TAG]   (default dataexchange-tasker:latest)
set -euo pipefail

LOG_TAG=tasker-image
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
tag=${1:-dataexchange-tasker:latest}

log "dotnet publish (self-contained single file, linux-x64) -> out/tasker/tasker"
# No build servers: the compiler runs in this process, at its priority (scripts/test.sh runs this at nice 19 beside
# the tests; a compiler server setup.sh's build left would compile at normal priority), and none is left running.
# No analyzers: they change no byte of the output, and they already checked these sources in setup.sh's build (warnings
# as errors); here they were 13 of the publish's 29 s of CPU (measured 2026-12-03).
dotnet publish src/DataExchangeTasker -c Release -r linux-x64 --self-contained \
    -p:PublishSingleFile=true -p:RunAnalyzers=false -o out/tasker --nologo -v quiet -tl:off -clp:NoSummary \
    --disable-build-servers
log "binary: $(du -h out/tasker/tasker | cut -f1)"
log "docker build --target prebuilt -t $tag"
docker_cli build -q --target prebuilt -t "$tag" . >/dev/null
version=$(docker_cli run --rm "$tag" --version)
log "image $tag runs: tasker --version = $version"

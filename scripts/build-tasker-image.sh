#!/usr/bin/env bash
# Publish the tasker as it ships (scripts/publish-tasker.sh: NativeAOT, out/tasker) and package it as the image
# `dataexchange-tasker` (Dockerfile target `prebuilt`), then check it runs: `tasker --version` inside the image.
# Usage: scripts/build-tasker-image.sh [--no-publish] [TAG]   (default dataexchange-tasker:latest)
#   --no-publish   package what out/tasker holds (scripts/test.sh publishes first, then builds the image)
set -euo pipefail

LOG_TAG=tasker-image
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
publish=1
if [[ ${1:-} == --no-publish ]]; then
    publish=0
    shift
fi
tag=${1:-dataexchange-tasker:latest}

if ((publish)); then
    scripts/publish-tasker.sh out/tasker
fi
log "docker build --target prebuilt -t $tag"
docker_cli build -q --target prebuilt -t "$tag" . >/dev/null
version=$(docker_cli run --rm "$tag" --version)
log "image $tag runs: tasker --version = $version"

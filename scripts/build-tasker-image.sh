#!/usr/bin/env bash
# Publish the tasker as it ships (scripts/publish-tasker.sh: NativeAOT, out/tasker) and package it as the image
# `dataexchange-tasker` (Dockerfile target `prebuilt`), then check it runs: `tasker --version` inside the image.
# The image is labelled with the hash of the inputs the binary was compiled from (out/tasker/publish-hash, written by
# the publish), so that a later publish of the same inputs copies it back out instead of compiling again; an image
# already packaging that binary with the same Dockerfile is not built again.
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
hash=$(cat "out/tasker/$PUBLISH_HASH_FILE" 2>/dev/null || true)
# What the image is made of: that binary and the Dockerfile (a changed Dockerfile builds the image again).
image_hash=$({ echo "$hash"; sha256sum Dockerfile .dockerignore; } | sha256sum | cut -d' ' -f1)
if [[ -n $hash && $(image_label "$tag" "$IMAGE_HASH_LABEL") == "$image_hash" ]]; then
    log "image $tag: ok (already packages the publish of inputs ${hash:0:12} with this Dockerfile)"
else
    label=()
    # Without the hash (out/tasker not made by scripts/publish-tasker.sh), no labels: no publish will reuse it.
    [[ -z $hash ]] || label=(--label "$PUBLISH_HASH_LABEL=$hash" --label "$IMAGE_HASH_LABEL=$image_hash")
    log "docker build --target prebuilt -t $tag${hash:+ (inputs ${hash:0:12})}"
    docker_cli build -q --target prebuilt "${label[@]}" -t "$tag" . >/dev/null
    # The image this tag named before, now untagged, goes (ignore failures: it may still be in use).
    docker_cli image prune -f --filter "label=$PUBLISH_HASH_LABEL" >/dev/null 2>&1 || true
fi
version=$(docker_cli run --rm "$tag" --version)
log "image $tag runs: tasker --version = $version"

#!/usr/bin/env bash
# Prepare the machine (scripts/setup.sh: packages, dockerd, images, Release build), then run
# every test project. Exits non-zero when setup, the build or any test fails.
# Extra arguments go to `dotnet test` (e.g. --filter "Category!=Integration").
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="test"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

scripts/setup.sh

log "dotnet test DataExchangeTasker.sln -c Release"
# setup.sh has just built the solution in Release; --no-build keeps that single build.
dotnet test DataExchangeTasker.sln -c Release --no-build --nologo \
    --logger "console;verbosity=normal" "$@"

# The operations image: the single-file binary packaged onto debian:bookworm-slim must start.
scripts/build-tasker-image.sh

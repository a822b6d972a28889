#!/usr/bin/env bash
# Prepare the machine (scripts/setup.sh: packages, dockerd, runsc, images, Release build), then run
# every test project, then the sandbox integration tests a second time with every tasker under gVisor
# (TASKER_TEST_RUNTIME=runsc). Exits non-zero when setup, the build or any test fails.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~DataExchangeTasker.Tests." runs only the unit
# tests); with them the gVisor lane is skipped.
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="test"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

scripts/setup.sh
scripts/test-lib.sh

log "dotnet test DataExchangeTasker.sln -c Release"
# setup.sh has just built the solution in Release; --no-build keeps that single build.
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
dotnet test DataExchangeTasker.sln -c Release --no-build --nologo \
    --logger "console;verbosity=normal" "$@" 2>&1 | tee "$results" || status=$?

# The gVisor lane: the tests of the sealed sandbox, the hostile tasks and the evasion battery, with TASKER_RUNTIME=runsc
# for every tasker they start (setup.sh registered runsc). Only these: under gVisor a task costs about 2 s more.
if (($# == 0)); then
    log "dotnet test: sandbox tests under gVisor (TASKER_TEST_RUNTIME=runsc)"
    TASKER_TEST_RUNTIME=runsc dotnet test tests/DataExchangeTasker.IntegrationTests -c Release --no-build --nologo \
        --logger "console;verbosity=normal" \
        --filter "FullyQualifiedName~.Sandbox.SealedSandboxTests|FullyQualifiedName~.Sandbox.HostileTaskTests|FullyQualifiedName~.Sandbox.EvasionBatteryTests" \
        2>&1 | tee -a "$results" || status=$?
fi
# One closing line over both test projects and the gVisor lane, in the plain "N passed, N failed" form CI reads.
passed=$(awk '/^ +Passed: +[0-9]+$/ {s += $2} END {print s + 0}' "$results")
failed=$(awk '/^ +Failed: +[0-9]+$/ {s += $2} END {print s + 0}' "$results")
skipped=$(awk '/^ +Skipped: +[0-9]+$/ {s += $2} END {print s + 0}' "$results")

# The operations image: the single-file binary packaged onto debian:bookworm-slim must start.
if ((status == 0)); then
    scripts/build-tasker-image.sh
fi

echo "tests: $passed passed, $failed failed, $skipped skipped"
((status == 0)) || die "dotnet test failed (exit $status)"

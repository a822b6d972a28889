#!/usr/bin/env bash
# Prepare the machine (scripts/setup.sh: packages, dockerd, runsc, images, Release build), then run
# every test project and, beside them, the sandbox integration tests a second time with every tasker under gVisor
# (TASKER_TEST_RUNTIME=runsc); the operator command tests run alone at the main run's end, once the gVisor lane ended.
# The shipped (ahead-of-time compiled) tasker and its image are built beside them at the lowest priority. Exits
# non-zero when setup, the build or any test fails.
# Extra arguments go to a single `dotnet test` of the solution (e.g. --filter "FullyQualifiedName~DataExchangeTasker.Tests." runs only the unit tests);
# with them the gVisor lane is skipped.
set -euo pipefail

# shellcheck disable=SC2034 # read by lib.sh
LOG_TAG="test"
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

started=$SECONDS
# Phase lines carry the seconds since the test command started: where a run's time goes, from its log alone.
at() { log "$* (at $((SECONDS - started)) s)"; }
# The build leaves trim and AOT analysis to the publish this command makes (src/Directory.Build.props,
# AotAnalyzersInBuild): the native compiler reports the same warnings, as errors, for all the code that ships.
export AOT_ANALYZERS_IN_BUILD=false
scripts/setup.sh
scripts/test-lib.sh

# setup.sh has just built the solution in Release; --no-build keeps that single build.
results=$(mktemp)
gvisor=$(mktemp)
image=$(mktemp)
lane_lock=$(mktemp)
publish_lock=$(mktemp)
gvisor_pid=""
image_pid=""
# An interrupted run does not leave the gVisor lane or the image build running on their own.
trap 'rm -f "$results" "$gvisor" "$gvisor.status" "$gvisor.ended" "$image" "$image.log" "$lane_lock" "$publish_lock"; for p in $gvisor_pid $image_pid; do kill "$p" 2>/dev/null || true; done' EXIT
status=0
test_args=(-c Release --no-build --nologo --logger "console;verbosity=normal")
if (($# > 0)); then
    log "dotnet test DataExchangeTasker.sln -c Release $*"
    dotnet test DataExchangeTasker.sln "${test_args[@]}" "$@" 2>&1 | tee "$results" || status=$?
else
    # The gVisor lane: the tests of the sealed sandbox, the hostile tasks, the evasion battery and the results channel, with
    # TASKER_RUNTIME=runsc for every tasker they start (setup.sh registered runsc). Only these: under gVisor a task
    # costs about 2 s more. It runs beside the other tests (its own test host, broker and taskers); its output is
    # shown once it ended, so the two do not interleave.
    log "dotnet test: sandbox tests under gVisor (TASKER_TEST_RUNTIME=runsc), beside the others"
    # The lane's job holds a lock until its tests ended (closed for everything it starts, so no lingering build
    # server keeps it): the operator command tests wait for it.
    exec 9>"$lane_lock"
    flock 9
    {
        lane_status=0
        TASKER_TEST_RUNTIME=runsc dotnet test tests/DataExchangeTasker.IntegrationTests "${test_args[@]}" \
            --filter "FullyQualifiedName~.Sandbox.SealedSandboxTests|FullyQualifiedName~.Sandbox.HostileTaskTests|FullyQualifiedName~.Sandbox.EvasionBatteryTests|FullyQualifiedName~.Sandbox.Collection.ResultsChannelForgeryTests" \
            >"$gvisor" 2>&1 9>&- || lane_status=$?
        echo "$lane_status" >"$gvisor.status"
        echo "[test] gVisor lane ended (at $((SECONDS - started)) s)" >"$gvisor.ended"
    } &
    gvisor_pid=$!
    exec 9>&-
    # The shipped tasker (scripts/publish-tasker.sh: NativeAOT, out/tasker) and its image are built from the start, at
    # the lowest CPU priority (nice 19; no build server, so the compilers run niced too): about 160 s of CPU on what the
    # lanes leave idle while they wait on containers and brokers. At normal priority it would take CPU from every lane.
    # When the tasker image holds a publish of the same sources, the publish copies it out instead (seconds).
    # The published binary's own tests (Cli/ShippedBinaryTests, in the operator command collection that runs last) wait
    # for the publish through a lock its job holds until the publish ended (TASKER_TEST_SHIPPED_BINARY_LOCK).
    exec 8>"$publish_lock"
    flock 8
    {
        nice -n 19 scripts/publish-tasker.sh out/tasker >"$image.log" 2>&1 8>&- ||
            echo "tasker image: failed (publish, exit $?)" >>"$image.log"
        exec 8>&-
        echo "[test] tasker published (at $((SECONDS - started)) s)" >>"$image.log"
        if ! grep -q "^tasker image: failed" "$image.log"; then
            nice -n 19 scripts/build-tasker-image.sh --no-publish >>"$image.log" 2>&1 ||
                echo "tasker image: failed (exit $?)" >>"$image.log"
        fi
        cat "$image.log" >>"$image"
        echo "[test] tasker image built (at $((SECONDS - started)) s)" >>"$image"
        rm -f "$image.log"
    } &
    image_pid=$!
    exec 8>&-
    # The operator command tests (tasker cleanup acts on every tasker's containers) run alone after this process's
    # parallel lanes, and first wait for the gVisor lane's tests to end (TASKER_TEST_WAIT_FOR_LOCK: the lock its job holds).
    at "dotnet test DataExchangeTasker.sln -c Release"
    TASKER_TEST_WAIT_FOR_LOCK=$lane_lock TASKER_TEST_SHIPPED_BINARY=$REPO_ROOT/out/tasker/tasker TASKER_TEST_SHIPPED_BINARY_LOCK=$publish_lock \
        dotnet test DataExchangeTasker.sln "${test_args[@]}" \
        2>&1 | tee "$results" || status=$?
    at "dotnet test DataExchangeTasker.sln: ended"
    # Released when the gVisor lane's tests ended (or its job died).
    flock "$lane_lock" true
    gvisor_status=$(cat "$gvisor.status" 2>/dev/null || echo 1)
    log "dotnet test: sandbox tests under gVisor (exit $gvisor_status)"
    tee -a "$results" <"$gvisor"
    ((gvisor_status == 0)) || status=$gvisor_status
    wait "$gvisor_pid" || true
    gvisor_pid=""
    wait "$image_pid" || true
    image_pid=""
    cat "$gvisor.ended" "$image" 2>/dev/null || true
    grep -q "^tasker image: failed" "$image" && status=1
fi
# One closing line over both test projects and the gVisor lane, in the plain "N passed, N failed" form CI reads.
passed=$(awk '/^ +Passed: +[0-9]+$/ {s += $2} END {print s + 0}' "$results")
failed=$(awk '/^ +Failed: +[0-9]+$/ {s += $2} END {print s + 0}' "$results")
skipped=$(awk '/^ +Skipped: +[0-9]+$/ {s += $2} END {print s + 0}' "$results")

# With a filter, the operations image is built after the tests (without one, beside them: above).
if (($# > 0)) && ((status == 0)); then
    scripts/build-tasker-image.sh
fi

at "done"
echo "tests: $passed passed, $failed failed, $skipped skipped"
((status == 0)) || die "dotnet test failed (exit $status)"

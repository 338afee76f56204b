#!/usr/bin/env bash
# Runs every test on a fresh machine: installs Azurite (npm ci, skipped when node_modules already matches the lock),
# restores and builds with warnings as errors, builds and lints infra/ with the Bicep CLI, runs the unit, infrastructure
# and integration tests (the infrastructure tests compile the Bicep they check themselves; the integration tests start
# and stop their own Azurite on ports it picks itself), and ends with the line "N passed, N failed" counted from the
# test results. Runs on Linux (x64, arm64), macOS (bash 3.2) and Windows through WSL or Git Bash, and beside
# scripts/run-local.sh: the tests' Azurite never takes 10000-10002, and only an Azurite the tests started is stopped.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
configuration="${CONFIGURATION:-Release}"
results="$root/TestResults"

# The integration tests' Azurite fixture writes the id of each Azurite it starts here (BRAZE_TEST_AZURITE_PIDS), so the
# cleanup below stops only those: never the Azurite of scripts/run-local.sh or of another checkout, which share the name.
azurite_pids="$(mktemp "${TMPDIR:-/tmp}/braze-test-azurite.XXXXXX")"
export BRAZE_TEST_AZURITE_PIDS="$azurite_pids"

cleanup() {
  # The fixture stops its Azurite; this only catches one left behind by a crashed test host.
  bash "$root/scripts/stop-test-azurite.sh" "$azurite_pids"
  rm -f "$azurite_pids"
}
trap cleanup EXIT

# npm ci deletes node_modules first, which would pull Azurite from under a running scripts/run-local.sh. When the
# installed tree already matches package-lock.json there is nothing to install; when it does not and an Azurite runs
# from it, stop rather than break that session.
if node scripts/node-modules-match-lock.js; then
  echo "==> node_modules matches package-lock.json: npm ci skipped"
elif ps -eo command= 2>/dev/null | grep -F "$root/node_modules/" | grep -q azurite; then
  echo "error: node_modules differs from package-lock.json, and an Azurite runs from it (scripts/run-local.sh?)." >&2
  echo "       Stop it, then run this script again: npm ci would delete the files it runs from." >&2
  exit 1
else
  echo "==> npm ci (Azurite)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "==> dotnet restore"
dotnet restore BrazeFunctions.sln

echo "==> dotnet build ($configuration, warnings as errors)"
# TreatWarningsAsErrors comes from Directory.Build.props; the -warnaserror switch would also fail the Worker SDK's hidden
# WorkerExtensions build on NU1603, which Directory.Build.props deliberately leaves a warning.
dotnet build BrazeFunctions.sln --no-restore -c "$configuration"

echo "==> infra: bicep build + lint of every file under infra/"
bash infra/build.sh

rm -rf "$results"
status=0
projects=(tests/BrazeFunctions.Tests tests/BrazeFunctions.Infra.Tests tests/BrazeFunctions.IntegrationTests)
for project in "${projects[@]}"; do
  name="$(basename "$project")"
  echo "==> dotnet test $name"
  dotnet test "$project" --no-build -c "$configuration" \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --blame-hang --blame-hang-timeout 10m || status=1
done

passed=0
failed=0
found=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  found=$((found + 1))
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  e="$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done
if [ "$found" -lt "${#projects[@]}" ]; then
  echo "expected ${#projects[@]} test result files, found $found" >&2
  status=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1 # a test run that crashed without reporting a failure still fails
fi
echo "$passed passed, $failed failed"
exit "$status"

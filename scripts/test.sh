#!/usr/bin/env bash
# Runs every test on a fresh machine: installs Azurite (npm ci), restores and builds with warnings as errors, builds
# and lints infra/ with the Bicep CLI, runs the unit, infrastructure and integration tests (the infrastructure tests
# compile the Bicep they check themselves; the integration tests start and stop their own Azurite on free ports), and
# ends with the line "N passed, N failed" counted from the test results.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
configuration="${CONFIGURATION:-Release}"
results="$root/TestResults"

cleanup() {
  # The test fixture stops its Azurite; this only catches one left behind by a crashed test host.
  pkill -f "$root/node_modules/.bin/azurite" 2>/dev/null || true
}
trap cleanup EXIT

echo "==> npm ci (Azurite)"
npm ci --no-audit --no-fund --loglevel=error

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

#!/usr/bin/env bash
# Stops the Azurite processes listed in a file of process ids (one a line), the ones the integration tests' fixture
# started (it writes them to $BRAZE_TEST_AZURITE_PIDS). A listed id whose process is gone, or now runs something else than
# Azurite, is left alone; an Azurite that is not listed (scripts/run-local.sh's, another checkout's) is never touched.
# Usage: scripts/stop-test-azurite.sh FILE
set -uo pipefail
file="${1:?usage: stop-test-azurite.sh FILE}"
[ -f "$file" ] || exit 0
while IFS= read -r pid; do
  case "$pid" in '' | *[!0-9]*) continue ;; esac
  if kill -0 "$pid" 2>/dev/null && ps -p "$pid" -o command= 2>/dev/null | grep -q azurite; then
    # stderr: the last line on stdout stays the summary "N passed, N failed".
    echo "stopping Azurite $pid, left behind by a test host" >&2
    kill "$pid" 2>/dev/null || true
  fi
done <"$file"
exit 0

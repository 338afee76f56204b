#!/usr/bin/env bash
# Runs the relay locally: Azurite (installed with npm ci) plus the Functions host (func start) on the built app.
# Creates src/BrazeFunctions/local.settings.json from local.settings.sample.json the first time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
app="$root/src/BrazeFunctions"
configuration="${CONFIGURATION:-Debug}"

if [ ! -f "$app/local.settings.json" ]; then
  cp "$root/local.settings.sample.json" "$app/local.settings.json"
  echo "Created src/BrazeFunctions/local.settings.json from local.settings.sample.json: put your Braze REST endpoint and API key in it."
fi

if ! command -v func >/dev/null 2>&1; then
  cat >&2 <<'MSG'
Azure Functions Core Tools (func, v4) is not installed. Install it, then run this script again:
  npm install -g azure-functions-core-tools@4 --unsafe-perm true
or follow https://learn.microsoft.com/azure/azure-functions/functions-run-local#install-the-azure-functions-core-tools
(macOS: brew tap azure/functions && brew install azure-functions-core-tools@4;
 Windows: winget install Microsoft.Azure.FunctionsCoreTools).
MSG
  exit 1
fi

echo "==> npm ci (Azurite)"
npm ci --no-audit --no-fund --loglevel=error

mkdir -p "$root/.azurite"
echo "==> starting Azurite on 127.0.0.1:10000-10002 (data in .azurite/, log in .azurite/azurite.log)"
"$root/node_modules/.bin/azurite" --location "$root/.azurite" --skipApiVersionCheck --loose \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"$root/.azurite/azurite.log" 2>&1 &
azurite_pid=$!
stop_azurite() {
  # Azurite closes its services on SIGTERM but its process can linger; give it five seconds, then end it.
  kill "$azurite_pid" 2>/dev/null || return 0
  for _ in 1 2 3 4 5; do
    kill -0 "$azurite_pid" 2>/dev/null || return 0
    sleep 1
  done
  kill -9 "$azurite_pid" 2>/dev/null || true
}
trap stop_azurite EXIT

echo "==> dotnet build"
dotnet build "$app" -c "$configuration"

# The Functions host runs on the build output, where host.json, functions.metadata and local.settings.json are copied.
cd "$app/bin/$configuration/net10.0"
func host start "$@"

#!/usr/bin/env bash
# Runs the relay locally: Azurite (installed with npm ci) plus the Functions host (func start) on the built app.
# Creates src/BrazeFunctions/local.settings.json from local.settings.sample.json the first time.
# When Azure Functions Core Tools v4 (func) is not on PATH, installs it with npm into .tools/func-cli (or $FUNC_TOOLS_DIR),
# outside package.json so that CI never downloads it, and uses that copy from then on.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
app="$root/src/BrazeFunctions"
configuration="${CONFIGURATION:-Debug}"
tools="${FUNC_TOOLS_DIR:-$root/.tools/func-cli}"
core_tools_package="azure-functions-core-tools@4"

if [ ! -f "$app/local.settings.json" ]; then
  cp "$root/local.settings.sample.json" "$app/local.settings.json"
  echo "Created src/BrazeFunctions/local.settings.json from local.settings.sample.json: put your Braze REST endpoint and API key in it."
fi

# Prints the path of a Core Tools v4 'func', or nothing.
find_func() {
  local candidate version
  for candidate in "$(command -v func 2>/dev/null || true)" "$tools/node_modules/.bin/func"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    version="$("$candidate" --version 2>/dev/null || true)"
    if [[ "$version" == 4.* ]]; then
      echo "$candidate"
      return 0
    fi
    echo "Ignoring $candidate: version '${version:-unknown}', the relay needs Azure Functions Core Tools v4." >&2
  done
  return 0
}

func_bin="$(find_func)"
if [ -z "$func_bin" ]; then
  echo "==> Azure Functions Core Tools v4 (func) not found: installing $core_tools_package into ${tools#"$root"/} with npm"
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is not installed; install Node.js 20+ with npm (it also runs Azurite), then run this script again." >&2
    exit 1
  fi
  mkdir -p "$tools"
  # --no-save: the tools stay out of package.json and package-lock.json. The package's install step downloads the Core
  # Tools build for this platform from Microsoft's CDN, so this needs the internet.
  if ! npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$tools" "$core_tools_package"; then
    install_failed=1
  fi
  func_bin="$(find_func)"
  if [ -n "${install_failed:-}" ] || [ -z "$func_bin" ]; then
    cat >&2 <<MSG
error: installing Azure Functions Core Tools v4 with npm failed (npm install --prefix ${tools#"$root"/} $core_tools_package).
Its install step downloads the tools from Microsoft's CDN: check the internet connection or proxy, or install it yourself:
  npm install -g $core_tools_package
  https://learn.microsoft.com/azure/azure-functions/functions-run-local#install-the-azure-functions-core-tools
  (macOS: brew tap azure/functions && brew install azure-functions-core-tools@4; Windows: winget install Microsoft.Azure.FunctionsCoreTools)
then run this script again.
MSG
    exit 1
  fi
  echo "==> using $func_bin ($("$func_bin" --version))"
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
"$func_bin" host start "$@"

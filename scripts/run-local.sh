#!/usr/bin/env bash
# Runs the relay locally: Azurite (installed with npm ci), the Braze sandbox (a local stand-in for Braze's REST API) and
# the Functions host (func start) on the built app. Creates src/BrazeFunctions/local.settings.json from
# local.settings.sample.json the first time; that file points Braze__RestEndpoint at the sandbox, so nothing reaches
# Braze. The sandbox prints each request it receives here, and appends it to .sandbox/requests.jsonl. With
# Braze__RestEndpoint set to a Braze REST host (and a real Braze__ApiKey), the sandbox is not started.
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
  echo "Created src/BrazeFunctions/local.settings.json from local.settings.sample.json: it sends to the local Braze sandbox."
fi

# The sandbox runs when Braze__RestEndpoint is an http loopback URL (the sample's http://127.0.0.1:9099), on that URL.
braze_endpoint="$(sed -n 's/^[[:space:]]*"Braze__RestEndpoint"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$app/local.settings.json" | head -n 1)"
sandbox_url=""
case "$braze_endpoint" in
  http://127.0.0.1:*|http://localhost:*) sandbox_url="${braze_endpoint%/}" ;;
esac
sandbox_hostport="${sandbox_url#http://}"
sandbox_answers() { (exec 3<>"/dev/tcp/${sandbox_hostport%:*}/${sandbox_hostport##*:}") 2>/dev/null; }
if [ -n "$sandbox_url" ] && sandbox_answers; then
  echo "error: something already listens on $sandbox_url (another run-local.sh or Braze sandbox?); stop it, or change the port of Braze__RestEndpoint in src/BrazeFunctions/local.settings.json." >&2
  exit 1
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
sandbox_pid=""
# Ends a process this script started: SIGTERM, five seconds to close, then SIGKILL.
stop_process() {
  kill "$1" 2>/dev/null || return 0
  for _ in 1 2 3 4 5; do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 1
  done
  kill -9 "$1" 2>/dev/null || true
}
stop_all() {
  if [ -n "$sandbox_pid" ]; then stop_process "$sandbox_pid"; fi
  stop_process "$azurite_pid"
}
trap stop_all EXIT

echo "==> dotnet build"
dotnet build "$app" -c "$configuration"

if [ -n "$sandbox_url" ]; then
  sandbox="$root/src/BrazeFunctions.Sandbox"
  dotnet build "$sandbox" -c "$configuration"
  mkdir -p "$root/.sandbox"
  echo "==> starting the Braze sandbox on $sandbox_url: each request the relay sends to Braze is printed here (lines"
  echo "    starting with [braze-sandbox]) and appended to .sandbox/requests.jsonl. For real Braze, set Braze__RestEndpoint"
  echo "    and Braze__ApiKey in src/BrazeFunctions/local.settings.json."
  # Its output goes to this script's own output, next to the host's.
  dotnet "$sandbox/bin/$configuration/net10.0/BrazeFunctions.Sandbox.dll" --listen "$sandbox_url" --jsonl "$root/.sandbox/requests.jsonl" &
  sandbox_pid=$!
  sandbox_up=""
  for _ in $(seq 1 60); do
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then
      echo "error: the Braze sandbox stopped at start-up (is $sandbox_url already in use? see its message above)." >&2
      exit 1
    fi
    if sandbox_answers; then
      sandbox_up=1
      break
    fi
    sleep 0.5
  done
  if [ -z "$sandbox_up" ]; then
    echo "error: the Braze sandbox did not answer on $sandbox_url within 30 seconds." >&2
    exit 1
  fi
else
  echo "==> Braze__RestEndpoint is ${braze_endpoint:-not set}: sending to Braze itself, the local Braze sandbox is not started."
fi

# The Functions host runs on the build output, where host.json, functions.metadata and local.settings.json are copied.
cd "$app/bin/$configuration/net10.0"
"$func_bin" host start "$@"

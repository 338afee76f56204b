#!/usr/bin/env bash
# Measured runs of the relay under the real Azure Functions host (outside CI). See README.md next to this script.
#
#   bash benchmarks/real-host/run.sh [--mode load|lowload|coldstart|mixed] [options]
#
# Each configuration: a fresh Azurite (on disk in the run folder; --azurite memory: started by run-host.sh) behind a counting proxy, the Braze sandbox
# as its own process, one or two hosts (ports 7071, 7072) on the published app, a feeder, a drain, then everything this
# script started is stopped and the figures go to benchmarks/results/real-host-run.{json,md}.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
FHOST="${FHOST:-/work/fhost}"
mode=load instances="1 2" coalescing="on off" idempotency="on" limit="3/3" duration=90 backlog="" rate_factor=1.3
rates="1 50" drain=90 idle=60 burst=1070 starts=3 hostile_429="" label="" note="" publish=1 dispatch_id="" azurite=disk
scratch="${SCRATCH:-/tmp/relay-real-host}"
settings=()
command_line="bash benchmarks/real-host/run.sh$(printf ' %q' "$@")"

usage() { sed -n '/^## Options/,$p' "$here/README.md"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode=$2; shift 2 ;;
    --instances) instances=$2; shift 2 ;;
    --coalescing) coalescing=$2; shift 2 ;;
    --idempotency) idempotency=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --backlog) backlog=$2; shift 2 ;;
    --rate-factor) rate_factor=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --drain) drain=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --starts) starts=$2; shift 2 ;;
    --hostile-429) hostile_429=1; shift ;;
    --dispatch-id) dispatch_id=1; shift ;;
    --setting) settings+=("$2"); shift 2 ;;
    --label) label=$2; shift 2 ;;
    --note) note=$2; shift 2 ;;
    --scratch) scratch=$2; shift 2 ;;
    --azurite) azurite=$2; shift 2 ;;
    --no-publish) publish=""; shift ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage 2 ;;
  esac
done

run_host="$FHOST/run-host.sh"
if [ ! -f "$FHOST/host/Microsoft.Azure.WebJobs.Script.WebHost.dll" ] || [ ! -f "$run_host" ]; then
  cat >&2 <<MSG
run.sh: FHOST=$FHOST holds no built Azure Functions host (host/Microsoft.Azure.WebJobs.Script.WebHost.dll and
run-host.sh are missing). Build it first as shared/real-host/README.md describes (on the project machines:
/work/shared/real-host/README.md), then run this script again with FHOST set to the folder it built into.
MSG
  exit 1
fi

date_utc="$(date -u +%Y-%m-%dT%H:%MZ)"
commit="$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src host.json templates || echo '+changes')"
label="${label:-Commit $commit}"
machine="Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) at the start.${note:+ $note}"
stamp="$(date -u +%Y%m%dT%H%M%S)"
work="$scratch/$stamp"
publish_dir="$scratch/publish"
overlay="$work/fhost"   # this run's own run-host.sh state and logs, so that others using the rig are not touched
mkdir -p "$work" "$overlay"
ln -sfn "$FHOST/host" "$overlay/host"
ln -sfn "$FHOST/azurite" "$overlay/azurite"
rig() { FHOST="$overlay" bash "$run_host" "$@"; }

pids=()
cleanup() {
  set +e
  rig stop-all >/dev/null 2>&1
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for port in 7071 7072 10000 10001 10002; do
  if port_open "$port"; then
    echo "run.sh: port $port is in use by another process (another host or Azurite?): measurements need the machine's" >&2
    echo "        ports 7071, 7072 and 10000-10002 to themselves. Stop it and run again." >&2
    exit 1
  fi
done

if [ -n "$publish" ] || [ ! -f "$publish_dir/BrazeFunctions.dll" ]; then
  echo "==> dotnet publish src/BrazeFunctions -c Release -> $publish_dir"
  rm -rf "$publish_dir"
  dotnet publish "$root/src/BrazeFunctions" -c Release -o "$publish_dir" -m:1 -nologo -v quiet
fi
echo "==> dotnet build src/BrazeFunctions.Sandbox -c Release"
dotnet build "$root/src/BrazeFunctions.Sandbox" -c Release -m:1 -nologo -v quiet
sandbox_dll="$root/src/BrazeFunctions.Sandbox/bin/Release/net10.0/BrazeFunctions.Sandbox.dll"

# Writes the app's local.settings.json: the sample's values, then the run's, then --setting values.
write_settings() {
  python3 - "$root/local.settings.sample.json" "$publish_dir/local.settings.json" "$@" "${settings[@]+"${settings[@]}"}" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for pair in sys.argv[3:]:
    key, _, value = pair.partition("=")
    doc["Values"][key] = value
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
}

write_config() {
  python3 - "$1/config.json" "$@" <<'PY'
import json, sys
config = {}
for pair in sys.argv[3:]:
    key, _, value = pair.partition("=")
    if key in ("commit", "label", "name", "date", "machine", "command"):
        config[key] = value  # text, even when it looks like a number (a commit such as 4900e92 is 4.9e95 to json)
        continue
    try:
        config[key] = json.loads(value)
    except ValueError:
        config[key] = value
json.dump(config, open(sys.argv[1], "w"), indent=2)
PY
}

start_sandbox() {  # <run-dir> <sandbox options...>
  local dir=$1; shift
  sandbox_port="$(free_port)"
  dotnet "$sandbox_dll" --listen "http://127.0.0.1:$sandbox_port" --jsonl "$dir/sandbox.jsonl" --echo None "$@" > "$dir/sandbox.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 60); do port_open "$sandbox_port" && return 0; sleep 0.5; done
  echo "run.sh: the Braze sandbox did not start; see $dir/sandbox.out" >&2
  exit 1
}

# Azurite with its data on disk (its default mode): started here, so that run-host.sh finds the ports served and uses it.
# In memory (--azurite memory) run-host.sh starts it; see README.md for why disk is the default.
start_azurite() {  # <run-dir>
  [ "$azurite" = disk ] || return 0
  mkdir -p "$1/azurite"
  node "$FHOST/azurite/node_modules/azurite/dist/src/azurite.js" --location "$1/azurite" --skipApiVersionCheck --loose \
    --disableTelemetry --blobHost 127.0.0.1 --blobPort 10000 --queueHost 127.0.0.1 --queuePort 10001 --tableHost 127.0.0.1 \
    --tablePort 10002 > "$1/azurite.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 60); do port_open 10000 && port_open 10001 && port_open 10002 && return 0; sleep 0.5; done
  echo "run.sh: Azurite did not start; see $1/azurite.out" >&2
  exit 1
}

# Answers of Azurite itself, every half second, straight to its queue port (not through the proxy): a stretch without an
# answer is the emulator's own stall, whatever the relay does.
start_probe() {  # <run-dir>
  python3 "$here/emulator_probe.py" --port 10001 --out "$1/emulator-probe.jsonl" > /dev/null 2>&1 &
  pids+=($!)
}

start_proxy() {  # <run-dir>
  local ports=() i
  for i in 1 2 3; do ports+=("$(free_port)"); done
  proxy_ports="${ports[0]},${ports[1]},${ports[2]}"
  python3 "$here/storage_proxy.py" --listen "$proxy_ports" --to 10000,10001,10002 --counts "$1/storage-counts.jsonl" > "$1/proxy.out" 2>&1 &
  proxy_pid=$!
  pids+=("$proxy_pid")
  for _ in $(seq 1 20); do port_open "${ports[1]}" && break; sleep 0.25; done
  connection="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:${ports[0]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${ports[1]}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${ports[2]}/devstoreaccount1;"
}

mark() {  # <run-dir> <label>: a storage-count snapshot and each host session's CPU
  echo "$2" > "$1/storage-counts.jsonl.label"
  kill -USR1 "$proxy_pid"
  local leaders=() port
  for port in $host_ports; do leaders+=("$(tr -dc '0-9' < "$overlay/run/host-$port.pid")"); done
  python3 "$here/analyze.py" cpu "${leaders[@]}" > "$1/cpu-$2.json"
}

stop_all() {  # <run-dir>: hosts (logs kept), then what is left on the queues, then Azurite, sandbox and proxy
  local port
  for port in $host_ports; do rig stop "$port" >/dev/null; cp "$overlay/host-$port.log" "$1/"; done
  python3 "$here/queues.py" --port 10001 --out "$1/leftovers.json"
  rig stop-all >/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
  wait_ports_free
}

wait_ports_free() {  # the next configuration's Azurite and hosts need these ports: a stopping Azurite can hold them a while
  local port i
  for ((i = 0; i < 60; i++)); do
    for port in 7071 7072 10000 10001 10002; do
      port_open "$port" && { sleep 0.5; continue 2; }
    done
    return 0
  done
  echo "run.sh: ports 7071, 7072 or 10000-10002 still in use 30 s after stopping" >&2
}

start_hosts() {  # <count>
  host_ports=7071
  [ "$1" -ge 2 ] && host_ports="7071 7072"
  local port
  for port in $host_ports; do
    rig "$publish_dir" "$port" | grep -E "^(Azurite|host): " || { echo "run.sh: the host on $port did not start; see $overlay/host-$port.log" >&2; exit 1; }
  done
}

# One configuration of the load, low-load or mixed suites.
run_config() {  # <suite> <name> <instances> <coalescing> <idempotency> <feeder args> -- <sandbox args> -- <config pairs>
  local suite=$1 name=$2 count=$3 coal=$4 idem=$5; shift 5
  local feeder=() sandbox=() config=()
  while [ "$1" != "--" ]; do feeder+=("$1"); shift; done; shift
  while [ "$1" != "--" ]; do sandbox+=("$1"); shift; done; shift
  config=("$@")
  local dir="$work/runs/$name"
  mkdir -p "$dir"
  echo "==> [$suite] $name: $(date -u +%T)"
  start_azurite "$dir"
  start_probe "$dir"
  start_proxy "$dir"
  start_sandbox "$dir" "${sandbox[@]+"${sandbox[@]}"}"
  local linger=() idem_setting=()
  [ "$coal" = off ] && linger=("Dispatch__BatchLinger=00:00:00")
  [ "$idem" = off ] && idem_setting=("Idempotency__Enabled=false")
  write_settings "AzureWebJobsStorage=$connection" "Braze__RestEndpoint=http://127.0.0.1:$sandbox_port" "Braze__AllowLoopbackHttp=true" \
    "${linger[@]+"${linger[@]}"}" "${idem_setting[@]+"${idem_setting[@]}"}"
  write_config "$dir" suite="$suite" name="$name" label="$label" instances="$count" coalescing="$coal" idempotency="$idem" \
    commit="$commit" date="$date_utc" machine="$machine" command="$command_line" azurite="$azurite" cap=75 "${config[@]}"
  start_hosts "$count"
  mark "$dir" feed-start
  local ports="${host_ports// /,}"
  python3 "$here/feeder.py" --ports "$ports" --out "$dir/accepted.jsonl" --prefix "$name" ${dispatch_id:+--dispatch-id} "${feeder[@]}"
  python3 "$here/analyze.py" wait-drain "$dir" --timeout "$drain" --idle "$idle"
  mark "$dir" end
  stop_all "$dir"
  python3 "$here/analyze.py" summarize "$dir"
  runs+=("$dir")
}

suite_load() {
  local requests=${limit%/*} window=${limit#*/}
  local capacity rate
  capacity=$(python3 -c "print($requests * 75 / $window)")
  rate=$(python3 -c "print(round($capacity * $rate_factor, 2))")
  local size=${backlog:-$(python3 -c "print(int($capacity * $window * 10))")}
  for count in $instances; do
    for coal in $coalescing; do
      for idem in $idempotency; do
        run_config load "load-$requests-per-${window}s-x$count-coalescing-$coal-idempotency-$idem" "$count" "$coal" "$idem" \
          --backlog "$size" --rate "$rate" --duration "$duration" -- --limit "users-track=$requests/$window" -- \
          limit="$requests" window="$window" rate="$rate" backlog="$size" duration="$duration"
      done
    done
  done
}

suite_lowload() {
  for rate in $rates; do
    for coal in $coalescing; do
      run_config lowload "lowload-$rate-per-s-coalescing-$coal" 1 "$coal" on --rate "$rate" --duration "$duration" -- -- rate="$rate" duration="$duration"
    done
  done
}

suite_mixed() {
  local sandbox=(--limit users-track=6/3s --limit identity=4/6s --limit messaging=2/6s --limit subscription=5/5s --dialect all=lower-case)
  local bucket
  for bucket in identity messaging broadcast subscription other; do sandbox+=(--dialect "$bucket=reset=remaining,retry-after=x-ratelimit-retryafter"); done
  local notes="users-track 6/3 s, identity 4/6 s, messaging 2/6 s, subscription 5/5 s; lower-case names; Reset as seconds remaining and X-RateLimit-RetryAfter outside users-track"
  [ -n "$hostile_429" ] && { sandbox+=(--hostile identity@3=retry-after-two-days); notes="$notes; the 3rd identity request answered 429 with a two-day Retry-After"; }
  for count in $instances; do
    for coal in $coalescing; do
      run_config mixed "mixed-x$count-coalescing-$coal${hostile_429:+-hostile-429}" "$count" "$coal" on \
        --backlog "$burst" --mix "attribute-from-event=1,identify-user=1,trigger-canvas=1,subscription-status=1" -- "${sandbox[@]}" -- \
        burst="$burst" notes="$notes"
    done
  done
}

suite_coldstart() {
  local dir="$work/runs/coldstart" i app
  mkdir -p "$dir"
  echo "==> [coldstart] $starts starts each of the relay and of $FHOST/sample, alternating"
  write_settings "AzureWebJobsStorage=UseDevelopmentStorage=true" "Braze__AllowLoopbackHttp=true"
  write_config "$dir" suite=coldstart name=coldstart label="$label" commit="$commit" date="$date_utc" machine="$machine" command="$command_line"
  host_ports=7071
  for i in $(seq 1 "$starts"); do
    for app in relay sample; do
      local folder="$publish_dir"
      [ "$app" = sample ] && folder="$FHOST/sample/bin/Release/net10.0"
      rig "$folder" 7071 > /dev/null
      rig stop 7071 > /dev/null
      cp "$overlay/host-7071.log" "$dir/host-$app-$i.log"
    done
  done
  rig stop-all > /dev/null
  python3 "$here/analyze.py" coldstart "$dir"
  runs+=("$dir")
}

runs=()
started=$(date +%s)
case "$mode" in
  load) suite_load ;;
  lowload) suite_lowload ;;
  mixed) suite_mixed ;;
  coldstart) suite_coldstart ;;
  *) echo "run.sh: unknown mode $mode" >&2; usage 2 ;;
esac
python3 "$here/report.py" --store "$root/benchmarks/results/real-host-run.json" --out "$root/benchmarks/results/real-host-run.md" "${runs[@]}"
echo "==> done in $(( $(date +%s) - started )) s; run folders under $work"

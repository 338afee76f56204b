#!/usr/bin/env bash
# Usage: bash benchmarks/real-host/precompiled-host.sh <new folder>
#
# Makes a copy of the rig's Functions host ($FHOST, default /work/fhost) whose assemblies are compiled ahead of time
# (ReadyToRun, one assembly at a time, with the crossgen2 package that matches the installed runtime), and links the
# rest of $FHOST (Azurite, the sample app, run-host.sh) into it. Run the rig on it with FHOST=<new folder>.
#
# Why: the host's csproj publishes ReadyToRun (composite) whenever a runtime identifier is given, and its official Linux
# build gives one (azure-functions-host, eng/ci/templates/official/jobs/build-artifacts-linux.yml: -r linux-x64); it
# also turns tiered compilation off. The rig's build gives no runtime identifier, so the rig's host compiles every
# method it runs at full optimisation on first call. This copy shows how much of a start-up figure is that.
# (A composite publish with a runtime identifier needs the old runtime.unix.* packages, which this machine's NuGet
# source does not serve; hence one assembly at a time.)
set -euo pipefail

target=${1:?usage: precompiled-host.sh <new folder>}
FHOST="${FHOST:-/work/fhost}"
[ -f "$FHOST/host/Microsoft.Azure.WebJobs.Script.WebHost.dll" ] || { echo "no host in $FHOST" >&2; exit 1; }

# newest installed shared framework of that name: "<dir>/<version>"
framework_dir() { dotnet --list-runtimes | awk -v name="$1" '$1 == name { v = $2; p = $3 } END { gsub(/[][]/, "", p); print p "/" v }'; }
runtime_dir=$(framework_dir Microsoft.NETCore.App)
aspnet_dir=$(framework_dir Microsoft.AspNetCore.App)
version=$(basename "$runtime_dir")
crossgen="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.netcore.app.crossgen2.linux-x64/$version/tools/crossgen2"
if [ ! -x "$crossgen" ]; then
  echo "crossgen2 $version not found at $crossgen: any 'dotnet publish -r linux-x64 -p:PublishReadyToRun=true' restores it" >&2
  exit 1
fi

mkdir -p "$target"
for entry in "$FHOST"/*; do
  name=$(basename "$entry")
  case "$name" in host|run|*.log) ;; *) ln -sfn "$entry" "$target/$name" ;; esac
done
rm -rf "$target/host"
cp -r "$FHOST/host" "$target/host"

out=$(mktemp -d)
compiled=0 kept=0
for dll in "$FHOST"/host/*.dll; do
  name=$(basename "$dll")
  if "$crossgen" "$dll" -o "$out/$name" -r "$runtime_dir/" -r "$aspnet_dir/" -r "$FHOST/host/" \
      --targetos:linux --targetarch:x64 -O > "$out/$name.log" 2>&1; then
    cp "$out/$name" "$target/host/$name"
    compiled=$((compiled + 1))
  else
    kept=$((kept + 1))   # not a managed assembly crossgen2 takes: the copy keeps it as it was
  fi
done
rm -rf "$out"
echo "precompiled host in $target/host: $compiled assemblies compiled, $kept kept as they were"

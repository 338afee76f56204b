#!/usr/bin/env bash
# Builds every .bicep and .bicepparam under infra/ to ARM JSON (infra/out/, git-ignored) and lints each of them with
# the Bicep CLI from NuGet (infra/tools/BicepTool.csproj, the package for this OS and CPU). Runs on Linux x64 and arm64,
# macOS (bash 3.2) and Windows through WSL or Git Bash. Fails on any error or warning: bicepconfig.json raises
# the important linter rules to errors, and anything still printed as a warning fails here too.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

tool_project="infra/tools/BicepTool.csproj"
out_dir="infra/out"

echo "infra: restoring the Bicep CLI ($tool_project)"
dotnet restore "$tool_project" --nologo --verbosity quiet
# infra/tools/BicepCli.props picks Azure.Bicep.CommandLine.<rid> for this machine and names its binary.
bicep_rid="$(dotnet msbuild "$tool_project" -nologo -getProperty:BicepCliRid | tr -d '\r')"
bicep="$(dotnet msbuild "$tool_project" -nologo -getProperty:BicepCliPath | tr -d '\r')"
# Git Bash and Cygwin run Windows' dotnet, which answers with a Windows path.
if command -v cygpath >/dev/null 2>&1 && [ -n "$bicep" ]; then
  bicep="$(cygpath -u "$bicep")"
fi
if [ -z "$bicep" ] || [ ! -f "$bicep" ]; then
  echo "infra: the Bicep CLI for '${bicep_rid:-this platform}' is not at '$bicep'; check infra/tools/BicepCli.props." >&2
  exit 1
fi
# NuGet does not keep the execute bit of a package's files on every platform.
chmod +x "$bicep"
echo "infra: $("$bicep" --version) ($bicep_rid)"

rm -rf "$out_dir"
mkdir -p "$out_dir"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

failed=0
run() {
  # Runs one Bicep command, echoes its diagnostics and records a failure for a non-zero exit.
  if ! "$@" >>"$log" 2>&1; then
    failed=1
  fi
}

# Plain while-read loops (no mapfile, no associative arrays): macOS ships bash 3.2. Paths under infra/ hold no newline.
bicep_files=()
while IFS= read -r file; do
  bicep_files+=("$file")
done < <(find infra -path "$out_dir" -prune -o -type f -name '*.bicep' -print | sort)
param_files=()
while IFS= read -r file; do
  param_files+=("$file")
done < <(find infra -path "$out_dir" -prune -o -type f -name '*.bicepparam' -print | sort)
if [ ${#bicep_files[@]} -eq 0 ]; then
  echo "infra: no .bicep file found under infra/" >&2
  exit 1
fi

# One process per step: the CLI takes seconds to start, so per-file calls would cost most of a minute.
echo "infra: build ${#bicep_files[@]} Bicep file(s) -> $out_dir/"
run "$bicep" build --pattern 'infra/**/*.bicep' --outdir "$out_dir"
echo "infra: lint ${#bicep_files[@]} Bicep file(s)"
run "$bicep" lint --pattern 'infra/**/*.bicep'

for file in ${param_files[@]+"${param_files[@]}"}; do
  relative="${file#infra/}"
  target="$out_dir/${relative%.bicepparam}.parameters.json"
  mkdir -p "$(dirname "$target")"
  echo "infra: build-params $file -> $target"
  # Secrets read by readEnvironmentVariable() must never land in build output, even a git-ignored one.
  run env -u BRAZE_API_KEY -u RELAY_INGRESS_SECRET -u RELAY_INGRESS_NEXT_SECRET -u RELAY_BRAZE_WORKSPACE_API_KEYS "$bicep" build-params "$file" --outfile "$target"
done
if [ ${#param_files[@]} -gt 0 ]; then
  echo "infra: lint ${#param_files[@]} parameters file(s)"
  run "$bicep" lint --pattern 'infra/**/*.bicepparam'
fi

for file in "${bicep_files[@]}"; do
  relative="${file#infra/}"
  if [ ! -s "$out_dir/${relative%.bicep}.json" ]; then
    echo "infra: $file was not compiled to $out_dir/${relative%.bicep}.json" >&2
    failed=1
  fi
done

cat "$log"
# Whole words without \b, which BSD grep (macOS) does not promise.
diagnostics="$(grep -Eic '(^|[^[:alnum:]_])(warning|error)([^[:alnum:]_]|$)' "$log" || true)"
if [ "$failed" -ne 0 ] || [ "$diagnostics" -ne 0 ]; then
  echo "infra: FAILED: $diagnostics diagnostic(s) (errors or warnings) above; the infrastructure must build and lint clean." >&2
  exit 1
fi
echo "infra: ${#bicep_files[@]} Bicep file(s) and ${#param_files[@]} parameters file(s) built and linted with no warning."

#!/usr/bin/env bash
# Builds every .bicep and .bicepparam under infra/ to ARM JSON (infra/out/, git-ignored) and lints each of them with
# the Bicep CLI from NuGet (infra/tools/BicepTool.csproj). Fails on any error or warning: bicepconfig.json raises
# the important linter rules to errors, and anything still printed as a warning fails here too.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

tool_project="infra/tools/BicepTool.csproj"
out_dir="infra/out"

echo "infra: restoring the Bicep CLI ($tool_project)"
dotnet restore "$tool_project" --nologo --verbosity quiet
package_dir="$(dotnet msbuild "$tool_project" -nologo -getProperty:PkgAzure_Bicep_CommandLine_linux-x64)"
bicep="$package_dir/tools/bicep"
if [[ ! -f "$bicep" ]]; then
  echo "infra: the Bicep CLI is not at '$bicep'; check the Azure.Bicep.CommandLine.linux-x64 package." >&2
  exit 1
fi
# NuGet does not keep the execute bit of a package's files on every platform.
chmod +x "$bicep"
echo "infra: $("$bicep" --version)"

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

mapfile -t bicep_files < <(find infra -path "$out_dir" -prune -o -type f -name '*.bicep' -print | sort)
mapfile -t param_files < <(find infra -path "$out_dir" -prune -o -type f -name '*.bicepparam' -print | sort)
if [[ ${#bicep_files[@]} -eq 0 ]]; then
  echo "infra: no .bicep file found under infra/" >&2
  exit 1
fi

# One process per step: the CLI takes seconds to start, so per-file calls would cost most of a minute.
echo "infra: build ${#bicep_files[@]} Bicep file(s) -> $out_dir/"
run "$bicep" build --pattern 'infra/**/*.bicep' --outdir "$out_dir"
echo "infra: lint ${#bicep_files[@]} Bicep file(s)"
run "$bicep" lint --pattern 'infra/**/*.bicep'

for file in "${param_files[@]}"; do
  relative="${file#infra/}"
  target="$out_dir/${relative%.bicepparam}.parameters.json"
  mkdir -p "$(dirname "$target")"
  echo "infra: build-params $file -> $target"
  # Secrets read by readEnvironmentVariable() must never land in build output, even a git-ignored one.
  run env -u BRAZE_API_KEY -u RELAY_INGRESS_SECRET -u RELAY_INGRESS_NEXT_SECRET -u RELAY_BRAZE_WORKSPACE_API_KEYS "$bicep" build-params "$file" --outfile "$target"
done
if [[ ${#param_files[@]} -gt 0 ]]; then
  echo "infra: lint ${#param_files[@]} parameters file(s)"
  run "$bicep" lint --pattern 'infra/**/*.bicepparam'
fi

for file in "${bicep_files[@]}"; do
  relative="${file#infra/}"
  if [[ ! -s "$out_dir/${relative%.bicep}.json" ]]; then
    echo "infra: $file was not compiled to $out_dir/${relative%.bicep}.json" >&2
    failed=1
  fi
done

cat "$log"
diagnostics="$(grep -Eic '\b(warning|error)\b' "$log" || true)"
if [[ "$failed" -ne 0 || "$diagnostics" -ne 0 ]]; then
  echo "infra: FAILED: $diagnostics diagnostic(s) (errors or warnings) above; the infrastructure must build and lint clean." >&2
  exit 1
fi
echo "infra: ${#bicep_files[@]} Bicep file(s) and ${#param_files[@]} parameters file(s) built and linted with no warning."

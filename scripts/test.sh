#!/usr/bin/env bash
# The project's test command (README, .ci/run). Builds the solution once, then runs every test project, then the
# package test (scripts/package-test.sh).
# TorchSharp tests run under the patched dotnet host made by training/setup-torch-runtime.sh (a no-op where the
# system's libstdc++ is new enough). Then builds the GPU flavor (-p:OnnxRuntimeFlavor=Gpu: ONNX Runtime's CUDA package,
# into bin-gpu/ and obj-gpu/) of the library, the service and their tests, and runs the inference and server tests on it
# (its native library carries the CPU provider too). Ends with one summary line: "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIGURATION:-Release}

host=dotnet
if [[ -f training/setup-torch-runtime.sh ]]; then
  host=$(bash training/setup-torch-runtime.sh)
fi

dotnet build MusicGen.sln -c "$config" -warnaserror -nologo -v q

log=$(mktemp)
status=0
for proj in tests/*/*.Tests.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  extra=()
  if [[ $name == MusicGen.Training.Tests && $host != dotnet ]]; then
    extra=(-- "RunConfiguration.DotNetHostPath=$host")
  fi
  if ! dotnet test "$proj" -c "$config" --no-build --nologo -v q --logger "console;verbosity=minimal" "${extra[@]}" 2>&1 | tee -a "$log"; then
    status=1
  fi
done

# What a user gets: pack the NuGet packages, restore them into samples/MusicGen.FromPackages from a folder feed and
# generate a piece with them. It counts as one test.
echo "== package test (scripts/package-test.sh)"
if bash scripts/package-test.sh --no-build; then
  echo "Passed:     1" >>"$log"
else
  echo "package test FAILED"
  echo "Failed:     1" >>"$log"
  status=1
fi

# The GPU flavor: keeps the CUDA package building and its CPU provider passing the engine and service tests (the CLI's
# GPU flavor is built by scripts/gpu-bundle.sh).
gpu=(-p:OnnxRuntimeFlavor=Gpu)
gpu_start=$SECONDS
echo "== GPU flavor (${gpu[*]})"
for proj in tests/MusicGen.Inference.Tests/MusicGen.Inference.Tests.csproj tests/MusicGen.Server.Tests/MusicGen.Server.Tests.csproj; do
  dotnet build "$proj" -c "$config" "${gpu[@]}" -warnaserror -nologo -v q
done
for name in MusicGen.Inference.Tests MusicGen.Server.Tests; do
  echo "== $name (GPU flavor)"
  if ! dotnet test "tests/$name/$name.csproj" -c "$config" "${gpu[@]}" --no-build --nologo -v q --logger "console;verbosity=minimal" 2>&1 | tee -a "$log"; then
    status=1
  fi
done
echo "== GPU flavor: $((SECONDS - gpu_start)) s"

# Formatting: the tree must be as `dotnet format` (whitespace, imports, the .editorconfig style) leaves it. It counts
# as one test; `dotnet format MusicGen.sln` fixes what it reports.
echo "== dotnet format --verify-no-changes"
if dotnet format MusicGen.sln --verify-no-changes --no-restore -v q; then
  echo "Passed:     1" >>"$log"
else
  echo "formatting differs from .editorconfig: run dotnet format MusicGen.sln"
  echo "Failed:     1" >>"$log"
  status=1
fi

sum() { grep -oE "$1: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}'; }
echo "$(sum Passed) passed, $(sum Failed) failed, $(sum Skipped) skipped"
rm -f "$log"
exit $status

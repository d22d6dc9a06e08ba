#!/usr/bin/env bash
# What a user gets is what we test: packs MusicGen.Core and MusicGen.Inference (docs/packaging.md) into
# artifacts/packages, then builds samples/MusicGen.FromPackages against those .nupkg files (its nuget.config adds
# the folder as a feed) and generates a piece with the bundled default model. Exit code 0 only if all of it works.
#   bash scripts/package-test.sh [--no-build]     (--no-build: pack what the last Release build made)
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIGURATION:-Release}
feed=artifacts/packages
app=samples/MusicGen.FromPackages

pack_args=()
[[ ${1:-} == --no-build ]] && pack_args+=(--no-build)

version=$(dotnet msbuild src/MusicGen.Inference/MusicGen.Inference.csproj -nologo -getProperty:PackageVersion)
rm -rf "$feed"
for p in MusicGen.Core MusicGen.Inference; do
  dotnet pack "src/$p/$p.csproj" -c "$config" -o "$feed" -nologo -v q -warnaserror "${pack_args[@]}"
done
ls "$feed"

# A package of the same version restored earlier would be taken from NuGet's cache instead of the feed.
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
rm -rf "$cache/musicgen.core/$version" "$cache/musicgen.inference/$version"

dotnet build "$app" -c "$config" -nologo -v q -p:MusicGenVersion="$version"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet "$app/bin/$config/net10.0/MusicGen.FromPackages.dll" onnx/pop909-transformer "$out/from-packages.mid"

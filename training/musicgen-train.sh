#!/usr/bin/env bash
# Runs `musicgen-train` under the dotnet host that can load TorchSharp (see setup-torch-runtime.sh).
# Builds the tool (Release) when its dll is missing or older than its sources. Usage: training/musicgen-train.sh <args>
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
config=${CONFIGURATION:-Release}
proj="$here/MusicGen.Training/MusicGen.Training.csproj"
dll="$here/MusicGen.Training/bin/$config/net10.0/musicgen-train.dll"
host=$(bash "$here/setup-torch-runtime.sh")
stale=
if [[ ! -f $dll ]]; then
  stale=1
elif [[ -n $(find "$here/MusicGen.Training" "$here/MusicGen.Onnx" "$repo/src/MusicGen.Core" "$repo/src/MusicGen.Inference" \
    \( -name '*.cs' -o -name '*.csproj' \) -newer "$dll" -not -path '*/obj/*' -not -path '*/bin/*' -print -quit) ]]; then
  stale=1
fi
if [[ -n $stale ]]; then
  echo "[musicgen-train] building $proj ($config)" >&2
  dotnet build "$proj" -c "$config" -nologo -v q >&2
fi
# libtorch's OpenMP runtime (libgomp) reads OMP_WAIT_POLICY once, when libtorch is loaded, so it is set here and not
# from C# (.NET's Environment.SetEnvironmentVariable does not reach the native environment). PASSIVE: idle worker
# threads sleep instead of spinning, which on a shared, loaded machine leaves the cores to threads with work
# (docs/training.md, "Thread settings"). A value set by the caller wins.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
exec "$host" "$dll" "$@"

#!/usr/bin/env bash
# gpu-bundle.sh: builds the compact CUDA bundle of the CLI that scripts/gpu-check.sh runs on a GPU machine with no
# dotnet (recipe: ../shared/gpu-bundle/README.md). Writes .gpu/ (git-ignored; carry it to the GPU machine):
#   musicgen-app.tar.xz                         self-contained, partly trimmed CLI, GPU flavor, without the CUDA provider
#   libonnxruntime_providers_cuda.sm90.so.xz    the CUDA provider with only the sm_90 (Hopper) images of the standard
#                                               ops, the small contrib kernels and the memory-efficient attention
#                                               kernels that GroupQueryAttention uses (flash attention is zeroed:
#                                               gpu-check.sh sets ORT_DISABLE_FLASH_ATTENTION=1)
#   torch_decode_bench.py                       the PyTorch peer, copied
# The bundled model packages travel with the repository's tracked onnx/ folder; the d-256 bench shape is written on
# the GPU machine by `musicgen bench-package` (random weights), so no model is carried here.
# Needs: dotnet, python3, xz, zstd (index only). Prints the sizes against the transfer budget (the device call sends the
# tracked tree and .gpu/, 64 MiB at most) and exits 1 when they do not fit, saying by how much.
set -euo pipefail
cd "$(dirname "$0")/.."
recipe=../shared/gpu-bundle
out=.gpu
[[ -d $recipe ]] || { echo "gpu-bundle: $recipe (the recipe's scripts) not found" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pub=$work/app
rm -rf "$out"; mkdir -p "$out"

echo "== publish (self-contained, trimmed, GPU flavor) into a separate bin-bundle/ obj-bundle/"
# The trimmer caches in obj: a folder of its own keeps this from mixing with the normal builds.
rm -rf src/*/obj-bundle src/*/bin-bundle
dotnet publish src/MusicGen.Cli/MusicGen.Cli.csproj -c Release -r linux-x64 --self-contained true -nologo -v q \
  -p:PublishTrimmed=true -p:TrimMode=partial -p:JsonSerializerIsReflectionEnabledByDefault=true \
  -p:TreatWarningsAsErrors=false -p:SuppressTrimAnalysisWarnings=true -p:OnnxRuntimeFlavor=Gpu \
  -p:BaseIntermediateOutputPath=obj-bundle/ -p:BaseOutputPath=bin-bundle/ -o "$pub"

echo "== slim"
cp "$pub/libonnxruntime_providers_cuda.so" "$work/provider.so"
rm -f "$pub"/libonnxruntime_providers_{cuda,tensorrt}.so "$pub"/libSkiaSharp* "$pub"/libHarfBuzzSharp* "$pub"/*.pdb "$pub"/*.xml "$pub"/*.dbg
# the runtime's debugger, tracing and alternative-GC libraries (loaded only when asked for)
rm -f "$pub"/libmscordaccore.so "$pub"/libmscordbi.so "$pub"/libcoreclrtraceptprovider.so "$pub"/libclrgc.so "$pub"/libclrgcexp.so
python3 "$recipe/slim_deps.py" "$pub" | cut -c1-200
tar -C "$work" -cf - app | xz -9e -T0 > "$out/musicgen-app.tar.xz"

echo "== prune the CUDA provider to sm_90: standard ops, small contrib kernels, memory-efficient attention"
xz -dc "$recipe/blobs-ort-gpu-1.32.0.json.xz" > "$work/blobs.json"
python3 - "$work/blobs.json" <<'PY'
import json, sys
p = sys.argv[1]; b = json.load(open(p))
for x in b: x['keep_gpu'] = bool(x.get('keep_min')) or x.get('cat') == 'mem-eff attention'
json.dump(b, open(p, 'w'))
print('modules kept:', sum(x['keep_gpu'] for x in b), 'of', len(b))
PY
python3 "$recipe/prune_provider.py" "$work/provider.so" "$work/provider.sm90.so" keep_gpu "$work/blobs.json"
xz -6 -T0 -c "$work/provider.sm90.so" > "$out/libonnxruntime_providers_cuda.sm90.so.xz"
cp "$recipe/torch_decode_bench.py" "$out/"

echo "== sizes"
ls -l "$out"
bundle=$(du -cb "$out"/* | tail -1 | cut -f1)
tracked=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
total=$((bundle + tracked)); limit=$((64 * 1024 * 1024))
printf 'bundle %.1f MiB + tracked tree %.1f MiB = %.1f MiB of the 64 MiB transfer limit\n' \
  "$(echo "$bundle/1048576" | bc -l)" "$(echo "$tracked/1048576" | bc -l)" "$(echo "$total/1048576" | bc -l)"
if (( total >= limit )); then
  printf 'gpu-bundle: over the 64 MiB transfer limit by %.1f MiB: shrink the tracked tree (onnx/ packages) or the bundle\n' \
    "$(echo "($total - $limit)/1048576" | bc -l)" >&2
  exit 1
fi
printf 'gpu-bundle: fits, %.1f MiB to spare: carry .gpu with the checkout (every bundled package travels)\n' "$(echo "($limit - $total)/1048576" | bc -l)"

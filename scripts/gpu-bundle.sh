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
# Needs: dotnet, python3, xz, zstd (index only). Prints the sizes against the transfer budget.
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
(( total < limit )) && exit 0
# gpu-check.sh reads only the default package (MODEL), so the other bundled packages can stay behind: on a branch
# that removes them (docs/inference.md, "Running the check"), only the default package travels.
others=$(git ls-files -z onnx | grep -zv '^onnx/pop909-transformer/' | xargs -0 du -cb | tail -1 | cut -f1)
light=$((total - others))
printf 'without the other onnx/ packages (%.1f MiB): %.1f MiB\n' "$(echo "$others/1048576" | bc -l)" "$(echo "$light/1048576" | bc -l)"
(( light < limit )) || { echo "gpu-bundle: over the transfer limit even with only the default package" >&2; exit 1; }
echo "gpu-bundle: over the limit with every package; run the check from a branch that carries only the default one:"
echo "  git switch -c gpu-light && git rm -q -r \$(ls -d onnx/*/ | grep -v pop909-transformer) && git commit -qm 'GPU run: only the default package'"
echo "  ... the device run (carry .gpu) ...; then: git switch - && git branch -D gpu-light"

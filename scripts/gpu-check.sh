#!/usr/bin/env bash
# gpu-check.sh: the GPU check anyone can run on a Linux machine with an NVIDIA GPU and no dotnet. Uses the bundle
# that scripts/gpu-bundle.sh wrote into .gpu/ (carry it along with the repository) and the tracked onnx/ packages.
# Prints: the provider and graph actually used; tokens/s at batch 1, 8, 32, 128, 512 and 1024 for the bundled default
# model and the d-256 bench shape; time to first token for a 512-token primer; p50/p99 step time at batch 1; managed
# bytes per step; GPU memory used (nvidia-smi, peak sampled each second); CUDA vs CPU agreement (identical greedy
# tokens, max |logit difference| on one sequence); the same seed twice gives the same MIDI; and the PyTorch peer
# (../shared/gpu-bundle/torch_decode_bench.py, copied into .gpu/) on the same shapes and batch sizes, eager and CUDA
# graph, with the ratio ours / PyTorch at each batch size. Every step has its own timeout; the whole run stays well
# under 10 minutes.
#
# Needs on the GPU machine: x86-64 Linux, the NVIDIA driver, the CUDA 13 libraries (cuBLAS/cuBLASLt 13, cudart 13,
# cuRAND 10, cuFFT 12, cuDNN 9, NVRTC 13: a Python venv's nvidia/*/lib wheels or /usr/local/cuda), python3 with
# torch for the peer (skipped when missing).
# Usage (repository root): bash scripts/gpu-check.sh      Env: OUT (results folder, default /tmp/gpu-check),
# BATCHES (default 1,8,32,128,512,1024), MODEL (default onnx/pop909-transformer).
# Exit code: 0 when generation really ran on CUDA, 2 when it fell back to the CPU or failed, 3 when the bundle is missing.
set -u -o pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$root/.gpu"
res="${OUT:-/tmp/gpu-check}"; mkdir -p "$res"
batches="${BATCHES:-1,8,32,128,512,1024}"
model="$root/${MODEL:-onnx/pop909-transformer}"
work=/tmp/mg-gpu-check
exec > >(tee "$res/gpu-check.log") 2>&1
say() { printf '\n=== %s (%ss)\n' "$*" "$SECONDS"; }

say "unpack the bundle"
[[ -f $bundle/musicgen-app.tar.xz && -f $bundle/libonnxruntime_providers_cuda.sm90.so.xz ]] || { echo "no bundle in $bundle: run scripts/gpu-bundle.sh first"; exit 3; }
rm -rf "$work"; mkdir -p "$work"
tar -xJf "$bundle/musicgen-app.tar.xz" -C "$work" & p1=$!
xz -dc "$bundle/libonnxruntime_providers_cuda.sm90.so.xz" > "$work/provider.tmp" & p2=$!
wait $p1 && wait $p2 || { echo "unpack failed"; exit 3; }
mv "$work/provider.tmp" "$work/app/libonnxruntime_providers_cuda.so"
app="$work/app/musicgen"; chmod +x "$app"

say "CUDA 13 libraries"
py=python3; [[ -x /opt/torch/.venv/bin/python3 ]] && py=/opt/torch/.venv/bin/python3
site="$($py -c 'import nvidia, os; print(os.path.dirname(list(nvidia.__path__)[0]))' 2>/dev/null || true)"
libs=""; [[ -n $site && -d $site/nvidia ]] && libs="$(find "$site/nvidia" -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')"
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do [[ -d $d ]] && libs="$libs$d:"; done
export LD_LIBRARY_PATH="$work/app:${libs}${LD_LIBRARY_PATH:-}"
export CUDA_MODULE_LOADING=LAZY            # the pruned provider relies on lazy module loading
export ORT_DISABLE_FLASH_ATTENTION=1       # flash attention's modules are zeroed in the pruned provider: use memory-efficient attention
echo "python: $py; nvidia wheels: ${site:-none}"
ldd "$work/app/libonnxruntime_providers_cuda.so" | grep -E 'not found|cublas|cudart|curand|libcuda\.'
for l in libcudnn.so.9 libcufft.so.12 libnvrtc.so.13; do
  f=""; IFS=: read -ra dirs <<< "$LD_LIBRARY_PATH"; for d in "${dirs[@]}"; do [[ -n $d && -e $d/$l ]] && { f="$d/$l"; break; }; done
  echo "$l -> ${f:-NOT FOUND}"
done
nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total --format=csv 2>&1 | head -3

# peak GPU memory while our runs go on
( peak=0; while :; do m=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1); [[ $m =~ ^[0-9]+$ ]] && (( m > peak )) && { peak=$m; echo "$peak" > "$res/gpu-mem-peak-mib"; }; sleep 1; done ) & mem=$!
trap 'kill $mem 2>/dev/null' EXIT

say "generate on CUDA, the same seed twice (provider and graph actually used)"
timeout 120 "$app" generate --model "$model" --out "$res/cuda-1.mid" --device cuda --tokens 512 --seed 1 2>&1 | tee "$res/generate-cuda.txt"
timeout 120 "$app" generate --model "$model" --out "$res/cuda-2.mid" --device cuda --tokens 512 --seed 1 2>&1 | tail -1
oncuda=0
grep -q ', cuda, batch' "$res/generate-cuda.txt" && ! grep -qi 'running on the CPU instead' "$res/generate-cuda.txt" && oncuda=1
echo "ran on CUDA: $oncuda"
cmp -s "$res/cuda-1.mid" "$res/cuda-2.mid" && echo "same seed twice on CUDA: identical MIDI" || echo "same seed twice on CUDA: MIDI DIFFERS"

bench() { # name package extra-args...
  local name=$1 pkg=$2; shift 2
  say "bench $name on CUDA (batches $batches)"
  timeout 200 "$app" bench --model "$pkg" --device cuda --batches "$batches" --tokens 128 --primer 512 --long-tokens 0 \
    --no-all-cores --context 256 --recompute-steps 1 --warmup 1 "$@" 2>&1 | tee "$res/bench-$name.txt" | grep -v '^  \.\.'
}
bench pop909 "$model" --compare-cpu 256
say "the d-256 bench shape (random weights, written here)"
timeout 60 "$app" bench-package --out "$work/bench-d256" --graphs fast,fast-fp16 2>&1 | tail -1
bench d256 "$work/bench-d256" --compare-cpu 128

kill $mem 2>/dev/null
say "PyTorch peer on the same shapes and batch sizes (eager and CUDA graph, static KV cache)"
if $py -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  timeout 240 $py - "$bundle" "$batches" > "$res/torch.jsonl" 2> "$res/torch.err" <<'PY'
import sys, json, torch
sys.path.insert(0, sys.argv[1])
import torch_decode_bench as t
print(json.dumps({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}), flush=True)
b = [int(x) for x in sys.argv[2].split(',')]
# name, vocab, d, layers, heads, kv heads, ffn: the bundled pop909 model and the d-256 bench shape (ffn = d*8/3 rounded up to 8)
for shape in [("pop909", 820, 192, 3, 4, 2, 512), ("d256", 512, 256, 6, 4, 4, 688)]:
    try:
        t.bench(*shape, b, 128, 1024, torch.float16, True)
    except Exception as e:
        print(json.dumps({"shape": shape[0], "error": repr(e)[:300]}), flush=True)
PY
  tail -3 "$res/torch.err"
else
  echo "no python3 with CUDA torch here: peer skipped" | tee "$res/torch.err"
fi

say "ours / PyTorch (tokens/s at each batch size)"
python3 - "$res" <<'PY'
import json, re, sys, os
res = sys.argv[1]
peer = {}
if os.path.exists(f"{res}/torch.jsonl"):
    for line in open(f"{res}/torch.jsonl"):
        try: r = json.loads(line)
        except ValueError: continue
        if "batch" in r: peer[(r["shape"], r["mode"], r["batch"])] = r["tok_per_s"]
for name in ("pop909", "d256"):
    p = f"{res}/bench-{name}.txt"
    if not os.path.exists(p): continue
    text = open(p).read()
    head = text.splitlines()[0] if text else ""
    print(f"{name}: {head}")
    print(f"{'batch':>6} {'ours tok/s':>12} {'step ms':>8} {'torch eager':>12} {'torch graph':>12} {'ours/graph':>10} {'ours/eager':>10}")
    for m in re.finditer(r"throughput, batch (\d+),.*?\(step ([\d.]+) ms\)\s+([\d.]+) tok/s", text):
        b, ms, ours = int(m.group(1)), float(m.group(2)), float(m.group(3))
        e, g = peer.get((name, "eager", b)), peer.get((name, "graph", b))
        f = lambda x: f"{x:12.0f}" if x else f"{'-':>12}"
        r = lambda x: f"{ours / x:10.2f}" if x else f"{'-':>10}"
        print(f"{b:6d} {ours:12.0f} {ms:8.3f} {f(e)} {f(g)} {r(g)} {r(e)}")
    for key in ("time to first token", "per-token latency", "managed allocation", "agreement"):
        for line in text.splitlines():
            if line.startswith(key): print("  " + line)
PY
echo "GPU memory used, peak during our runs: $(cat "$res/gpu-mem-peak-mib" 2>/dev/null || echo '?') MiB"
say "done: ran on CUDA = $oncuda (results in $res)"
[[ $oncuda == 1 ]] || exit 2

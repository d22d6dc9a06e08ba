#!/usr/bin/env bash
# Soak and fault run of the real service, loopback only, bounded in time: stops by itself.
#
#   bash scripts/soak.sh [SECONDS=120] [--clients 6] [--tokens 48] [--kinds K1,K2] [--no-swaps] [--rss-log FILE] [--keep]
#
# --kinds passes a subset of request kinds to the soak client (generate,stream,cancel,badprimer,oversized,
# unknownfield,audio; default all), --no-swaps leaves out the hot swaps, --rss-log FILE writes the service's RSS every
# 5 s ("seconds rss_mb", from the end of warm-up): the knobs for isolating what makes memory grow (docs/server.md).
#
# Starts MusicGen.Server (Release build) on 127.0.0.1 with a temporary models folder holding copies of the bundled
# pop909-transformer and jsb-transformer packages, then for SECONDS runs the C# soak client (`MusicGen.Server soak`:
# plain and streamed generations, streams cancelled part-way, the damaged/oversized primer corpus, oversized bodies,
# WAV/FLAC answers (when the service renders audio: FluidSynth and a SoundFont installed),
# unknown fields; it first prints the bad-input table) while this script hot-swaps good and corrupt versions of
# jsb-transformer into the models folder every 20 s. Then it checks: no 5xx other than 503/504 and no hung request
# (client deadline = RequestDeadline + 1 s; both from the client), queue depth and active slots back to 0 (/metrics),
# RSS growth bounded (end <= 1.5 x the RSS after warm-up + 256 MB), the process still up, and graceful shutdown: a
# stream started just before SIGTERM must finish ("done") and the process exit 0 within ShutdownTimeout + 5 s.
# Prints one summary line starting with "soak:"; exit code 0 on PASS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=120 clients=6 tokens=48 keep=0 kinds='' swaps=1 rss_log=''
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
while [[ $# -gt 0 ]]; do
  case $1 in
    --clients) clients=$2; shift 2 ;;
    --tokens) tokens=$2; shift 2 ;;
    --kinds) kinds=$2; shift 2 ;;
    --no-swaps) swaps=0; shift ;;
    --rss-log) rss_log=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
shutdown_timeout=20
deadline=60
hms() { printf '%02d:%02d:%02d' $(($1 / 3600)) $(($1 % 3600 / 60)) $(($1 % 60)); }

dotnet build "$root/src/MusicGen.Server" -c Release -nologo -v q >&2
dll=$root/src/MusicGen.Server/bin/Release/net10.0/MusicGen.Server.dll

tmp=$(mktemp -d /tmp/musicgen-soak.XXXXXX)
pid=""
cleanup() {
  [[ -n $pid ]] && kill -KILL "$pid" 2> /dev/null || true
  [[ -n ${swapper:-} ]] && kill "$swapper" 2> /dev/null || true
  [[ -n ${sampler:-} ]] && kill "$sampler" 2> /dev/null || true
  if [[ $keep -eq 0 ]]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap cleanup EXIT
mkdir -p "$tmp/models"
cp -r "$root/onnx/pop909-transformer" "$tmp/models/"
cp -r "$root/onnx/jsb-transformer" "$tmp/models/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

ASPNETCORE_URLS=$url MusicGen__ModelsPath=$tmp/models MusicGen__DefaultModel=pop909-transformer \
  MusicGen__RateLimitPerSecond=0 MusicGen__RequestDeadline=$(hms $deadline) MusicGen__ShutdownTimeout=$(hms $shutdown_timeout) \
  MusicGen__PackageSettleTime=00:00:02 Logging__LogLevel__Default=Warning \
  dotnet "$dll" > "$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 240); do
  curl -sf "$url/readyz" > /dev/null 2>&1 && break
  kill -0 "$pid" 2> /dev/null || { echo "soak: FAIL: the service exited at start"; tail -20 "$tmp/server.log"; exit 1; }
  sleep 0.5
done
curl -sf "$url/readyz" > /dev/null || { echo "soak: FAIL: not ready after 120 s"; exit 1; }

client() { dotnet "$dll" soak --url "$url" --clients "$clients" --tokens "$tokens" --deadline-seconds "$deadline" ${kinds:+--kinds "$kinds"} "$@"; }
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status"; }
client --seconds 10 > "$tmp/warmup.txt" || true # warm-up (JIT, sessions, pools)
rss_start=$(rss)
if [[ -n $rss_log ]]; then
  ( t0=$(date +%s); while kill -0 "$pid" 2> /dev/null; do echo "$(( $(date +%s) - t0 )) $(rss)"; sleep 5; done ) > "$rss_log" 2> /dev/null &
  sampler=$!
fi

# Hot swaps: every 20 s a good copy of jsb-transformer with the next version, then a corrupt one (its graphs cut in
# half); only the last two swap folders are kept on disk.
(
  v=2
  while [[ $swaps -eq 1 ]] && sleep 20; do
    dir=$tmp/models/jsb-transformer@$v
    cp -r "$root/onnx/jsb-transformer" "$dir.copy"
    sed -i "0,/\"version\": \"[^\"]*\"/s//\"version\": \"$v\"/" "$dir.copy/musicgen.json"
    if (( v % 2 == 1 )); then
      for f in "$dir.copy"/*.onnx; do truncate -s $(( $(stat -c %s "$f") / 2 )) "$f"; done
      echo corrupt >> "$tmp/swaps"
    else
      echo good >> "$tmp/swaps"
    fi
    mv "$dir.copy" "$dir"
    rm -rf "$tmp/models/jsb-transformer@$((v - 2))"
    v=$((v + 1))
  done
) &
swapper=$!

set +e
client --seconds "$seconds" --table > "$tmp/client.txt" 2>&1
client_rc=$?
set -e
kill "$swapper" 2> /dev/null || true
wait "$swapper" 2> /dev/null || true
swapper=""
[[ -n ${sampler:-} ]] && { kill "$sampler" 2> /dev/null || true; wait "$sampler" 2> /dev/null || true; sampler=""; }
cat "$tmp/client.txt" >&2

up=yes
kill -0 "$pid" 2> /dev/null || up=no
rss_end=$([[ $up == yes ]] && rss || echo 0)
rss_bound=$(( rss_start * 3 / 2 + 256 ))
rejected=$(curl -sf "$url/metrics" | awk '/^musicgen_packages/ && /rejected/ {s += $NF} END {print s + 0}')
good=$(grep -c good "$tmp/swaps" 2> /dev/null || true)
corrupt=$(grep -c corrupt "$tmp/swaps" 2> /dev/null || true)

# Graceful shutdown: a stream in flight when SIGTERM arrives finishes; the process exits 0 within the timeout.
curl -sN -X POST -H 'Content-Type: application/json' -d '{"tokens":1000,"seed":7,"tokenBias":{"EOS":-1000}}' "$url/v1/generate/stream" > "$tmp/drain.txt" 2>&1 &
drain_client=$!
for _ in $(seq 1 100); do grep -q "event: token" "$tmp/drain.txt" 2> /dev/null && break; sleep 0.1; done
t0=$(date +%s.%N)
kill -TERM "$pid"
set +e
timeout $((shutdown_timeout + 5)) tail --pid="$pid" -f /dev/null
wait "$pid"
exit_rc=$?
set -e
stop_s=$(echo "$(date +%s.%N) - $t0" | bc)
pid=""
wait "$drain_client" 2> /dev/null || true
drained=no
grep -q "event: done" "$tmp/drain.txt" && drained=yes

verdict=PASS
[[ $client_rc -eq 0 ]] || verdict=FAIL
[[ $up == yes ]] || verdict=FAIL
(( rss_end <= rss_bound )) || verdict=FAIL
[[ $drained == yes && $exit_rc -eq 0 ]] || verdict=FAIL
summary=$(grep "^soak client:" "$tmp/client.txt" | sed 's/^soak client: //')
printf 'soak: %s in %d s: %s; swaps %s good + %s corrupt (%s rejected); RSS %s -> %s MB (bound %s); process up: %s; SIGTERM: in-flight stream finished: %s, exit %s after %.1f s\n' \
  "$verdict" "$seconds" "$summary" "$good" "$corrupt" "$rejected" "$rss_start" "$rss_end" "$rss_bound" "$up" "$drained" "$exit_rc" "$stop_s"
[[ $verdict == PASS ]]

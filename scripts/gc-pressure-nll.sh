#!/usr/bin/env bash
# Reproduces native lifetime bugs (an ONNX Runtime object finalized while native code still uses it): runs
# `musicgen eval nll` RUNS times with a startup hook (scripts/gc-pressure) that forces a full collection and the
# finalizers every few allocations on a background thread, and counts the runs that died of a signal.
#
#   bash scripts/gc-pressure-nll.sh [--runs 20] [--files 90] [--data DIR] [--model onnx/pop909-transformer]
#                                   [--cli path/to/musicgen.dll] [--timeout 600] [--every 64]
#
# --data: a MIDI folder (default: the last --files files of ../shared/datasets/pop909, linked into a temp folder).
# --cli: the built CLI to run (default: this checkout's, built if stale); point it at another worktree's build to
# measure an older commit in the same harness. Each run is bounded by --timeout seconds (a timeout counts as hung).
# Prints one line per run and then: "gc-pressure nll: R runs, C crashed (signals ...), H hung, mean S s".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=20 files=90 data="" model="$root/onnx/pop909-transformer" cli="" limit=600 every=64
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

hook_dir=$root/scripts/gc-pressure
dotnet build "$hook_dir/GcPressureHook.csproj" -c Release -nologo -v q >&2
hook=$hook_dir/bin/Release/net10.0/GcPressureHook.dll

if [[ -z $cli ]]; then
  bash "$root/scripts/musicgen" --help > /dev/null # builds the CLI when stale
  cli=$root/src/MusicGen.Cli/bin/Release/net10.0/musicgen.dll
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -z $data ]]; then
  data=$tmp/data
  mkdir -p "$data"
  for f in $(ls "$root/../shared/datasets/pop909"/*.mid | sort | tail -n "$files"); do ln -s "$f" "$data/"; done
fi

crashed=0 hung=0 total=0 signals=""
for ((i = 1; i <= runs; i++)); do
  start=$(date +%s.%N)
  set +e
  DOTNET_STARTUP_HOOKS=$hook GC_PRESSURE_EVERY=$every timeout -s KILL "$limit" \
    dotnet "$cli" eval nll --model "$model" --data "$data" --threads 1 > "$tmp/out" 2> "$tmp/err"
  rc=$?
  set -e
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  total=$(echo "$total + $secs" | bc)
  what=ok
  if [[ $rc -eq 137 ]]; then
    hung=$((hung + 1)); what="killed after ${limit} s"
  elif [[ $rc -ge 128 ]]; then
    crashed=$((crashed + 1)); what="signal $((rc - 128))"; signals="$signals $((rc - 128))"
  elif [[ $rc -ne 0 ]]; then
    what="exit $rc: $(tail -n 1 "$tmp/err")"
  fi
  nll=$(grep -oE 'NLL per token \(nats\) *│ *[0-9.]+' "$tmp/out" | grep -oE '[0-9.]+$' || true)
  printf 'run %d: %s, %.1f s%s\n' "$i" "$what" "$secs" "${nll:+, NLL $nll}"
done
printf 'gc-pressure nll: %d runs, %d crashed (signals:%s), %d hung, mean %.1f s\n' "$runs" "$crashed" "${signals:- none}" "$hung" \
  "$(echo "$total / $runs" | bc -l)"

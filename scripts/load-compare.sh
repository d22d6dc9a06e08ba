#!/usr/bin/env bash
# Starts the built service on PORT with the given extra options, waits until it is ready, runs the load client
# (64 clients x 10 requests of 64 tokens, then the same requests one at a time) and stops the service.
# Usage: bash scripts/load-compare.sh PORT [--MusicGen:Inference:IntraOpThreads=0 ...]
# Needs: dotnet build -c Release (src/MusicGen.Server). The service log goes to /tmp/musicgen-load-PORT.log.
set -euo pipefail
cd "$(dirname "$0")/.."
server=src/MusicGen.Server/bin/Release/net10.0/MusicGen.Server.dll
port=${1:?usage: load-compare.sh PORT [server options...]}
shift
dotnet "$server" --urls "http://127.0.0.1:$port" --MusicGen:RateLimitPerSecond=0 "$@" > "/tmp/musicgen-load-$port.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
  sleep 0.5
done
dotnet "$server" load --url "http://127.0.0.1:$port" --clients 64 --requests 10 --tokens 64 --compare

#!/usr/bin/env bash
# Live counters benchmark: Canyu's WebSocket hub against PocketBase's realtime
# (SSE), same clients, same counter, same machine. Loopback only; every run
# stops by itself. Results go to bench/out/live-*.txt; BENCHMARKS.md quotes them.
#
#   bench/live.sh                 # the figures of BENCHMARKS.md
#   bench/live.sh 2000 5 10s ws   # one run: clients, updates/s, duration, mode
#   bench/live.sh 2000 5 10s ws go   # ... with the goroutine-per-connection client reader
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/livebench ./bench/livebench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

run() { # clients rate duration mode [reader]
  local n=$1 rate=$2 dur=$3 mode=$4 reader=${5:-poll} port=$((18090 + RANDOM % 1000))
  local out="bench/out/live-$mode-$n-$rate.txt"
  bench/out/livebench -role server -mode "$mode" -addr "127.0.0.1:$port" >"bench/out/server-$mode.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.2; done
  timeout 600 bench/out/livebench -role client -mode "$mode" -addr "127.0.0.1:$port" -n "$n" -rate "$rate" -duration "$dur" -reader "$reader" | tee "$out"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sleep 2
}

if [ $# -ge 4 ]; then
  run "$@"
  exit 0
fi
run 10000 5 30s ws
run 10000 5 30s sse
run 19000 2 30s ws
run 19000 2 30s sse

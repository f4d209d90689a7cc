#!/usr/bin/env bash
# Direct messages delivered live: 2,000 members online, each following their
# conversation over the live WebSocket, half of them writing to the other
# half at a steady rate; a message is delivered when the reader's open page
# has fetched it. Loopback only; the run stops by itself. Results go to
# bench/out/social-*.txt; BENCHMARKS.md quotes them.
#
#   bench/social.sh [members=2000] [messages per second=200] [duration=20s]
set -euo pipefail
cd "$(dirname "$0")/.."
members=${1:-2000}
rate=${2:-200}
dur=${3:-20s}
mkdir -p bench/out
go build -o bench/out/canyu .
go build -o bench/out/socialbench ./bench/socialbench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
sb=bench/out/socialbench
port=$((19000 + RANDOM % 500))
addr="127.0.0.1:$port"
data=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$data"' EXIT

$sb -role setup -dir "$data" -members "$members" | tee bench/out/social-setup.txt
bench/out/canyu serve --dir "$data" --http "$addr" >bench/out/social-server.log 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://$addr/api/health" >/dev/null && break; sleep 0.1; done
timeout 300 $sb -role run -dir "$data" -addr "$addr" -rate "$rate" -duration "$dur" | tee bench/out/social-run.txt

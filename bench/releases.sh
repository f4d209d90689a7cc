#!/usr/bin/env bash
# Orange Friday at 17:00: the new release's page under a crowd of guests, the
# "what's new" JSON the brands' sites ask for, and Popcorn ballots from
# 20,000 members who upgraded. Loopback only; every run stops by itself.
# Results go to bench/out/releases-*.txt; BENCHMARKS.md quotes them.
#
#   bench/releases.sh [duration=20s] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-20s}
conns=${2:-64}
mkdir -p bench/out
go build -o bench/out/canyu .
go build -o bench/out/releasesbench ./bench/releasesbench
rb=bench/out/releasesbench
port=$((18400 + RANDOM % 500))
addr="127.0.0.1:$port"
data=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$data"' EXIT

$rb -role setup -dir "$data" -members 20000 | tee bench/out/releases-setup.txt
# 64 connections stand for 64 addresses here and for thousands on a real Friday: the ballots limit per
# address is off (the per-member limit stays on, as does PocketBase's budget of each address)
CANYU_RELEASES_LIMITS_VOTE_IP=off bench/out/canyu serve --dir "$data" --http "$addr" >bench/out/releases-server.log 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://$addr/api/health" >/dev/null && break; sleep 0.1; done

for role in page news vote; do
  echo "== $role ($conns connections, $dur)"
  timeout 300 $rb -role "$role" -dir "$data" -addr "$addr" -conns "$conns" -duration "$dur" | tee "bench/out/releases-$role.txt"
done
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
$rb -role verify -dir "$data" | tee -a bench/out/releases-vote.txt

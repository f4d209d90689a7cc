#!/usr/bin/env bash
# The points ledger under a burst: a sale's orders marked paid back to back
# (a payment provider's webhook, or staff), each paying its buyer points and
# making them VIP through sale.paid. Loopback only; the run stops by itself.
# Results go to bench/out/belonging-*.txt; BENCHMARKS.md quotes them.
#
#   bench/belonging.sh [orders=10000] [connections=8]
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-10000}
conns=${2:-8}
mkdir -p bench/out
go build -o bench/out/canyu .
go build -o bench/out/belongingbench ./bench/belongingbench
bb=bench/out/belongingbench
port=$((18800 + RANDOM % 500))
addr="127.0.0.1:$port"
data=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$data"' EXIT

$bb -role setup -dir "$data" -orders "$orders" | tee bench/out/belonging-setup.txt
# the staff limits (120 payments marked a minute; the site's writes budget, 120 a member and 600 an address a
# minute) are off: a provider's webhook
# marks a sale's orders as fast as they are paid
CANYU_SALES_LIMITS_STAFF_MEMBER=off CANYU_LIMITS_WRITES_MEMBER=off CANYU_LIMITS_WRITES_IP=off bench/out/canyu serve --dir "$data" --http "$addr" >bench/out/belonging-server.log 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://$addr/api/health" >/dev/null && break; sleep 0.1; done
timeout 600 $bb -role pay -dir "$data" -addr "$addr" -conns "$conns" | tee bench/out/belonging-pay.txt
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
$bb -role verify -dir "$data" | tee -a bench/out/belonging-pay.txt

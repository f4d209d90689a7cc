#!/usr/bin/env bash
# Red Tuesday benchmark: reservations per second, the sale moment (purchase
# attempts per second, time to sell out), the same sale moment against the
# plain PocketBase way, and kill -9 in the middle of a burst. Loopback only;
# every run stops by itself. Results go to bench/out/sales-*.txt;
# BENCHMARKS.md quotes them.
#
#   bench/sales.sh              # the full-scale figures of BENCHMARKS.md
#   bench/sales.sh buy          # one part: reserve, buy, naive or kill
#   bench/sales.sh quick        # the smaller runs: 30,000 members and 2,000 units; 200,000 fresh members for 20 s
#   bench/sales.sh ceiling      # a constant-answer Go HTTP server under the same generator
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/canyu .
go build -o bench/out/salesbench ./bench/salesbench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
sb=bench/out/salesbench
# a sale-day configuration: the default one, with an easy proof of work (the
# generator solves one puzzle per member on the same two cores) that stays
# valid while the whole crowd fetches its challenges
export CANYU_SALES_POW_BITS=4 CANYU_SALES_POW_TTL=15m

port=$((18200 + RANDOM % 500))
addr="127.0.0.1:$port"
pid=""
data=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$data" ] && rm -rf "$data"; true; }
trap cleanup EXIT

serve() { # dir [naive|trivial]
  if [ "${2:-}" = naive ]; then
    $sb -role naive-serve -dir "$1" -addr "$addr" >"bench/out/sales-server.log" 2>&1 &
  elif [ "${2:-}" = trivial ]; then
    $sb -role trivial-serve -dir "$1" -addr "$addr" >"bench/out/sales-server.log" 2>&1 &
  else
    bench/out/canyu serve --dir "$1" --http "$addr" >"bench/out/sales-server.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 100); do curl -sf "http://$addr/api/health" >/dev/null && return; sleep 0.1; done
  echo "the server did not start"; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

reserve() { # members duration outfile: reservations from a pool of fresh members
  data=$(mktemp -d)
  $sb -role setup -kind canyu -dir "$data" -members "$1" -reserved 0 -unreserved 0 -stock 10000 -opens-in 2h
  serve "$data"
  timeout 900 $sb -role reserve -dir "$data" -addr "$addr" -conns 128 -duration "$2" | tee "$3"
  stop; rm -rf "$data"; data=""
}

moment() { # kind outfile [reserved unreserved stock opens-in]: the crowd waits on the page, then 1,000 connections buy
  local reserved=${3:-100000} unreserved=${4:-10000} stock=${5:-10000} opens=${6:-75s}
  data=$(mktemp -d)
  $sb -role setup -kind "$1" -dir "$data" -members $((reserved + unreserved)) -reserved "$reserved" -unreserved "$unreserved" \
    -stock "$stock" -opens-in "$opens"
  serve "$data" "$1"
  timeout 300 $sb -role buy -kind "$1" -dir "$data" -addr "$addr" -conns 1000 -duration 10s | tee "$2"
  stop
  [ "$1" = trivial ] || $sb -role verify -kind "$1" -dir "$data" | tee -a "$2"
  rm -rf "$data"; data=""
}

kill9() { # kill -9 three seconds into the burst, restart, check every acknowledged order
  data=$(mktemp -d)
  $sb -role setup -kind canyu -dir "$data" -members 110000 -reserved 100000 -unreserved 10000 -stock 100000 -opens-in 75s
  serve "$data"
  timeout 300 $sb -role buy -kind canyu -dir "$data" -addr "$addr" -conns 1000 -duration 10s -acked "$data/acked.txt" \
    >bench/out/sales-kill9.txt &
  gen=$!
  opens=$(python3 -c 'import json,sys,datetime; print(int(datetime.datetime.fromisoformat(json.load(open(sys.argv[1]))["opens"].replace("Z","+00:00")).timestamp()))' "$data/plan.json")
  while [ "$(date +%s)" -lt $((opens + 3)) ]; do sleep 0.2; done
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  echo "server killed with SIGKILL 3 s after the opening" | tee -a bench/out/sales-kill9.txt
  wait "$gen" || true
  serve "$data"
  curl -sf "http://$addr/api/sales/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["buy_sale"])' "$data/plan.json")" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("after restart: stock %d, sold %d, remaining %d" % (d["stock"], d["sold"], d["remaining"]))' |
    tee -a bench/out/sales-kill9.txt
  stop
  $sb -role verify -kind canyu -dir "$data" -acked "$data/acked.txt" | tee -a bench/out/sales-kill9.txt
  cat bench/out/sales-kill9.txt
  rm -rf "$data"; data=""
}

case "${1:-all}" in
  reserve) reserve 900000 60s bench/out/sales-reserve.txt ;;
  quick)
    moment canyu bench/out/sales-buy-quick.txt 10000 1000 2000 25s
    reserve 200000 20s bench/out/sales-reserve-quick.txt
    ;;
  ceiling) moment trivial bench/out/sales-ceiling.txt 10000 1000 2000 25s ;;
  buy) moment canyu bench/out/sales-buy.txt ;;
  naive) moment naive bench/out/sales-naive.txt ;;
  kill) kill9 ;;
  all)
    reserve 900000 60s bench/out/sales-reserve.txt
    moment canyu bench/out/sales-buy.txt
    moment naive bench/out/sales-naive.txt
    kill9
    python3 - <<'EOF'
import re
def rate(f):
    return float(re.search(r"purchase attempts .*= (\d+)/s", open(f).read()).group(1))
c, n = rate("bench/out/sales-buy.txt"), rate("bench/out/sales-naive.txt")
print(f"sale moment: Canyu {c:.0f} attempts/s, plain PocketBase {n:.0f} attempts/s, ratio {c/n:.1f}x")
EOF
    ;;
  *) echo "usage: bench/sales.sh [reserve|buy|naive|kill|quick|ceiling]"; exit 2 ;;
esac

#!/usr/bin/env bash
# The sale on the cluster against `serve` alone (docs/cluster.md): the same
# sale moment (a crowd waiting on the sale's page, then purchase attempts
# back to back on keep-alive connections) three times on this machine:
# `canyu serve` alone, the core with one edge, the core with three edges
# (NATS with JetStream in its own process, so each process's CPU shows). It
# prints attempts per second and p99 of each, their ratios to serve alone,
# and the CPU each process spent: the core's and NATS's per acknowledged
# order, the edges' per attempt; then it checks every acknowledged order is
# stored once.
# Loopback only; every run stops by itself. Results: bench/out/cluster-*.txt.
#
#   bench/cluster.sh            # serve alone, 1 edge, 3 edges
#   bench/cluster.sh alone      # one of them: alone, 1 or 3
#   RESERVED=10000 bench/cluster.sh   # a smaller crowd
#   BIN=/tmp/canyu-old bench/cluster.sh alone   # serve alone from another build
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
go build -o bench/out/canyu .
bin=${BIN:-bench/out/canyu}
go build -o bench/out/salesbench ./bench/salesbench
go build -o bench/out/nats-server github.com/nats-io/nats-server/v2
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
sb=bench/out/salesbench
export CANYU_SALES_POW_BITS=4 CANYU_SALES_POW_TTL=15m
reserved=${RESERVED:-30000}
unreserved=$((reserved / 10))
stock=${STOCK:-5000}
conns=${CONNS:-600}
duration=${DURATION:-10s}
base=$((18700 + RANDOM % 200))
core="127.0.0.1:$base"
nats="127.0.0.1:$((base + 400))"
tick=$(getconf CLK_TCK)
pids=()
data=""
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; [ -n "$data" ] && rm -rf "$data"; true; }
trap cleanup EXIT

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ready() { # url
  for _ in $(seq 300); do curl -sf "$1" >/dev/null && return; sleep 0.1; done
  echo "$1 did not answer"; exit 1
}
sold() { curl -sf "http://$core/api/sales/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sold"])'; }

run() { # edges outfile
  local edges=$1 out=$2
  data=$(mktemp -d)
  $sb -role setup -kind canyu -dir "$data" -members $((reserved + unreserved)) -reserved "$reserved" -unreserved "$unreserved" \
    -stock "$stock" -opens-in 75s >/dev/null
  local sale
  sale=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["buy_sale"])' "$data/plan.json")
  pids=()
  local natspid="" edgepids=()
  if [ "$edges" = 0 ]; then
    $bin serve --dir "$data" --http "$core" >bench/out/cluster-core.log 2>&1 &
  else
    bench/out/nats-server -js -sd "$data/nats" -a 127.0.0.1 -p "${nats#*:}" >bench/out/cluster-nats.log 2>&1 &
    natspid=$!
    pids+=("$natspid")
    CANYU_CLUSTER_NATS_URL="nats://$nats" $bin serve --cluster --dir "$data" --http "$core" >bench/out/cluster-core.log 2>&1 &
  fi
  local corepid=$!
  pids+=("$corepid")
  ready "http://$core/api/sales/$sale"
  local addrs=$core
  if [ "$edges" != 0 ]; then
    addrs=""
    for i in $(seq "$edges"); do
      local a="127.0.0.1:$((base + i))"
      $bin edge --nats "nats://$nats" --core "http://$core" --http "$a" --node "edge-$i" >"bench/out/cluster-edge-$i.log" 2>&1 &
      pids+=("$!")
      edgepids+=("$!")
      ready "http://$a/api/sales/$sale"
      addrs="$addrs${addrs:+,}$a"
    done
  fi
  local c0 n0=0 e0=0
  c0=$(ticks "$corepid")
  [ -n "$natspid" ] && n0=$(ticks "$natspid")
  for p in "${edgepids[@]}"; do e0=$((e0 + $(ticks "$p"))); done
  timeout 300 $sb -role buy -kind canyu -dir "$data" -addr "$addrs" -conns "$conns" -duration "$duration" -acked "$data/acked.txt" | tee "$out"
  # the core stores what the edges acknowledged: wait until it has it all
  local acked last=-1 now
  acked=$(grep -c . "$data/acked.txt" || true)
  for _ in $(seq 600); do
    now=$(sold "$sale")
    [ "$now" -ge "$acked" ] && [ "$now" = "$last" ] && break
    last=$now
    sleep 0.5
  done
  local c1 n1=0 e1=0
  c1=$(ticks "$corepid")
  [ -n "$natspid" ] && n1=$(ticks "$natspid")
  for p in "${edgepids[@]}"; do e1=$((e1 + $(ticks "$p"))); done
  local attempts
  attempts=$(sed -n 's/^purchase attempts .*: \([0-9]*\) requests.*/\1/p' "$out")
  python3 - "$tick" "$acked" "$attempts" "$((c1 - c0))" "$((n1 - n0))" "$((e1 - e0))" <<'EOF' | tee -a "$out"
import sys
tick, acked, attempts, core, nats, edges = (int(x) for x in sys.argv[1:])
s = lambda t: t / tick
print(f"  core CPU: {s(core):.2f} s for {acked} acknowledged orders = {1000*s(core)/max(acked,1):.3f} ms per order (burst and storing)")
if nats or edges:
    print(f"  NATS CPU: {s(nats):.2f} s = {1000*s(nats)/max(acked,1):.3f} ms per order")
    print(f"  edges' CPU: {s(edges):.2f} s for {attempts} attempts = {1e6*s(edges)/max(attempts,1):.0f} us per attempt")
EOF
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  $sb -role verify -kind canyu -dir "$data" -acked "$data/acked.txt" | tee -a "$out"
  rm -rf "$data"; data=""
}

case "${1:-all}" in
  alone) run 0 bench/out/cluster-alone.txt; exit ;;
  1) run 1 bench/out/cluster-edge1.txt; exit ;;
  3) run 3 bench/out/cluster-edge3.txt; exit ;;
  all)
    run 0 bench/out/cluster-alone.txt
    run 1 bench/out/cluster-edge1.txt
    run 3 bench/out/cluster-edge3.txt
    ;;
  *) echo "usage: bench/cluster.sh [alone|1|3|all]"; exit 2 ;;
esac
python3 - <<'EOF'
import re
def fig(f):
    t = open(f).read()
    rate = float(re.search(r"purchase attempts .*= (\d+)/s", t).group(1))
    p99 = re.search(r"purchase attempts[^\n]*\n[^\n]*p99 ([\d.]+) ms", t)
    cpu = float(re.search(r"= ([\d.]+) ms per order", t).group(1))
    return rate, (float(p99.group(1)) if p99 else float("nan")), cpu
a = fig("bench/out/cluster-alone.txt")
for name, f in [("serve alone", "bench/out/cluster-alone.txt"), ("1 edge", "bench/out/cluster-edge1.txt"), ("3 edges", "bench/out/cluster-edge3.txt")]:
    r, p, c = fig(f)
    print(f"{name:12s} {r:8.0f} attempts/s ({r/a[0]:.2f}x)  p99 {p:7.1f} ms  core CPU {c:.3f} ms per acknowledged order")
EOF

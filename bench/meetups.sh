#!/usr/bin/env bash
# Popcorn's rushes: RSVPs at the opening of a 400-seat event with 4,000
# members trying in the same moment, then the door (check-ins back to back,
# one door, then four). Loopback only; every run stops by itself. Results go
# to bench/out/meetups-*.txt; BENCHMARKS.md quotes them.
#
#   bench/meetups.sh [members=4000] [seats=400]
set -euo pipefail
cd "$(dirname "$0")/.."
members=${1:-4000}
seats=${2:-400}
mkdir -p bench/out
go build -o bench/out/canyu .
go build -o bench/out/meetupsbench ./bench/meetupsbench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mb=bench/out/meetupsbench
port=$((18600 + RANDOM % 500))
addr="127.0.0.1:$port"
data=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$data"' EXIT

$mb -role setup -dir "$data" -members "$members" -seats "$seats" -opens-in 30s | tee bench/out/meetups-setup.txt
# the limits per organizer (the door's 600 scans a minute, the site's 120 writes a minute) are off here: they
# bound a real door, and this run measures the server behind it
CANYU_MEETUPS_LIMITS_CHECKIN_MEMBER=off CANYU_LIMITS_WRITES_MEMBER=off bench/out/canyu serve --dir "$data" --http "$addr" >bench/out/meetups-server.log 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://$addr/api/health" >/dev/null && break; sleep 0.1; done
timeout 300 $mb -role rsvp -dir "$data" -addr "$addr" | tee bench/out/meetups-rsvp.txt
timeout 300 $mb -role door -dir "$data" -addr "$addr" -doors 1 | tee bench/out/meetups-door.txt
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
$mb -role verify -dir "$data" | tee -a bench/out/meetups-door.txt

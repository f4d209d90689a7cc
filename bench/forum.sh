#!/usr/bin/env bash
# Forum read speed: a board's topic list and a topic page with 100 replies,
# under wrk on loopback. Results go to bench/out/forum-*.txt; BENCHMARKS.md
# quotes them.   bench/forum.sh [duration=20s] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-20s}
conns=${2:-64}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk"; exit 1; }
mkdir -p bench/out
go build -o bench/out/canyu .
data=$(mktemp -d)
port=$((19090 + RANDOM % 500))
base="http://127.0.0.1:$port"
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
bench/out/canyu demo --dir "$data" >/dev/null
bench/out/canyu serve --dir "$data" --http "127.0.0.1:$port" >"bench/out/forum-server.log" 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "$base/api/health" >/dev/null && break; sleep 0.2; done

token=$(curl -sf -X POST "$base/api/collections/users/auth-with-password" -H 'Content-Type: application/json' \
  -d '{"identity":"hong@demo.canyu","password":"canyu-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
topic=$(curl -sf "$base/api/forum/hot?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
have=$(curl -sf "$base/api/collections/forum_topics/records/$topic" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reply_count"])')
for i in $(seq $((have + 1)) 100); do
  curl -sf -o /dev/null -X POST "$base/api/forum/topics/$topic/posts" -H "Authorization: $token" -H 'Content-Type: application/json' \
    -d "{\"body\":\"Reply **$i**: the night mode would help me too, see [the roadmap](https://example.com/roadmap) and\\n\\n- point one\\n- point two\"}"
  [ $((i % 20)) -eq 0 ] && sleep 1 # stay under the API rate limit
done
echo "topic $topic has $(curl -sf "$base/api/collections/forum_topics/records/$topic" | python3 -c 'import json,sys; print(json.load(sys.stdin)["reply_count"])') replies"

for page in "/forum/b/camera" "/forum/t/$topic"; do
  name=$(echo "$page" | cut -d/ -f3)
  echo "== GET $page ($conns connections, 2 threads, $dur)"
  wrk -t2 -c"$conns" -d"$dur" --latency "$base$page" | tee "bench/out/forum-$name.txt"
done

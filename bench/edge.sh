#!/usr/bin/env bash
# Edge throughput and tail latency: edgecd vs nginx vs Caddy serving the same
# 1 KiB and 100 KiB files from the same directory on loopback. Each server is
# pinned to CPU 0 (one core, GOMAXPROCS=1 for the Go servers, one nginx
# worker); wrk runs on CPU 1 with the same settings for all three. Prints
# requests/s and p99 for each and the ratios edgecd/nginx and edgecd/Caddy.
#
#   bash bench/edge.sh            # 10 s per run
#   DURATION=30s CONNS=128 bash bench/edge.sh
#
# Needs nginx-light, caddy and wrk (installed when missing). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v caddy >/dev/null || need+=(caddy)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/edgecd-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/edgecd" ./cmd/edgecd
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# edgecd with its demo; the benchmark files go next to the demo's 1.0.0/.
EP=$(free_port)
GOMAXPROCS=1 taskset -c 0 "$work/edgecd" up --data-dir "$work/data" --edge-addr 127.0.0.1:$EP --api-addr 127.0.0.1:0 --native --log-level warn >"$work/up.out" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [ -f "$work/data/up.json" ] && break; sleep 0.05; done
DOMAIN=$(python3 -c "import json;print(json.load(open('$work/data/up.json'))['distributions'][0]['domain'])")
ROOT="$work/data/objects/site/1.0.0"
head -c 1024 /dev/urandom >"$ROOT/bench-1k.bin"
head -c 102400 /dev/urandom >"$ROOT/bench-100k.bin"

# Switch the demo's policy to a sticky SingleWeight canary when the
# CloudFront API is there, so the routing decision is on the measured path.
POLICY="header policy"
API=$(python3 -c "import json;print(json.load(open('$work/data/up.json'))['api_url'])")
export AWS_ACCESS_KEY_ID=$(python3 -c "import json;print(json.load(open('$work/data/up.json'))['access_key_id'])")
export AWS_SECRET_ACCESS_KEY=$(python3 -c "import json;print(json.load(open('$work/data/up.json'))['secret_access_key'])")
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
if [ -x /usr/bin/aws ] && bash bench/lib/weighted-policy.sh "$API" >/dev/null 2>&1; then
  POLICY="SingleWeight 0.5, sticky 300/600 s"
fi

NP=$(free_port)
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on;
  server { listen 127.0.0.1:$NP; root $ROOT; etag on; }
}
NGINX
taskset -c 0 nginx -c "$work/nginx.conf" &
pids+=($!)

CP=$(free_port)
cat >"$work/Caddyfile" <<CADDY
{
  admin off
  auto_https off
  log {
    output discard
  }
}
http://127.0.0.1:$CP {
  root * $ROOT
  file_server
}
CADDY
GOMAXPROCS=1 taskset -c 0 caddy run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
pids+=($!)
for port in $EP $NP $CP; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
  curl -s -o /dev/null "http://127.0.0.1:$port/" || { echo "a server on port $port did not start; logs in $work" >&2; cat "$work"/*.log "$work"/*.err 2>/dev/null >&2; exit 1; }
done

run_wrk() { # url [host] -> "rps p99ms"
  local url=$1 host=${2:-}
  local args=(-t1 -c"$CONNS" -d"$DURATION" --latency)
  [ -n "$host" ] && args+=(-H "Host: $host")
  taskset -c 1 wrk "${args[@]}" "$url" >/dev/null 2>&1 # warm-up pass fills caches
  taskset -c 1 wrk "${args[@]}" "$url" | awk '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
    END {printf "%s %s\n", rps, p99}'
}

echo "edge benchmark: $DURATION per run, $CONNS connections, servers on 1 core, wrk on another; edgecd policy: $POLICY"
printf "%-10s %-8s %12s %10s\n" file server "req/s" "p99 ms"
for f in bench-1k.bin bench-100k.bin; do
  read -r e_rps e_p99 < <(run_wrk "http://127.0.0.1:$EP/$f" "$DOMAIN")
  read -r n_rps n_p99 < <(run_wrk "http://127.0.0.1:$NP/$f")
  read -r c_rps c_p99 < <(run_wrk "http://127.0.0.1:$CP/$f")
  printf "%-10s %-8s %12s %10s\n" "$f" edgecd "$e_rps" "$e_p99" "$f" nginx "$n_rps" "$n_p99" "$f" caddy "$c_rps" "$c_p99"
  python3 - "$f" "$e_rps" "$e_p99" "$n_rps" "$n_p99" "$c_rps" "$c_p99" <<'PY'
import sys
f, e, ep, n, np_, c, cp = sys.argv[1], *map(float, sys.argv[2:])
print(f"{f}: edgecd/nginx rps {e/n:.2f}x  p99 {ep/np_:.2f}x   edgecd/caddy rps {e/c:.2f}x  p99 {ep/cp:.2f}x")
PY
done

#!/usr/bin/env bash
# Edge throughput and tail latency: edgecd vs nginx vs Caddy serving the same
# 1 KiB and 100 KiB files from the same directory on loopback. Every server is
# pinned to the same CPUs (SERVER_CPUS, default 0) with as many workers as
# CPUs (GOMAXPROCS for the Go servers, worker_processes for nginx); wrk runs
# on WRK_CPUS (default 1) with one thread per CPU and the same settings for
# all. All keep connections alive (nginx's keepalive_requests is raised so
# that, like the Go servers, it never closes a busy connection). nginx is
# configured as a user serving static files would: sendfile, tcp_nopush,
# open_file_cache. edgecd runs with a sticky SingleWeight policy, measured
# twice: wrk without cookies (every request a new viewer: a draw, an HMAC and
# a Set-Cookie) and wrk sending a valid session cookie (a returning viewer,
# as a browser is after its first request). The servers run one after the
# other, RUNS times (other work on the machine shifts all of them alike
# within a run); the table shows each figure's median over the runs, with
# how busy wrk's CPUs were (at 100%, wrk bounds req/s, not the server). Last,
# the time from a config change (a promote over the API) to the edge
# serving it, with bench/promote.
#
#   bash bench/edge.sh            # 3 runs of 10 s per server and file
#   RUNS=5 DURATION=30s CONNS=128 bash bench/edge.sh
#   FILES=bench-1k.bin RUNS=7 bash bench/edge.sh   # one file size only
#
# Needs nginx-light, caddy and wrk (installed when missing). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
RUNS=${RUNS:-3}
FILES=${FILES:-bench-1k.bin bench-100k.bin}
PROMOTES=${PROMOTES:-50}
SERVER_CPUS=${SERVER_CPUS:-0}
WRK_CPUS=${WRK_CPUS:-1}
ncpus() { python3 -c "import sys;n=0
for p in sys.argv[1].split(','):
    a,_,b=p.partition('-'); n+=int(b or a)-int(a)+1
print(n)" "$1"; }
NS=$(ncpus "$SERVER_CPUS")
NW=$(ncpus "$WRK_CPUS")
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
GOMAXPROCS=$NS taskset -c "$SERVER_CPUS" "$work/edgecd" up --data-dir "$work/data" --edge-addr 127.0.0.1:$EP --api-addr 127.0.0.1:0 --native --log-level warn >"$work/up.out" 2>&1 &
EPID=$!
pids+=($EPID)
for _ in $(seq 200); do [ -f "$work/data/up.json" ] && break; sleep 0.05; done
DOMAIN=$(python3 -c "import json;print(json.load(open('$work/data/up.json'))['distributions'][0]['domain'])")
ROOT="$work/data/objects/site/1.0.0"
head -c 1024 /dev/urandom >"$ROOT/bench-1k.bin"
head -c 102400 /dev/urandom >"$ROOT/bench-100k.bin"
# The same files on the staging side (origin path /2.0.0), so that viewers
# the canary draws to staging get the file too, not the SPA fallback page.
cp "$ROOT"/bench-*.bin "$work/data/objects/site/2.0.0/"

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
worker_processes $NS;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  server { listen 127.0.0.1:$NP; root $ROOT; etag on; }
}
NGINX
taskset -c "$SERVER_CPUS" nginx -c "$work/nginx.conf" &
NPID=$!
pids+=($NPID)

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
GOMAXPROCS=$NS taskset -c "$SERVER_CPUS" caddy run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
CPID=$!
pids+=($CPID)
# nginx's workers run as nobody: let them read the files (edgecd keeps its
# data directory private, and mktemp's directory is 0700). Without this
# nginx answers 403 to everything and the comparison is void.
chmod a+rx "$work" "$work/data" "$work/data/objects" "$work/data/objects/site" "$ROOT" "$work/data/objects/site/2.0.0"
chmod a+r "$ROOT"/bench-*.bin
for port in $EP $NP $CP; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
  curl -s -o /dev/null "http://127.0.0.1:$port/" || { echo "a server on port $port did not start; logs in $work" >&2; cat "$work"/*.log "$work"/*.err 2>/dev/null >&2; exit 1; }
done

# CPU time (user+system, clock ticks) used so far by a process and its
# children (nginx's workers).
cpu_ticks() {
  local all=("$1")
  all+=($(pgrep -P "$1" || true))
  for p in "${all[@]}"; do awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || true; done | awk '{s+=$1} END {print s+0}'
}

# Busy and total jiffies of the load generator's CPUs so far (from
# /proc/stat): when wrk's CPUs are all busy, wrk, not the server, bounds
# requests/s, and the server's CPU time per request is its capacity figure.
client_jiffies() {
  python3 - "$WRK_CPUS" <<'PY'
import sys
want = set()
for p in sys.argv[1].split(","):
    a, _, b = p.partition("-")
    want.update(range(int(a), int(b or a) + 1))
busy = total = 0
for line in open("/proc/stat"):
    f = line.split()
    if f[0].startswith("cpu") and f[0] != "cpu" and int(f[0][3:]) in want:
        v = [int(x) for x in f[1:8]]
        total += sum(v)
        busy += sum(v) - v[3] - v[4]  # all but idle and iowait
print(busy, total)
PY
}

# run_wrk pid url [extra wrk args...] -> "rps p99ms cpu-us-per-request
# client-busy-percent". The server's CPU time per request is the figure
# other work on a shared machine disturbs least: it does not count time the
# server waited for a CPU.
run_wrk() {
  local pid=$1 url=$2; shift 2
  local args=(-t"$NW" -c"$CONNS" --latency "$@")
  taskset -c "$WRK_CPUS" wrk "${args[@]}" -d2s "$url" >/dev/null 2>&1 # warm-up pass fills caches
  local t0 t1 c0 c1 out
  t0=$(cpu_ticks "$pid")
  c0=$(client_jiffies)
  out=$(taskset -c "$WRK_CPUS" wrk "${args[@]}" -d"$DURATION" "$url")
  c1=$(client_jiffies)
  t1=$(cpu_ticks "$pid")
  awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v c="$c0 $c1" '
    / requests in / {n=$1}
    /Non-2xx/ {bad=$NF}
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v}
    END {if (bad > 0) {print "wrk saw " bad " non-2xx answers" > "/dev/stderr"; exit 1}
         split(c, j, " ")
         printf "%s %s %.2f %.0f\n", rps, p99, (n > 0 ? ticks * 1e6 / hz / n : 0), (j[4] > j[2] ? 100 * (j[3] - j[1]) / (j[4] - j[2]) : 0)}' <<<"$out"
}

# Every server must answer 200 with the whole file before it is measured.
for f in bench-1k.bin bench-100k.bin; do
  want=$(stat -c %s "$ROOT/$f")
  for target in "$EP $DOMAIN" "$NP 127.0.0.1" "$CP 127.0.0.1"; do
    read -r port host <<<"$target"
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "Host: $host" "http://127.0.0.1:$port/$f")
    [ "$got" = "200 $want" ] || { echo "port $port answered $got for $f, want 200 $want; logs in $work" >&2; exit 1; }
  done
done

# A returning viewer's cookie, fetched just before its run so that it is
# fresh (wrk sends the same cookie throughout, as it never stores one).
session_cookie() {
  curl -s -o /dev/null -D - -H "Host: $DOMAIN" "http://127.0.0.1:$EP/$1" |
    awk -F'[: ;]+' 'tolower($1)=="set-cookie" {print $2; exit}'
}

echo "edge benchmark: $RUNS runs of $DURATION per server and file, $CONNS connections; servers on CPUs $SERVER_CPUS ($NS workers), wrk on CPUs $WRK_CPUS ($NW threads); edgecd policy: $POLICY"
results="$work/results"
: >"$results"
for run in $(seq "$RUNS"); do
  for f in $FILES; do
    echo "$run $f edgecd-new $(run_wrk "$EPID" "http://127.0.0.1:$EP/$f" -H "Host: $DOMAIN")" >>"$results"
    cookie=$(session_cookie "$f")
    echo "$run $f edgecd-cookie $(run_wrk "$EPID" "http://127.0.0.1:$EP/$f" -H "Host: $DOMAIN" -H "Cookie: $cookie")" >>"$results"
    echo "$run $f nginx $(run_wrk "$NPID" "http://127.0.0.1:$NP/$f")" >>"$results"
    echo "$run $f caddy $(run_wrk "$CPID" "http://127.0.0.1:$CP/$f")" >>"$results"
  done
  echo "run $run done" >&2
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 7]
by = {}
for run, f, srv, rps, p99, cpu, client in rows:
    by.setdefault((f, srv), []).append((float(rps), float(p99), float(cpu), float(client)))
med = {k: tuple(statistics.median(r[i] for r in v) for i in range(4)) for k, v in by.items()}
n = len(next(iter(by.values())))
print(f"{'file':<16}{'server':<15}{'req/s':>10}{'p99 ms':>9}{'CPU us/req':>12}{'wrk busy':>10}   median of {n} runs; the runs (req/s, p99 ms, CPU us/req):")
for (f, srv), (rps, p99, cpu, client) in sorted(med.items()):
    runs = "  ".join(f"{r:.0f} {p:.2f} {c:.1f}" for r, p, c, _ in by[(f, srv)])
    print(f"{f:<16}{srv:<15}{rps:>10.0f}{p99:>9.2f}{cpu:>12.1f}{client:>9.0f}%   {runs}")
print("ratios of medians (CPU us/req: lower is better; below 1.00x edgecd uses less CPU per request):")
for f in sorted({k[0] for k in med}):
    nx, cd = med[(f, "nginx")], med[(f, "caddy")]
    for srv in ("edgecd-new", "edgecd-cookie"):
        e = med[(f, srv)]
        print(f"  {f} {srv:<14} vs nginx: req/s {e[0]/nx[0]:.2f}x p99 {e[1]/nx[1]:.2f}x CPU/req {e[2]/nx[2]:.2f}x"
              f"   vs caddy: req/s {e[0]/cd[0]:.2f}x p99 {e[1]/cd[1]:.2f}x CPU/req {e[2]/cd[2]:.2f}x")
busy = sorted((srv, f) for (f, srv), m in med.items() if m[3] >= 95)
if busy:
    print("wrk's CPUs were busy (>= 95%) for: " + ", ".join(f"{srv} {f}" for srv, f in busy) + ".")
    print("There the load generator, not the server, bounds req/s: compare CPU us/req, the server's cost per")
    print("request (1e6 / CPU us/req is what one server CPU could serve with a faster client).")
PY

echo "config change -> edge serving it ($PROMOTES promotes over the CloudFront API):"
go run ./bench/promote -data-dir "$work/data" -n "$PROMOTES"

#!/usr/bin/env bash
# edgecd deploy vs aws s3 sync vs rclone: N small files into a running
# edgecd (a fresh `edgecd up` on loopback), each tool into its own bucket,
# then a no-change re-run of each. Prints wall seconds, files/s, the CPU
# seconds the edgecd server spent on each run (to tell a client-bound tool
# from a server-bound one), and the ratios.
#
#   N=10000 bash bench/deploy.sh
#   DATA_PARENT=/dev/shm N=10000 bash bench/deploy.sh   # server data on tmpfs: fsync costs nothing
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
work=$(mktemp -d /tmp/edgecd-deploy-bench.XXXXXX)
data=$(mktemp -d "${DATA_PARENT:-$work}/edgecd-data.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work" "$data"; }
trap cleanup EXIT
go build -o "$work/edgecd" ./cmd/edgecd
"$work/edgecd" up --data-dir "$data" --edge-addr 127.0.0.1:0 --api-addr 127.0.0.1:0 --log-level warn >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ -f "$data/up.json" ] && break; sleep 0.05; done
eval "$(python3 -c "
import json;d=json.load(open('$data/up.json'))
print(f\"export E={d['api_url']} AWS_ACCESS_KEY_ID={d['access_key_id']} AWS_SECRET_ACCESS_KEY='{d['secret_access_key']}' AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true\")")"
unset AWS_CA_BUNDLE AWS_PROFILE
export AWS_ENDPOINT_URL=$E XDG_CACHE_HOME=$work/cache # deploy's hash cache stays in $work
python3 - "$work/build" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "assets", f"d{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.js"), "w") as f:
        f.write(f"export const v{i} = {i};\n" * 8)
PY
for b in deploy awscli rclone; do /usr/bin/aws --endpoint-url "$E" s3 mb "s3://$b" >/dev/null; done
# t CMD...: "wall_seconds server_cpu_seconds"
t() {
  local s c0 c1
  c0=$(awk '{print $14+$15}' /proc/$pid/stat); s=$(date +%s.%N)
  "$@" >/dev/null
  c1=$(awk '{print $14+$15}' /proc/$pid/stat)
  python3 -c "import os,time;print(f'{time.time()-$s:.2f} {($c1-$c0)/os.sysconf(\"SC_CLK_TCK\"):.2f}')"
}
rc() { rclone --config /dev/null --s3-provider Other --s3-endpoint "$E" --s3-access-key-id "$AWS_ACCESS_KEY_ID" \
  --s3-secret-access-key "$AWS_SECRET_ACCESS_KEY" --s3-region us-east-1 --s3-force-path-style --transfers 16 --checkers 16 "$@"; }
d1=$(t "$work/edgecd" deploy "$work/build" s3://deploy/site/)
d2=$(t "$work/edgecd" deploy "$work/build" s3://deploy/site/)
d3=$(t "$work/edgecd" deploy --no-cache "$work/build" s3://deploy/site/)
a1=$(t /usr/bin/aws --endpoint-url "$E" s3 sync --only-show-errors "$work/build" s3://awscli/site/)
a2=$(t /usr/bin/aws --endpoint-url "$E" s3 sync --only-show-errors "$work/build" s3://awscli/site/)
r1=$(t rc sync "$work/build" :s3:rclone/site/)
r2=$(t rc sync "$work/build" :s3:rclone/site/)
python3 - "$N" $d1 $d2 $d3 $a1 $a2 $r1 $r2 <<'PY'
import sys
n = int(sys.argv[1]); v = list(map(float, sys.argv[2:]))
(d1, d1c), (d2, d2c), (d3, d3c), (a1, a1c), (a2, a2c), (r1, r1c), (r2, r2c) = zip(v[0::2], v[1::2])
print(f"{n} small files into edgecd (loopback); server CPU in brackets")
for name, first, fc, again, ac in (("edgecd deploy", d1, d1c, d2, d2c), ("aws s3 sync", a1, a1c, a2, a2c), ("rclone sync", r1, r1c, r2, r2c)):
    print(f"  {name:14s} first {first:7.2f} s ({n/first:6.0f} files/s) [{fc:5.2f} s]   no-change re-run {again:5.2f} s [{ac:4.2f} s]")
print(f"  edgecd deploy --no-cache no-change re-run {d3:.2f} s [{d3c:.2f} s]")
print(f"  deploy vs aws s3 sync: {a1/d1:.1f}x faster first, {a2/d2:.1f}x faster re-run")
print(f"  deploy vs rclone:      {r1/d1:.1f}x faster first, {r2/d2:.1f}x faster re-run")
PY

#!/usr/bin/env bash
# edgecd deploy vs aws s3 sync vs rclone: N small files into a running
# edgecd (a fresh `edgecd up` on loopback), each tool into its own bucket,
# then a no-change re-run of each. Prints wall seconds, files/s, the CPU
# seconds the edgecd server spent on each run (to tell a client-bound tool
# from a server-bound one), and the ratios.
#
#   N=10000 bash bench/deploy.sh
#   R=3 N=10000 bash bench/deploy.sh                     # best of 3 rounds (a busy machine)
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
# (The end time is taken right after the command: timing with python's
# clock would add python's start-up, a second on a busy machine.)
t() {
  local s e c0 c1
  read -r c0 < <(awk '{print $14+$15}' /proc/$pid/stat); s=$(date +%s.%N)
  "$@" >/dev/null
  e=$(date +%s.%N); read -r c1 < <(awk '{print $14+$15}' /proc/$pid/stat)
  echo "$s $e $c0 $c1" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f %.2f\n", $2-$1, ($4-$3)/hz}'
}
rc() { rclone --config /dev/null --s3-provider Other --s3-endpoint "$E" --s3-access-key-id "$AWS_ACCESS_KEY_ID" \
  --s3-secret-access-key "$AWS_SECRET_ACCESS_KEY" --s3-region us-east-1 --s3-force-path-style --transfers 16 --checkers 16 "$@"; }
# R rounds (default 1), each into fresh prefixes; the best round of each
# tool is reported, the usual answer to a machine shared with other work.
R=${R:-1}
: >"$work/times"
for r in $(seq "$R"); do
  echo "d1 $(t "$work/edgecd" deploy "$work/build" "s3://deploy/site$r/")" >>"$work/times"
  echo "d2 $(t "$work/edgecd" deploy "$work/build" "s3://deploy/site$r/")" >>"$work/times"
  echo "d3 $(t "$work/edgecd" deploy --no-cache "$work/build" "s3://deploy/site$r/")" >>"$work/times"
  echo "a1 $(t /usr/bin/aws --endpoint-url "$E" s3 sync --only-show-errors "$work/build" "s3://awscli/site$r/")" >>"$work/times"
  echo "a2 $(t /usr/bin/aws --endpoint-url "$E" s3 sync --only-show-errors "$work/build" "s3://awscli/site$r/")" >>"$work/times"
  echo "r1 $(t rc sync "$work/build" ":s3:rclone/site$r/")" >>"$work/times"
  echo "r2 $(t rc sync "$work/build" ":s3:rclone/site$r/")" >>"$work/times"
done
python3 - "$N" "$R" "$work/times" <<'PY'
import sys
n, rounds = int(sys.argv[1]), int(sys.argv[2])
runs = {}
for line in open(sys.argv[3]):
    k, wall, cpu = line.split()
    runs.setdefault(k, []).append((float(wall), float(cpu)))
best = {k: min(v) for k, v in runs.items()}
print(f"{n} small files into edgecd (loopback), best of {rounds}; edgecd server CPU seconds in brackets")
for name, f, a in (("edgecd deploy", "d1", "d2"), ("aws s3 sync", "a1", "a2"), ("rclone sync", "r1", "r2")):
    (fw, fc), (aw, ac) = best[f], best[a]
    print(f"  {name:14s} first {fw:7.2f} s ({n/fw:6.0f} files/s) [{fc:5.2f}]   no-change re-run {aw:5.2f} s [{ac:4.2f}]")
print(f"  edgecd deploy --no-cache no-change re-run {best['d3'][0]:.2f} s [{best['d3'][1]:.2f}]")
print(f"  deploy vs aws s3 sync: {best['a1'][0]/best['d1'][0]:.1f}x faster first, {best['a2'][0]/best['d2'][0]:.1f}x faster re-run")
print(f"  deploy vs rclone:      {best['r1'][0]/best['d1'][0]:.1f}x faster first, {best['r2'][0]/best['d2'][0]:.1f}x faster re-run")
if rounds > 1:
    for k in sorted(runs):
        print(f"  all {k}: " + " ".join(f"{w:.2f}" for w, _ in runs[k]))
PY

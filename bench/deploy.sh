#!/usr/bin/env bash
# edgecd deploy vs aws s3 sync vs rclone: N small files into a running
# edgecd (a fresh `edgecd up` on loopback), then a no-change redeploy.
# Prints seconds and files/s for each tool and the ratios.
#
#   N=10000 bash bench/deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
work=$(mktemp -d /tmp/edgecd-deploy-bench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/edgecd" ./cmd/edgecd
"$work/edgecd" up --data-dir "$work/data" --edge-addr 127.0.0.1:0 --api-addr 127.0.0.1:0 --log-level warn >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ -f "$work/data/up.json" ] && break; sleep 0.05; done
eval "$(python3 -c "
import json;d=json.load(open('$work/data/up.json'))
print(f\"export E={d['api_url']} AWS_ACCESS_KEY_ID={d['access_key_id']} AWS_SECRET_ACCESS_KEY='{d['secret_access_key']}' AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true\")")"
unset AWS_CA_BUNDLE
export AWS_ENDPOINT_URL=$E
python3 - "$work/build" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "assets", f"d{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.js"), "w") as f:
        f.write(f"export const v{i} = {i};\n" * 8)
PY
t() { local s=$(date +%s.%N); "$@" >/dev/null; python3 -c "import time;print(f'{time.time()-$s:.2f}')"; }
rc() { rclone --config /dev/null --s3-provider Other --s3-endpoint "$E" --s3-access-key-id "$AWS_ACCESS_KEY_ID" \
  --s3-secret-access-key "$AWS_SECRET_ACCESS_KEY" --s3-region us-east-1 --s3-force-path-style --transfers 16 --checkers 16 "$@"; }
d1=$(t "$work/edgecd" deploy "$work/build" s3://site/deploy/)
d2=$(t "$work/edgecd" deploy "$work/build" s3://site/deploy/)
a1=$(t /usr/bin/aws --endpoint-url "$E" s3 sync --only-show-errors "$work/build" s3://site/awscli/)
a2=$(t /usr/bin/aws --endpoint-url "$E" s3 sync --only-show-errors "$work/build" s3://site/awscli/)
r1=$(t rc sync "$work/build" :s3:site/rclone/)
r2=$(t rc sync "$work/build" :s3:site/rclone/)
python3 - "$N" "$d1" "$d2" "$a1" "$a2" "$r1" "$r2" <<'PY'
import sys
n = int(sys.argv[1]); d1, d2, a1, a2, r1, r2 = map(float, sys.argv[2:])
print(f"{n} small files into edgecd (loopback)")
for name, first, again in (("edgecd deploy", d1, d2), ("aws s3 sync", a1, a2), ("rclone sync", r1, r2)):
    print(f"  {name:14s} first {first:7.2f} s ({n/first:7.0f} files/s)   no-change re-run {again:6.2f} s")
print(f"  deploy vs aws s3 sync: {a1/d1:.1f}x faster first, {a2/d2:.1f}x faster re-run")
print(f"  deploy vs rclone:      {r1/d1:.1f}x faster first, {r2/d2:.1f}x faster re-run")
PY

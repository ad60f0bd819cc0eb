#!/usr/bin/env bash
# The S3 API's baseline: `aws s3 sync` and `rclone sync` of N small files,
# and `aws s3 cp` / `rclone copy` of one large file, into a fresh
# `edgecd up` on loopback. Prints files/s and MiB/s.
#
#   N=10000 SIZE_MIB=1024 bash bench/s3.sh
# Each tool run is bounded by LIMIT seconds (default 600).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
SIZE_MIB=${SIZE_MIB:-1024}
LIMIT=${LIMIT:-600}
work=$(mktemp -d /tmp/edgecd-s3-bench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/edgecd" ./cmd/edgecd
"$work/edgecd" up --data-dir "$work/data" --edge-addr 127.0.0.1:0 --api-addr 127.0.0.1:0 --log-level warn >/dev/null 2>&1 &
pid=$!
for _ in $(seq 400); do [ -f "$work/data/up.json" ] && break; sleep 0.05; done
[ -f "$work/data/up.json" ] || { echo "edgecd up did not write up.json" >&2; exit 1; }
eval "$(python3 -c "
import json;d=json.load(open('$work/data/up.json'))
print(f\"export E={d['api_url']} AWS_ACCESS_KEY_ID={d['access_key_id']} AWS_SECRET_ACCESS_KEY='{d['secret_access_key']}' AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true\")")"
unset AWS_CA_BUNDLE AWS_PROFILE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

python3 - "$work/small" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "assets", f"d{i % 100:02d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.js"), "w") as f:
        f.write(f"export const v{i} = {i};\n" * 8)
PY
mkdir -p "$work/big"
head -c "$((SIZE_MIB << 20))" /dev/urandom >"$work/big/big.bin"

aws() { timeout "$LIMIT" /usr/bin/aws --endpoint-url "$E" "$@"; }
rc() { timeout "$LIMIT" rclone --config /dev/null --s3-provider Other --s3-endpoint "$E" --s3-access-key-id "$AWS_ACCESS_KEY_ID" \
  --s3-secret-access-key "$AWS_SECRET_ACCESS_KEY" --s3-region us-east-1 --s3-force-path-style --transfers 16 --checkers 16 "$@"; }
t() { local s=$(date +%s.%N); "$@" >/dev/null; python3 -c "import time;print(f'{time.time()-$s:.2f}')"; }

aws s3 mb s3://bench >/dev/null
a1=$(t aws s3 sync --only-show-errors "$work/small" s3://bench/awscli/)
a2=$(t aws s3 sync --only-show-errors "$work/small" s3://bench/awscli/)
ab=$(t aws s3 cp --only-show-errors "$work/big/big.bin" s3://bench/awscli-big/big.bin)
ad=$(t aws s3 cp --only-show-errors s3://bench/awscli-big/big.bin "$work/back-aws.bin")
cmp -s "$work/big/big.bin" "$work/back-aws.bin" || { echo "aws s3 cp: the large file came back different" >&2; exit 1; }
rm -f "$work/back-aws.bin"
if command -v rclone >/dev/null; then
  r1=$(t rc sync "$work/small" :s3:bench/rclone/)
  r2=$(t rc sync "$work/small" :s3:bench/rclone/)
  rb=$(t rc copy "$work/big" :s3:bench/rclone-big/)
  rd=$(t rc copy :s3:bench/rclone-big/big.bin "$work/back-rc/")
  cmp -s "$work/big/big.bin" "$work/back-rc/big.bin" || { echo "rclone: the large file came back different" >&2; exit 1; }
else
  echo "rclone is not installed; its rows are skipped" >&2
  r1=0 r2=0 rb=0 rd=0
fi
python3 - "$N" "$SIZE_MIB" "$a1" "$a2" "$ab" "$ad" "$r1" "$r2" "$rb" "$rd" <<'PY'
import sys
n, mib = int(sys.argv[1]), int(sys.argv[2])
a1, a2, ab, ad, r1, r2, rb, rd = map(float, sys.argv[3:])
rate = lambda x, s: f"{x/s:8.0f}" if s > 0 else "     n/a"
print(f"S3 API of edgecd on loopback: {n} small files, one {mib} MiB file")
for name, first, again, up, down in (("aws s3", a1, a2, ab, ad), ("rclone", r1, r2, rb, rd)):
    print(f"  {name:7s} sync {first:7.2f} s ({rate(n, first)} files/s)  no-change re-run {again:6.2f} s")
    print(f"  {name:7s} large up {up:6.2f} s ({rate(mib, up)} MiB/s)  down {down:6.2f} s ({rate(mib, down)} MiB/s)")
PY

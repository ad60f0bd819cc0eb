#!/usr/bin/env bash
# Turn the demo primary's continuous-deployment policy into a sticky
# SingleWeight canary (weight ${WEIGHT:-0.5}; needs `edgecd up --native` above
# 0.15) through the CloudFront API with the real aws CLI.
# Usage: weighted-policy.sh API_URL   (credentials in the AWS_* environment)
set -euo pipefail
API=$1
WEIGHT=${WEIGHT:-0.5}
aws() { /usr/bin/aws --endpoint-url "$API" "$@"; }
PRIMARY=$(aws cloudfront list-distributions --query 'DistributionList.Items[?Staging==`false`].Id | [0]' --output text)
POLICY=$(aws cloudfront get-distribution-config --id "$PRIMARY" --query 'DistributionConfig.ContinuousDeploymentPolicyId' --output text)
aws cloudfront get-continuous-deployment-policy-config --id "$POLICY" > /tmp/cdp.$$.json
ETAG=$(python3 -c "import json;print(json.load(open('/tmp/cdp.$$.json'))['ETag'])")
python3 - "$WEIGHT" /tmp/cdp.$$.json > /tmp/cdp-new.$$.json <<'PY'
import json, sys
cfg = json.load(open(sys.argv[2]))["ContinuousDeploymentPolicyConfig"]
cfg["Enabled"] = True
cfg["TrafficConfig"] = {"Type": "SingleWeight", "SingleWeightConfig": {"Weight": float(sys.argv[1]),
    "SessionStickinessConfig": {"IdleTTL": 300, "MaximumTTL": 600}}}
print(json.dumps(cfg))
PY
aws cloudfront update-continuous-deployment-policy --id "$POLICY" --if-match "$ETAG" \
  --continuous-deployment-policy-config "file:///tmp/cdp-new.$$.json"
rm -f /tmp/cdp.$$.json /tmp/cdp-new.$$.json

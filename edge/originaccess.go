package edge

import (
	"encoding/json"
	"strings"

	"github.com/edgecd/edgecd/iam"
)

// allowedByBucketPolicy reports whether a bucket policy lets CloudFront
// distribution distARN read key, the way origin access control works in
// the cloud (seed 002's policy): an Allow for the service principal
// cloudfront.amazonaws.com on s3:GetObject for the object's ARN, whose
// AWS:SourceArn condition (if any) names the distribution. An explicit
// Deny that matches wins; no matching Allow denies.
func allowedByBucketPolicy(policy []byte, bucket, key, distARN string) bool {
	var doc struct {
		Statement []struct {
			Effect    string
			Principal any
			Action    any
			Resource  any
			Condition map[string]map[string]any
		}
	}
	if json.Unmarshal(policy, &doc) != nil {
		return false
	}
	resource := "arn:aws:s3:::" + bucket + "/" + key
	allowed := false
	for _, s := range doc.Statement {
		if !principalIsCloudFront(s.Principal) || !anyGlob(s.Action, "s3:GetObject", true) || !anyGlob(s.Resource, resource, false) || !conditionHolds(s.Condition, distARN) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

func principalIsCloudFront(p any) bool {
	switch v := p.(type) {
	case string:
		return v == "*"
	case map[string]any:
		if aws, ok := v["AWS"]; ok && anyGlob(aws, "*", false) {
			return true
		}
		return anyGlob(v["Service"], "cloudfront.amazonaws.com", false)
	}
	return false
}

// conditionHolds checks the AWS:SourceArn conditions, the only key origin
// access uses; other condition keys cannot be satisfied here.
func conditionHolds(cond map[string]map[string]any, distARN string) bool {
	for op, kv := range cond {
		for k, v := range kv {
			if !strings.EqualFold(k, "AWS:SourceArn") {
				return false
			}
			// AWS:SourceArn has one value per request, so the set
			// qualifiers (seed 002 writes ForAnyValue:StringEquals) mean
			// what the plain operator means.
			op, _ = strings.CutPrefix(op, "ForAnyValue:")
			op, _ = strings.CutPrefix(op, "ForAllValues:")
			switch op {
			case "StringEquals", "ArnEquals":
				if !anyEqual(v, distARN) {
					return false
				}
			case "StringLike", "ArnLike":
				if !anyGlob(v, distARN, false) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

func values(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func anyEqual(v any, s string) bool {
	for _, x := range values(v) {
		if x == s {
			return true
		}
	}
	return false
}

func anyGlob(v any, s string, fold bool) bool {
	for _, p := range values(v) {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if iam.Match(p, s) {
			return true
		}
	}
	return false
}

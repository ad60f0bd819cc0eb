package cdn

import (
	"fmt"
	"regexp"
	"strings"
)

// Mode selects which limits apply.
type Mode uint8

const (
	// Compatible enforces the cloud's limits, so what works here works on
	// CloudFront: weights up to 0.15, stickiness TTLs 300-3600 s, no policy
	// at distribution creation.
	Compatible Mode = iota
	// Native lifts the limits users complain about: any weight 0-1 (a full
	// progressive rollout), TTLs 1 s - 1 day, policies at creation.
	Native
)

// Limits of each mode.
const (
	MaxWeightCompatible = 0.15
	MinStickyTTL        = 300
	MaxStickyTTL        = 3600
	MaxStickyTTLNative  = 86400
)

var (
	viewerProtocols = map[string]bool{"allow-all": true, "https-only": true, "redirect-to-https": true}
	hostnameRE      = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
	errorCodes      = map[int32]bool{400: true, 403: true, 404: true, 405: true, 414: true, 416: true, 500: true, 501: true, 502: true, 503: true, 504: true}
)

// ValidateConfig checks a distribution config and returns every problem at
// once. Quantity mismatches are reported as ErrInconsistentQuantities, as
// CloudFront does; the rest as ErrInvalidArgument or the specific error.
func ValidateConfig(c *DistributionConfig) error {
	if err := checkQuantities(c); err != nil {
		return err
	}
	var p Problems
	if strings.TrimSpace(c.CallerReference) == "" {
		p = append(p, "DistributionConfig.CallerReference is required: give a unique string such as a timestamp")
	}
	if strings.HasPrefix(c.DefaultRootObject, "/") || len(c.DefaultRootObject) > 255 {
		return errorf(ErrInvalidDefaultRootObject, "DefaultRootObject %q must be an object name without a leading '/' (e.g. index.html), at most 255 characters", c.DefaultRootObject)
	}
	origins := map[string]bool{}
	if len(c.Origins.Items) == 0 {
		p = append(p, "DistributionConfig.Origins must contain at least one origin")
	}
	for i, o := range c.Origins.Items {
		at := fmt.Sprintf("Origins.Items[%d]", i)
		switch {
		case o.Id == "":
			p = append(p, at+".Id is required")
		case origins[o.Id]:
			p = append(p, fmt.Sprintf("%s.Id %q is used by two origins: origin ids must be unique", at, o.Id))
		}
		origins[o.Id] = true
		if o.DomainName == "" {
			p = append(p, at+".DomainName is required (e.g. mybucket.s3.us-east-1.amazonaws.com)")
		}
		if o.OriginPath != "" && (!strings.HasPrefix(o.OriginPath, "/") || strings.HasSuffix(o.OriginPath, "/")) {
			return errorf(ErrInvalidOriginPath, "%s.OriginPath %q must start with '/' and must not end with '/' (e.g. /2.0.0)", at, o.OriginPath)
		}
		if o.S3OriginConfig != nil && o.CustomOriginConfig != nil {
			p = append(p, at+" has both S3OriginConfig and CustomOriginConfig: give exactly one")
		}
	}
	p = checkBehavior(p, "DefaultCacheBehavior", c.DefaultCacheBehavior.TargetOriginId, c.DefaultCacheBehavior.ViewerProtocolPolicy,
		c.DefaultCacheBehavior.CachePolicyId, c.DefaultCacheBehavior.ForwardedValues != nil, origins)
	if c.CacheBehaviors != nil {
		for i, b := range c.CacheBehaviors.Items {
			at := fmt.Sprintf("CacheBehaviors.Items[%d]", i)
			if b.PathPattern == "" {
				p = append(p, at+".PathPattern is required (e.g. /assets/*)")
			}
			p = checkBehavior(p, at, b.TargetOriginId, b.ViewerProtocolPolicy, b.CachePolicyId, b.ForwardedValues != nil, origins)
		}
	}
	if c.CustomErrorResponses != nil {
		for i, e := range c.CustomErrorResponses.Items {
			at := fmt.Sprintf("CustomErrorResponses.Items[%d]", i)
			if !errorCodes[e.ErrorCode] {
				p = append(p, fmt.Sprintf("%s.ErrorCode %d is not one CloudFront can customize (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504)", at, e.ErrorCode))
			}
			if e.ResponsePagePath != "" && !strings.HasPrefix(e.ResponsePagePath, "/") {
				p = append(p, fmt.Sprintf("%s.ResponsePagePath %q must start with '/'", at, e.ResponsePagePath))
			}
			if (e.ResponsePagePath == "") != (e.ResponseCode == "") {
				p = append(p, at+": ResponsePagePath and ResponseCode go together: give both or neither")
			}
		}
	}
	if c.Aliases != nil {
		seen := map[string]bool{}
		for _, a := range c.Aliases.Items {
			la := strings.ToLower(a)
			if !hostnameRE.MatchString(a) || len(a) > 253 {
				p = append(p, fmt.Sprintf("alias %q is not a valid domain name", a))
			}
			if seen[la] {
				p = append(p, fmt.Sprintf("alias %q is listed twice", a))
			}
			seen[la] = true
		}
		if len(c.Aliases.Items) > 0 && isTrue(c.Staging) {
			p = append(p, "a staging distribution cannot have Aliases (CNAMEs): viewers reach it through its primary's domain")
		}
	}
	return p.err()
}

func checkBehavior(p Problems, at, target, vpp, cachePolicy string, forwarded bool, origins map[string]bool) Problems {
	if !origins[target] {
		p = append(p, fmt.Sprintf("%s.TargetOriginId %q does not name an origin of this distribution", at, target))
	}
	if !viewerProtocols[vpp] {
		p = append(p, fmt.Sprintf("%s.ViewerProtocolPolicy %q must be allow-all, https-only or redirect-to-https", at, vpp))
	}
	if cachePolicy == "" && !forwarded {
		p = append(p, at+" needs a CachePolicyId (e.g. 658327ea-f89d-4fab-a63d-7e88639e58f6, Managed-CachingOptimized) or legacy ForwardedValues")
	}
	return p
}

func checkQuantities(c *DistributionConfig) error {
	check := func(name string, q int32, n int) error {
		if int(q) != n {
			return errorf(ErrInconsistentQuantities, "%s.Quantity is %d but %s.Items has %d entries: make them agree", name, q, name, n)
		}
		return nil
	}
	if err := check("Origins", c.Origins.Quantity, len(c.Origins.Items)); err != nil {
		return err
	}
	if c.Aliases != nil {
		if err := check("Aliases", c.Aliases.Quantity, len(c.Aliases.Items)); err != nil {
			return err
		}
	}
	if c.CacheBehaviors != nil {
		if err := check("CacheBehaviors", c.CacheBehaviors.Quantity, len(c.CacheBehaviors.Items)); err != nil {
			return err
		}
	}
	if c.CustomErrorResponses != nil {
		if err := check("CustomErrorResponses", c.CustomErrorResponses.Quantity, len(c.CustomErrorResponses.Items)); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePolicy checks a continuous-deployment policy config under mode m.
func ValidatePolicy(c *ContinuousDeploymentPolicyConfig, m Mode) error {
	var p Problems
	if int(c.StagingDistributionDnsNames.Quantity) != len(c.StagingDistributionDnsNames.Items) {
		return errorf(ErrInconsistentQuantities, "StagingDistributionDnsNames.Quantity is %d but Items has %d entries: make them agree",
			c.StagingDistributionDnsNames.Quantity, len(c.StagingDistributionDnsNames.Items))
	}
	if len(c.StagingDistributionDnsNames.Items) != 1 {
		p = append(p, "StagingDistributionDnsNames must name exactly one staging distribution domain (e.g. d111111abcdef8.cloudfront.net)")
	}
	tc := c.TrafficConfig
	if tc == nil {
		p = append(p, "TrafficConfig is required: give Type SingleHeader or SingleWeight with its config")
		return p.err()
	}
	switch tc.Type {
	case SingleHeader:
		h := tc.SingleHeaderConfig
		if h == nil {
			p = append(p, "TrafficConfig.SingleHeaderConfig is required when Type is SingleHeader")
			break
		}
		if !IsStagingHeader(h.Header) {
			p = append(p, fmt.Sprintf("header name %q must start with %q (e.g. aws-cf-cd-env)", h.Header, HeaderPrefix))
		}
		if h.Value == "" {
			p = append(p, "SingleHeaderConfig.Value is required (the header value that selects staging)")
		}
		if tc.SingleWeightConfig != nil {
			p = append(p, "a SingleHeader policy must not also have SingleWeightConfig")
		}
	case SingleWeight:
		w := tc.SingleWeightConfig
		if w == nil {
			p = append(p, "TrafficConfig.SingleWeightConfig is required when Type is SingleWeight")
			break
		}
		maxW := 1.0
		if m == Compatible {
			maxW = MaxWeightCompatible
		}
		if w.Weight < 0 || w.Weight > maxW {
			msg := fmt.Sprintf("SingleWeightConfig.Weight %g must be between 0 and %g", w.Weight, maxW)
			if m == Compatible && w.Weight <= 1 && w.Weight >= 0 {
				msg += " (CloudFront's limit; run edgecd with --native for any weight up to 1)"
			}
			p = append(p, msg)
		}
		if sc := w.SessionStickinessConfig; sc != nil {
			lo, hi := int32(MinStickyTTL), int32(MaxStickyTTL)
			if m == Native {
				lo, hi = 1, MaxStickyTTLNative
			}
			if sc.IdleTTL < lo || sc.IdleTTL > hi {
				p = append(p, fmt.Sprintf("SessionStickinessConfig.IdleTTL %d must be between %d and %d seconds", sc.IdleTTL, lo, hi))
			}
			if sc.MaximumTTL < lo || sc.MaximumTTL > hi {
				p = append(p, fmt.Sprintf("SessionStickinessConfig.MaximumTTL %d must be between %d and %d seconds", sc.MaximumTTL, lo, hi))
			}
			if sc.IdleTTL > sc.MaximumTTL {
				p = append(p, fmt.Sprintf("SessionStickinessConfig.IdleTTL %d must not exceed MaximumTTL %d", sc.IdleTTL, sc.MaximumTTL))
			}
		}
		if tc.SingleHeaderConfig != nil {
			p = append(p, "a SingleWeight policy must not also have SingleHeaderConfig")
		}
	default:
		p = append(p, fmt.Sprintf("TrafficConfig.Type %q must be SingleHeader or SingleWeight", tc.Type))
	}
	return p.err()
}

func isTrue(b *bool) bool { return b != nil && *b }

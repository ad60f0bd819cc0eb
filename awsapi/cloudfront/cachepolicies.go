package cloudfront

import (
	"fmt"
	"net/http"
	"time"

	"github.com/edgecd/edgecd/cdn"
)

// managedPolicies are CloudFront's managed cache policies that edgecd
// honours at the edge, with the cloud's settings, so SDK code resolving
// them by id or listing them works.
var managedPolicies = func() []cdn.CachePolicy {
	mk := func(id, name, comment string, minTTL, defTTL, maxTTL int64, compress bool) cdn.CachePolicy {
		return cdn.CachePolicy{
			Id:               id,
			LastModifiedTime: time.Date(2020, 8, 25, 0, 0, 0, 0, time.UTC),
			CachePolicyConfig: cdn.CachePolicyConfig{
				Name: name, Comment: comment, MinTTL: minTTL, DefaultTTL: &defTTL, MaxTTL: &maxTTL,
				ParametersInCacheKeyAndForwardedToOrigin: &cdn.ParametersInCacheKeyAndForwardedToOrigin{
					EnableAcceptEncodingGzip:   compress,
					EnableAcceptEncodingBrotli: &compress,
					HeadersConfig:              cdn.CachePolicyHeadersConfig{HeaderBehavior: "none"},
					CookiesConfig:              cdn.CachePolicyCookiesConfig{CookieBehavior: "none"},
					QueryStringsConfig:         cdn.CachePolicyQueryStringsConfig{QueryStringBehavior: "none"},
				},
			},
		}
	}
	return []cdn.CachePolicy{
		mk("658327ea-f89d-4fab-a63d-7e88639e58f6", "Managed-CachingOptimized", "Policy with caching enabled. Supports Gzip and Brotli compression.", 1, 86400, 31536000, true),
		mk("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "Managed-CachingDisabled", "Policy with caching disabled", 0, 0, 0, false),
		mk("b2884449-e4de-46a7-ac36-70bc7f1ddd6d", "Managed-CachingOptimizedForUncompressedObjects", "Default policy when compression is disabled", 1, 86400, 31536000, false),
	}
}()

// managedETag is the fixed version of a managed policy.
const managedETag = "E23ZP02F085DFQ"

func (c *call) getCachePolicy(id string, configOnly bool) error {
	action := "GetCachePolicy"
	if configOnly {
		action += "Config"
	}
	if err := c.authorize(action, fmt.Sprintf("arn:aws:cloudfront::%s:cache-policy/%s", c.h.svc.Account(), id)); err != nil {
		return err
	}
	for i := range managedPolicies {
		if p := managedPolicies[i]; p.Id == id {
			if configOnly {
				return c.write(http.StatusOK, "CachePolicyConfig", &p.CachePolicyConfig, managedETag)
			}
			return c.write(http.StatusOK, "CachePolicy", &p, managedETag)
		}
	}
	return fmt.Errorf("%w: cache policy %s does not exist; edgecd offers the managed policies (list-cache-policies --type managed)", errNoSuchCachePolicy, id)
}

func (c *call) listCachePolicies() error {
	if err := c.authorize("ListCachePolicies", fmt.Sprintf("arn:aws:cloudfront::%s:cache-policy/*", c.h.svc.Account())); err != nil {
		return err
	}
	_, maxItems, err := c.marker()
	if err != nil {
		return err
	}
	list := cdn.CachePolicyList{MaxItems: int32(maxItems)}
	if t := c.r.URL.Query().Get("Type"); t == "" || t == "managed" {
		for _, p := range managedPolicies {
			list.Items = append(list.Items, cdn.CachePolicySummary{Type: "managed", CachePolicy: p})
		}
	}
	list.Quantity = int32(len(list.Items))
	return c.write(http.StatusOK, "CachePolicyList", &list, "")
}

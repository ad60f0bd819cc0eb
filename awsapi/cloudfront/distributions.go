package cloudfront

import (
	"fmt"
	"net/http"
	"strconv"

	"time"

	"github.com/edgecd/edgecd/cdn"
)

// forWire trims times to milliseconds, the precision CloudFront returns.
func forWire(d *cdn.Distribution) *cdn.Distribution {
	d.LastModifiedTime = d.LastModifiedTime.UTC().Truncate(time.Millisecond)
	return d
}

func (c *call) writeDistribution(status int, d *cdn.Distribution, etag string) error {
	if status == http.StatusCreated {
		c.w.Header().Set("Location", "https://cloudfront.amazonaws.com/2020-05-31/distribution/"+d.Id)
	}
	return c.write(status, "Distribution", forWire(d), etag)
}

// distributionConfigWithTags is CreateDistributionWithTags' document.
type distributionConfigWithTags struct {
	DistributionConfig cdn.DistributionConfig `xml:"DistributionConfig"`
	Tags               *struct {
		Items []struct {
			Key   string `xml:"Key"`
			Value string `xml:"Value,omitempty"`
		} `xml:"Items>Tag,omitempty"`
	} `xml:"Tags"`
}

func (c *call) createDistribution() error {
	if err := c.authorize("CreateDistribution", c.distARN("*")); err != nil {
		return err
	}
	var cfg cdn.DistributionConfig
	if _, withTags := c.r.URL.Query()["WithTags"]; withTags {
		var doc distributionConfigWithTags
		if err := c.decode("DistributionConfigWithTags", &doc); err != nil {
			return err
		}
		cfg = doc.DistributionConfig
	} else if err := c.decode("DistributionConfig", &cfg); err != nil {
		return err
	}
	d, etag, err := c.h.svc.CreateDistribution(c.r.Context(), cfg)
	if err != nil {
		return err
	}
	return c.writeDistribution(http.StatusCreated, d, etag)
}

func (c *call) getDistribution(id string) error {
	if err := c.authorize("GetDistribution", c.distARN(id)); err != nil {
		return err
	}
	d, etag, err := c.h.svc.GetDistribution(c.r.Context(), id)
	if err != nil {
		return err
	}
	return c.writeDistribution(http.StatusOK, d, etag)
}

func (c *call) getDistributionConfig(id string) error {
	if err := c.authorize("GetDistributionConfig", c.distARN(id)); err != nil {
		return err
	}
	d, etag, err := c.h.svc.GetDistribution(c.r.Context(), id)
	if err != nil {
		return err
	}
	return c.write(http.StatusOK, "DistributionConfig", &d.DistributionConfig, etag)
}

func (c *call) updateDistribution(id string) error {
	if err := c.authorize("UpdateDistribution", c.distARN(id)); err != nil {
		return err
	}
	var cfg cdn.DistributionConfig
	if err := c.decode("DistributionConfig", &cfg); err != nil {
		return err
	}
	d, etag, err := c.h.svc.UpdateDistribution(c.r.Context(), id, cfg, c.r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return c.writeDistribution(http.StatusOK, d, etag)
}

func (c *call) deleteDistribution(id string) error {
	if err := c.authorize("DeleteDistribution", c.distARN(id)); err != nil {
		return err
	}
	if err := c.h.svc.DeleteDistribution(c.r.Context(), id, c.r.Header.Get("If-Match")); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// copyRequest is CopyDistribution's document.
type copyRequest struct {
	CallerReference string `xml:"CallerReference"`
	Enabled         *bool  `xml:"Enabled"`
}

func (c *call) copyDistribution(primaryID string) error {
	if err := c.authorize("CopyDistribution", c.distARN(primaryID)); err != nil {
		return err
	}
	var req copyRequest
	if err := c.decode("CopyDistributionRequest", &req); err != nil {
		return err
	}
	staging := false
	if s := c.r.Header.Get("Staging"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%w: the Staging header %q must be true or false", cdn.ErrInvalidArgument, s)
		}
		staging = b
	}
	d, etag, err := c.h.svc.CopyDistribution(c.r.Context(), primaryID, c.r.Header.Get("If-Match"), req.CallerReference, staging, req.Enabled)
	if err != nil {
		return err
	}
	return c.writeDistribution(http.StatusCreated, d, etag)
}

func (c *call) promote(primaryID string) error {
	if err := c.authorize("UpdateDistributionWithStagingConfig", c.distARN(primaryID)); err != nil {
		return err
	}
	stagingID := c.r.URL.Query().Get("StagingDistributionId")
	if stagingID == "" {
		return fmt.Errorf("%w: StagingDistributionId is required (--staging-distribution-id)", cdn.ErrInvalidArgument)
	}
	d, etag, err := c.h.svc.PromoteStaging(c.r.Context(), primaryID, stagingID, c.r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return c.writeDistribution(http.StatusOK, d, etag)
}

func (c *call) listDistributions() error {
	if err := c.authorize("ListDistributions", c.distARN("*")); err != nil {
		return err
	}
	marker, maxItems, err := c.marker()
	if err != nil {
		return err
	}
	ds, next, err := c.h.svc.ListDistributions(c.r.Context(), marker, maxItems)
	if err != nil {
		return err
	}
	list := cdn.DistributionList{Marker: marker, NextMarker: next, MaxItems: int32(maxItems), IsTruncated: next != "", Quantity: int32(len(ds))}
	for i := range ds {
		list.Items = append(list.Items, summary(forWire(&ds[i])))
	}
	return c.write(http.StatusOK, "DistributionList", &list, "")
}

// summary is a distribution as ListDistributions shows it; the shape
// requires a few members a config may omit, so they get CloudFront's
// defaults.
func summary(d *cdn.Distribution) cdn.DistributionSummary {
	cfg := d.DistributionConfig
	s := cdn.DistributionSummary{
		Id: d.Id, ARN: d.ARN, Status: d.Status, LastModifiedTime: d.LastModifiedTime, DomainName: d.DomainName,
		Origins: cfg.Origins, OriginGroups: cfg.OriginGroups, DefaultCacheBehavior: cfg.DefaultCacheBehavior,
		Comment: cfg.Comment, PriceClass: cfg.PriceClass, Enabled: cfg.Enabled, WebACLId: cfg.WebACLId,
		HttpVersion: cfg.HttpVersion, Staging: cfg.Staging != nil && *cfg.Staging,
		Aliases: cdn.Aliases{Quantity: 0}, CacheBehaviors: cdn.CacheBehaviors{Quantity: 0}, CustomErrorResponses: cdn.CustomErrorResponses{Quantity: 0},
		Restrictions:  cdn.Restrictions{GeoRestriction: cdn.GeoRestriction{RestrictionType: "none"}},
		IsIPV6Enabled: cfg.IsIPV6Enabled != nil && *cfg.IsIPV6Enabled,
	}
	t := true
	s.ViewerCertificate = cdn.ViewerCertificate{CloudFrontDefaultCertificate: &t, MinimumProtocolVersion: "TLSv1", CertificateSource: "cloudfront"}
	if cfg.ViewerCertificate != nil {
		s.ViewerCertificate = *cfg.ViewerCertificate
	}
	if cfg.Restrictions != nil {
		s.Restrictions = *cfg.Restrictions
	}
	if cfg.Aliases != nil {
		s.Aliases = *cfg.Aliases
	}
	if cfg.CacheBehaviors != nil {
		s.CacheBehaviors = *cfg.CacheBehaviors
	}
	if cfg.CustomErrorResponses != nil {
		s.CustomErrorResponses = *cfg.CustomErrorResponses
	}
	if s.HttpVersion == "" {
		s.HttpVersion = "http2"
	}
	if s.PriceClass == "" {
		s.PriceClass = "PriceClass_All"
	}
	return s
}

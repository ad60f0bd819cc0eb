package cloudfront

import (
	"net/http"
	"time"

	"github.com/edgecd/edgecd/cdn"
)

func policyForWire(p *cdn.ContinuousDeploymentPolicy) *cdn.ContinuousDeploymentPolicy {
	p.LastModifiedTime = p.LastModifiedTime.UTC().Truncate(time.Millisecond)
	return p
}

func (c *call) createPolicy() error {
	if err := c.authorize("CreateContinuousDeploymentPolicy", c.policyARN("*")); err != nil {
		return err
	}
	var cfg cdn.ContinuousDeploymentPolicyConfig
	if err := c.decode("ContinuousDeploymentPolicyConfig", &cfg); err != nil {
		return err
	}
	p, etag, err := c.h.svc.CreatePolicy(c.r.Context(), cfg)
	if err != nil {
		return err
	}
	c.w.Header().Set("Location", "https://cloudfront.amazonaws.com/2020-05-31/continuous-deployment-policy/"+p.Id)
	return c.write(http.StatusCreated, "ContinuousDeploymentPolicy", policyForWire(p), etag)
}

func (c *call) getPolicy(id string, configOnly bool) error {
	action := "GetContinuousDeploymentPolicy"
	if configOnly {
		action += "Config"
	}
	if err := c.authorize(action, c.policyARN(id)); err != nil {
		return err
	}
	p, etag, err := c.h.svc.GetPolicy(c.r.Context(), id)
	if err != nil {
		return err
	}
	if configOnly {
		return c.write(http.StatusOK, "ContinuousDeploymentPolicyConfig", &p.ContinuousDeploymentPolicyConfig, etag)
	}
	return c.write(http.StatusOK, "ContinuousDeploymentPolicy", policyForWire(p), etag)
}

func (c *call) updatePolicy(id string) error {
	if err := c.authorize("UpdateContinuousDeploymentPolicy", c.policyARN(id)); err != nil {
		return err
	}
	var cfg cdn.ContinuousDeploymentPolicyConfig
	if err := c.decode("ContinuousDeploymentPolicyConfig", &cfg); err != nil {
		return err
	}
	p, etag, err := c.h.svc.UpdatePolicy(c.r.Context(), id, cfg, c.r.Header.Get("If-Match"))
	if err != nil {
		return err
	}
	return c.write(http.StatusOK, "ContinuousDeploymentPolicy", policyForWire(p), etag)
}

func (c *call) deletePolicy(id string) error {
	if err := c.authorize("DeleteContinuousDeploymentPolicy", c.policyARN(id)); err != nil {
		return err
	}
	if err := c.h.svc.DeletePolicy(c.r.Context(), id, c.r.Header.Get("If-Match")); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (c *call) listPolicies() error {
	if err := c.authorize("ListContinuousDeploymentPolicies", c.policyARN("*")); err != nil {
		return err
	}
	marker, maxItems, err := c.marker()
	if err != nil {
		return err
	}
	ps, next, err := c.h.svc.ListPolicies(c.r.Context(), marker, maxItems)
	if err != nil {
		return err
	}
	list := cdn.ContinuousDeploymentPolicyList{NextMarker: next, MaxItems: int32(maxItems), Quantity: int32(len(ps))}
	for i := range ps {
		list.Items = append(list.Items, cdn.ContinuousDeploymentPolicySummary{ContinuousDeploymentPolicy: *policyForWire(&ps[i])})
	}
	return c.write(http.StatusOK, "ContinuousDeploymentPolicyList", &list, "")
}

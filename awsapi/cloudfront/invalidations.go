package cloudfront

import (
	"net/http"
	"time"

	"github.com/edgecd/edgecd/cdn"
)

func (c *call) createInvalidation(distID string) error {
	if err := c.authorize("CreateInvalidation", c.distARN(distID)); err != nil {
		return err
	}
	var batch cdn.InvalidationBatch
	if err := c.decode("InvalidationBatch", &batch); err != nil {
		return err
	}
	inv, err := c.h.svc.CreateInvalidation(c.r.Context(), distID, batch)
	if err != nil {
		return err
	}
	inv.CreateTime = inv.CreateTime.UTC().Truncate(time.Millisecond)
	c.w.Header().Set("Location", "https://cloudfront.amazonaws.com/2020-05-31/distribution/"+distID+"/invalidation/"+inv.Id)
	return c.write(http.StatusCreated, "Invalidation", inv, "")
}

func (c *call) getInvalidation(distID, id string) error {
	if err := c.authorize("GetInvalidation", c.distARN(distID)); err != nil {
		return err
	}
	inv, err := c.h.svc.GetInvalidation(c.r.Context(), distID, id)
	if err != nil {
		return err
	}
	inv.CreateTime = inv.CreateTime.UTC().Truncate(time.Millisecond)
	return c.write(http.StatusOK, "Invalidation", inv, "")
}

func (c *call) listInvalidations(distID string) error {
	if err := c.authorize("ListInvalidations", c.distARN(distID)); err != nil {
		return err
	}
	marker, maxItems, err := c.marker()
	if err != nil {
		return err
	}
	invs, next, err := c.h.svc.ListInvalidations(c.r.Context(), distID, marker, maxItems)
	if err != nil {
		return err
	}
	list := cdn.InvalidationList{Marker: marker, NextMarker: next, MaxItems: int32(maxItems), IsTruncated: next != "", Quantity: int32(len(invs))}
	for _, inv := range invs {
		list.Items = append(list.Items, cdn.InvalidationSummary{Id: inv.Id, CreateTime: inv.CreateTime.UTC().Truncate(time.Millisecond), Status: inv.Status})
	}
	return c.write(http.StatusOK, "InvalidationList", &list, "")
}

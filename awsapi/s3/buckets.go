package s3

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"

	"github.com/edgecd/edgecd/objstore"
)

type bucketXML struct {
	Name         string
	CreationDate string
}

func (c *call) listBuckets() error {
	if err := c.authorize("ListAllMyBuckets", false); err != nil {
		return err
	}
	bs, err := c.h.objs.ListBuckets(c.r.Context())
	if err != nil {
		return err
	}
	out := struct {
		XMLName xml.Name    `xml:"ListAllMyBucketsResult"`
		NS      string      `xml:"xmlns,attr"`
		Owner   ownerXML    `xml:"Owner"`
		Buckets []bucketXML `xml:"Buckets>Bucket"`
	}{NS: xmlns, Owner: owner}
	for _, b := range bs {
		out.Buckets = append(out.Buckets, bucketXML{Name: b.Name, CreationDate: s3Time(b.Created)})
	}
	return c.write(http.StatusOK, &out)
}

type ownerXML struct {
	ID          string
	DisplayName string
}

var owner = ownerXML{ID: "edgecd", DisplayName: "edgecd"}

func (c *call) createBucket() error {
	if err := c.authorize("CreateBucket", false); err != nil {
		return err
	}
	body, err := c.readBody(64 << 10)
	if err != nil {
		return err
	}
	region, err := decodeCreateBucket(body)
	if err != nil {
		return err
	}
	if err := c.h.objs.CreateBucket(c.r.Context(), c.bucket, objstore.BucketOptions{Region: region}); err != nil {
		return err
	}
	c.w.Header().Set("Location", "/"+c.bucket)
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (c *call) headBucket() error {
	if err := c.authorize("ListBucket", false); err != nil {
		return err
	}
	info, err := c.h.objs.BucketInfo(c.r.Context(), c.bucket)
	if err != nil {
		return err
	}
	c.w.Header().Set("X-Amz-Bucket-Region", c.region(info))
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (c *call) region(info objstore.BucketInfo) string {
	if info.Region != "" {
		return info.Region
	}
	return c.h.opts.Region
}

func (c *call) deleteBucket() error {
	if err := c.authorize("DeleteBucket", false); err != nil {
		return err
	}
	if err := c.h.objs.DeleteBucket(c.r.Context(), c.bucket); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (c *call) getLocation() error {
	if err := c.authorize("GetBucketLocation", false); err != nil {
		return err
	}
	info, err := c.h.objs.BucketInfo(c.r.Context(), c.bucket)
	if err != nil {
		return err
	}
	return c.write(http.StatusOK, &struct {
		XMLName xml.Name `xml:"LocationConstraint"`
		NS      string   `xml:"xmlns,attr"`
		Value   string   `xml:",chardata"`
	}{NS: xmlns, Value: info.Region})
}

// bucketSubresource answers the configuration reads tools make before they
// work (versioning, ACL, ...) with "nothing configured".
func (c *call) bucketSubresource() error {
	if err := c.authorize("GetBucketAcl", false); err != nil {
		return err
	}
	if _, err := c.h.objs.BucketInfo(c.r.Context(), c.bucket); err != nil {
		return err
	}
	switch {
	case c.has("versioning"):
		return c.write(http.StatusOK, &struct {
			XMLName xml.Name `xml:"VersioningConfiguration"`
			NS      string   `xml:"xmlns,attr"`
		}{NS: xmlns})
	case c.has("acl"):
		return c.write(http.StatusOK, &struct {
			XMLName xml.Name `xml:"AccessControlPolicy"`
			NS      string   `xml:"xmlns,attr"`
			Owner   ownerXML
		}{NS: xmlns, Owner: owner})
	}
	return errNotImplemented
}

func (c *call) putPolicy() error {
	if err := c.authorize("PutBucketPolicy", false); err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.r.Body, 20<<10+1))
	if err != nil {
		return err
	}
	if len(body) > 20<<10 {
		return errors.Join(objstore.ErrMalformedPolicy, errors.New("a bucket policy is at most 20 KB"))
	}
	if err := c.h.objs.PutBucketPolicy(c.r.Context(), c.bucket, body); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (c *call) getPolicy() error {
	if err := c.authorize("GetBucketPolicy", false); err != nil {
		return err
	}
	p, err := c.h.objs.GetBucketPolicy(c.r.Context(), c.bucket)
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Write(p)
	return nil
}

func (c *call) deletePolicy() error {
	if err := c.authorize("DeleteBucketPolicy", false); err != nil {
		return err
	}
	err := c.h.objs.DeleteBucketPolicy(c.r.Context(), c.bucket)
	if err != nil && !errors.Is(err, objstore.ErrNoSuchBucketPolicy) {
		return err // S3 answers 204 whether or not there was a policy
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

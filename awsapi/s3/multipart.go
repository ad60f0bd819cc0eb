package s3

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"

	"github.com/edgecd/edgecd/objstore"
)

func (c *call) createUpload() error {
	if err := c.authorize("PutObject", true); err != nil {
		return err
	}
	id, err := c.h.objs.CreateMultipartUpload(c.r.Context(), c.bucket, c.key, metadataFrom(c.r.Header))
	if err != nil {
		return err
	}
	return c.write(http.StatusOK, &struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		NS       string   `xml:"xmlns,attr"`
		Bucket   string
		Key      string
		UploadId string
	}{NS: xmlns, Bucket: c.bucket, Key: c.key, UploadId: id})
}

func (c *call) partNumber() (int, error) {
	n, err := strconv.Atoi(c.q.Get("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		return 0, fmt.Errorf("%w: partNumber must be a number from 1 to 10000", errInvalidArgument)
	}
	return n, nil
}

func (c *call) uploadPart() error {
	if err := c.authorize("PutObject", true); err != nil {
		return err
	}
	n, err := c.partNumber()
	if err != nil {
		return err
	}
	id := c.q.Get("uploadId")
	if c.r.Header.Get("X-Amz-Copy-Source") != "" {
		return c.uploadPartCopy(n, id)
	}
	size := max(c.r.ContentLength, 0)
	body, done, err := checkedBody(c.r)
	if err != nil {
		return err
	}
	part, err := c.h.objs.UploadPart(c.r.Context(), c.bucket, c.key, id, n, body, size, c.r.Header.Get("Content-MD5"))
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", `"`+part.ETag+`"`)
	done(c.w.Header())
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (c *call) uploadPartCopy(n int, id string) error {
	sb, sk, err := c.copySource()
	if err != nil {
		return err
	}
	if err := c.authorizeObject("GetObject", sb, sk); err != nil {
		return err
	}
	first, last := int64(0), int64(-1)
	if rng := c.r.Header.Get("X-Amz-Copy-Source-Range"); rng != "" {
		if _, err := fmt.Sscanf(rng, "bytes=%d-%d", &first, &last); err != nil {
			return fmt.Errorf("%w: x-amz-copy-source-range %q must be bytes=first-last", errInvalidArgument, rng)
		}
	}
	part, err := c.h.objs.UploadPartCopy(c.r.Context(), c.bucket, c.key, id, n, sb, sk, first, last)
	if err != nil {
		return err
	}
	return c.write(http.StatusOK, &struct {
		XMLName      xml.Name `xml:"CopyPartResult"`
		NS           string   `xml:"xmlns,attr"`
		LastModified string
		ETag         string
	}{NS: xmlns, LastModified: s3Time(part.LastModified), ETag: `"` + part.ETag + `"`})
}

func (c *call) completeUpload() error {
	if err := c.authorize("PutObject", true); err != nil {
		return err
	}
	body, err := c.readBody(4 << 20)
	if err != nil {
		return err
	}
	parts, err := decodeComplete(body)
	if err != nil {
		return err
	}
	info, err := c.h.objs.CompleteMultipartUpload(c.r.Context(), c.bucket, c.key, c.q.Get("uploadId"), parts)
	if err != nil {
		return err
	}
	return c.write(http.StatusOK, &struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		NS       string   `xml:"xmlns,attr"`
		Location string
		Bucket   string
		Key      string
		ETag     string
	}{NS: xmlns, Location: "/" + c.bucket + "/" + c.key, Bucket: c.bucket, Key: c.key, ETag: info.QuotedETag()})
}

func (c *call) abortUpload() error {
	if err := c.authorize("AbortMultipartUpload", true); err != nil {
		return err
	}
	if err := c.h.objs.AbortMultipartUpload(c.r.Context(), c.bucket, c.key, c.q.Get("uploadId")); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (c *call) listParts() error {
	if err := c.authorize("ListMultipartUploadParts", true); err != nil {
		return err
	}
	marker, _ := strconv.Atoi(c.q.Get("part-number-marker"))
	maxParts, _ := strconv.Atoi(c.q.Get("max-parts"))
	pl, err := c.h.objs.ListParts(c.r.Context(), c.bucket, c.key, c.q.Get("uploadId"), objstore.ListPartsOptions{PartNumberMarker: marker, MaxParts: maxParts})
	if err != nil {
		return err
	}
	type partXML struct {
		PartNumber   int
		LastModified string
		ETag         string
		Size         int64
	}
	out := struct {
		XMLName               xml.Name `xml:"ListPartsResult"`
		NS                    string   `xml:"xmlns,attr"`
		Bucket, Key, UploadId string
		PartNumberMarker      int
		NextPartNumberMarker  int
		MaxParts              int
		IsTruncated           bool
		Part                  []partXML
	}{NS: xmlns, Bucket: c.bucket, Key: c.key, UploadId: c.q.Get("uploadId"), PartNumberMarker: marker,
		NextPartNumberMarker: pl.NextPartNumberMarker, MaxParts: pageSize(maxParts), IsTruncated: pl.IsTruncated}
	for _, p := range pl.Parts {
		out.Part = append(out.Part, partXML{p.PartNumber, s3Time(p.LastModified), `"` + p.ETag + `"`, p.Size})
	}
	return c.write(http.StatusOK, &out)
}

func (c *call) listUploads() error {
	if err := c.authorize("ListBucketMultipartUploads", false); err != nil {
		return err
	}
	maxUploads, _ := strconv.Atoi(c.q.Get("max-uploads"))
	ul, err := c.h.objs.ListMultipartUploads(c.r.Context(), c.bucket, objstore.UploadListOptions{
		Prefix: c.q.Get("prefix"), Delimiter: c.q.Get("delimiter"), KeyMarker: c.q.Get("key-marker"),
		UploadIDMarker: c.q.Get("upload-id-marker"), MaxUploads: maxUploads})
	if err != nil {
		return err
	}
	type uploadXML struct {
		Key, UploadId, Initiated string
	}
	out := struct {
		XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
		NS                 string   `xml:"xmlns,attr"`
		Bucket             string
		KeyMarker          string
		UploadIdMarker     string
		NextKeyMarker      string
		NextUploadIdMarker string
		MaxUploads         int
		IsTruncated        bool
		Upload             []uploadXML
		CommonPrefixes     []prefixXML
	}{NS: xmlns, Bucket: c.bucket, KeyMarker: c.q.Get("key-marker"), UploadIdMarker: c.q.Get("upload-id-marker"),
		NextKeyMarker: ul.NextKeyMarker, NextUploadIdMarker: ul.NextUploadIDMarker, MaxUploads: pageSize(maxUploads), IsTruncated: ul.IsTruncated}
	for _, u := range ul.Uploads {
		out.Upload = append(out.Upload, uploadXML{u.Key, u.UploadID, s3Time(u.Initiated)})
	}
	for _, p := range ul.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, prefixXML{p})
	}
	return c.write(http.StatusOK, &out)
}

// pageSize is the page size S3 reports: the requested one up to 1000, 1000
// when none (or nonsense) was asked for.
func pageSize(n int) int {
	if n <= 0 || n > 1000 {
		return 1000
	}
	return n
}

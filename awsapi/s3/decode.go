package s3

import (
	"encoding/xml"
	"fmt"

	"github.com/edgecd/edgecd/objstore"
)

// The request documents S3 clients send, decoded by pure functions so the
// fuzz tests can drive them without a server.

// maxDeleteKeys is S3's limit of keys in one DeleteObjects request.
const maxDeleteKeys = 1000

type deleteRequest struct {
	Quiet bool
	Keys  []string
}

// decodeDelete reads a DeleteObjects <Delete> document.
func decodeDelete(body []byte) (deleteRequest, error) {
	var doc struct {
		XMLName xml.Name `xml:"Delete"`
		Quiet   bool
		Object  []struct {
			Key       *string
			VersionId string
		}
	}
	if err := unmarshal(body, &doc); err != nil {
		return deleteRequest{}, err
	}
	if len(doc.Object) == 0 {
		return deleteRequest{}, fmt.Errorf("%w: a Delete document names at least one Object", errMalformedXML)
	}
	if len(doc.Object) > maxDeleteKeys {
		return deleteRequest{}, fmt.Errorf("%w: at most %d keys per DeleteObjects request, got %d", errMalformedXML, maxDeleteKeys, len(doc.Object))
	}
	req := deleteRequest{Quiet: doc.Quiet, Keys: make([]string, len(doc.Object))}
	for i, o := range doc.Object {
		if o.Key == nil {
			return deleteRequest{}, fmt.Errorf("%w: Object %d has no Key", errMalformedXML, i+1)
		}
		req.Keys[i] = *o.Key
	}
	return req, nil
}

// decodeComplete reads a CompleteMultipartUpload document.
func decodeComplete(body []byte) ([]objstore.CompletePart, error) {
	var doc struct {
		XMLName xml.Name `xml:"CompleteMultipartUpload"`
		Part    []struct {
			PartNumber *int
			ETag       *string
		}
	}
	if err := unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if len(doc.Part) == 0 {
		return nil, fmt.Errorf("%w: CompleteMultipartUpload names at least one Part", errMalformedXML)
	}
	if len(doc.Part) > 10000 {
		return nil, fmt.Errorf("%w: at most 10000 parts, got %d", errMalformedXML, len(doc.Part))
	}
	parts := make([]objstore.CompletePart, len(doc.Part))
	for i, p := range doc.Part {
		if p.PartNumber == nil || p.ETag == nil {
			return nil, fmt.Errorf("%w: Part %d needs PartNumber and ETag", errMalformedXML, i+1)
		}
		parts[i] = objstore.CompletePart{PartNumber: *p.PartNumber, ETag: *p.ETag}
	}
	return parts, nil
}

// decodeCreateBucket reads an optional CreateBucketConfiguration and returns
// its LocationConstraint ("" for none, as for an empty body).
func decodeCreateBucket(body []byte) (string, error) {
	if len(body) == 0 {
		return "", nil
	}
	var doc struct {
		XMLName            xml.Name `xml:"CreateBucketConfiguration"`
		LocationConstraint string
	}
	if err := unmarshal(body, &doc); err != nil {
		return "", err
	}
	return doc.LocationConstraint, nil
}

func unmarshal(body []byte, v any) error {
	if err := xml.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", errMalformedXML, err)
	}
	return nil
}

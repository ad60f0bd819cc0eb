package objstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// UploadListOptions select a page of ListMultipartUploads.
type UploadListOptions struct {
	Prefix    string
	Delimiter string
	// KeyMarker and UploadIDMarker continue a listing: uploads of keys after
	// KeyMarker, and with UploadIDMarker also the uploads of KeyMarker that
	// come after that upload.
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int // 0 means 1000
}

// UploadList is a page of ListMultipartUploads, ordered by key and then by
// initiation time.
type UploadList struct {
	Uploads            []Upload
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// ListMultipartUploads lists a bucket's unfinished uploads. Unfinished uploads
// are few, so it reads them all and pages in memory.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket string, opts UploadListOptions) (UploadList, error) {
	var res UploadList
	if _, err := s.BucketInfo(ctx, bucket); err != nil {
		return res, err
	}
	entries, err := os.ReadDir(filepath.Join(s.root, uploadsDir, bucket))
	if err != nil && !os.IsNotExist(err) {
		return res, fmt.Errorf("list uploads of %s: %w", bucket, err)
	}
	var all []Upload
	for _, e := range entries {
		if u, err := s.readUpload(bucket, e.Name()); err == nil && strings.HasPrefix(u.Key, opts.Prefix) {
			all = append(all, u)
		}
	}
	slices.SortFunc(all, func(a, b Upload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		if c := a.Initiated.Compare(b.Initiated); c != 0 {
			return c
		}
		return strings.Compare(a.UploadID, b.UploadID)
	})
	start := 0
	if opts.KeyMarker != "" {
		start = len(all)
		for i, u := range all {
			if u.Key > opts.KeyMarker {
				start = i
				break
			}
			if u.Key == opts.KeyMarker && opts.UploadIDMarker != "" && u.UploadID == opts.UploadIDMarker {
				start = i + 1
				break
			}
		}
	}
	limit := opts.MaxUploads
	if limit <= 0 {
		limit = 1000
	}
	n := 0
	for _, u := range all[start:] {
		cp := commonPrefix(u.Key, opts.Prefix, opts.Delimiter)
		if cp != "" && (cp <= opts.KeyMarker || len(res.CommonPrefixes) > 0 && res.CommonPrefixes[len(res.CommonPrefixes)-1] == cp) {
			continue
		}
		if n == limit {
			res.IsTruncated = true
			break
		}
		n++
		if cp != "" {
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
			continue
		}
		res.Uploads = append(res.Uploads, u)
		res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.UploadID
	}
	return res, nil
}

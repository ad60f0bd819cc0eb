package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func uploadPart(t *testing.T, s *Store, bucket, key, id string, n int, body []byte) Part {
	t.Helper()
	p, err := s.UploadPart(context.Background(), bucket, key, id, n, bytes.NewReader(body), int64(len(body)), "")
	if err != nil {
		t.Fatalf("UploadPart %d: %v", n, err)
	}
	return p
}

func newUpload(t *testing.T, s *Store, bucket, key string, meta Metadata) string {
	t.Helper()
	id, err := s.CreateMultipartUpload(context.Background(), bucket, key, meta)
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s/%s: %v", bucket, key, err)
	}
	return id
}

// TestMultipartETagMatchesS3 checks the assembled bytes and the ETag against
// a value computed independently (Python hashlib) for the same parts.
func TestMultipartETagMatchesS3(t *testing.T) {
	s := newStore(t, Options{}) // S3's real 5 MiB minimum
	ctx := context.Background()
	newBucket(t, s, "b1b")
	id := newUpload(t, s, "b1b", "big/file.bin", Metadata{ContentType: "application/x-big", User: map[string]string{"k": "v"}})
	p1 := bytes.Repeat([]byte("a"), 5<<20)
	p2 := bytes.Repeat([]byte("b"), 100)
	sum := md5.Sum(p2)
	got2, err := s.UploadPart(ctx, "b1b", "big/file.bin", id, 2, bytes.NewReader(p2), 100, base64.StdEncoding.EncodeToString(sum[:]))
	if err != nil {
		t.Fatal(err)
	}
	got1 := uploadPart(t, s, "b1b", "big/file.bin", id, 1, p1)
	if got1.ETag != "79b281060d337b9b2b84ccf390adcf74" || got2.ETag != "d84a935724eac27d7c9676679b6cdbaf" {
		t.Fatalf("part ETags = %s, %s", got1.ETag, got2.ETag)
	}
	info, err := s.CompleteMultipartUpload(ctx, "b1b", "big/file.bin", id, []CompletePart{
		{1, `"79b281060d337b9b2b84ccf390adcf74"`}, {2, "D84A935724EAC27D7C9676679B6CDBAF"},
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = "16cafe8d6b8c1c55c3d339c8d69326c6-2"
	if info.ETag != want || info.PartsCount != 2 || info.Size != int64(len(p1)+len(p2)) {
		t.Fatalf("Complete = %+v", info)
	}
	body, got := read(t, s, "b1b", "big/file.bin")
	if body != string(p1)+string(p2) {
		t.Fatal("assembled bytes differ")
	}
	if got.ETag != want || got.QuotedETag() != `"`+want+`"` || got.PartsCount != 2 ||
		got.ContentType != "application/x-big" || got.User["k"] != "v" {
		t.Fatalf("Open info = %+v", got)
	}
	if _, err := s.ListParts(ctx, "b1b", "big/file.bin", id, ListPartsOptions{}); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("upload still listed after Complete: %v", err)
	}
}

func TestCompleteMultipartUploadValidates(t *testing.T) {
	s := newStore(t, Options{MinPartSize: 10})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	id := newUpload(t, s, "b1b", "k", Metadata{})
	big := uploadPart(t, s, "b1b", "k", id, 1, []byte("0123456789"))
	small := uploadPart(t, s, "b1b", "k", id, 2, []byte("tiny"))
	last := uploadPart(t, s, "b1b", "k", id, 3, []byte("end"))
	tests := []struct {
		name  string
		parts []CompletePart
		want  error
	}{
		{"no parts", nil, ErrInvalidPart},
		{"descending", []CompletePart{{3, last.ETag}, {1, big.ETag}}, ErrInvalidPartOrder},
		{"repeated", []CompletePart{{1, big.ETag}, {1, big.ETag}}, ErrInvalidPartOrder},
		{"missing part", []CompletePart{{1, big.ETag}, {7, last.ETag}}, ErrInvalidPart},
		{"wrong ETag", []CompletePart{{1, last.ETag}}, ErrInvalidPart},
		{"small part not last", []CompletePart{{1, big.ETag}, {2, small.ETag}, {3, last.ETag}}, ErrEntityTooSmall},
		{"part number zero", []CompletePart{{0, big.ETag}}, ErrInvalidPart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CompleteMultipartUpload(ctx, "b1b", "k", id, tt.parts); !errors.Is(err, tt.want) {
				t.Fatalf("Complete = %v, want %v", err, tt.want)
			}
			if _, err := s.Stat(ctx, "b1b", "k"); !errors.Is(err, ErrNoSuchKey) {
				t.Fatalf("refused Complete created the object: %v", err)
			}
		})
	}
	// A subset of parts, skipping one, is fine; the small part may be last.
	info, err := s.CompleteMultipartUpload(ctx, "b1b", "k", id, []CompletePart{{1, big.ETag}, {2, small.ETag}})
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := read(t, s, "b1b", "k"); body != "0123456789tiny" || info.PartsCount != 2 {
		t.Fatalf("assembled %q, %+v", body, info)
	}
}

func TestMultipartUploadErrors(t *testing.T) {
	s := newStore(t, Options{MinPartSize: 1, MaxPartSize: 8})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	if _, err := s.CreateMultipartUpload(ctx, "nope", "k", Metadata{}); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("create in missing bucket = %v", err)
	}
	if _, err := s.CreateMultipartUpload(ctx, "b1b", "a/../b", Metadata{}); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("create with bad key = %v", err)
	}
	id := newUpload(t, s, "b1b", "k", Metadata{})
	body := strings.NewReader("x")
	for _, tt := range []struct {
		name string
		key  string
		id   string
		n    int
		want error
	}{
		{"unknown id", "k", "AAAAAAAAAAAAAAAAAAAAAAAAAA", 1, ErrNoSuchUpload},
		{"traversal id", "k", "../../b1b", 1, ErrNoSuchUpload},
		{"other key", "other", id, 1, ErrNoSuchUpload},
		{"part 0", "k", id, 0, ErrInvalidPartNumber},
		{"part 10001", "k", id, 10001, ErrInvalidPartNumber},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.UploadPart(ctx, "b1b", tt.key, tt.id, tt.n, body, 0, ""); !errors.Is(err, tt.want) {
				t.Fatalf("UploadPart = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := s.UploadPart(ctx, "b1b", "k", id, 1, strings.NewReader("123456789"), 0, ""); !errors.Is(err, ErrEntityTooLarge) {
		t.Fatalf("oversized part = %v", err)
	}
	if _, err := s.UploadPart(ctx, "b1b", "k", id, 1, strings.NewReader("1"), 0, base64.StdEncoding.EncodeToString(make([]byte, 16))); !errors.Is(err, ErrBadDigest) {
		t.Fatalf("bad part digest = %v", err)
	}
	if err := s.AbortMultipartUpload(ctx, "b1b", "k", id); err != nil {
		t.Fatal(err)
	}
	if err := s.AbortMultipartUpload(ctx, "b1b", "k", id); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("second abort = %v", err)
	}
	if _, err := s.UploadPart(ctx, "b1b", "k", id, 1, strings.NewReader("1"), 0, ""); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("part after abort = %v", err)
	}
}

func TestListPartsAndUploads(t *testing.T) {
	s := newStore(t, Options{MinPartSize: 1})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	ids := map[string]string{}
	for _, k := range []string{"b/2", "a", "b/1", "c"} {
		id := newUpload(t, s, "b1b", k, Metadata{})
		ids[k] = id
	}
	for _, n := range []int{3, 1, 2, 10} {
		uploadPart(t, s, "b1b", "a", ids["a"], n, []byte(fmt.Sprint("part", n)))
	}
	uploadPart(t, s, "b1b", "a", ids["a"], 2, []byte("replaced"))
	page, err := s.ListParts(ctx, "b1b", "a", ids["a"], ListPartsOptions{MaxParts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Parts) != 3 || page.Parts[0].PartNumber != 1 || page.Parts[2].PartNumber != 3 || !page.IsTruncated || page.NextPartNumberMarker != 3 {
		t.Fatalf("ListParts page 1 = %+v", page)
	}
	if page.Parts[1].ETag != md5hex("replaced") || page.Parts[1].Size != 8 {
		t.Fatalf("replaced part = %+v", page.Parts[1])
	}
	page, err = s.ListParts(ctx, "b1b", "a", ids["a"], ListPartsOptions{PartNumberMarker: 3})
	if err != nil || len(page.Parts) != 1 || page.Parts[0].PartNumber != 10 || page.IsTruncated {
		t.Fatalf("ListParts page 2 = %+v %v", page, err)
	}

	all, err := s.ListMultipartUploads(ctx, "b1b", UploadListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, u := range all.Uploads {
		keys = append(keys, u.Key)
	}
	if strings.Join(keys, ",") != "a,b/1,b/2,c" {
		t.Fatalf("uploads = %v", keys)
	}
	grouped, err := s.ListMultipartUploads(ctx, "b1b", UploadListOptions{Delimiter: "/"})
	if err != nil || len(grouped.Uploads) != 2 || len(grouped.CommonPrefixes) != 1 || grouped.CommonPrefixes[0] != "b/" {
		t.Fatalf("grouped = %+v %v", grouped, err)
	}
	first, err := s.ListMultipartUploads(ctx, "b1b", UploadListOptions{MaxUploads: 2})
	if err != nil || len(first.Uploads) != 2 || !first.IsTruncated {
		t.Fatalf("first page = %+v %v", first, err)
	}
	rest, err := s.ListMultipartUploads(ctx, "b1b", UploadListOptions{KeyMarker: first.NextKeyMarker, UploadIDMarker: first.NextUploadIDMarker})
	if err != nil || len(rest.Uploads) != 2 || rest.Uploads[0].Key != "b/2" || rest.IsTruncated {
		t.Fatalf("second page = %+v %v", rest, err)
	}
	prefixed, err := s.ListMultipartUploads(ctx, "b1b", UploadListOptions{Prefix: "b/"})
	if err != nil || len(prefixed.Uploads) != 2 {
		t.Fatalf("prefixed = %+v %v", prefixed, err)
	}
}

func TestUploadPartCopy(t *testing.T) {
	s := newStore(t, Options{MinPartSize: 4})
	ctx := context.Background()
	newBucket(t, s, "src")
	newBucket(t, s, "dst")
	put(t, s, "src", "obj", "0123456789")
	id := newUpload(t, s, "dst", "copy", Metadata{})
	p1, err := s.UploadPartCopy(ctx, "dst", "copy", id, 1, "src", "obj", 5, 9)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := s.UploadPartCopy(ctx, "dst", "copy", id, 2, "src", "obj", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if p1.ETag != md5hex("56789") || p2.Size != 10 {
		t.Fatalf("parts = %+v %+v", p1, p2)
	}
	for _, r := range [][2]int64{{5, 10}, {-1, 3}, {7, 5}} {
		if _, err := s.UploadPartCopy(ctx, "dst", "copy", id, 3, "src", "obj", r[0], r[1]); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("range %v = %v, want ErrInvalidArgument", r, err)
		}
	}
	if _, err := s.UploadPartCopy(ctx, "dst", "copy", id, 3, "src", "missing", 0, -1); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("missing source = %v", err)
	}
	if _, err := s.CompleteMultipartUpload(ctx, "dst", "copy", id, []CompletePart{{1, p1.ETag}, {2, p2.ETag}}); err != nil {
		t.Fatal(err)
	}
	if body, _ := read(t, s, "dst", "copy"); body != "567890123456789" {
		t.Fatalf("copied = %q", body)
	}
}

// TestPartReplacedByHandIsRehashed checks that a part whose description no
// longer matches its file is described from its bytes.
func TestPartReplacedByHandIsRehashed(t *testing.T) {
	s := newStore(t, Options{MinPartSize: 1})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	id := newUpload(t, s, "b1b", "k", Metadata{})
	uploadPart(t, s, "b1b", "k", id, 1, []byte("original"))
	writeFile(t, s.uploadDir("b1b", id)+"/"+partName(1), "swapped!")
	list, err := s.ListParts(ctx, "b1b", "k", id, ListPartsOptions{})
	if err != nil || len(list.Parts) != 1 || list.Parts[0].ETag != md5hex("swapped!") {
		t.Fatalf("ListParts = %+v, %v", list, err)
	}
	if _, err := s.CompleteMultipartUpload(ctx, "b1b", "k", id, []CompletePart{{1, md5hex("original")}}); !errors.Is(err, ErrInvalidPart) {
		t.Fatalf("Complete with the old ETag = %v, want ErrInvalidPart", err)
	}
}

package objstore

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOpenServesWithServeContent checks the contract the edge relies on: the
// file from Open can be handed to http.ServeContent, which answers Range
// and conditional requests from it, and its ETag is the object's.
func TestOpenServesWithServeContent(t *testing.T) {
	s := newStore(t, Options{})
	newBucket(t, s, "site")
	body := strings.Repeat("0123456789", 1000)
	put(t, s, "site", "1.0.0/app.js", body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, info, err := s.Open(r.Context(), "site", strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer f.Close()
		w.Header().Set("ETag", info.QuotedETag())
		w.Header().Set("Content-Type", info.ContentType)
		http.ServeContent(w, r, "", info.LastModified, f)
	}))
	defer srv.Close()

	get := func(h map[string]string) (*http.Response, string) {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", srv.URL+"/1.0.0/app.js", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, got := get(nil)
	if resp.StatusCode != 200 || got != body || resp.Header.Get("ETag") != `"`+md5hex(body)+`"` ||
		resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("GET = %d %q %v", resp.StatusCode, resp.Header.Get("ETag"), resp.Header)
	}
	if resp, got = get(map[string]string{"Range": "bytes=9995-"}); resp.StatusCode != 206 || got != "56789" {
		t.Fatalf("Range = %d %q", resp.StatusCode, got)
	}
	if resp, _ = get(map[string]string{"If-None-Match": `"` + md5hex(body) + `"`}); resp.StatusCode != 304 {
		t.Fatalf("If-None-Match = %d", resp.StatusCode)
	}
}

package edge

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// head returns the response header lines of a cached entry that do not
// change from request to request (Content-Type, Content-Length, ETag,
// Last-Modified, Via, ...), in encoding enc, with Vary when vary. They are
// built once per entry and variant, so a hit only adds Date, Age, the
// request id, X-Cache, the side and a cookie.
//
// With notModified it is the header of a 304 answer instead, which carries
// what net/http's ServeContent leaves in one: no Content-Type,
// Content-Length, Content-Encoding or Accept-Ranges, and no Last-Modified
// beside an ETag.
func (s *Server) head(e *entry, enc int, vary, notModified bool) []byte {
	slot := &e.heads[b2i(notModified)][b2i(vary)][enc+1]
	if p := slot.Load(); p != nil {
		return *p
	}
	b := s.buildHead(e, enc, vary, notModified)
	slot.Store(&b)
	return b
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildHead writes the header lines through http.Header.Write, so names,
// order and the sanitising of values match what net/http would send.
func (s *Server) buildHead(e *entry, enc int, vary, notModified bool) []byte {
	h := make(http.Header, len(e.header)+8)
	copyHeader(h, e.header)
	body, etag := e.body, e.etag
	if enc != encIdentity {
		body = e.variant(enc)
		h["Content-Encoding"] = []string{encodingNames[enc]}
		if etag != "" {
			etag = "W/" + etag
		}
	}
	if vary {
		h["Vary"] = []string{"Accept-Encoding"}
	}
	if etag != "" {
		h["Etag"] = []string{etag}
	}
	if e.lastModified != nil {
		h["Last-Modified"] = e.lastModified
	}
	h["Accept-Ranges"] = []string{"bytes"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h["Via"] = []string{s.via}
	if notModified {
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "Accept-Ranges"} {
			delete(h, k)
		}
		if etag != "" {
			delete(h, "Last-Modified")
		}
	}
	var buf bytes.Buffer
	h.Write(&buf)
	return buf.Bytes()
}

// matches reports whether an If-None-Match value names exactly the entry's
// entity tag, by the weak comparison GET uses (RFC 9110 13.1.2). It takes
// a single tag only: lists and "*" are left to net/http, which sees them
// as not matching here.
func (e *entry) matches(ifNoneMatch []byte) bool {
	tag := bytes.TrimPrefix(ifNoneMatch, []byte("W/"))
	own := strings.TrimPrefix(e.etag, "W/")
	return own != "" && len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' &&
		bytes.IndexByte(tag[1:len(tag)-1], '"') < 0 && string(tag) == own
}

// body returns the entry's body in encoding enc.
func (e *entry) bodyIn(enc int) []byte {
	if enc == encIdentity {
		return e.body
	}
	return e.variant(enc)
}

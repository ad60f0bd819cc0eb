package edge

import (
	"bytes"
	"net/http"
	"strconv"
)

// head returns the response header lines of a cached entry that do not
// change from request to request (Content-Type, Content-Length, ETag,
// Last-Modified, Via, ...), in encoding enc, with Vary when vary. They are
// built once per entry and variant, so a hit only adds Date, Age, the
// request id, X-Cache, the side and a cookie.
func (s *Server) head(e *entry, enc int, vary bool) []byte {
	v := 0
	if vary {
		v = 1
	}
	slot := &e.heads[v][enc+1]
	if p := slot.Load(); p != nil {
		return *p
	}
	b := s.buildHead(e, enc, vary)
	slot.Store(&b)
	return b
}

// buildHead writes the header lines through http.Header.Write, so names,
// order and the sanitising of values match what net/http would send.
func (s *Server) buildHead(e *entry, enc int, vary bool) []byte {
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
	var buf bytes.Buffer
	h.Write(&buf)
	return buf.Bytes()
}

// body returns the entry's body in encoding enc.
func (e *entry) bodyIn(enc int) []byte {
	if enc == encIdentity {
		return e.body
	}
	return e.variant(enc)
}

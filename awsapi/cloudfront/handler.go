package cloudfront

import (
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/iam"
)

// MaxBody bounds request documents; the largest distribution config is far
// smaller.
const MaxBody = 1 << 20

const prefix = "/2020-05-31/"

// Options configure a Handler.
type Options struct {
	Logger *slog.Logger
}

// Handler serves the CloudFront API.
type Handler struct {
	svc *cdn.Service
	log *slog.Logger
}

// New returns a Handler over svc.
func New(svc *cdn.Service, opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Handler{svc: svc, log: opts.Logger}
}

// call is one request being served.
type call struct {
	h    *Handler
	w    http.ResponseWriter
	r    *http.Request
	segs []string // path segments after /2020-05-31/
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		writeError(w, r, h.log, fmt.Errorf("%w: CloudFront API paths start with %s", errNotFound, prefix))
		return
	}
	c := &call{h: h, w: w, r: r, segs: strings.Split(strings.Trim(rest, "/"), "/")}
	if err := c.route(); err != nil {
		writeError(w, r, h.log, err)
	}
}

func (c *call) route() error {
	s, m := c.segs, c.r.Method
	switch {
	case len(s) == 1 && s[0] == "distribution":
		switch m {
		case http.MethodPost:
			return c.createDistribution()
		case http.MethodGet:
			return c.listDistributions()
		}
	case len(s) == 2 && s[0] == "distribution":
		switch m {
		case http.MethodGet:
			return c.getDistribution(s[1])
		case http.MethodDelete:
			return c.deleteDistribution(s[1])
		}
	case len(s) == 3 && s[0] == "distribution" && s[2] == "config":
		switch m {
		case http.MethodGet:
			return c.getDistributionConfig(s[1])
		case http.MethodPut:
			return c.updateDistribution(s[1])
		}
	case len(s) == 3 && s[0] == "distribution" && s[2] == "copy" && m == http.MethodPost:
		return c.copyDistribution(s[1])
	case len(s) == 3 && s[0] == "distribution" && s[2] == "promote-staging-config" && m == http.MethodPut:
		return c.promote(s[1])
	case len(s) == 3 && s[0] == "distribution" && s[2] == "invalidation":
		switch m {
		case http.MethodPost:
			return c.createInvalidation(s[1])
		case http.MethodGet:
			return c.listInvalidations(s[1])
		}
	case len(s) == 4 && s[0] == "distribution" && s[2] == "invalidation" && m == http.MethodGet:
		return c.getInvalidation(s[1], s[3])
	case len(s) == 1 && s[0] == "continuous-deployment-policy":
		switch m {
		case http.MethodPost:
			return c.createPolicy()
		case http.MethodGet:
			return c.listPolicies()
		}
	case len(s) == 2 && s[0] == "continuous-deployment-policy":
		switch m {
		case http.MethodGet:
			return c.getPolicy(s[1], false)
		case http.MethodPut:
			return c.updatePolicy(s[1])
		case http.MethodDelete:
			return c.deletePolicy(s[1])
		}
	case len(s) == 3 && s[0] == "continuous-deployment-policy" && s[2] == "config" && m == http.MethodGet:
		return c.getPolicy(s[1], true)
	case len(s) == 1 && s[0] == "cache-policy" && m == http.MethodGet:
		return c.listCachePolicies()
	case len(s) == 2 && s[0] == "cache-policy" && m == http.MethodGet:
		return c.getCachePolicy(s[1], false)
	case len(s) == 3 && s[0] == "cache-policy" && s[2] == "config" && m == http.MethodGet:
		return c.getCachePolicy(s[1], true)
	default:
		return fmt.Errorf("%w: %s %s is not a CloudFront 2020-05-31 operation edgecd serves", errNotFound, m, c.r.URL.Path)
	}
	return fmt.Errorf("%w: %s is not allowed on %s", errMethod, m, c.r.URL.Path)
}

// authorize checks the caller may perform action on resource.
func (c *call) authorize(action, resource string) error {
	return iam.Authorize(c.r.Context(), "cloudfront:"+action, resource)
}

func (c *call) distARN(id string) string {
	return fmt.Sprintf("arn:aws:cloudfront::%s:distribution/%s", c.h.svc.Account(), id)
}

func (c *call) policyARN(id string) string {
	return fmt.Sprintf("arn:aws:cloudfront::%s:continuous-deployment-policy/%s", c.h.svc.Account(), id)
}

// decode reads the request document into v, strictly: unknown elements,
// wrong types and trailing garbage are MalformedInput naming the problem.
func (c *call) decode(root string, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, MaxBody+1))
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	if len(body) > MaxBody {
		return fmt.Errorf("%w: the request document is larger than %d bytes", errMalformed, MaxBody)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return fmt.Errorf("%w: this operation needs a %s document in the request body", errMissingBody, root)
	}
	return decodeStrict(body, root, v)
}

// write sends v as the response document with an optional ETag.
func (c *call) write(status int, root string, v any, etag string) error {
	out, err := xml.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", root, err)
	}
	// Put the namespace on the root element, as CloudFront does.
	out = append([]byte(`<`+root+` xmlns="`+Namespace+`"`), out[len(root)+1:]...)
	h := c.w.Header()
	h.Set("Content-Type", "text/xml")
	if etag != "" {
		h.Set("ETag", etag)
	}
	c.w.WriteHeader(status)
	c.w.Write([]byte(xml.Header))
	c.w.Write(out)
	return nil
}

func (c *call) marker() (string, int, error) {
	q := c.r.URL.Query()
	maxItems := 100
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return "", 0, fmt.Errorf("%w: MaxItems %q must be a number from 1 to 1000", cdn.ErrInvalidArgument, s)
		}
		maxItems = n
	}
	return q.Get("Marker"), maxItems, nil
}

package awssdk

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/edgecd/edgecd/cdn"
)

// restOp is one REST-XML operation as the service model describes it:
// where each input member travels and which member is the document.
type restOp struct {
	method string
	uri    string            // with {Member} placeholders (required members)
	query  []string          // members sent as query parameters of the same name
	header map[string]string // member -> request header
	in     *doc              // the request document, if any
	out    *doc              // the response document, if any
}

// doc is a request or response document: the member that holds it (empty
// for a request document made of the remaining top-level members, as
// CopyDistribution's), its XML root element and its Go shape.
type doc struct {
	member string
	root   string
	shape  func() any
}

func shapeDoc[T any](member string) *doc {
	return &doc{member: member, root: member, shape: func() any { return new(T) }}
}

// copyDistributionRequest is CopyDistribution's document, made of the
// input's CallerReference and Enabled members.
type copyDistributionRequest struct {
	CallerReference string `json:"CallerReference" xml:"CallerReference"`
	Enabled         *bool  `json:"Enabled,omitempty" xml:"Enabled,omitempty"`
}

const cf = "/2020-05-31"

var (
	ifMatch = map[string]string{"IfMatch": "If-Match"}
	paging  = []string{"Marker", "MaxItems"}
)

// cloudfrontOps are the CloudFront operations tasks may call, from the
// 2020-05-31 model.
var cloudfrontOps = map[string]restOp{
	"CreateDistribution":    {method: "POST", uri: cf + "/distribution", in: shapeDoc[cdn.DistributionConfig]("DistributionConfig"), out: shapeDoc[cdn.Distribution]("Distribution")},
	"GetDistribution":       {method: "GET", uri: cf + "/distribution/{Id}", out: shapeDoc[cdn.Distribution]("Distribution")},
	"GetDistributionConfig": {method: "GET", uri: cf + "/distribution/{Id}/config", out: shapeDoc[cdn.DistributionConfig]("DistributionConfig")},
	"UpdateDistribution": {method: "PUT", uri: cf + "/distribution/{Id}/config", header: ifMatch,
		in: shapeDoc[cdn.DistributionConfig]("DistributionConfig"), out: shapeDoc[cdn.Distribution]("Distribution")},
	"DeleteDistribution": {method: "DELETE", uri: cf + "/distribution/{Id}", header: ifMatch},
	"ListDistributions":  {method: "GET", uri: cf + "/distribution", query: paging, out: shapeDoc[cdn.DistributionList]("DistributionList")},
	"CopyDistribution": {method: "POST", uri: cf + "/distribution/{PrimaryDistributionId}/copy",
		header: map[string]string{"IfMatch": "If-Match", "Staging": "Staging"},
		in:     &doc{root: "CopyDistributionRequest", shape: func() any { return new(copyDistributionRequest) }},
		out:    shapeDoc[cdn.Distribution]("Distribution")},
	"UpdateDistributionWithStagingConfig": {method: "PUT", uri: cf + "/distribution/{Id}/promote-staging-config",
		query: []string{"StagingDistributionId"}, header: ifMatch, out: shapeDoc[cdn.Distribution]("Distribution")},
	"CreateContinuousDeploymentPolicy": {method: "POST", uri: cf + "/continuous-deployment-policy",
		in: shapeDoc[cdn.ContinuousDeploymentPolicyConfig]("ContinuousDeploymentPolicyConfig"), out: shapeDoc[cdn.ContinuousDeploymentPolicy]("ContinuousDeploymentPolicy")},
	"GetContinuousDeploymentPolicy": {method: "GET", uri: cf + "/continuous-deployment-policy/{Id}", out: shapeDoc[cdn.ContinuousDeploymentPolicy]("ContinuousDeploymentPolicy")},
	"GetContinuousDeploymentPolicyConfig": {method: "GET", uri: cf + "/continuous-deployment-policy/{Id}/config",
		out: shapeDoc[cdn.ContinuousDeploymentPolicyConfig]("ContinuousDeploymentPolicyConfig")},
	"UpdateContinuousDeploymentPolicy": {method: "PUT", uri: cf + "/continuous-deployment-policy/{Id}", header: ifMatch,
		in: shapeDoc[cdn.ContinuousDeploymentPolicyConfig]("ContinuousDeploymentPolicyConfig"), out: shapeDoc[cdn.ContinuousDeploymentPolicy]("ContinuousDeploymentPolicy")},
	"DeleteContinuousDeploymentPolicy": {method: "DELETE", uri: cf + "/continuous-deployment-policy/{Id}", header: ifMatch},
	"ListContinuousDeploymentPolicies": {method: "GET", uri: cf + "/continuous-deployment-policy", query: paging,
		out: shapeDoc[cdn.ContinuousDeploymentPolicyList]("ContinuousDeploymentPolicyList")},
	"CreateInvalidation": {method: "POST", uri: cf + "/distribution/{DistributionId}/invalidation",
		in: shapeDoc[cdn.InvalidationBatch]("InvalidationBatch"), out: shapeDoc[cdn.Invalidation]("Invalidation")},
	"GetInvalidation":   {method: "GET", uri: cf + "/distribution/{DistributionId}/invalidation/{Id}", out: shapeDoc[cdn.Invalidation]("Invalidation")},
	"ListInvalidations": {method: "GET", uri: cf + "/distribution/{DistributionId}/invalidation", query: paging, out: shapeDoc[cdn.InvalidationList]("InvalidationList")},
}

// CloudFrontActions lists the aws-sdk:cloudfront actions served, in the
// lower camel case definitions use.
func CloudFrontActions() []string {
	var names []string
	for op := range cloudfrontOps {
		names = append(names, strings.ToLower(op[:1])+op[1:])
	}
	sort.Strings(names)
	return names
}

func cloudfrontCall(ctx context.Context, h http.Handler, name string, raw json.RawMessage) (json.RawMessage, error) {
	op, ok := cloudfrontOps[name]
	if !ok {
		return nil, runtimeError("edgecd does not serve aws-sdk:cloudfront:%s; served: %s", lowerFirst(name), strings.Join(CloudFrontActions(), ", "))
	}
	p, err := decodeParams(raw, "cloudfront")
	if err != nil {
		return nil, err
	}
	target, header, body, err := op.request(p, "cloudfront")
	if err != nil {
		return nil, err
	}
	rec, err := serve(ctx, h, op.method, target, header, body)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if op.out != nil {
		v := op.out.shape()
		if err := xml.Unmarshal(rec.body.Bytes(), v); err != nil {
			return nil, fmt.Errorf("read the %s document CloudFront answered: %w", op.out.root, err)
		}
		out[op.out.member] = v
	}
	// Output headers, as the model's ETag and Location members.
	for member, hdr := range map[string]string{"ETag": "ETag", "Location": "Location"} {
		if v := rec.header.Get(hdr); v != "" {
			out[member] = v
		}
	}
	return json.Marshal(out)
}

// request builds the HTTP request of op from the task's parameters.
func (op restOp) request(p params, service string) (target string, header http.Header, body []byte, err error) {
	used := map[string]bool{}
	target = op.uri
	for {
		i := strings.IndexByte(target, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(target[i:], '}') + i
		member := target[i+1 : j]
		v, ok, err := p.text(service, member)
		if err != nil {
			return "", nil, nil, err
		}
		if !ok || v == "" {
			return "", nil, nil, invalid(service, fmt.Sprintf("the parameter %s is required", member))
		}
		used[member] = true
		target = target[:i] + url.PathEscape(v) + target[j+1:]
	}
	q := url.Values{}
	for _, member := range op.query {
		v, ok, err := p.text(service, member)
		if err != nil {
			return "", nil, nil, err
		}
		used[member] = true
		if ok {
			q.Set(member, v)
		}
	}
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	header = http.Header{}
	for member, name := range op.header {
		v, ok, err := p.text(service, member)
		if err != nil {
			return "", nil, nil, err
		}
		used[member] = true
		if ok {
			header.Set(name, v)
		}
	}
	rest := params{}
	for k, v := range p {
		if !used[k] {
			rest[k] = v
		}
	}
	if op.in == nil {
		for k := range rest {
			return "", nil, nil, invalid(service, fmt.Sprintf("%s is not a parameter of this action", k))
		}
		return target, header, nil, nil
	}
	docJSON, _ := json.Marshal(rest) // a document made of the remaining members
	if op.in.member != "" {
		for k := range rest {
			if k != op.in.member {
				return "", nil, nil, invalid(service, fmt.Sprintf("%s is not a parameter of this action", k))
			}
		}
		var ok bool
		if docJSON, ok = rest[op.in.member]; !ok {
			return "", nil, nil, invalid(service, fmt.Sprintf("the parameter %s is required", op.in.member))
		}
	}
	v := op.in.shape()
	if err := strictDecode(service, op.in.root, docJSON, v); err != nil {
		return "", nil, nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).EncodeElement(v, xml.StartElement{Name: xml.Name{Local: op.in.root}}); err != nil {
		return "", nil, nil, invalid(service, fmt.Sprintf("%s: %v", op.in.root, err))
	}
	header.Set("Content-Type", "application/xml")
	return target, header, buf.Bytes(), nil
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

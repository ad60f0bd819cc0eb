package ssm

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/edgecd/edgecd/params"
)

// The operations: each decodes its request, authorizes the IAM action on the
// resource the cloud checks it against, calls the domain and shapes the
// result.

func (h *Handler) putParameter(ctx context.Context, c Caller, body []byte) (any, error) {
	var in putParameterRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("Name", in.Name, "Value", in.Value); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ssm:PutParameter", c.arn(in.Name)); err != nil {
		return nil, err
	}
	tags := make([]params.Tag, len(in.Tags))
	for i, t := range in.Tags {
		tags[i] = params.Tag{Key: t.Key, Value: t.Value}
	}
	res, err := h.svc.Put(ctx, params.PutInput{
		Name: in.Name, Value: in.Value, Type: params.Type(in.Type), Description: in.Description,
		KeyID: in.KeyId, Overwrite: in.Overwrite, AllowedPattern: in.AllowedPattern, Tags: tags,
		Tier: params.Tier(in.Tier), Policies: in.Policies, DataType: in.DataType,
		User: c.ARN, ARNPrefix: c.arnPrefix(),
	})
	if err != nil {
		return nil, err
	}
	return putParameterResult{Version: res.Version, Tier: string(res.Tier)}, nil
}

func (h *Handler) getParameter(ctx context.Context, c Caller, body []byte) (any, error) {
	var in getParameterRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("Name", in.Name); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ssm:GetParameter", c.arn(withoutSelector(in.Name))); err != nil {
		return nil, err
	}
	p, err := h.svc.Get(ctx, in.Name, in.WithDecryption)
	if err != nil {
		return nil, err
	}
	return getParameterResult{Parameter: c.parameter(p)}, nil
}

func (h *Handler) getParameters(ctx context.Context, c Caller, body []byte) (any, error) {
	var in getParametersRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for _, n := range in.Names {
		if err := h.authorize(ctx, "ssm:GetParameters", c.arn(withoutSelector(n))); err != nil {
			return nil, err
		}
	}
	found, invalid, err := h.svc.GetMany(ctx, in.Names, in.WithDecryption)
	if err != nil {
		return nil, err
	}
	out := getParametersResult{Parameters: []parameter{}, InvalidParameters: nonNil(invalid)}
	for _, p := range found {
		out.Parameters = append(out.Parameters, c.parameter(p))
	}
	return out, nil
}

func (h *Handler) getParametersByPath(ctx context.Context, c Caller, body []byte) (any, error) {
	var in getParametersByPathRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("Path", in.Path); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ssm:GetParametersByPath", c.arn(strings.TrimSuffix(in.Path, "/"))); err != nil {
		return nil, err
	}
	page, err := h.svc.ByPath(ctx, params.PathQuery{
		Path: in.Path, Recursive: in.Recursive, Filters: filters(in.ParameterFilters),
		Decrypt: in.WithDecryption, MaxResults: in.MaxResults, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := parametersPage{Parameters: []parameter{}, NextToken: page.NextToken}
	for _, p := range page.Parameters {
		out.Parameters = append(out.Parameters, c.parameter(p))
	}
	return out, nil
}

func (h *Handler) deleteParameter(ctx context.Context, c Caller, body []byte) (any, error) {
	var in deleteParameterRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("Name", in.Name); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ssm:DeleteParameter", c.arn(in.Name)); err != nil {
		return nil, err
	}
	return struct{}{}, h.svc.Delete(ctx, in.Name)
}

func (h *Handler) deleteParameters(ctx context.Context, c Caller, body []byte) (any, error) {
	var in deleteParametersRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	for _, n := range in.Names {
		if err := h.authorize(ctx, "ssm:DeleteParameters", c.arn(n)); err != nil {
			return nil, err
		}
	}
	deleted, invalid, err := h.svc.DeleteMany(ctx, in.Names)
	if err != nil {
		return nil, err
	}
	return deleteParametersResult{DeletedParameters: nonNil(deleted), InvalidParameters: nonNil(invalid)}, nil
}

func (h *Handler) describeParameters(ctx context.Context, c Caller, body []byte) (any, error) {
	var in describeParametersRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	// DescribeParameters has no resource-level permissions in the cloud.
	if err := h.authorize(ctx, "ssm:DescribeParameters", "*"); err != nil {
		return nil, err
	}
	q := params.DescribeQuery{ParameterFilters: filters(in.ParameterFilters), MaxResults: in.MaxResults, NextToken: in.NextToken}
	for _, f := range in.Filters {
		q.Filters = append(q.Filters, params.Filter{Key: f.Key, Values: f.Values})
	}
	page, err := h.svc.Describe(ctx, q)
	if err != nil {
		return nil, err
	}
	out := describeParametersResult{Parameters: []metadata{}, NextToken: page.NextToken}
	for _, p := range page.Parameters {
		out.Parameters = append(out.Parameters, metadata{
			Name: p.Name, ARN: c.arn(p.Name), Type: string(p.Type), KeyId: p.KeyID,
			LastModifiedDate: epoch(p.Modified), LastModifiedUser: p.User, Description: p.Description,
			AllowedPattern: p.AllowedPattern, Version: p.Version, Tier: string(p.Tier),
			Policies: policies(p.Policies), DataType: p.DataType,
		})
	}
	return out, nil
}

func (h *Handler) getParameterHistory(ctx context.Context, c Caller, body []byte) (any, error) {
	var in getParameterHistoryRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("Name", in.Name); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ssm:GetParameterHistory", c.arn(in.Name)); err != nil {
		return nil, err
	}
	page, err := h.svc.History(ctx, params.HistoryQuery{Name: in.Name, Decrypt: in.WithDecryption, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, err
	}
	out := getParameterHistoryResult{Parameters: []history{}, NextToken: page.NextToken}
	for _, p := range page.Parameters {
		out.Parameters = append(out.Parameters, history{
			Name: p.Name, Type: string(p.Type), KeyId: p.KeyID, LastModifiedDate: epoch(p.Modified),
			LastModifiedUser: p.User, Description: p.Description, Value: p.Value,
			AllowedPattern: p.AllowedPattern, Version: p.Version, Labels: nonNil(p.Labels),
			Tier: string(p.Tier), Policies: policies(p.Policies), DataType: p.DataType,
		})
	}
	return out, nil
}

func (h *Handler) labelParameterVersion(ctx context.Context, c Caller, body []byte) (any, error) {
	var in labelRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("Name", in.Name); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ssm:LabelParameterVersion", c.arn(in.Name)); err != nil {
		return nil, err
	}
	v, invalid, err := h.svc.Label(ctx, in.Name, in.ParameterVersion, in.Labels)
	if err != nil {
		return nil, err
	}
	return labelParameterVersionResult{InvalidLabels: nonNil(invalid), ParameterVersion: v}, nil
}

func (h *Handler) unlabelParameterVersion(ctx context.Context, c Caller, body []byte) (any, error) {
	var in labelRequest
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("Name", in.Name); err != nil {
		return nil, err
	}
	if in.ParameterVersion == 0 {
		return nil, validation("1 validation error detected: Value null at 'parameterVersion' failed to satisfy constraint: Member must not be null")
	}
	if err := h.authorize(ctx, "ssm:UnlabelParameterVersion", c.arn(in.Name)); err != nil {
		return nil, err
	}
	removed, invalid, err := h.svc.Unlabel(ctx, in.Name, in.ParameterVersion, in.Labels)
	if err != nil {
		return nil, err
	}
	return unlabelParameterVersionResult{RemovedLabels: nonNil(removed), InvalidLabels: nonNil(invalid)}, nil
}

func (c Caller) parameter(p params.Parameter) parameter {
	return parameter{
		Name: p.Name, Type: string(p.Type), Value: p.Value, Version: p.Version, Selector: p.Selector,
		LastModifiedDate: epoch(p.Modified), ARN: c.arn(p.Name), DataType: p.DataType,
	}
}

func filters(fs []stringFilter) []params.Filter {
	out := make([]params.Filter, len(fs))
	for i, f := range fs {
		out[i] = params.Filter{Key: f.Key, Option: f.Option, Values: f.Values}
	}
	return out
}

// policies turns the stored JSON array into the ParameterInlinePolicy list.
// Policies are recorded, not enforced, so each stays Pending.
func policies(text string) []policy {
	out := []policy{}
	var ps []json.RawMessage
	if text == "" || json.Unmarshal([]byte(text), &ps) != nil {
		return out
	}
	for _, raw := range ps {
		var p struct{ Type string }
		_ = json.Unmarshal(raw, &p) // validated when written
		out = append(out, policy{PolicyText: string(raw), PolicyType: p.Type, PolicyStatus: "Pending"})
	}
	return out
}

func withoutSelector(ref string) string {
	name, _, _ := strings.Cut(ref, ":")
	return name
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

package sfn

import (
	"context"
	"strconv"

	"github.com/edgecd/edgecd/flow"
)

// Versions and aliases (PublishStateMachineVersion, CreateStateMachineAlias,
// ...). The aws CLI v2 shipped with Debian predates them; the SDKs call
// them with these members.

type routeWire struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	Weight                 int    `json:"weight"`
}

func routes(in []routeWire) []flow.Route {
	if in == nil {
		return nil
	}
	out := make([]flow.Route, len(in))
	for i, r := range in {
		out[i] = flow.Route{Version: r.StateMachineVersionArn, Weight: r.Weight}
	}
	return out
}

func (h *Handler) publishStateMachineVersion(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		RevisionID      string `json:"revisionId"`
		Description     string `json:"description"`
	}
	arn, err := h.machineArgInto(ctx, body, "states:PublishStateMachineVersion", &in)
	if err != nil {
		return nil, err
	}
	var rev int64
	if in.RevisionID != "" {
		if rev, err = strconv.ParseInt(in.RevisionID, 10, 64); err != nil {
			return nil, validation("revisionId " + strconv.Quote(in.RevisionID) + " is not a revision id this service issued")
		}
	}
	v, err := h.e.PublishVersion(ctx, arn, in.Description, rev)
	if err != nil {
		return nil, err
	}
	return map[string]any{"stateMachineVersionArn": v.ARN, "creationDate": ts(v.Created)}, nil
}

// machineArgInto is machineArg for requests with more members.
func (h *Handler) machineArgInto(ctx context.Context, body []byte, action string, v any) (string, error) {
	arn, err := h.machineArg(ctx, body, action)
	if err != nil {
		return "", err
	}
	return arn, decode(body, v)
}

func (h *Handler) listStateMachineVersions(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	arn, err := h.machineArgInto(ctx, body, "states:ListStateMachineVersions", &in)
	if err != nil {
		return nil, err
	}
	if _, err := h.e.Machine(ctx, arn); err != nil {
		return nil, err
	}
	vs, err := h.e.Versions(ctx, arn)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, len(vs))
	for i, v := range vs {
		items[i] = map[string]any{"stateMachineVersionArn": v.ARN, "creationDate": ts(v.Created)}
	}
	return paged("stateMachineVersions", items, in.MaxResults, in.NextToken, "stateMachineVersionArn")
}

func (h *Handler) deleteStateMachineVersion(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		StateMachineVersionArn string `json:"stateMachineVersionArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("stateMachineVersionArn", in.StateMachineVersionArn); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "states:DeleteStateMachineVersion", in.StateMachineVersionArn); err != nil {
		return nil, err
	}
	return map[string]any{}, h.e.DeleteVersion(ctx, in.StateMachineVersionArn)
}

func (h *Handler) createStateMachineAlias(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		Name                 string      `json:"name"`
		Description          string      `json:"description"`
		RoutingConfiguration []routeWire `json:"routingConfiguration"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("name", in.Name); err != nil {
		return nil, err
	}
	if len(in.RoutingConfiguration) == 0 {
		return nil, validation("routingConfiguration must name one or two versions")
	}
	machine, _, err := flow.SplitQualified(in.RoutingConfiguration[0].StateMachineVersionArn)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "states:CreateStateMachineAlias", machine+":"+in.Name); err != nil {
		return nil, err
	}
	a, err := h.e.CreateAlias(ctx, machine, in.Name, in.Description, routes(in.RoutingConfiguration))
	if err != nil {
		return nil, err
	}
	return map[string]any{"stateMachineAliasArn": a.ARN, "creationDate": ts(a.Created)}, nil
}

// aliasArg reads the stateMachineAliasArn member of a request.
func (h *Handler) aliasArg(ctx context.Context, body []byte, action string, v any) (string, error) {
	var in struct {
		StateMachineAliasArn string `json:"stateMachineAliasArn"`
	}
	if err := decode(body, &in); err != nil {
		return "", err
	}
	if v != nil {
		if err := decode(body, v); err != nil {
			return "", err
		}
	}
	if err := required("stateMachineAliasArn", in.StateMachineAliasArn); err != nil {
		return "", err
	}
	return in.StateMachineAliasArn, h.authorize(ctx, action, in.StateMachineAliasArn)
}

func (h *Handler) describeStateMachineAlias(ctx context.Context, c Caller, body []byte) (any, error) {
	arn, err := h.aliasArg(ctx, body, "states:DescribeStateMachineAlias", nil)
	if err != nil {
		return nil, err
	}
	a, err := h.e.AliasByARN(ctx, arn)
	if err != nil {
		return nil, err
	}
	rs := make([]routeWire, len(a.Routing))
	for i, r := range a.Routing {
		rs[i] = routeWire{r.Version, r.Weight}
	}
	out := map[string]any{"stateMachineAliasArn": a.ARN, "name": a.Name, "routingConfiguration": rs,
		"creationDate": ts(a.Created), "updateDate": ts(a.Updated)}
	setOptional(out, "description", a.Description)
	return out, nil
}

func (h *Handler) updateStateMachineAlias(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		Description          *string     `json:"description"`
		RoutingConfiguration []routeWire `json:"routingConfiguration"`
	}
	arn, err := h.aliasArg(ctx, body, "states:UpdateStateMachineAlias", &in)
	if err != nil {
		return nil, err
	}
	if in.Description == nil && in.RoutingConfiguration == nil {
		return nil, validation("give a description or a routingConfiguration to change")
	}
	a, err := h.e.UpdateAlias(ctx, arn, in.Description, routes(in.RoutingConfiguration))
	if err != nil {
		return nil, err
	}
	return map[string]any{"updateDate": ts(a.Updated)}, nil
}

func (h *Handler) deleteStateMachineAlias(ctx context.Context, c Caller, body []byte) (any, error) {
	arn, err := h.aliasArg(ctx, body, "states:DeleteStateMachineAlias", nil)
	if err != nil {
		return nil, err
	}
	return map[string]any{}, h.e.DeleteAlias(ctx, arn)
}

func (h *Handler) listStateMachineAliases(ctx context.Context, c Caller, body []byte) (any, error) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		MaxResults      int    `json:"maxResults"`
		NextToken       string `json:"nextToken"`
	}
	arn, err := h.machineArgInto(ctx, body, "states:ListStateMachineAliases", &in)
	if err != nil {
		return nil, err
	}
	if _, err := h.e.Machine(ctx, arn); err != nil {
		return nil, err
	}
	as, err := h.e.Aliases(ctx, arn)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, len(as))
	for i, a := range as {
		items[i] = map[string]any{"stateMachineAliasArn": a.ARN, "creationDate": ts(a.Created)}
	}
	return paged("stateMachineAliases", items, in.MaxResults, in.NextToken, "stateMachineAliasArn")
}

// paged cuts a listed page after the item whose key the token names.
func paged(member string, items []map[string]any, maxResults int, token, key string) (any, error) {
	limit, err := pageSize(maxResults)
	if err != nil {
		return nil, err
	}
	after, err := readPageToken(token)
	if err != nil {
		return nil, err
	}
	if after != "" {
		for i, it := range items {
			if it[key] == after {
				items = items[i+1:]
				break
			}
		}
	}
	out := map[string]any{}
	if len(items) > limit {
		items = items[:limit]
		out["nextToken"] = pageToken(items[limit-1][key].(string))
	}
	out[member] = items
	return out, nil
}

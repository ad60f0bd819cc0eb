package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/release"
)

// releaseTimeout bounds one promote, abort or rollback (each waits for
// the distributions to be Deployed, which edgecd does in milliseconds).
const releaseTimeout = 5 * time.Minute

// step is one step of a release command as the page shows it.
type step struct {
	Step  string `json:"step"`
	Error string `json:"error,omitempty"`
	Ms    int64  `json:"ms"`
}

type releaseRequest struct {
	Invalidate string `json:"invalidate"` // promote: comma-separated paths
	To         string `json:"to"`         // rollback: origin path or version
}

// releaseAnswer is what a release action returns: the steps it ran, and
// its result or its error with release.Hint's advice.
type releaseAnswer struct {
	Action       string `json:"action"`
	Distribution string `json:"distribution"`
	Steps        []step `json:"steps"`
	Result       any    `json:"result,omitempty"`
	err          error
}

func (a *releaseAnswer) respond(w http.ResponseWriter) {
	if a.err == nil {
		writeJSON(w, http.StatusOK, a)
		return
	}
	e := asAPIError(a.err)
	if se, ok := errors.AsType[*release.StepError](a.err); ok {
		e.msg = fmt.Sprintf("step %q failed: %v", se.Step, se.Err) // without StepError's "next:" line: the hint has it
	}
	writeJSON(w, e.status, map[string]any{
		"action": a.Action, "distribution": a.Distribution, "steps": a.Steps,
		"error": map[string]string{"code": e.code, "message": e.msg, "hint": release.Hint(a.err)},
	})
}

// releaseAction runs `edgecd release promote|abort|rollback --primary ID`
// with the session's key: the same client, the same steps and the same
// authorization as the CLI.
func (c *Console) releaseAction(r *http.Request) (any, error) {
	id, action := r.PathValue("id"), r.PathValue("action")
	var in releaseRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	cfg, err := c.awsConfig(r)
	if err != nil {
		return nil, err
	}
	ans := &releaseAnswer{Action: action, Distribution: id, Steps: []step{}}
	rc := release.NewClient(cfg)
	rc.OnStep = func(name string) func(error) {
		start := time.Now()
		return func(err error) {
			s := step{Step: name, Ms: time.Since(start).Milliseconds()}
			if err != nil {
				s.Error = err.Error()
			}
			ans.Steps = append(ans.Steps, s)
		}
	}
	// The command runs to its end even if the page goes away: its steps
	// are safe to re-run, but a half-done promote is not what anyone
	// clicked for.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), releaseTimeout)
	defer cancel()
	c.log.Info("console release", "action", action, "distribution", id, "by", keyARN(r))
	switch action {
	case "promote":
		ans.Result, ans.err = rc.Promote(ctx, id, release.SplitPaths(in.Invalidate))
	case "abort":
		ans.err = rc.Abort(ctx, id)
	case "rollback":
		var to string
		to, ans.err = rc.Rollback(ctx, id, in.To)
		if ans.err == nil {
			ans.Result = map[string]string{"originPath": to}
		}
	default:
		return nil, &apiError{status: http.StatusNotFound, code: "NotFound", msg: "unknown release action " + action + ": use promote, abort or rollback"}
	}
	if ans.err != nil {
		c.log.Warn("console release failed", "action", action, "distribution", id, "err", ans.err)
	}
	return ans, nil
}

func keyARN(r *http.Request) string {
	if p := iam.PrincipalFrom(r.Context()); p != nil {
		return p.Key.ARN()
	}
	return ""
}

package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/edgecd/edgecd/pipeline/source"
	"github.com/edgecd/edgecd/pipeline/spec"
	"github.com/edgecd/edgecd/store"
)

// kindPolled keeps the last commit a poll source saw, so a restart does
// not start the same commit again. id: <pipeline>/<source>.
const kindPolled = "pipeline.polled"

// startPoll (re)starts the poll loops of a pipeline's poll sources.
func (s *Service) startPoll(p *spec.Pipeline) {
	if s.runCtx == nil {
		return // Resume starts them
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cancel := s.poll[p.Name]; cancel != nil {
		cancel()
		delete(s.poll, p.Name)
	}
	var polled []spec.Source
	for _, src := range p.Sources {
		if src.Trigger == spec.Poll {
			polled = append(polled, src)
		}
	}
	if len(polled) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(s.runCtx)
	s.poll[p.Name] = cancel
	for _, src := range polled {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.pollLoop(ctx, p.Name, src)
		}()
	}
}

func (s *Service) pollLoop(ctx context.Context, pipeline string, src spec.Source) {
	every := src.PollInterval
	if every <= 0 {
		every = spec.DefaultPollInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.PollOnce(ctx, pipeline, src.Name); err != nil && ctx.Err() == nil {
			s.log.Warn("poll source", "pipeline", pipeline, "source", src.Name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PollOnce resolves a source's branch and starts a run when its head moved
// since the last poll (or was never seen: a new pipeline runs its current
// head, as CodePipeline does on creation).
func (s *Service) PollOnce(ctx context.Context, pipeline, sourceName string) error {
	p, err := s.Pipeline(ctx, pipeline)
	if err != nil {
		return err
	}
	sp, err := s.spec(p)
	if err != nil {
		return err
	}
	src := findSource(sp, sourceName)
	if src == nil {
		return fmt.Errorf("%w %q", ErrUnknownSource, sourceName)
	}
	head, err := source.Resolve(ctx, source.Repo{URL: src.Repo, Branch: src.Branch})
	if err != nil {
		return err
	}
	key := pipeline + "/" + sourceName
	rec, err := s.st.Get(ctx, kindPolled, key)
	if err == nil && string(rec.Body) == head {
		return nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, err = s.Start(ctx, StartRequest{Pipeline: pipeline, Commits: map[string]string{sourceName: head},
		Trigger: Trigger{Type: "PollForSourceChanges", Detail: sourceName + "@" + head}})
	if err != nil {
		return err
	}
	_, err = s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Put(ctx, kindPolled, key, []byte(head), store.AnyVersion)
		return err
	})
	return err
}

// maxWebhookBody bounds a push event (GitHub caps payloads at 25 MB; push
// events of normal size are far below 5 MB).
const maxWebhookBody = 5 << 20

// WebhookPath is where GitHub push webhooks are served: WebhookPath +
// pipeline name.
const WebhookPath = "/webhooks/pipeline/"

// Webhook serves GitHub push webhooks at WebhookPath<pipeline>. The body
// must be signed (X-Hub-Signature-256) with the secret of a webhook source
// of that pipeline (its secret_env); a bad signature is refused with 401
// and logged. A push to the source's branch starts a run of that commit.
func (s *Service) Webhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, WebhookPath)
		if r.Method != http.MethodPost {
			http.Error(w, "send the webhook with POST", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
		if err != nil || len(body) > maxWebhookBody {
			http.Error(w, "the body is unreadable or larger than 5 MB", http.StatusRequestEntityTooLarge)
			return
		}
		status, msg, run := s.webhook(r.Context(), name, r.Header, body)
		if status == http.StatusUnauthorized {
			s.log.Warn("pipeline webhook refused", "pipeline", name, "remote", r.RemoteAddr, "delivery", r.Header.Get("X-GitHub-Delivery"), "reason", msg)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"message": msg, "pipelineExecutionId": run})
	})
}

func (s *Service) webhook(ctx context.Context, name string, h http.Header, body []byte) (int, string, string) {
	p, err := s.Pipeline(ctx, name)
	if err != nil {
		return http.StatusNotFound, err.Error(), ""
	}
	sp, err := s.spec(p)
	if err != nil {
		return http.StatusInternalServerError, err.Error(), ""
	}
	var hooks []spec.Source
	for _, src := range sp.Sources {
		if src.Trigger == spec.Webhook {
			hooks = append(hooks, src)
		}
	}
	if len(hooks) == 0 {
		return http.StatusNotFound, "pipeline " + name + " has no webhook source (set trigger: webhook on a source)", ""
	}
	var verified []spec.Source
	var lastErr error = ErrBadSignature
	for _, src := range hooks {
		err := source.VerifySignature([]byte(s.opt.Getenv(src.SecretEnv)), body, h.Get(source.SignatureHeader))
		if err == nil {
			verified = append(verified, src)
		} else {
			lastErr = err
		}
	}
	if len(verified) == 0 {
		return http.StatusUnauthorized, lastErr.Error(), ""
	}
	switch ev := h.Get("X-GitHub-Event"); ev {
	case "ping":
		return http.StatusOK, "pong", ""
	case "push", "":
	default:
		return http.StatusAccepted, "ignored: event " + ev + " (only push starts a run)", ""
	}
	push, err := source.ParsePush(body)
	if err != nil {
		return http.StatusBadRequest, err.Error(), ""
	}
	if push.Deleted || push.Branch == "" {
		return http.StatusAccepted, "ignored: the push deleted a ref or pushed a tag", ""
	}
	for _, src := range verified {
		if src.Branch != push.Branch {
			continue
		}
		run, err := s.Start(ctx, StartRequest{Pipeline: name, Commits: map[string]string{src.Name: push.After},
			Trigger: Trigger{Type: "Webhook", Detail: fmt.Sprintf("push to %s by %s (%s)", push.Branch, push.Pusher, short(push.After))}})
		if err != nil {
			return http.StatusUnprocessableEntity, err.Error(), ""
		}
		return http.StatusAccepted, "started", run.ID
	}
	return http.StatusAccepted, "ignored: no source follows branch " + push.Branch, ""
}

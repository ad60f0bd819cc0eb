package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// LogChunk is a piece of an action's log.
type LogChunk struct {
	Stage      string `json:"stageName"`
	Action     string `json:"actionName"`
	Data       string `json:"data"`
	NextOffset int64  `json:"nextOffset"`
	// Done: the action has ended and Data reaches the end of its log;
	// a follower moves on to the next action.
	Done   bool   `json:"done"`
	Status string `json:"status"`
}

// Log reads up to max bytes of an action's log from offset. Logs are plain
// files under the data directory (pipelines/logs/<pipeline>/<run>/), one
// per action, appended while the action runs, so a reader can follow them.
func (s *Service) Log(ctx context.Context, r Run, stage, action string, offset, max int64) (LogChunk, error) {
	_, a := r.action(stage, action)
	if a == nil {
		return LogChunk{}, fmt.Errorf("run %s has no action %q in stage %q: see `edgecd pipeline status %s` for its stages and actions", r.ID, action, stage, r.Pipeline)
	}
	c := LogChunk{Stage: stage, Action: action, NextOffset: offset, Status: a.Status}
	ended := a.Status != "" && a.Status != StatusInProgress
	if a.Log == "" {
		c.Done = ended || r.Done()
		return c, nil
	}
	f, err := os.Open(a.Log)
	if errors.Is(err, fs.ErrNotExist) {
		c.Done = ended || r.Done()
		return c, nil
	} else if err != nil {
		return c, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return c, err
	}
	buf := make([]byte, max)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return c, err
	}
	c.Data, c.NextOffset = string(buf[:n]), offset+int64(n)
	c.Done = (ended || r.Done()) && int64(n) < max
	return c, nil
}

package flow

import (
	"bytes"

	"github.com/edgecd/edgecd/asl"
)

// The commit loop keeps the decoded state of the running executions it
// last wrote, with the bytes it wrote. Loading an execution still reads
// its record in the transaction (another node may have changed it), but
// when the stored bytes are the ones this node wrote, the decoded state is
// taken from memory instead of decoding about a kilobyte of JSON per step.
//
// A cached state is handed to exactly one transaction (taken out of the
// cache), which may change it; it comes back only when that transaction
// commits. A failed transaction therefore never leaves a changed state in
// the cache. Only the commit loop touches the cache, so it has no lock.

// maxCached bounds the cache; beyond it states are decoded as before.
const maxCached = 100_000

type cachedExec struct {
	body []byte
	rec  execRecord
}

// cached takes the decoded state of exec if body is what this node wrote.
func (e *Engine) cached(exec string, body []byte) *execState {
	c, ok := e.execCache[exec]
	if !ok {
		return nil
	}
	delete(e.execCache, exec)
	if !bytes.Equal(c.body, body) {
		return nil
	}
	return &execState{rec: c.rec}
}

// keep caches the states a committed transaction wrote; finished
// executions are not stepped again, so they are dropped.
func (e *Engine) keep(t *txn) {
	for _, x := range t.dirty {
		if x.rec.Status != asl.Running || x.body == nil || len(e.execCache) >= maxCached {
			continue
		}
		e.execCache[x.rec.ARN] = &cachedExec{body: x.body, rec: x.rec}
	}
}

// Package e2e drives the real edgecd binary: it is built once, started on
// free loopback ports in a temporary data directory, and exercised over
// real HTTP, the way a user would run it.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "edgecd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "edgecd")
	build := exec.Command("go", "build", "-race", "-o", binary, "../cmd/edgecd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build edgecd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// upInfo mirrors <data-dir>/up.json. It is spelled out here rather than
// taken from demo.UpInfo, so that the keys the issue promises scripts
// (edge_url, api_url, ...) are checked against the file, not against the
// writer's own type.
type upInfo struct {
	EdgeURL         string `json:"edge_url"`
	APIURL          string `json:"api_url"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
	Region          string `json:"region"`
	Distributions   []struct {
		ID      string `json:"id"`
		Domain  string `json:"domain"`
		URL     string `json:"url"`
		Staging bool   `json:"staging"`
	} `json:"distributions"`
}

// proc is a running edgecd.
type proc struct {
	t       *testing.T
	cmd     *exec.Cmd
	dataDir string
	info    upInfo
	out     *syncBuffer // stdout
	log     *syncBuffer // stderr, shown when the test fails
	done    chan struct{}
}

// startUp runs `edgecd up` on free ports in dataDir and waits for up.json.
func startUp(t *testing.T, dataDir string, extra ...string) *proc {
	t.Helper()
	os.Remove(filepath.Join(dataDir, "up.json"))
	p := launch(t, dataDir, append([]string{"up", "--data-dir", dataDir, "--edge-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"}, extra...))
	cmd := p.cmd
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dataDir, "up.json"))
		if err == nil && json.Unmarshal(b, &p.info) == nil {
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("edgecd up exited before it was ready: %v", cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("edgecd up did not write up.json within 60s")
		}
	}
}

// launch starts the edgecd binary with args; the test's cleanup kills it
// and, when the test failed, logs what it printed.
func launch(t *testing.T, dataDir string, args []string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	p := &proc{t: t, cmd: cmd, dataDir: dataDir, out: &syncBuffer{}, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("edgecd %s output:\n%s%s", strings.Join(args, " "), p.out.String(), p.log.String())
		}
	})
	return p
}

func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGINT (Ctrl-C) and waits for a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		if !p.cmd.ProcessState.Success() {
			p.t.Fatalf("edgecd did not exit cleanly on Ctrl-C: %v", p.cmd.ProcessState)
		}
	case <-time.After(30 * time.Second):
		p.t.Fatal("edgecd did not stop within 30s of Ctrl-C")
	}
}

// get requests path from the edge with the Host of domain.
func (p *proc) get(domain, path string, hdr ...string) (int, http.Header, string) {
	p.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, p.info.EdgeURL+path, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Host = domain
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// syncBuffer is a bytes.Buffer safe for the process's writer goroutine and
// the test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

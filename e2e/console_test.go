package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds a headless-capable Chromium. Without one the test
// fails in CI (scripts/test.sh installs Debian's chromium) and is skipped
// elsewhere.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: scripts/test.sh installs Debian's chromium package")
	}
	t.Skip("no chromium on PATH (apt-get install chromium); the web console's browser test needs it")
	return ""
}

// tab is a page of a fresh headless Chromium, stopped when the test ends.
// Each step is bounded by its own deadline (stepTimeout), so that the
// time a busy machine spends starting edgecd or the aws CLI between steps
// never eats into a step's; when one fails, the test shows the page's text
// and what the page wrote to its console.
type tab struct {
	t          *testing.T
	browserCtx context.Context // without a deadline
	console    *syncBuffer
}

// stepTimeout bounds one step of a tab: more than an until's 30 s poll.
const stepTimeout = 45 * time.Second

// step is the context of one step, with its deadline.
func (tb *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.browserCtx, stepTimeout)
}

func openTab(t *testing.T) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	// The first run starts the browser and must have no deadline.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	tb := &tab{t: t, browserCtx: ctx, console: &syncBuffer{}}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			fmt.Fprintln(tb.console, m.String())
		}
	}()
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	return tb
}

// do runs steps, failing the test with the page's state if one fails.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		page, _ := chromedp.Run(tb.browserCtx, chromedp.Evaluate[string]("document.body.innerText"))
		tb.t.Fatalf("%s: %v\npage text:\n%s\npage console:\n%s", what, err, page, tb.console.String())
	}
}

// until waits for a JavaScript condition to hold.
func until(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))(ctx, tg)
		return chromedp.Void{}, err
	}
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := tb.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// screenshot keeps a picture of the page when EDGECD_SCREENSHOTS names a
// directory (for docs and reviews).
func (tb *tab) screenshot(name string) {
	if dir := os.Getenv("EDGECD_SCREENSHOTS"); dir != "" {
		ctx, cancel := tb.step()
		defer cancel()
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, name), png, 0o644)
		}
	}
}

// login opens the console and logs in with the keys `edgecd up` printed.
func (tb *tab) login(p *proc, wait string) {
	tb.t.Helper()
	tb.do("log in with the printed keys",
		chromedp.Navigate(p.info.APIURL+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SetValue(chromedp.CSS("#access-key-id"), p.info.AccessKeyID),
		chromedp.SetValue(chromedp.CSS("#secret-access-key"), p.info.SecretAccessKey),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS(wait)),
	)
}

// TestConsoleInABrowser logs in to the web console in a real headless
// Chromium with the keys `edgecd up` printed, watches the live traffic
// panel count viewers on both sides, promotes staging with one click and
// a confirmation, and checks with the aws CLI and the edge that the
// primary now serves the staged version.
func TestConsoleInABrowser(t *testing.T) {
	tb := openTab(t)
	p := startUp(t, t.TempDir())
	primary := p.info.Distributions[0]
	console := p.info.APIURL + "/console/"
	if !strings.Contains(p.out.String(), console) {
		t.Errorf("edgecd up did not print the console URL %s:\n%s", console, p.out.String())
	}

	// The API refuses what a page of another site could try.
	if st := consoleStatus(t, http.DefaultClient, "GET", console+"api/distributions", ""); st != http.StatusUnauthorized {
		t.Errorf("a console call without the session cookie: %d, want 401", st)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	login := `{"accessKeyId":"` + p.info.AccessKeyID + `","secretAccessKey":"` + p.info.SecretAccessKey + `"}`
	if st := consoleStatus(t, c, "POST", console+"api/login", login, "X-Edgecd-Console", "1"); st != http.StatusOK {
		t.Fatalf("login over HTTP: %d", st)
	}
	if st := consoleStatus(t, c, "POST", console+"api/distributions/"+primary.ID+"/promote", ""); st != http.StatusForbidden {
		t.Errorf("a promote without the CSRF header: %d, want 403", st)
	}

	tb.do("a wrong secret is refused",
		chromedp.Navigate(console),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SetValue(chromedp.CSS("#access-key-id"), p.info.AccessKeyID),
		chromedp.SetValue(chromedp.CSS("#secret-access-key"), "not-the-secret"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		until(`document.querySelector('#login-error').textContent.includes('wrong')`),
	)
	tb.login(p, "#release-"+primary.ID)
	if pol := tb.text("#dist-" + primary.ID + " .policy"); !strings.Contains(pol, "header aws-cf-cd-env: staging") || !strings.Contains(pol, "enabled") {
		t.Errorf("the primary's policy reads %q, want the enabled header policy aws-cf-cd-env: staging", pol)
	}

	// Two readings give the panel a rate; then viewers arrive on both sides.
	panel := "#traffic-" + primary.ID
	tb.do("the traffic panel reads the edge", until(`document.querySelector('`+panel+` .primary .rate').textContent !== '–'`))
	for i := range 5 {
		var hdr []string
		if i < 3 {
			hdr = []string{"aws-cf-cd-env", "staging"}
		}
		if st, _, body := p.get(primary.Domain, "/index.html", hdr...); st != 200 || !strings.Contains(body, "App") {
			t.Fatalf("viewer request: %d %q", st, body)
		}
	}
	tb.do("the traffic panel shows staging requests",
		until(`(() => {
			const q = (s) => document.querySelector('`+panel+` ' + s).textContent;
			return Number(q('.staging .total')) >= 3 && Number(q('.primary .total')) >= 2 && parseFloat(q('.staging .rate')) > 0 && q('.share') !== '–';
		})()`))
	tb.screenshot("console-distributions.png")

	tb.do("promote with one click",
		chromedp.Click(chromedp.CSS(`#release-`+primary.ID+` button[data-action="promote"]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-ok")),
	)
	tb.screenshot("console-confirm.png")
	tb.do("confirm the promote",
		chromedp.Click(chromedp.CSS("#confirm-ok")),
		chromedp.WaitVisible(chromedp.CSS("#done-"+primary.ID)),
	)
	if done := tb.text("#done-" + primary.ID); !strings.Contains(done, "/2.0.0") {
		t.Errorf("the promote result reads %q, want the new origin path /2.0.0", done)
	}
	tb.screenshot("console-promoted.png")

	// The real CloudFront API and the edge agree.
	var cfg struct {
		DistributionConfig struct {
			Origins struct{ Items []struct{ OriginPath string } }
		}
	}
	p.runJSON(&cfg, "cloudfront", "get-distribution-config", "--id", primary.ID)
	if items := cfg.DistributionConfig.Origins.Items; len(items) != 1 || items[0].OriginPath != "/2.0.0" {
		t.Errorf("after promote the primary's origins are %+v, want origin path /2.0.0", items)
	}
	if st, _, body := p.get(primary.Domain, "/index.html"); st != 200 || !strings.Contains(body, "v2 App") {
		t.Errorf("after promote the primary serves %d %q, want v2", st, body)
	}

	tb.do("log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
	)
}

// gatePipeline checks out a repository and waits for a person.
const gatePipeline = `name: gate
sources:
  - name: app
    repo: %s
    branch: main
    trigger: manual
approval:
  webhook: %s
stages:
  - name: Source
    actions:
      - name: Checkout
        kind: source.git
  - name: Approve
    actions:
      - name: Approve
        kind: approval
`

// TestConsoleApprovesAPipelineRun starts a run from the console, follows
// the console link of the approval message to it, and approves it there
// with a comment.
func TestConsoleApprovesAPipelineRun(t *testing.T) {
	tb := openTab(t)
	p := startUp(t, t.TempDir())
	messages := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		messages <- string(b)
	}))
	defer hook.Close()
	repo := newSiteRepo(t)
	def := filepath.Join(t.TempDir(), "gate.yaml")
	if err := os.WriteFile(def, fmt.Appendf(nil, gatePipeline, repo.dir, hook.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	p.run("edgecd", "pipeline", "create", def)

	tb.login(p, "#release-"+p.info.Distributions[0].ID)
	tb.do("start a run",
		chromedp.Navigate(p.info.APIURL+"/console/#/pipelines"),
		chromedp.Click(chromedp.CSS(`#pipeline-gate button[data-action="start"]`)),
		chromedp.WaitVisible(chromedp.CSS("#run-status")),
	)
	var msg string
	select {
	case msg = <-messages:
	case <-time.After(40 * time.Second):
		t.Fatal("no approval message reached the webhook within 40s")
	}
	var slack struct{ Text string }
	json.Unmarshal([]byte(msg), &slack)
	m := regexp.MustCompile(`<(http[^|>]+)\|Open the run>`).FindStringSubmatch(slack.Text)
	if m == nil || !strings.HasPrefix(m[1], p.info.APIURL+"/console/#/pipelines/gate/runs/") {
		t.Fatalf("the approval message has no console link to the run: %s", msg)
	}
	tb.do("the message's link opens the waiting run",
		chromedp.Navigate(m[1]),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action="approve"]`)),
		chromedp.SendKeys(chromedp.CSS(".approval textarea"), "looks good"),
	)
	tb.screenshot("console-approval.png")
	tb.do("approve with a confirmation",
		chromedp.Click(chromedp.CSS(`button[data-action="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-ok")),
		chromedp.Click(chromedp.CSS("#confirm-ok")),
		until(`document.querySelector('#run-status').textContent === 'Succeeded'`),
	)
	tb.screenshot("console-run.png")

	// The run is an execution of the flow engine: its history is there too.
	tb.do("the run's execution and its history",
		chromedp.Navigate(p.info.APIURL+"/console/#/executions"),
		chromedp.Click(chromedp.CSS(`a[href^="#/executions/machine/"]`)),
		chromedp.Click(chromedp.CSS(`a[href^="#/executions/execution/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#history")),
	)
	if h := tb.text("#history"); !strings.Contains(h, "ExecutionSucceeded") || !strings.Contains(h, "TaskSucceeded") {
		t.Errorf("the execution's history reads %q", h)
	}
	tb.screenshot("console-execution.png")

	var out struct{ Runs []runView }
	if err := json.Unmarshal([]byte(p.run("edgecd", "pipeline", "status", "gate", "--output", "json")), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Runs) != 1 || out.Runs[0].Status != "Succeeded" {
		t.Fatalf("runs after the approval: %s", jsonString(out.Runs))
	}
	ap := out.Runs[0].Stages[1].Actions[0].Approval
	if ap == nil || ap.Result != "Approved" || ap.Comment != "looks good" || !strings.HasSuffix(ap.By, ":user/admin") {
		t.Fatalf("the approval reads %+v, want Approved by the admin with the comment", ap)
	}
}

// consoleStatus sends one console API request and returns its status.
func consoleStatus(t *testing.T, c *http.Client, method, url, body string, hdr ...string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

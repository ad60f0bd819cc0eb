package e2e

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
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

// browse starts a fresh headless Chromium for the test and returns its
// context; the browser is stopped when the test ends.
func browse(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// TestConsoleInABrowser logs in to the web console in a real headless
// Chromium with the keys `edgecd up` printed, watches the live traffic
// panel count viewers on both sides, promotes staging with one click and
// a confirmation, and checks with the aws CLI and the edge that the
// primary now serves the staged version.
func TestConsoleInABrowser(t *testing.T) {
	ctx := browse(t)
	p := startUp(t, t.TempDir())
	primary := p.info.Distributions[0]
	console := p.info.APIURL + "/console/"
	if !strings.Contains(p.out.String(), console) {
		t.Errorf("edgecd up did not print the console URL %s:\n%s", console, p.out.String())
	}

	// The API refuses what a browser page of another site could try.
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

	// The first run starts the browser and must have no deadline; the
	// rest of the test is bounded. The page's console goes to the log.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	pageLog := &syncBuffer{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			pageLog.Write([]byte(m.String() + "\n"))
		}
	}()
	browserCtx := ctx
	ctx, cancel := context.WithTimeout(ctx, 50*time.Second)
	defer cancel()
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			page, _ := chromedp.Run(browserCtx, chromedp.Evaluate[string]("document.body.innerText"))
			t.Fatalf("%s: %v\npage text:\n%s\npage console:\n%s", what, err, page, pageLog.String())
		}
	}
	step("open the console", chromedp.Navigate(console))
	poll := func(js string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))(ctx, tg)
			return chromedp.Void{}, err
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}

	step("a wrong secret is refused",
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SetValue(chromedp.CSS("#access-key-id"), p.info.AccessKeyID),
		chromedp.SetValue(chromedp.CSS("#secret-access-key"), "not-the-secret"),
		chromedp.Click(chromedp.CSS("#login-submit")),
		poll(`document.querySelector('#login-error').textContent.includes('wrong')`),
	)
	step("the printed keys log in and show the demo",
		chromedp.SetValue(chromedp.CSS("#secret-access-key"), p.info.SecretAccessKey),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#release-"+primary.ID)),
	)
	if pol := text("#dist-" + primary.ID + " .policy"); !strings.Contains(pol, "header aws-cf-cd-env: staging") || !strings.Contains(pol, "enabled") {
		t.Errorf("the primary's policy reads %q, want the enabled header policy aws-cf-cd-env: staging", pol)
	}

	// Two readings give the panel a rate; then viewers arrive on both sides.
	panel := "#traffic-" + primary.ID
	step("the traffic panel reads the edge", poll(`document.querySelector('`+panel+` .primary .rate').textContent !== '–'`))
	for i := range 5 {
		var hdr []string
		if i < 3 {
			hdr = []string{"aws-cf-cd-env", "staging"}
		}
		if st, _, body := p.get(primary.Domain, "/index.html", hdr...); st != 200 || !strings.Contains(body, "App") {
			t.Fatalf("viewer request: %d %q", st, body)
		}
	}
	step("the traffic panel shows staging requests",
		poll(`(() => {
			const q = (s) => document.querySelector('`+panel+` ' + s).textContent;
			return Number(q('.staging .total')) >= 3 && Number(q('.primary .total')) >= 2 && parseFloat(q('.staging .rate')) > 0 && q('.share') !== '–';
		})()`))

	screenshot := func(name string) {
		// EDGECD_SCREENSHOTS=dir keeps pictures of the pages, for docs and reviews.
		if dir := os.Getenv("EDGECD_SCREENSHOTS"); dir != "" {
			if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				os.WriteFile(filepath.Join(dir, name), png, 0o644)
			}
		}
	}
	screenshot("console-distributions.png")
	step("promote with one click and a confirmation",
		chromedp.Click(chromedp.CSS(`#release-`+primary.ID+` button[data-action="promote"]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-ok")),
	)
	screenshot("console-confirm.png")
	step("confirm the promote",
		chromedp.Click(chromedp.CSS("#confirm-ok")),
		chromedp.WaitVisible(chromedp.CSS("#done-"+primary.ID)),
	)
	if done := text("#done-" + primary.ID); !strings.Contains(done, "/2.0.0") {
		t.Errorf("the promote result reads %q, want the new origin path /2.0.0", done)
	}

	screenshot("console-promoted.png")

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

	step("log out",
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
	)
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

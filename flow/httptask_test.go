package flow

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/edgecd/edgecd/asl"
)

// The catcher names States.ALL: asl.Parse refuses "States.Http.StatusCode.503"
// in ErrorEquals for now, although the cloud accepts it (reported).
func TestHTTPInvokeSendsRequestAndCatchesStatusErrors(t *testing.T) {
	type seen struct {
		method, path, query, auth, contentType, body string
	}
	got := make(chan seen, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Api-Key"), r.Header.Get("Content-Type"), string(b)}
		if r.URL.Path == "/down" {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"accepted":true}`))
	}))
	defer srv.Close()
	h := newHarness(t, Options{})
	m := h.machine("http", `{"StartAt":"Post","States":{
		"Post":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"`+srv.URL+`/hook","Method":"POST",
			"Headers":{"X-Api-Key":"k1"},"QueryParameters":{"v":2},"RequestBody":{"text.$":"$.msg"}},"ResultSelector":{"ok.$":"$.ResponseBody.accepted","status.$":"$.StatusCode"},
			"ResultPath":"$.post","Next":"Down"},
		"Down":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"`+srv.URL+`/down","Method":"GET"},
			"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.down","Next":"Done"}],"End":true},
		"Done":{"Type":"Pass","End":true}}}`)
	x := h.wait(h.start(m, "h", `{"msg":"deploy v42?"}`).ARN)
	wantStatus(t, x, asl.Succeeded)
	first := <-got
	want := seen{"POST", "/hook", "v=2", "k1", "application/json", `{"text":"deploy v42?"}`}
	if first != want {
		t.Fatalf("request %+v, want %+v", first, want)
	}
	var out struct {
		Post struct {
			OK     bool
			Status int
		}
		Down struct{ Error string }
	}
	json.Unmarshal(x.Output, &out)
	if !out.Post.OK || out.Post.Status != 200 || out.Down.Error != "States.Http.StatusCode.503" {
		t.Fatalf("output %s", x.Output)
	}
}

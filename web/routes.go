package web

import "net/http"

// routes registers the JSON API the page calls. GET calls read; POST
// calls change something and need the CSRF header.
func (c *Console) routes() {
	get := func(pattern string, fn handlerFunc) { c.mux.Handle(pattern, c.authed(http.MethodGet, fn)) }
	post := func(pattern string, fn handlerFunc) { c.mux.Handle(pattern, c.authed(http.MethodPost, fn)) }

	c.mux.Handle("/console/api/login", c.open(http.MethodPost, c.login))
	c.mux.Handle("/console/api/logout", c.open(http.MethodPost, c.logout))
	get("/console/api/session", c.whoami)

	get("/console/api/distributions", c.distributions)
	get("/console/api/traffic", c.traffic)
	post("/console/api/distributions/{id}/{action}", c.releaseAction)

	get("/console/api/pipelines", c.pipelines)
	get("/console/api/pipelines/{name}/runs", c.runs)
	post("/console/api/pipelines/{name}/start", c.start)
	get("/console/api/runs/{id}", c.run)
	get("/console/api/runs/{id}/log", c.actionLog)
	post("/console/api/runs/{id}/decide", c.decide)

	get("/console/api/statemachines", c.stateMachines)
	get("/console/api/executions", c.executions)
	get("/console/api/execution", c.execution)
}

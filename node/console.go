package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/edgecd/edgecd/edge"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/web"
)

// withConsole puts the web console (package web) in front of the API
// handler: unsigned requests under /console/ go to the console, which
// authenticates browsers with its own session cookie (a browser cannot
// sign with SigV4) and calls this API signed with the logged-in key. A
// SigV4-signed request always reaches the gateway, so a path-style S3
// request for a bucket named "console" still works.
func (n *Node) withConsole(ctx context.Context, api http.Handler) (http.Handler, error) {
	key, err := web.SessionKey(ctx, n.Store)
	if err != nil {
		return nil, err
	}
	var traffic func() []edge.DistTraffic
	if n.Edge != nil {
		traffic = n.Edge.Traffic
	}
	console, err := web.New(web.Options{
		Keys:       iam.StoreKeys{St: n.Store},
		SessionKey: key,
		AWS:        n.awsAs,
		Traffic:    traffic,
		Account:    n.CDN.Account(),
		Logger:     n.cfg.Logger.With("part", "console"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the web console: %w", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isConsolePath(r.URL.Path) && r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Signature") == "" {
			console.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}), nil
}

func isConsolePath(p string) bool { return p == "/console" || strings.HasPrefix(p, web.Path) }

// awsAs is the SDK configuration for this node's own API, signed with k.
func (n *Node) awsAs(ctx context.Context, k iam.Key) (aws.Config, error) {
	addr := n.APIAddr()
	if addr == "" {
		return aws.Config{}, errors.New("the API listener is not up yet")
	}
	return aws.Config{
		Region:       n.cfg.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""),
		BaseEndpoint: aws.String("http://" + loopback(addr)),
	}, nil
}

// loopback turns a wildcard listen address into one this process can
// dial.
func loopback(addr string) string {
	if strings.HasPrefix(addr, "[::]") || strings.HasPrefix(addr, "0.0.0.0") {
		return "127.0.0.1" + addr[strings.LastIndex(addr, ":"):]
	}
	return addr
}

// consoleLink is the web console's base URL for links to a pipeline run
// (the pipeline appends /pipelines/NAME/runs/ID, a route of the page). On a
// wildcard address it names this host, which a reader elsewhere can reach
// more likely than loopback.
func (n *Node) consoleLink() string {
	addr := n.APIAddr()
	if addr == "" {
		return ""
	}
	if host, port, err := net.SplitHostPort(addr); err == nil && net.ParseIP(host).IsUnspecified() {
		if name, err := os.Hostname(); err == nil && name != "" {
			addr = net.JoinHostPort(name, port)
		}
	}
	return "http://" + addr + web.Path + "#"
}

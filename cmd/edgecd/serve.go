package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/edgecd/edgecd/node"
)

// nodeFlags are the flags up and serve share.
type nodeFlags struct {
	dataDir, edgeAddr, apiAddr, role, logLevel string
	store                                      string
	metricsAddr, metricsToken                  string
	accessKeyID, secretAccessKey               string
	native, enforceBucketPolicy                bool
}

func (f *nodeFlags) register(fs *flag.FlagSet, defEdge, defAPI string) {
	fs.StringVar(&f.dataDir, "data-dir", ".edgecd", "directory holding the store and the buckets")
	fs.StringVar(&f.store, "store", "", "where the state lives: empty for the embedded SQLite file in the data dir, or postgres://user@host:port/database shared by several nodes (objects stay in the data dir; give the password in PGPASSWORD or ~/.pgpass, since command lines are visible to other users)")
	fs.StringVar(&f.edgeAddr, "edge-addr", defEdge, "viewer (CDN) listen address; port 0 picks a free port")
	fs.StringVar(&f.apiAddr, "api-addr", defAPI, "AWS-compatible API listen address; port 0 picks a free port")
	fs.BoolVar(&f.native, "native", false, "lift CloudFront's limits: any weight 0-1, policies at creation")
	fs.BoolVar(&f.enforceBucketPolicy, "enforce-bucket-policy", false, "origins honour bucket policies: a distribution the policy does not name (AWS:SourceArn) gets 403")
	fs.StringVar(&f.accessKeyID, "access-key-id", "", "operator access key id (default: generated once and kept in the data dir)")
	fs.StringVar(&f.secretAccessKey, "secret-access-key", "", "operator secret access key")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "also serve Prometheus /metrics alone on this address (the way to scrape --role edge, which has no API listener); the API listener serves /metrics too")
	fs.StringVar(&f.metricsToken, "metrics-token", os.Getenv("EDGECD_METRICS_TOKEN"), "bearer token that lets a non-loopback scraper read /metrics (default $EDGECD_METRICS_TOKEN; loopback clients and SigV4-signed requests need none)")
}

// parse parses args into f (fs may hold the command's own flags too),
// refuses exposed development credentials and returns the logger
// --log-level asks for.
func (f *nodeFlags) parse(fs *flag.FlagSet, args []string, stderr io.Writer) (*slog.Logger, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := f.checkExposure(); err != nil {
		return nil, err
	}
	return newLogger(stderr, f.logLevel)
}

// config is the node the flags describe.
func (f *nodeFlags) config(log *slog.Logger) node.Config {
	return node.Config{DataDir: f.dataDir, Store: f.store, Role: f.role, EdgeAddr: f.edgeAddr, APIAddr: f.apiAddr, Native: f.native, EnforceBucketPolicy: f.enforceBucketPolicy, Logger: log,
		MetricsAddr: f.metricsAddr, MetricsToken: f.metricsToken}
}

// checkExposure refuses generated dev credentials on a non-loopback address:
// anyone on the network could otherwise drive the API.
func (f *nodeFlags) checkExposure() error {
	if f.accessKeyID != "" {
		return nil
	}
	for _, a := range []string{f.edgeAddr, f.apiAddr} {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return fmt.Errorf("address %q: %w", a, err)
		}
		ip := net.ParseIP(host)
		if host == "localhost" || (ip != nil && ip.IsLoopback()) {
			continue
		}
		return fmt.Errorf("refusing to listen on %s with generated development credentials: pass --access-key-id and --secret-access-key (or bind to 127.0.0.1)", a)
	}
	return nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	var f nodeFlags
	f.register(fs, "127.0.0.1:8080", "127.0.0.1:8081")
	fs.StringVar(&f.role, "role", node.RoleAll, "all, edge (serve viewers from the shared store) or control (APIs only)")
	var origin node.Config
	fs.StringVar(&origin.OriginEndpoint, "origin-endpoint", "", "read bucket origins from this S3-compatible endpoint (e.g. a control node's API URL, MinIO, the cloud's S3) instead of the data dir, so edge nodes need no shared directory; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE")
	fs.StringVar(&origin.OriginRegion, "origin-region", "", "region of --origin-endpoint (default: AWS_REGION or the configured one, else us-east-1)")
	fs.Int64Var(&origin.OriginCacheBytes, "origin-cache-bytes", 10<<30, "bound on the on-disk cache (data-dir/origin-cache) of objects read from --origin-endpoint, in bytes")
	log, err := f.parse(fs, args, stderr)
	if err != nil {
		return err
	}
	cfg := f.config(log)
	cfg.OriginEndpoint, cfg.OriginRegion, cfg.OriginCacheBytes = origin.OriginEndpoint, origin.OriginRegion, origin.OriginCacheBytes
	n, err := node.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if _, err := node.EnsureAdminKey(ctx, n.Store, n.CDN.Account(), f.accessKeyID, f.secretAccessKey); err != nil {
		n.Shutdown(context.Background())
		return err
	}
	log.Info("edgecd serving", "role", f.role, "edge", n.EdgeAddr(), "api", n.APIAddr(), "metrics", n.MetricsAddr(), "data_dir", f.dataDir)
	return waitAndShutdown(ctx, n, log)
}

func waitAndShutdown(ctx context.Context, n *node.Node, log interface{ Info(string, ...any) }) error {
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-n.Errors():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Shutdown(sctx); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

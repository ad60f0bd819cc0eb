// Package node assembles a running edgecd process from its parts: the
// store, the object store, the CDN service, the edge and the API listener.
// A node has a role: "all" runs everything (the default, and what `edgecd
// up` uses), "edge" only serves viewers from a shared store, "control" only
// serves the APIs. cmd/edgecd turns flags into a Config and calls Start.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/edge"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
	"github.com/edgecd/edgecd/objstore/remote"
	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/postgres"
	"github.com/edgecd/edgecd/store/sqlite"
)

// Roles a node can have.
const (
	RoleAll     = "all"
	RoleEdge    = "edge"
	RoleControl = "control"
)

// Config is everything a node needs to start.
type Config struct {
	DataDir  string // holds edgecd.db (unless Store names another store) and objects/
	Role     string
	EdgeAddr string // viewer listener, e.g. 127.0.0.1:8080 (":0" picks a free port)
	APIAddr  string // AWS-compatible API listener
	Native   bool   // lift CloudFront's limits (see cdn.Native)
	Region   string
	Account  string
	// DomainSuffix is appended to distribution labels (default
	// edgecd.localhost, which resolves to loopback everywhere).
	DomainSuffix string
	CacheBytes   int64
	// EnforceBucketPolicy makes the edge honour bucket policies for local
	// origins (origin access by distribution ARN, as in the cloud).
	EnforceBucketPolicy bool
	// Store selects the store: "" is the embedded SQLite file in DataDir;
	// a postgres:// (or postgresql://) URL is a PostgreSQL database that
	// several nodes share. Objects stay in DataDir/objects either way
	// (an edge may read them elsewhere: OriginEndpoint).
	Store string
	// OriginEndpoint, when set, is an S3-compatible endpoint (another
	// edgecd's API, MinIO, Ceph, the cloud's S3) from which the edge reads
	// bucket origins instead of DataDir/objects, through an on-disk cache
	// of OriginCacheBytes (default 10 GiB) in DataDir/origin-cache; how
	// several edge-only nodes scale out without a shared directory.
	// Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID,
	// AWS_PROFILE, ...), the region from OriginRegion, else the chain,
	// else us-east-1. A control node has no edge, so it refuses it.
	OriginEndpoint   string
	OriginRegion     string
	OriginCacheBytes int64
	// MetricsAddr, when set, serves /metrics alone there (an edge-only
	// node has no API listener to serve it); MetricsToken lets a remote
	// scraper in with Authorization: Bearer (see node/metrics.go).
	MetricsAddr, MetricsToken string
	Logger                    *slog.Logger
}

// Node is a running edgecd process.
type Node struct {
	cfg     Config
	Store   store.Store
	Objects *objstore.Store
	CDN     *cdn.Service
	Edge    *edge.Server

	edgeLn, apiLn net.Listener
	metricsLn     net.Listener
	metrics       nodeMetrics
	servers       []*http.Server
	cancel        context.CancelFunc
	wg            sync.WaitGroup
	errs          chan error

	adminMu  sync.Mutex
	adminKey *iam.Key // the operator's key, once read (see operatorKey)
}

// Start opens the store and starts the listeners of cfg.Role.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Role == "" {
		cfg.Role = RoleAll
	}
	if cfg.Role != RoleAll && cfg.Role != RoleEdge && cfg.Role != RoleControl {
		return nil, fmt.Errorf("unknown role %q: use all, edge or control", cfg.Role)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.OriginEndpoint != "" {
		if cfg.Role == RoleControl {
			return nil, errors.New("--origin-endpoint sets where the edge reads bucket origins, and a control node runs no edge: drop the flag or use --role edge or all")
		}
		if _, err := remote.ParseEndpoint(cfg.OriginEndpoint); err != nil {
			return nil, fmt.Errorf("--origin-endpoint: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	n := &Node{cfg: cfg, errs: make(chan error, 4)}
	ok := false
	defer func() {
		if !ok {
			n.closeAll()
		}
	}()
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	n.Store = db
	if n.Objects, err = objstore.Open(filepath.Join(cfg.DataDir, "objects")); err != nil {
		return nil, fmt.Errorf("open object store: %w", err)
	}
	mode := cdn.Compatible
	if cfg.Native {
		mode = cdn.Native
	}
	n.CDN = cdn.NewService(db, cdn.Options{Mode: mode, DomainSuffix: cfg.DomainSuffix, Account: cfg.Account})

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	if cfg.Role != RoleControl {
		if err := n.startEdge(runCtx); err != nil {
			return nil, err
		}
	}
	if cfg.Role != RoleEdge {
		if err := n.startAPI(runCtx); err != nil {
			return nil, err
		}
	}
	if err := n.startMetrics(runCtx); err != nil {
		return nil, err
	}
	ok = true
	return n, nil
}

// openStore opens the store cfg.Store names.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	switch {
	case cfg.Store == "":
		db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "edgecd.db"))
		if err != nil {
			return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
		}
		return db, nil
	case strings.HasPrefix(cfg.Store, "postgres://"), strings.HasPrefix(cfg.Store, "postgresql://"):
		db, err := postgres.Open(ctx, cfg.Store, postgres.Options{Logger: cfg.Logger.With("part", "store")})
		if err != nil {
			return nil, fmt.Errorf("open the PostgreSQL store: %w", err)
		}
		return db, nil
	}
	return nil, errors.New("--store: leave it empty for the embedded SQLite file in the data directory, or pass a postgres://user:password@host:port/database URL")
}

func (n *Node) startEdge(ctx context.Context) error {
	key, err := edge.StickyKey(ctx, n.Store)
	if err != nil {
		return fmt.Errorf("load sticky-cookie key: %w", err)
	}
	buckets, err := n.originBuckets(ctx)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	n.Edge = edge.NewServer(buckets, edge.Options{
		ID:                  fmt.Sprintf("%s-%d", host, os.Getpid()),
		StickyKey:           key,
		CacheBytes:          n.cfg.CacheBytes,
		EnforceBucketPolicy: n.cfg.EnforceBucketPolicy,
		Logger:              n.cfg.Logger.With("part", "edge"),
	})
	if n.edgeLn, err = listen(n.cfg.EdgeAddr, "--edge-addr"); err != nil {
		return err
	}
	// Serve only after the first snapshot is in, so the first viewer never
	// sees a 503 from a node that is merely starting.
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.Edge.Watch(ctx, n.Store, n.edgeLn.Addr().String()); err != nil && !errors.Is(err, context.Canceled) {
			n.errs <- fmt.Errorf("edge watch: %w", err)
		}
	}()
	select {
	case <-n.Edge.Ready():
	case <-time.After(30 * time.Second):
		return errors.New("edge did not load its first configuration within 30s")
	}
	// The edge answers plain cache hits itself and hands every other
	// connection to net/http (edge.Server.Listen).
	n.serve(n.Edge.Listen(n.edgeLn), n.Edge)
	return nil
}

// originBuckets is where the edge reads bucket origins: the local object
// store, or the S3-compatible endpoint of Config.OriginEndpoint.
func (n *Node) originBuckets(ctx context.Context) (edge.Buckets, error) {
	if n.cfg.OriginEndpoint == "" {
		return n.Objects, nil
	}
	client, err := remote.NewClient(ctx, n.cfg.OriginEndpoint, n.cfg.OriginRegion)
	if err != nil {
		return nil, fmt.Errorf("--origin-endpoint: %w", err)
	}
	b, err := remote.New(client, remote.Options{
		Dir:      filepath.Join(n.cfg.DataDir, "origin-cache"),
		MaxBytes: n.cfg.OriginCacheBytes,
		Logger:   n.cfg.Logger.With("part", "origin"),
	})
	if err != nil {
		return nil, err
	}
	n.cfg.Logger.Info("edge reads bucket origins from an S3 endpoint", "endpoint", n.cfg.OriginEndpoint)
	return b, nil
}

func (n *Node) startAPI(ctx context.Context) error {
	// Listen first: parts of the handler need the address (the console
	// link in approval messages, node/console.go).
	var err error
	if n.apiLn, err = listen(n.cfg.APIAddr, "--api-addr"); err != nil {
		return err
	}
	h, err := n.apiHandler(ctx)
	if err != nil {
		n.apiLn.Close()
		return err
	}
	n.serve(n.apiLn, n.withMetrics(ctx, h)) // GET /metrics: node/metrics.go
	return nil
}

func listen(addr, flagName string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (choose another address with %s, or :0 for a free port)", addr, err, flagName)
	}
	return ln, nil
}

func (n *Node) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(n.cfg.Logger.Handler(), slog.LevelWarn),
	}
	n.servers = append(n.servers, srv)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.errs <- fmt.Errorf("serve %s: %w", ln.Addr(), err)
		}
	}()
}

// EdgeAddr is the viewer listener's address ("" for a control node).
func (n *Node) EdgeAddr() string { return addrOf(n.edgeLn) }

// APIAddr is the API listener's address ("" for an edge node).
func (n *Node) APIAddr() string { return addrOf(n.apiLn) }

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// Errors delivers fatal errors of background parts.
func (n *Node) Errors() <-chan error { return n.errs }

// Shutdown stops accepting requests, lets in-flight ones finish (until ctx
// ends), stops the background loops and closes the stores.
func (n *Node) Shutdown(ctx context.Context) error {
	var errs []error
	for _, s := range n.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	n.cancel()
	n.wg.Wait()
	errs = append(errs, n.closeAll())
	return errors.Join(errs...)
}

func (n *Node) closeAll() error {
	var errs []error
	if n.cancel != nil {
		n.cancel()
	}
	if n.Objects != nil {
		errs = append(errs, n.Objects.Close())
	}
	if n.Store != nil {
		errs = append(errs, n.Store.Close())
	}
	return errors.Join(errs...)
}

// Package pgtest starts a private, throwaway PostgreSQL server for tests:
// its own data directory and unix socket under a temporary directory, no
// TCP listener, stopped (and deleted) by Stop. Tests of store/postgres and
// the e2e tests use it; it is test support, not part of edgecd.
//
// PostgreSQL refuses to run as root, so when the test runs as root the
// server runs as the "postgres" user that Debian's postgresql package
// creates.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres means the server binaries are not installed; tests skip
// with its message.
var ErrNoPostgres = errors.New("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: apt-get install -y postgresql")

// Options tune Start.
type Options struct {
	// Fsync keeps PostgreSQL's fsync at commit. Off by default: tests
	// check edgecd's behaviour, not the disk's, and a process crash (kill
	// -9 of edgecd or of postgres) loses nothing committed either way.
	// Turn it on to measure commit throughput honestly.
	Fsync bool
}

// Server is a running PostgreSQL server.
type Server struct {
	dir  string // temporary root: data/, sock/, log
	sock string
	cmd  *exec.Cmd
	done chan struct{}
	log  *bytes.Buffer
}

// Bin returns the directory of the newest installed PostgreSQL's initdb
// and postgres, or ErrNoPostgres.
func Bin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&0o111 != 0
}

// Start creates a cluster in a new temporary directory and starts a server
// on a unix socket there. The caller must Stop it.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	base := ""
	if cred != nil && !traversable(os.TempDir()) {
		// The postgres user must reach its directory: $TMPDIR under
		// /root, say, would not do.
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "edgecd-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, sock: filepath.Join(dir, "sock"), done: make(chan struct{}), log: &bytes.Buffer{}}
	fail := func(err error) (*Server, error) {
		s.Stop()
		return nil, err
	}
	if err := os.Mkdir(s.sock, 0o700); err != nil {
		return fail(err)
	}
	if cred != nil {
		for _, p := range []string{dir, s.sock} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return fail(err)
			}
		}
	}
	data := filepath.Join(dir, "data")
	initdb := command(ctx, cred, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}
	fsync := "off"
	if opts.Fsync {
		fsync = "on"
	}
	s.cmd = command(context.WithoutCancel(ctx), cred, filepath.Join(bin, "postgres"), "-D", data, "-k", s.sock,
		"-c", "listen_addresses=", "-c", "fsync="+fsync, "-c", "max_connections=200", "-c", "shared_buffers=32MB")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	// Never outlive the test binary, even when it is killed.
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := s.cmd.Start(); err != nil {
		return fail(fmt.Errorf("start postgres: %w", err))
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	for {
		conn, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			conn.Close(ctx)
			return s, nil
		}
		select {
		case <-s.done:
			return fail(fmt.Errorf("postgres exited at start-up: %v\n%s", s.cmd.ProcessState, s.log))
		case <-ctx.Done():
			return fail(fmt.Errorf("postgres did not accept connections: %w", err))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// traversable reports whether every directory from / to dir lets other
// users through.
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// credential is the postgres user's when running as root, nil otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no postgres user to run it as (apt-get install -y postgresql creates one): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func command(ctx context.Context, cred *syscall.Credential, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

// DSN is the URL of database db on this server.
func (s *Server) DSN(db string) string {
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + db,
		RawQuery: url.Values{"host": {s.sock}, "sslmode": {"disable"}}.Encode()}).String()
}

// CreateDatabase creates an empty database and returns its DSN.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	if err := s.exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	return s.DSN(name), nil
}

// CreateSchema creates an empty schema in the "postgres" database and
// returns a DSN whose search_path is that schema: a fresh store in
// milliseconds, where a database would take a second.
func (s *Server) CreateSchema(ctx context.Context, name string) (string, error) {
	if err := s.exec(ctx, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	u, _ := url.Parse(s.DSN("postgres"))
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// Stop shuts the server down (fast shutdown: clients are disconnected)
// and deletes its directory.
func (s *Server) Stop() error {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	return os.RemoveAll(s.dir)
}

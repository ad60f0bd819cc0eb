package edge

import (
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// connReader reads a fast-path connection the way nginx does: after a read
// that came back short, the socket is known to be drained, so the next read
// first waits for the poller to report new data instead of trying the
// socket and getting EAGAIN. That saves a system call per keep-alive
// request. Go's poller is edge-triggered and remembers readiness that
// arrived while nobody waited, so data that came in meanwhile is not
// missed; after a read that filled the buffer the socket is tried at once.
type connReader struct {
	rc      syscall.RawConn
	buf     []byte
	n       int
	err     error
	drained bool // the last read was short: wait before reading
	fn      func(fd uintptr) bool
}

// newConnReader returns nil when c is not a socket (then plain Read).
func newConnReader(c net.Conn) *connReader {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &connReader{rc: rc}
	r.fn = r.read
	return r
}

// Read reads into p as net.Conn's Read does, honouring its deadlines.
func (r *connReader) Read(p []byte) (int, error) {
	r.buf, r.n, r.err = p, 0, nil
	err := r.rc.Read(r.fn)
	r.buf = nil
	if err != nil {
		return 0, err
	}
	if r.err != nil {
		return 0, r.err
	}
	if r.n == 0 {
		return 0, io.EOF
	}
	r.drained = r.n < len(p)
	return r.n, nil
}

func (r *connReader) read(fd uintptr) bool {
	if r.drained {
		r.drained = false
		return false // wait for the poller first
	}
	for {
		n, err := unix.Read(int(fd), r.buf)
		switch err {
		case nil:
			r.n = n
			return true
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			r.err = err
			return true
		}
	}
}

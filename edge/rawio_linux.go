package edge

import (
	"io"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawIO reads and writes a fast-path connection's socket with raw system
// calls, through the connection's poller (so deadlines and Close still
// apply). The socket is non-blocking, so no call waits in the kernel: a
// read or write that cannot proceed returns EAGAIN and the goroutine parks
// in the poller as net.Conn's would. What the raw calls save is the
// runtime's syscall bookkeeping, and with it the scheduler handing the
// goroutine's processor to another thread when a write that also runs the
// loopback receiver's TCP code takes longer than the monitor's 20 µs tick:
// under load those hand-offs made the edge's threads preempt each other on
// a core, a visible part of its p99.
type rawIO struct {
	rc  syscall.RawConn
	p   []byte
	iov [2]unix.Iovec
	n   int
	err error

	readFn, writeFn, writevFn func(fd uintptr) bool
}

// newRawIO returns nil when c is not a socket (TLS, pipes in tests); the
// caller then uses c's own Read and Write.
func newRawIO(c net.Conn) *rawIO {
	rc := rawConn(c)
	if rc == nil {
		return nil
	}
	r := &rawIO{rc: rc}
	r.readFn, r.writeFn, r.writevFn = r.read, r.write, r.writev
	return r
}

// rawConn is c's socket for raw system calls, nil when c is not a socket.
func rawConn(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// Read is net.Conn's Read.
func (r *rawIO) Read(p []byte) (int, error) {
	r.p, r.n, r.err = p, 0, nil
	err := r.rc.Read(r.readFn)
	r.p = nil
	switch {
	case err != nil:
		return 0, err
	case r.err != nil:
		return 0, r.err
	case r.n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return r.n, nil
}

func (r *rawIO) read(fd uintptr) bool {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(r.p))), uintptr(len(r.p)))
		switch errno {
		case 0:
			r.n = int(n)
			return true
		case unix.EINTR:
		case unix.EAGAIN:
			return false // park until the poller reports data
		default:
			r.err = errno
			return true
		}
	}
}

// Write writes all of p, as net.Conn's Write.
func (r *rawIO) Write(p []byte) (int, error) {
	r.p, r.n, r.err = p, 0, nil
	err := r.rc.Write(r.writeFn)
	r.p = nil
	if err == nil {
		err = r.err
	}
	return r.n, err
}

func (r *rawIO) write(fd uintptr) bool {
	return sendFrom(fd, r.p, &r.n, unix.MSG_NOSIGNAL, &r.err)
}

// sendFrom sends p[*sent:] on the non-blocking socket fd with flags,
// advancing *sent. It reports false when the socket is full (wait until it
// is writable and call again), true when all of p is sent or an error,
// stored in *errp, ends the write.
func sendFrom(fd uintptr, p []byte, sent *int, flags int, errp *error) bool {
	for *sent < len(p) {
		rest := p[*sent:]
		n, _, errno := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(rest))), uintptr(len(rest)),
			uintptr(flags), 0, 0)
		switch errno {
		case 0:
			*sent += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			*errp = errno
			return true
		}
	}
	return true
}

// Writev writes all of a, then all of b, in as few system calls as the
// socket allows.
func (r *rawIO) Writev(a, b []byte) (int, error) {
	r.n, r.err = 0, nil
	r.iov[0].Base, r.iov[1].Base = unsafe.SliceData(a), unsafe.SliceData(b)
	r.iov[0].SetLen(len(a))
	r.iov[1].SetLen(len(b))
	err := r.rc.Write(r.writevFn)
	r.iov[0].Base, r.iov[1].Base = nil, nil
	if err == nil {
		err = r.err
	}
	return r.n, err
}

func (r *rawIO) writev(fd uintptr) bool {
	for {
		iov := r.iov[:]
		for len(iov) > 0 && iov[0].Len == 0 {
			iov = iov[1:]
		}
		if len(iov) == 0 {
			return true
		}
		msg := unix.Msghdr{Iov: &iov[0]}
		msg.SetIovlen(len(iov))
		n, _, errno := syscall.RawSyscall(syscall.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&msg)), unix.MSG_NOSIGNAL)
		switch errno {
		case 0:
			r.n += int(n)
			r.advance(int(n))
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			r.err = errno
			return true
		}
	}
}

// advance drops n written bytes from the front of the iovecs.
func (r *rawIO) advance(n int) {
	for i := range r.iov {
		v := &r.iov[i]
		l := int(v.Len)
		if n < l {
			v.Base = (*byte)(unsafe.Add(unsafe.Pointer(v.Base), n))
			v.SetLen(l - n)
			return
		}
		n -= l
		v.SetLen(0)
	}
}

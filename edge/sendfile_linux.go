package edge

import (
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bodyFile is a cached body's copy in an anonymous, sealed memory file
// (memfd), from which large hits are sent with sendfile(2) as nginx sends
// files from the page cache: the kernel passes page references to the
// socket instead of copying the bytes from our memory on every response.
// The seals make the file immutable, like the entry. The descriptor is
// closed by the *os.File's cleanup once no entry or response holds it.
type bodyFile struct {
	f    *os.File
	fd   int
	size int
}

// sendfileMin is the smallest body worth a memory file: below it one
// writev of header and body is as cheap.
const sendfileMin = 64 << 10

// newBodyFile copies body into a sealed memory file; nil when the kernel
// cannot make one (then hits use writev).
func newBodyFile(body []byte) *bodyFile {
	fd, err := unix.MemfdCreate("edgecd-object", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), "edgecd-object")
	if _, err := f.Write(body); err != nil {
		f.Close()
		return nil
	}
	const seals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil
	}
	return &bodyFile{f: f, fd: fd, size: len(body)}
}

// fileSender writes a response head and a bodyFile to a TCP connection. Its
// callbacks are bound once per connection, so a response allocates nothing.
type fileSender struct {
	rc   syscall.RawConn
	head []byte
	sent int
	file *bodyFile
	off  int64
	err  error

	writeHead, writeBody func(fd uintptr) bool
}

func newFileSender(c net.Conn) *fileSender {
	rc := rawConn(c)
	if rc == nil {
		return nil
	}
	s := &fileSender{rc: rc}
	s.writeHead, s.writeBody = s.sendHead, s.sendBody
	return s
}

// send writes head, then the file. The head goes with MSG_MORE so that it
// leaves in one segment with the body's start (nginx's tcp_nopush).
func (s *fileSender) send(head []byte, file *bodyFile) error {
	s.head, s.sent, s.file, s.off, s.err = head, 0, file, 0, nil
	defer func() { s.head, s.file = nil, nil }()
	if err := s.rc.Write(s.writeHead); err != nil {
		return err
	}
	if s.err != nil {
		return s.err
	}
	if err := s.rc.Write(s.writeBody); err != nil {
		return err
	}
	runtime.KeepAlive(file.f) // the descriptor must outlive the sendfile calls
	return s.err
}

// sendHead and sendBody use raw system calls on the non-blocking socket,
// for the reason given at rawIO.
func (s *fileSender) sendHead(fd uintptr) bool {
	return sendFrom(fd, s.head, &s.sent, unix.MSG_MORE|unix.MSG_NOSIGNAL, &s.err)
}

func (s *fileSender) sendBody(fd uintptr) bool {
	for s.off < int64(s.file.size) {
		n, _, errno := syscall.RawSyscall6(syscall.SYS_SENDFILE, fd, uintptr(s.file.fd), uintptr(unsafe.Pointer(&s.off)),
			uintptr(s.file.size-int(s.off)), 0, 0)
		switch {
		case errno == unix.EINTR:
		case errno == unix.EAGAIN:
			return false
		case errno != 0:
			s.err = errno
			return true
		case n == 0:
			s.err = io.ErrUnexpectedEOF
			return true
		}
	}
	return true
}

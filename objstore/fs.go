package objstore

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The functions here walk paths one component at a time with openat and
// O_NOFOLLOW, so no symbolic link is ever followed below a bucket directory:
// a link planted inside a bucket (by hand or by another program) cannot lead a
// read or a write outside it. Key validation already excludes "..", so the
// walk never climbs.

const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// openDirAt opens the directory name below parent without following a link.
func openDirAt(parent int, name string) (int, error) {
	for {
		fd, err := unix.Openat(parent, name, dirFlags, 0)
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// walkDirs opens the directory reached from base through segs. With create it
// makes missing directories (and syncs their parents so the new entries
// survive a crash). The caller closes the returned descriptor.
func walkDirs(base int, segs []string, create bool) (int, error) {
	fd, err := unix.Dup(base)
	if err != nil {
		return -1, err
	}
	for _, s := range segs {
		next, err := openDirAt(fd, s)
		if err == unix.ENOENT && create {
			if err = unix.Mkdirat(fd, s, 0o755); err == nil || err == unix.EEXIST {
				if err == nil {
					_ = unix.Fsync(fd)
				}
				next, err = openDirAt(fd, s)
			}
		}
		unix.Close(fd)
		if err != nil {
			return -1, err
		}
		fd = next
	}
	return fd, nil
}

// isConflict reports whether errno means a path component has the wrong
// type: a file where a directory is needed, a directory where a file is, or a
// symbolic link (never followed).
func isConflict(err error) bool {
	return errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EISDIR) ||
		errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTEMPTY)
}

// openFileAt opens a regular file below dir for reading, refusing links and
// anything that is not a regular file.
func openFileAt(dir int, name, display string) (*os.File, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Openat(dir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, unix.EISDIR
	}
	// O_NONBLOCK only guarded against a FIFO; regular files ignore it, but
	// clear it so the descriptor behaves normally in os.File.
	if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err == nil {
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_NONBLOCK)
	}
	return os.NewFile(uintptr(fd), display), nil
}

// removeEmptyDirs removes the directories segs (relative to base) from the
// deepest up while they are empty. It stops at the first one that is not.
func removeEmptyDirs(base int, segs []string) {
	for n := len(segs); n > 0; n-- {
		parent, err := walkDirs(base, segs[:n-1], false)
		if err != nil {
			return
		}
		err = unix.Unlinkat(parent, segs[n-1], unix.AT_REMOVEDIR)
		unix.Close(parent)
		if err != nil {
			return
		}
	}
}

// fileIdentity ties metadata to one version of a data file. A rename keeps the
// inode, so the identity read through an open descriptor after the rename is
// the one recorded when the temporary file was written. Anything that
// replaces or rewrites the file changes at least one of the three.
type fileIdentity struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Inode uint64 `json:"ino"`
}

func identityOf(fi os.FileInfo) fileIdentity {
	id := fileIdentity{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.Inode = st.Ino
	}
	return id
}

func statIdentity(st *unix.Stat_t) fileIdentity {
	return fileIdentity{
		Size:  st.Size,
		MTime: st.Mtim.Sec*1e9 + st.Mtim.Nsec,
		Inode: st.Ino,
	}
}

// errPath formats a short description of a failed file-system step.
func errPath(op, bucket, key string, err error) error {
	return fmt.Errorf("%s %s/%s: %w", op, bucket, truncate(key), err)
}

func timeOfStat(st *unix.Stat_t) time.Time { return time.Unix(st.Mtim.Sec, st.Mtim.Nsec) }

package objstore

import (
	"errors"
	"fmt"
	"os"
	"strings"
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

// walkDirs opens the directory reached from base through segs, following
// no link. The caller closes the returned descriptor.
func walkDirs(base int, segs []string) (int, error) {
	fd, err := unix.Dup(base)
	if err != nil {
		return -1, err
	}
	for _, s := range segs {
		next, err := openDirAt(fd, s)
		unix.Close(fd)
		if err != nil {
			return -1, err
		}
		fd = next
	}
	return fd, nil
}

// makeDirs opens the directory reached from base through segs, creating
// what is missing (and syncing the parents of new directories so their
// entries survive a crash). Usually the directories exist and one openat2
// finds them.
func (s *Store) makeDirs(base int, segs []string) (int, error) {
	if len(segs) > 0 {
		fd, err := s.openBeneath(base, segs, dirFlags)
		if err != unix.ENOENT {
			return fd, err
		}
	}
	fd, err := unix.Dup(base)
	if err != nil {
		return -1, err
	}
	for _, seg := range segs {
		next, err := openDirAt(fd, seg)
		if err == unix.ENOENT {
			if err = unix.Mkdirat(fd, seg, 0o755); err == nil || err == unix.EEXIST {
				if err == nil {
					s.syncDir(fd)
				}
				next, err = openDirAt(fd, seg)
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

const fileFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC |
	unix.O_NONBLOCK // so a FIFO planted in a bucket cannot block the open; regular files ignore it

// openFile opens the regular file at segs below dir for reading, following
// no symbolic link on the way. It returns the file's stat alongside. A
// directory, device or FIFO fails with EISDIR.
func (s *Store) openFile(dir int, segs []string, display string) (*os.File, unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := s.openBeneath(dir, segs, fileFlags)
	if err != nil {
		return nil, st, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, st, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, st, unix.EISDIR
	}
	return os.NewFile(uintptr(fd), display), st, nil
}

// openBeneath opens the path segs below dir with flags, with openat2 where
// the kernel has it, else by walking the directories one at a time.
func (s *Store) openBeneath(dir int, segs []string, flags int) (int, error) {
	if !s.noOpenat2.Load() {
		fd, err, ok := openat2Beneath(dir, strings.Join(segs, "/"), flags)
		if ok {
			return fd, err
		}
		s.noOpenat2.Store(true)
	}
	parent, err := walkDirs(dir, segs[:len(segs)-1])
	if err != nil {
		return -1, err
	}
	defer unix.Close(parent)
	for {
		fd, err := unix.Openat(parent, segs[len(segs)-1], flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// removeEmptyDirs removes the directories segs (relative to base) from the
// deepest up while they are empty. It stops at the first one that is not.
func removeEmptyDirs(base int, segs []string) {
	for n := len(segs); n > 0; n-- {
		parent, err := walkDirs(base, segs[:n-1])
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

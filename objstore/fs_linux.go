package objstore

import "golang.org/x/sys/unix"

// openat2Beneath opens path below dir in one system call, refusing every
// symbolic link and any escape from dir (RESOLVE_BENEATH). ok=false means
// the kernel lacks openat2 (before Linux 5.6, or a seccomp filter forbids
// it) and the caller must walk instead.
func openat2Beneath(dir int, path string, flags int) (fd int, err error, ok bool) {
	how := unix.OpenHow{
		Flags:   uint64(flags),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	for {
		fd, err = unix.Openat2(dir, path, &how)
		switch err {
		case unix.EINTR, unix.EAGAIN: // EAGAIN: a concurrent rename was seen; the kernel asks to retry
			continue
		case unix.ENOSYS, unix.EPERM:
			return -1, err, false
		}
		return fd, err, true
	}
}

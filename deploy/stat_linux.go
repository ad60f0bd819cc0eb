//go:build linux

package deploy

import (
	"io/fs"
	"syscall"
)

// inodeAndCTime adds what a rewrite that restores size and mtime still
// changes: the inode (a replaced file) and the ctime (any write).
func inodeAndCTime(info fs.FileInfo) (uint64, int64) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return uint64(st.Ino), st.Ctim.Nano()
}

package buildspec

import "syscall"

// sysProcAttr puts the shell in a process group of its own, and kills it if
// edgecd dies, so a crashed server does not leave a build running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

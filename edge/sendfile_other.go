//go:build !linux

package edge

import "net"

// Elsewhere than Linux, large hits leave with writev (see sendfile_linux.go).

type bodyFile struct{ size int }

const sendfileMin = 1 << 62

func newBodyFile([]byte) *bodyFile { return nil }

type fileSender struct{}

func newFileSender(net.Conn) *fileSender { return nil }

func (*fileSender) send([]byte, *bodyFile) error { return nil }

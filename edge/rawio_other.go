//go:build !linux

package edge

import "net"

// Elsewhere than Linux the fast path uses net.Conn's Read and Write (see
// rawio_linux.go).

type rawIO struct{}

func newRawIO(net.Conn) *rawIO { return nil }

func (*rawIO) Read([]byte) (int, error)        { return 0, nil }
func (*rawIO) Write([]byte) (int, error)       { return 0, nil }
func (*rawIO) Writev(a, b []byte) (int, error) { return 0, nil }

package edge

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestRawIOMovesEveryByte writes more than the socket buffers hold with
// Writev and Write while the peer reads slowly, so the raw writes return
// short and EAGAIN and must resume at the right byte, then reads it all
// back with Read.
func TestRawIOMovesEveryByte(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	w, r := newRawIO(server), newRawIO(client)
	if w == nil || r == nil {
		t.Fatal("a TCP connection must get raw I/O")
	}

	pattern := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = seed + byte(i%251)
		}
		return b
	}
	a, b, c := pattern(3<<20+7, 1), pattern(5<<20+3, 2), pattern(1<<20+1, 3)
	want := bytes.Join([][]byte{a, b, c}, nil)
	errc := make(chan error, 1)
	go func() {
		if n, err := w.Writev(a, b); err != nil || n != len(a)+len(b) {
			errc <- err
			return
		}
		_, err := w.Write(c)
		errc <- err
		server.(*net.TCPConn).CloseWrite()
	}()

	client.SetReadDeadline(time.Now().Add(30 * time.Second))
	got := make([]byte, 0, len(want))
	buf := make([]byte, 64<<10)
	for {
		time.Sleep(time.Microsecond) // a slow reader, so the writer meets a full buffer
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

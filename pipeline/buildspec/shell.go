package buildspec

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The shell reads framed commands from its stdin and evals each in the same
// shell, so `cd` and variables persist as in CodeBuild 0.2. A frame is a line
// with the number of lines of the command, then the command. After each
// command the shell prints a line with a per-build random token and the
// command's status, which tells the reader where a command's output ends.
// Commands get /dev/null as stdin so they cannot eat the frames. The script
// is POSIX sh, for env.shell: sh.
const driver = `while IFS= read -r __edgecd_n; do
__edgecd_cmd=
while [ "$__edgecd_n" -gt 0 ] && IFS= read -r __edgecd_l; do
__edgecd_cmd="$__edgecd_cmd$__edgecd_l
"
__edgecd_n=$((__edgecd_n - 1))
done
eval "$__edgecd_cmd" </dev/null
printf '\n%s %s\n' "$__EDGECD_TOKEN" "$?"
done
`

// session is one shell instance running a build's commands.
type session struct {
	proc   Process
	in     io.WriteCloser
	out    *bufio.Reader
	token  string
	log    *buildLog
	exited bool
	status int // the shell's exit status once exited
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "__edgecd_" + hex.EncodeToString(b[:])
}

func newSession(proc Process, token string, log *buildLog) *session {
	return &session{proc: proc, in: proc.Stdin(), out: bufio.NewReaderSize(proc.Output(), 64<<10), token: token, log: log}
}

// errShellExited: the shell ended (exit, set -e, killed) before the command
// finished; its exit status is in the session.
var errShellExited = errors.New("the shell exited")

// run sends one command and streams its output to the log until the command
// ends. It returns the command's exit status.
func (s *session) run(cmd string) (int, error) {
	if s.exited {
		return -1, errShellExited
	}
	cmd = strings.TrimRight(cmd, "\n")
	frame := strconv.Itoa(strings.Count(cmd, "\n")+1) + "\n" + cmd + "\n"
	if _, err := io.WriteString(s.in, frame); err != nil {
		// The shell is gone; its output up to now is still to be read.
		return s.drain()
	}
	return s.read(nil)
}

// read logs output lines until the status line. onLine, if set, sees each
// line first and may consume it.
func (s *session) read(onLine func(line []byte) (bool, error)) (int, error) {
	prefix := []byte(s.token + " ")
	blank := false // a held-back empty line: it may be the separator before the status line
	for {
		line, err := s.out.ReadSlice('\n')
		if len(line) > 0 {
			text := bytes.TrimSuffix(line, []byte("\n"))
			if code, ok := bytes.CutPrefix(text, prefix); ok && err == nil {
				if n, err := strconv.Atoi(string(code)); err == nil {
					return n, nil
				}
			}
			consumed := false
			if onLine != nil && err == nil {
				var cerr error
				if consumed, cerr = onLine(text); cerr != nil {
					return -1, cerr
				}
			}
			switch {
			case consumed:
			case len(text) == 0 && err == nil:
				if blank {
					s.log.line("")
				}
				blank = true
			default:
				if blank {
					s.log.line("")
					blank = false
				}
				s.log.line(string(text))
			}
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
			continue
		}
		// EOF, or the output was closed after a kill: the shell is gone.
		if blank {
			s.log.line("")
		}
		return s.finish()
	}
}

func (s *session) drain() (int, error) { return s.read(nil) }

func (s *session) finish() (int, error) {
	if !s.exited {
		s.exited = true
		code, err := s.proc.Wait()
		if err != nil {
			code = -1
		}
		s.status = code
	}
	return s.status, errShellExited
}

// exported reads the final values of names; names are shell identifiers
// (checked by Parse). Each value is sent as a header with its length in
// bytes, then the bytes, so values may hold newlines.
func (s *session) exported(names []string) (map[string]string, error) {
	if len(names) == 0 || s.exited {
		return nil, nil
	}
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "if [ \"${%[1]s+x}\" = x ]; then printf '%%s var %[1]s %%s\\n' \"$__EDGECD_TOKEN\" \"$(printf %%s \"$%[1]s\" | wc -c)\"; printf '%%s\\n' \"$%[1]s\"; fi\n", n)
	}
	cmd := strings.TrimRight(b.String(), "\n")
	frame := strconv.Itoa(strings.Count(cmd, "\n")+1) + "\n" + cmd + "\n"
	if _, err := io.WriteString(s.in, frame); err != nil {
		_, err := s.drain()
		return nil, err
	}
	vars := map[string]string{}
	header := []byte(s.token + " var ")
	_, err := s.read(func(line []byte) (bool, error) {
		rest, ok := bytes.CutPrefix(line, header)
		if !ok {
			return false, nil
		}
		name, size, _ := strings.Cut(string(rest), " ")
		n, err := strconv.Atoi(strings.TrimSpace(size))
		if err != nil || n < 0 {
			return false, fmt.Errorf("exported variable %s: bad length %q", name, size)
		}
		value := make([]byte, n+1)
		if _, err := io.ReadFull(s.out, value); err != nil {
			return false, fmt.Errorf("exported variable %s: %w", name, err)
		}
		vars[name] = string(value[:n])
		return true, nil
	})
	return vars, err
}

// close ends the shell after the last command, then every process it left
// behind, as the end of a CodeBuild build ends its container.
func (s *session) close() {
	s.in.Close()
	if !s.exited {
		s.exited = true
		s.status, _ = s.proc.Wait()
	}
	_ = s.proc.Kill()
	s.proc.Output().Close()
}

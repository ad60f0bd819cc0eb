package buildspec

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// tailLines is how many log lines a BuildError keeps.
const tailLines = 40

// buildLog writes the build's log one line at a time, with secrets masked,
// and keeps the last lines for a BuildError.
type buildLog struct {
	w       io.Writer
	secrets []string
	tail    []string
	next    int
	now     func() time.Time
}

func newBuildLog(w io.Writer) *buildLog {
	if w == nil {
		w = io.Discard
	}
	return &buildLog{w: w, tail: make([]string, 0, tailLines), now: time.Now}
}

// mask hides a parameter-store value wherever the build prints it, as
// CodeBuild does.
func (l *buildLog) mask(secret string) {
	if len(secret) >= 3 {
		l.secrets = append(l.secrets, secret)
	}
}

func (l *buildLog) line(s string) {
	for _, sec := range l.secrets {
		s = strings.ReplaceAll(s, sec, "***")
	}
	// A failing log writer must not fail the build; the lines are lost.
	_, _ = io.WriteString(l.w, s+"\n")
	t := s
	if len(t) > 1000 {
		t = t[:1000] + "..."
	}
	if len(l.tail) < tailLines {
		l.tail = append(l.tail, t)
	} else {
		l.tail[l.next] = t
		l.next = (l.next + 1) % tailLines
	}
}

// container writes a marker line as CodeBuild's agent does:
// "[Container] 2024/05/02 06:18:47.122862 Entering phase BUILD".
func (l *buildLog) container(format string, args ...any) {
	l.line("[Container] " + l.now().UTC().Format("2006/01/02 15:04:05.000000") + " " + fmt.Sprintf(format, args...))
}

func (l *buildLog) lastLines() string {
	out := make([]string, 0, len(l.tail))
	out = append(out, l.tail[l.next:]...)
	out = append(out, l.tail[:l.next]...)
	return strings.Join(out, "\n")
}

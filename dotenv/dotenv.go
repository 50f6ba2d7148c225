// Package dotenv reads the dotenv file of the build secret as data: it gives
// the values that `set -a; . file` gives under dash, busybox sh and
// bash --posix for every file it accepts, executes nothing, and refuses
// everything else with an error that names the line and never a value.
//
// The grammar, one assignment per line:
//
//	[blanks] [export blanks] NAME=word [blanks] [# comment]
//	[blanks] [# comment]
//
// A word is a run of unquoted characters, backslash escapes, '…' and "…"
// (POSIX rules), and $NAME / ${NAME} expansions. It is never split or
// globbed. Whatever the reference shells would run, redirect, split,
// expand otherwise, or disagree on is refused. The package uses only small
// parts of the standard library: the loader that embeds it must stay small.
package dotenv

import "unicode/utf8"

// Limits.
const (
	// MaxFileSize is BuildKit's limit for a secret (500 KiB).
	MaxFileSize = 512000
	// MaxEnvString is Linux's MAX_ARG_STRLEN: an environment string
	// NAME=value plus its NUL may not be longer, or exec fails.
	MaxEnvString = 131072
	// MaxTotal bounds the bytes of all values together after expansion,
	// so that a file of expansions cannot use unbounded memory; exec
	// fails far below it anyway (Linux allows 2 MiB of argv and
	// environment with the default stack limit).
	MaxTotal = 4 << 20
)

// Var is one assignment of the file, in file order. A name may be assigned
// more than once; the last assignment wins (see Environ).
type Var struct {
	Name  string
	Value string
	Line  int // the line the assignment starts on, from 1
}

// Lookup returns the value of a variable of the environment the file is
// loaded into, and whether it is set.
type Lookup func(name string) (string, bool)

// Parse reads a dotenv file. $NAME and ${NAME} expand to the value of an
// earlier assignment of the file, else to lookup's (nil: an empty
// environment), else to "". An error is always an *Error.
func Parse(data []byte, lookup Lookup) ([]Var, error) {
	src, err := normalize(data)
	if err != nil {
		return nil, err
	}
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	p := &parser{src: src, line: 1, lookup: lookup, assigned: map[string]string{}}
	for p.pos < len(p.src) {
		if err := p.statement(); err != nil {
			return nil, err
		}
	}
	return p.vars, nil
}

// normalize checks the encoding and returns the text with a leading UTF-8
// BOM dropped and every CRLF turned into LF, so that files written on
// Windows, or partly, give the values of their LF version. It refuses NUL,
// control characters other than tab and newline, a CR not before LF, and
// bytes that are not UTF-8: shells disagree on them or the platform never
// writes them.
func normalize(data []byte) ([]byte, error) {
	if isUTF16(data) {
		return nil, &Error{Line: 1, reason: rUTF16}
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		data = data[3:]
	}
	line, crs := 1, 0
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			line++
		case c == '\r':
			if i+1 == len(data) || data[i+1] != '\n' {
				return nil, &Error{Line: line, reason: rStrayCR}
			}
			crs++
		case c == 0:
			return nil, &Error{Line: line, reason: rNUL}
		case c < 0x20 && c != '\t' || c == 0x7F:
			return nil, &Error{Line: line, reason: rControl}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				return nil, &Error{Line: line, reason: rNotUTF8}
			}
			i += n
			continue
		}
		i++
	}
	if crs == 0 {
		return data, nil
	}
	out := make([]byte, 0, len(data)-crs)
	for _, c := range data {
		if c != '\r' { // each is before a LF, checked above
			out = append(out, c)
		}
	}
	return out, nil
}

// isUTF16 recognises what Windows PowerShell 5 writes: UTF-16 with a BOM,
// or without one, an ASCII first character next to a NUL byte.
func isUTF16(data []byte) bool {
	if len(data) < 2 {
		return false
	}
	a, b := data[0], data[1]
	return a == 0xFF && b == 0xFE || a == 0xFE && b == 0xFF ||
		a == 0 && b != 0 && b < utf8.RuneSelf || a != 0 && a < utf8.RuneSelf && b == 0
}

// Package mask hides secret values in a stream of output: Patterns derives
// what to hide from the values of a dotenv file, and Writer replaces every
// occurrence of those patterns by "***" as the output streams through it.
//
// It is linked into the loader, a static binary that runs in every wrapped
// RUN, so it uses few and small standard packages.
package mask

import (
	"encoding/base64"
	"strings"
)

const (
	// MinLen is the length in bytes from which a value or a word of a
	// value is masked. Shorter ones ("true", "1", "main", "release")
	// occur in ordinary output, and masking them would garble it.
	MinLen = 8
	// MinPasswordLen is the length from which the password of a URL
	// (and its user:password) is masked: its place in the URL says it is
	// secret, so it is masked even when it is too short to be a word.
	MinPasswordLen = 4
	// minPattern is the shortest pattern Patterns returns (a base64
	// core of a 4-byte password is 4 characters long).
	minPattern = 4
)

// Patterns returns the byte strings to mask for the given dotenv values,
// without duplicates, in a deterministic order. Each occurrence of any of
// them in the output becomes "***". The rule:
//
//   - a value of at least 8 bytes, as a whole;
//   - every word of a value (split at ASCII whitespace, as the shell splits
//     an unquoted $VAR) of at least 8 bytes;
//   - in every URL of a value (scheme://userinfo@host…): the password and
//     user:password of the userinfo if the password has at least 4 bytes
//     (so --index-url https://__token__:TOKEN@host/… masks the URL and the
//     token wherever it appears alone); a userinfo without password of at
//     least 8 bytes (a token as user name, https://TOKEN@host); each also
//     percent-decoded, as a client sends it;
//   - for each of those strings: its standard and URL-safe base64, alone
//     (with and without padding, and followed by a newline as
//     `echo $TOKEN | base64` encodes it) and inside a larger base64 stream
//     (HTTP Basic auth, a base64 of a whole file): there, the characters
//     that depend on the string alone, at each of the 3 byte alignments;
//   - for each of those strings: its percent-encoding with upper- or
//     lower-case hex digits, as a query escape (space as '+', everything
//     but A-Z a-z 0-9 -._~ escaped), as a path escape (also keeps $&+:=@)
//     and as a component escape (space as %20).
//
// Not masked: values and words shorter than 8 bytes and passwords shorter
// than 4 (they would mask ordinary output), user names that have a
// password (__token__, oauth2: not secrets), and any other transformation
// of a value (a hash, another encoding, a substring, a base64 wrapped
// across lines).
func Patterns(values []string) [][]byte {
	d := deriver{seen: make(map[string]bool), secrets: make(map[string]bool)}
	for _, v := range values {
		d.value(v)
	}
	return d.pats
}

type deriver struct {
	seen    map[string]bool
	secrets map[string]bool
	pats    [][]byte
}

func (d *deriver) value(v string) {
	d.secret(v, MinLen)
	for w := range fields(v) {
		d.secret(w, MinLen)
		d.userinfos(w)
	}
}

// userinfos adds the secrets of the userinfo of every URL in w.
func (d *deriver) userinfos(w string) {
	for {
		i := strings.Index(w, "://")
		if i < 0 {
			return
		}
		w = w[i+len("://"):]
		auth := w
		if end := strings.IndexAny(auth, "/?#"); end >= 0 {
			auth = auth[:end]
		}
		// The last '@': a password with an unescaped '@' is common,
		// and clients split at the last one too.
		at := strings.LastIndexByte(auth, '@')
		if at < 0 {
			continue
		}
		ui := auth[:at]
		user, pass, ok := strings.Cut(ui, ":")
		du, uok := unescape(user)
		if !ok {
			d.secret(ui, MinLen)
			if uok {
				d.secret(du, MinLen)
			}
			continue
		}
		if len(pass) == 0 {
			continue
		}
		d.secret(pass, MinPasswordLen)
		d.secret(ui, MinPasswordLen)
		if dp, pok := unescape(pass); pok && uok {
			d.secret(dp, MinPasswordLen)
			d.secret(du+":"+dp, MinPasswordLen)
		}
	}
}

// secret adds s and its encodings if s has at least min bytes.
func (d *deriver) secret(s string, min int) {
	if len(s) < min {
		return
	}
	if d.secrets[s] {
		return
	}
	d.secrets[s] = true
	d.add(s)
	for _, enc := range [...]*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		full := enc.EncodeToString([]byte(s))
		d.add(full)
		d.add(strings.TrimRight(full, "="))
		d.add(enc.EncodeToString([]byte(s + "\n")))
		for shift := 0; shift < 3; shift++ {
			d.add(core(enc, s, shift))
		}
	}
	for _, hex := range [...]string{"0123456789ABCDEF", "0123456789abcdef"} {
		for _, m := range [...]escapeMode{query, path, component} {
			d.add(escape(s, m, hex))
		}
	}
}

func (d *deriver) add(p string) {
	if len(p) < minPattern || d.seen[p] {
		return
	}
	d.seen[p] = true
	d.pats = append(d.pats, []byte(p))
}

// fields yields the words of s split at ASCII whitespace (strings.Fields
// would also split at Unicode spaces, which the shell does not).
func fields(s string) func(func(string) bool) {
	return func(yield func(string) bool) {
		start := -1
		for i := 0; i <= len(s); i++ {
			if i < len(s) && !isSpace(s[i]) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 && !yield(s[start:i]) {
				return
			}
			start = -1
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// core returns the base64 characters that s alone determines when it
// starts shift bytes (0-2) after a 3-byte group boundary of a larger
// stream: character j holds bits [6j, 6j+6), s holds bits
// [8*shift, 8*(shift+len(s))), and the characters that straddle an end
// depend on the unknown neighbouring bytes.
func core(enc *base64.Encoding, s string, shift int) string {
	b := make([]byte, shift+len(s))
	copy(b[shift:], s)
	e := enc.EncodeToString(b)
	first := (8*shift + 5) / 6
	last := 8 * (shift + len(s)) / 6
	return e[first:last]
}

type escapeMode int

const (
	query     escapeMode = iota // url.QueryEscape, Python quote_plus
	path                        // url.PathEscape
	component                   // encodeURIComponent, Python quote(safe="")
)

// escape percent-encodes s; it returns s when nothing needs escaping.
func escape(s string, m escapeMode, hex string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c, m) {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = make([]byte, i, len(s)*3)
			copy(b, s)
		}
		if c == ' ' && m == query {
			b = append(b, '+')
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b == nil {
		return s
	}
	return string(b)
}

func keep(c byte, m escapeMode) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-' || c == '.' || c == '_' || c == '~':
		return true
	}
	return m == path && strings.IndexByte("$&+:=@", c) >= 0
}

// unescape decodes %XX sequences; ok is false if s has a malformed one
// (then nothing decoded is masked: the raw form still is).
func unescape(s string) (_ string, ok bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return "", false
		}
		b = append(b, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
		i += 2
	}
	return string(b), true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

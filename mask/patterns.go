// Package mask hides secret values in a stream of output: Patterns derives
// what to hide from the values of a dotenv file, and Writer replaces every
// occurrence of those patterns by "***" as the output streams through it.
//
// It is linked into the loader, a static binary that runs in every wrapped
// RUN, so it uses few and small standard packages.
package mask

import (
	"bytes"
	"encoding/base64"
	"hash/maphash"
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
//   - a value of at least 8 bytes, as a whole (without the whitespace
//     around it: no pattern begins or ends with whitespace);
//   - every word of a value (split at ASCII whitespace, as the shell splits
//     an unquoted $VAR) of at least 8 bytes;
//   - in every URL of a value (scheme://userinfo@host…): the password and
//     the user:password of its userinfo, each if it has at least 4 bytes
//     (so --index-url https://__token__:TOKEN@host/… masks the URL and
//     the token wherever it appears alone); a userinfo without password
//     if it has at least 8 bytes (a token as user name, https://TOKEN@host);
//     each also percent-decoded, as a client sends it;
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
	d := deriver{secrets: make(map[string]bool), seed: maphash.MakeSeed()}
	size := 0
	for _, v := range values {
		size += len(v)
	}
	// About what the encodings take, so the arena rarely moves.
	d.arena = make([]byte, 0, 16*size)
	for _, v := range values {
		d.value(v)
	}
	ps := make([][]byte, len(d.spans))
	for i, sp := range d.spans {
		ps[i] = d.arena[sp.off:sp.end:sp.end]
	}
	return ps
}

// deriver collects the patterns in one arena, deduplicated by a hash
// table of their spans: a few allocations in all, not a few per pattern.
type deriver struct {
	secrets map[string]bool
	arena   []byte
	spans   []span
	table   []int32 // open addressing: 1 + index into spans, 0 is empty
	seed    maphash.Seed
	src     []byte // the secret being encoded
	zeros   []byte // src after 0-2 zero bytes
	enc     []byte // their encoding
}

type span struct{ off, end int }

func (d *deriver) value(v string) {
	// Trimmed, so that no pattern begins with a space or a line end:
	// those end every line and progress update, and would be held back.
	d.secret(trimSpace(v), MinLen)
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
		du, uok := unescape(user) // trimmed: see value
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
	if len(s) < min || d.secrets[s] {
		return
	}
	d.secrets[s] = true
	src := append(d.src[:0], s...)
	d.src = src
	d.keep(append(d.arena, s...))
	for _, enc := range [...]struct{ padded, raw *base64.Encoding }{
		{base64.StdEncoding, base64.RawStdEncoding},
		{base64.URLEncoding, base64.RawURLEncoding},
	} {
		d.keep(enc.padded.AppendEncode(d.arena, src))
		d.keep(enc.raw.AppendEncode(d.arena, src))
		d.keep(enc.padded.AppendEncode(d.arena, append(src, '\n'))) // echo | base64
		for shift := 0; shift < 3; shift++ {
			d.keep(d.core(enc.raw, src, shift))
		}
	}
	for _, m := range [...]escapeMode{query, path, component} {
		if !needsEscape(s, m) {
			continue // the escape is s
		}
		for _, hex := range [...]string{"0123456789ABCDEF", "0123456789abcdef"} {
			d.keep(escape(d.arena, s, m, hex))
		}
	}
}

// keep makes what was appended to the arena a pattern, unless it is too
// short or already one. The arena may have moved: keep the new one.
func (d *deriver) keep(arena []byte) {
	off := len(d.arena)
	p := arena[off:]
	d.arena = arena[:off]
	if len(p) < minPattern {
		return
	}
	if 2*(len(d.spans)+1) > len(d.table) {
		d.grow()
	}
	mask := len(d.table) - 1
	i := int(maphash.Bytes(d.seed, p)) & mask
	for ; d.table[i] != 0; i = (i + 1) & mask {
		sp := d.spans[d.table[i]-1]
		if bytes.Equal(arena[sp.off:sp.end], p) {
			return
		}
	}
	d.arena = arena
	d.spans = append(d.spans, span{off, len(arena)})
	d.table[i] = int32(len(d.spans))
}

func (d *deriver) grow() {
	d.table = make([]int32, max(1024, 2*len(d.table)))
	mask := len(d.table) - 1
	for n, sp := range d.spans {
		i := int(maphash.Bytes(d.seed, d.arena[sp.off:sp.end])) & mask
		for d.table[i] != 0 {
			i = (i + 1) & mask
		}
		d.table[i] = int32(n + 1)
	}
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

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// core appends to the arena the base64 characters that src alone
// determines when it starts shift bytes (0-2) after a 3-byte group
// boundary of a larger stream: character j holds bits [6j, 6j+6), src
// holds bits [8*shift, 8*(shift+len(src))), and the characters that
// straddle an end depend on the unknown neighbouring bytes.
func (d *deriver) core(enc *base64.Encoding, src []byte, shift int) []byte {
	in := append(d.zeros[:0], "\x00\x00"[:shift]...)
	d.zeros = append(in, src...)
	d.enc = enc.AppendEncode(d.enc[:0], d.zeros)
	first := (8*shift + 5) / 6
	last := 8 * (shift + len(src)) / 6
	return append(d.arena, d.enc[first:last]...)
}

type escapeMode int

const (
	query     escapeMode = iota // url.QueryEscape, Python quote_plus
	path                        // url.PathEscape
	component                   // encodeURIComponent, Python quote(safe="")
)

// escape appends the percent-encoding of s to dst.
func escape(dst []byte, s string, m escapeMode, hex string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case keep(c, m):
			dst = append(dst, c)
		case c == ' ' && m == query:
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}

func needsEscape(s string, m escapeMode) bool {
	for i := 0; i < len(s); i++ {
		if !keep(s[i], m) {
			return true
		}
	}
	return false
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

// unescape decodes %XX sequences, and trims the whitespace they may
// decode to; ok is false if s has a malformed one (then nothing decoded
// is masked: the raw form still is).
func unescape(s string) (decoded string, ok bool) {
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	defer func() { decoded = trimSpace(decoded) }()
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

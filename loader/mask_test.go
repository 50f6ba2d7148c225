//go:build cgo

package loader

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/testgen"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/mask"
)

// mask.c against package mask: the same patterns in the same order, and
// the same bytes passed on after every write and after the flush.

// samePatterns fails unless mask_patterns gives what mask.Patterns does.
func samePatterns(t testing.TB, values []string) [][]byte {
	t.Helper()
	got, err := cPatterns(values)
	if err != nil {
		t.Fatal(err)
	}
	want := mask.Patterns(values)
	if len(got) != len(want) {
		t.Fatalf("values %q: %d patterns, mask.Patterns %d", values, len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("values %q: pattern %d is %q, mask.Patterns' %q", values, i, got[i], want[i])
		}
	}
	return got
}

func TestPatterns(t *testing.T) {
	for _, values := range [][]string{
		nil,
		{},
		{""},
		{"true", "1234567", "12345678", "main"},
		{"--index-url https://__token__:T0k3n@gitlab.example.com/api/v4/groups/7/-/packages/pypi/simple"},
		{"https://user:abc@host/", "https://user:abcd@host/"},
		{"https://ghp_0123456789@github.com/o/r.git", "ssh://git@github.com/o/r"},
		{"https://me%40corp:p%40ss%2Fw0rd@host/x"},
		{"https://u:p%4x@host/"},
		{"https://%20u%20:%20pass%20@host/", "https://%2:p@h", "https://u:%41%42%43%44@h", "https://%41%42%43%44%45%46%47%48@h"},
		{"--extra-index-url=https://u:s3cr3t@host/simple"},
		{"Some value\tentirely"},
		{"  padded value  \n", "\t\v\f\r\n ", "a b c d e f g h"},
		{"x://y://u:p@w@h?x#y://a:b@c", "://", ":///@", "a://@", "a://:@", "a://u:@h", "a://:pass@h"},
		{"glpat-Canary0123456789xyz", "https://__token__:glpat-Canary0123456789xyz@gitlab.example.com/api/v4/groups/7/-/packages/pypi/simple", "Something else"},
		{"\xfb\xff\xbf\xfe\xef\xfd\x00", "tok~~~en>>>!", "s3cr3t-t0k3n", "abcd", "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"héllo wörld ünïcode", "日本語のパスワード", "emoji 🙂🙂🙂"},
		{"$&+:=@$&+:=@", "-._~-._~", "a+b c+d e+f", "100%done!"},
		{"12345678", "12345678", "https://a:12345678@h", "12345678 12345678"},
		testgen.Values(100),
		append(testgen.Values(100), testgen.Values(100)...),
	} {
		samePatterns(t, values)
	}
}

// TestPatternsRandom: values from a small alphabet rich in what the rule
// looks at (spaces, ://, @, :, %, hex digits).
func TestPatternsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	parts := []string{" ", "\t", "\n", "://", "@", ":", "/", "?", "#", "%", "%4", "%41", "%20", "%2f", "%zz", "a", "b", "x", "0", "tok", "secret", "é", "\x00", "\xff", "+", "~", "="}
	n := 5000
	if testing.Short() {
		n = 500
	}
	for range n {
		var values []string
		for range 1 + rng.IntN(4) {
			var b strings.Builder
			for range rng.IntN(30) {
				b.WriteString(parts[rng.IntN(len(parts))])
			}
			values = append(values, b.String())
		}
		samePatterns(t, values)
	}
}

func TestPatternsLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 values and a 128 KiB one")
	}
	samePatterns(t, testgen.Values(10000))
	big := strings.Repeat("k9Qz%20/+", 128<<10/9)
	samePatterns(t, []string{big, "https://u:" + big + "@h/"})
}

// recorder keeps what each write of a mask.Writer passed on.
type recorder struct{ bytes.Buffer }

func (r *recorder) take() []byte {
	b := bytes.Clone(r.Bytes())
	r.Reset()
	return b
}

// steps writes in to mask.Writer and to mask.c's writer, cut at sizes
// (then the rest at once), and fails unless both pass on the same bytes
// after each write and after the flush. It returns the whole output.
func steps(t testing.TB, ps [][]byte, in []byte, sizes ...int) []byte {
	t.Helper()
	var rec recorder
	gw := mask.NewWriter(&rec, ps)
	cw, err := newCWriter(ps)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.close()
	var all []byte
	check := func(what string) {
		t.Helper()
		want, got := rec.take(), cw.take()
		if !bytes.Equal(got, want) {
			t.Fatalf("patterns %q\nin %q\nsizes %v\n%s: mask.c passed on %q, mask %q", ps, in, sizes, what, got, want)
		}
		all = append(all, got...)
	}
	rest := in
	for i, n := range append(sizes, len(in)) {
		n = min(n, len(rest))
		if _, err := gw.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		if err := cw.write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
		check(fmt.Sprintf("write %d", i))
	}
	if err := gw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := cw.flush(); err != nil {
		t.Fatal(err)
	}
	check("flush")
	return all
}

func pats(s ...string) [][]byte {
	var ps [][]byte
	for _, p := range s {
		ps = append(ps, []byte(p))
	}
	return ps
}

// cases are mask's own (testgen.MaskCases), and more.
var cases = append(testgen.MaskCases(), []testgen.MaskCase{
	{Name: "three-byte patterns", Patterns: []string{"abc", "abcdef", "bcd"}, In: "xabcdefgabcab", Want: "x***g***ab"},
	{Name: "two-byte patterns", Patterns: []string{"ab", "ba"}, In: "aabab bbaa", Want: "a*** b***a"},
	{Name: "duplicates and empty", Patterns: []string{"s3cr3t", "", "s3cr3t"}, In: "a s3cr3t b s3cr3", Want: "a *** b s3cr3"},
}...)

// TestSplitEveryOffset cuts each case at every offset, and at every pair
// of offsets, and in 1-byte writes.
func TestSplitEveryOffset(t *testing.T) {
	for _, c := range cases {
		in, ps := []byte(c.In), pats(c.Patterns...)
		if got := steps(t, ps, in); string(got) != c.Want {
			t.Fatalf("%s: %q, want %q", c.Name, got, c.Want)
		}
		for i := 0; i <= len(in); i++ {
			for j := i; j <= len(in); j++ {
				steps(t, ps, in, i, j-i)
			}
		}
		ones := make([]int, len(in))
		for i := range ones {
			ones[i] = 1
		}
		steps(t, ps, in, ones...)
	}
}

func TestNoNewlineNeeded(t *testing.T) {
	ps := pats("s3cr3t-token", "\rnever")
	cw, err := newCWriter(ps)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.close()
	var out []byte
	for _, step := range []struct{ in, out string }{
		{"10%", "10%"},
		{"\r20%", "10%\r20%"},
		{"\r", "10%\r20%"},
		{"30%", "10%\r20%\r30%"},
		{" s3cr3t", "10%\r20%\r30% "},
		{"-to", "10%\r20%\r30% "},
		{"ken ok", "10%\r20%\r30% *** ok"},
		{" s3cr3t-", "10%\r20%\r30% *** ok "},
		{"x", "10%\r20%\r30% *** ok s3cr3t-x"},
	} {
		if err := cw.write([]byte(step.in)); err != nil {
			t.Fatal(err)
		}
		if out = append(out, cw.take()...); string(out) != step.out {
			t.Fatalf("after %q: %q, want %q", step.in, out, step.out)
		}
	}
}

// TestRandom compares the writers on random streams over a small alphabet
// (so patterns overlap and nest often), random patterns and write sizes.
func TestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		alpha := "ab\x00\xffc"[:2+rng.IntN(4)]
		gen := func(n int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = alpha[rng.IntN(len(alpha))]
			}
			return b
		}
		var ps [][]byte
		for range 1 + rng.IntN(6) {
			ps = append(ps, gen(rng.IntN(10)))
		}
		in := gen(rng.IntN(200))
		for range rng.IntN(4) {
			p := ps[rng.IntN(len(ps))]
			if len(p) <= len(in) {
				copy(in[rng.IntN(len(in)-len(p)+1):], p)
			}
		}
		var sizes []int
		for range rng.IntN(10) {
			sizes = append(sizes, rng.IntN(20))
		}
		steps(t, ps, in, sizes...)
	}
}

// TestBuildOutput: build output with the benchmark's 100 values planted in
// it, in writes of many sizes.
func TestBuildOutput(t *testing.T) {
	ps := mask.Patterns(testgen.Values(100))
	text := testgen.Text(1 << 20)
	for i := 0; i+200 < len(text); i += 1000 {
		copy(text[i:], ps[(i/1000)%len(ps)])
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, size := range []int{1 << 20, 64 << 10, 32<<10 + 1, 4096, 80, 7} {
		var sizes []int
		for n := 0; n < len(text); n += size {
			sizes = append(sizes, size)
		}
		steps(t, ps, text, sizes...)
	}
	var sizes []int
	for n := 0; n < len(text); {
		s := 1 + rng.IntN(100000)
		sizes = append(sizes, s)
		n += s
	}
	steps(t, ps, text, sizes...)
}

// TestHugeLine writes 64 MiB without a newline, with secrets in it, in
// writes of random sizes: the held-back tail stays shorter than the longest
// pattern, the buffers keep their size, and every secret is masked.
func TestHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB")
	}
	secret := "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	ps := mask.Patterns([]string{secret, "https://user:pa55word@example.com/x"})
	cw, err := newCWriter(ps)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.close()
	bufCap, outCap := cw.bufCap(), cw.outCap()
	if outCap > 2*bufCap+3 {
		t.Fatalf("out cap %d for buf cap %d", outCap, bufCap)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	line := bytes.Repeat([]byte("x"), 1<<20)
	copy(line[1000:], secret)
	copy(line[500000:], secret)
	const lines = 64
	n, stars := 0, 0
	for range lines {
		for p := line; len(p) > 0; {
			k := min(len(p), 1+rng.IntN(200000))
			if err := cw.write(p[:k]); err != nil {
				t.Fatal(err)
			}
			p = p[k:]
			out := cw.take()
			n += len(out)
			stars += bytes.Count(out, []byte("***"))
			if cw.held() >= cw.maxLen() || cw.bufCap() != bufCap || cw.outCap() != outCap {
				t.Fatalf("held %d (longest pattern %d), buf cap %d (was %d), out cap %d (was %d)",
					cw.held(), cw.maxLen(), cw.bufCap(), bufCap, cw.outCap(), outCap)
			}
		}
	}
	if err := cw.flush(); err != nil {
		t.Fatal(err)
	}
	n += len(cw.take())
	if want := lines * (len(line) - 2*(len(secret)-3)); n != want || stars != 2*lines {
		t.Fatalf("wrote %d bytes, %d masks; want %d, %d", n, stars, want, 2*lines)
	}
}

func TestHoldBound(t *testing.T) {
	cw, err := newCWriter(pats("abcdefghij", "xyz"))
	if err != nil {
		t.Fatal(err)
	}
	defer cw.close()
	if err := cw.write([]byte("...abcdefghi")); err != nil {
		t.Fatal(err)
	}
	if out := cw.take(); cw.held() != len("abcdefghi") || string(out) != "..." {
		t.Fatalf("held %d, wrote %q", cw.held(), out)
	}
	if err := cw.write([]byte("j")); err != nil {
		t.Fatal(err)
	}
	if out := cw.take(); cw.held() != 0 || string(out) != "***" {
		t.Fatalf("held %d, wrote %q", cw.held(), out)
	}
}

func TestNoPatterns(t *testing.T) {
	for _, ps := range [][][]byte{nil, pats(""), pats("", "")} {
		if got := steps(t, ps, []byte("abc"), 1); string(got) != "abc" {
			t.Fatalf("%q", got)
		}
	}
}

func TestWriteError(t *testing.T) {
	cw, err := newCWriter(pats("abcdefgh"))
	if err != nil {
		t.Fatal(err)
	}
	defer cw.close()
	cw.failAfter(1)
	if err := cw.write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := cw.write([]byte("two")); err != syscall.EIO {
		t.Fatalf("second write: %v", err)
	}
	if err := cw.write([]byte("three")); err != syscall.EIO {
		t.Fatalf("after an error: %v", err)
	}
	if err := cw.flush(); err != syscall.EIO {
		t.Fatalf("flush after an error: %v", err)
	}
	if out := cw.take(); string(out) != "one" {
		t.Fatalf("passed on %q", out)
	}
}

// TestCanary: the forms of a token that mask's TestCanary prints.
func TestCanary(t *testing.T) {
	const tok = "glpat-Canary0123456789xyz"
	index := "https://__token__:" + tok + "@gitlab.example.com/api/v4/groups/7/-/packages/pypi/simple"
	ps := samePatterns(t, []string{"--index-url " + index, "Something else", tok})
	b64 := base64.StdEncoding.EncodeToString
	out := strings.Join([]string{
		"+ pip install --index-url " + index + " ridl==1.0",
		"fatal: could not read from 'https://__token__:" + tok + "@gitlab.example.com/'",
		"> Authorization: Basic " + b64([]byte("__token__:"+tok)),
		"echo: " + b64([]byte(tok+"\n")),
		"env file: " + b64([]byte("PIP_INSTALL_ARG=\"--index-url "+index+"\"\nTOKEN="+tok+"\n")),
		"url-safe: " + base64.RawURLEncoding.EncodeToString([]byte(tok+"?>")),
		"query: ?next=" + url.QueryEscape(index),
		"path: /" + url.PathEscape(index),
		"token alone: " + tok + "\r50%\r" + tok[:5],
	}, "\n")
	got := string(steps(t, ps, []byte(out), 7, 3, 1, 1, 50))
	for _, leak := range []string{tok, tok[6:20], b64([]byte(tok))[:20], url.QueryEscape(index)[:30]} {
		if strings.Contains(got, leak) {
			t.Errorf("%q leaks in\n%s", leak, got)
		}
	}
}

func FuzzPatterns(f *testing.F) {
	f.Add("--index-url https://__token__:T0k3n@host/simple\nother value")
	f.Add("true\n1234567\n12345678\nmain")
	f.Add("https://user:abc@host/\nhttps://user:abcd@host/")
	f.Add("https://ghp_0123456789@github.com/o/r.git\nssh://git@github.com/o/r")
	f.Add("https://me%40corp:p%40ss%2Fw0rd@host/x\nhttps://u:p%4x@host/")
	f.Add("--extra-index-url=https://u:s3cr3t@host/simple\nSome value\tentirely")
	f.Add("\xfb\xff\xbf\xfe\xef\xfd\x00\ntok~~~en>>>!\nx://y://u:p@w@h?x#y://a:b@c")
	f.Fuzz(func(t *testing.T, values string) {
		if len(values) > 4096 {
			return
		}
		samePatterns(t, strings.Split(values, "\n"))
	})
}

func FuzzWriter(f *testing.F) {
	f.Add([]byte("x abcdefgh12345678 y"), []byte("abcdefgh12\x00gh12345678"), []byte{3, 7})
	f.Add([]byte("10%\r50%\rs3cr3t"), []byte("s3cr3t\x00\r5"), []byte{1, 1, 1})
	f.Add([]byte("abababab"), []byte("aba\x00b"), []byte{})
	f.Add([]byte("abcdefg abcdefgh abcd"), []byte("abcd\x00abcdefgh"), []byte{5, 0, 9})
	f.Add([]byte("xabcdefgabcab"), []byte("abc\x00abcdef\x00bcd"), []byte{2, 2, 2, 2})
	f.Add([]byte("\x01\x00\xff\x00\xffkey\x00\xff\x00"), []byte("\xff\x00\xffkey"), []byte{4})
	f.Fuzz(func(t *testing.T, in, patterns, sizes []byte) {
		ps := bytes.Split(patterns, []byte{0})
		if len(ps) > 64 || len(in) > 4096 || len(patterns) > 1024 {
			return
		}
		cut := make([]int, len(sizes))
		for i, s := range sizes {
			cut[i] = int(s)
		}
		steps(t, ps, in, cut...)
	})
}

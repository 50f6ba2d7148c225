package mask

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/testgen"
)

// reference masks the union of the spans that bytes.Index finds in the
// whole stream, overlapping or adjacent spans as one "***".
func reference(in []byte, patterns [][]byte) []byte {
	masked := make([]bool, len(in)+1)
	starts := make([]bool, len(in)+1) // a span starts here
	for _, p := range patterns {
		if len(p) == 0 {
			continue
		}
		for off := 0; ; {
			i := bytes.Index(in[off:], p)
			if i < 0 {
				break
			}
			i += off
			starts[i] = true
			for j := i; j < i+len(p); j++ {
				masked[j] = true
			}
			off = i + 1
		}
	}
	var out []byte
	for i := 0; i < len(in); i++ {
		switch {
		case !masked[i] && !starts[i]:
			out = append(out, in[i])
		case i == 0 || !masked[i-1]:
			// A span starting right after another one's end merges
			// with it: only a region's first byte writes "***".
			out = append(out, "***"...)
		}
	}
	return out
}

// run writes in to a Writer, cut at the given sizes (then the rest at
// once), flushes and returns what came out.
func run(t testing.TB, patterns [][]byte, in []byte, sizes ...int) []byte {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out, patterns)
	for _, n := range sizes {
		n = min(n, len(in))
		write(t, w, in[:n])
		in = in[n:]
	}
	write(t, w, in)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func write(t testing.TB, w *Writer, p []byte) {
	t.Helper()
	if n, err := w.Write(p); n != len(p) || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
}

func pats(s ...string) [][]byte {
	var ps [][]byte
	for _, p := range s {
		ps = append(ps, []byte(p))
	}
	return ps
}

func TestReference(t *testing.T) {
	ps := pats("abcdefgh12", "gh12345678")
	for _, c := range []struct{ in, want string }{
		{"x abcdefgh12345678 y", "x *** y"},  // overlapping
		{"gh12345678abcdefgh12", "***"},      // adjacent
		{"abcdefgh12 gh12345678", "*** ***"}, // apart
		{"abcdefgh1 h12345678", "abcdefgh1 h12345678"},
	} {
		if got := reference([]byte(c.in), ps); string(got) != c.want {
			t.Errorf("reference(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// cases are testgen.MaskCases, which package loader runs through mask.c.
var cases = testgen.MaskCases()

func TestCases(t *testing.T) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if got := reference([]byte(c.In), pats(c.Patterns...)); string(got) != c.Want {
				t.Fatalf("reference = %q, want %q", got, c.Want)
			}
			if got := run(t, pats(c.Patterns...), []byte(c.In)); string(got) != c.Want {
				t.Fatalf("one write: %q, want %q", got, c.Want)
			}
		})
	}
}

// TestSplitEveryOffset cuts each case at every offset, and at every pair
// of offsets, and in 1-byte writes.
func TestSplitEveryOffset(t *testing.T) {
	for _, c := range cases {
		in, ps := []byte(c.In), pats(c.Patterns...)
		for i := 0; i <= len(in); i++ {
			for j := i; j <= len(in); j++ {
				if got := run(t, ps, in, i, j-i); string(got) != c.Want {
					t.Fatalf("%s cut at %d, %d: %q, want %q", c.Name, i, j, got, c.Want)
				}
			}
		}
		ones := make([]int, len(in))
		for i := range ones {
			ones[i] = 1
		}
		if got := run(t, ps, in, ones...); string(got) != c.Want {
			t.Fatalf("%s in 1-byte writes: %q, want %q", c.Name, got, c.Want)
		}
	}
}

// recorder keeps what each Write delivered.
type recorder struct{ bytes.Buffer }

func TestNoNewlineNeeded(t *testing.T) {
	var r recorder
	w := NewWriter(&r, pats("s3cr3t-token", "\rnever"))
	for _, step := range []struct{ in, out string }{
		{"10%", "10%"},
		{"\r20%", "10%\r20%"},
		{"\r", "10%\r20%"}, // it may begin "\rnever"
		{"30%", "10%\r20%\r30%"},
		{" s3cr3t", "10%\r20%\r30% "},          // a prefix of the secret waits
		{"-to", "10%\r20%\r30% "},              // still a prefix
		{"ken ok", "10%\r20%\r30% *** ok"},     // now whole
		{" s3cr3t-", "10%\r20%\r30% *** ok "},  // the process stalls here
		{"x", "10%\r20%\r30% *** ok s3cr3t-x"}, // not the secret after all
	} {
		write(t, w, []byte(step.in))
		if r.String() != step.out {
			t.Fatalf("after %q: %q, want %q", step.in, r.String(), step.out)
		}
	}
	write(t, w, []byte(" s3cr3t-tok"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "10%\r20%\r30% *** ok s3cr3t-x s3cr3t-tok"; r.String() != want {
		t.Fatalf("after Flush: %q, want %q", r.String(), want)
	}
}

// TestHugeLine writes 64 MiB without a newline, with secrets in it, in
// writes of random sizes: the held-back tail stays shorter than the
// longest pattern, the buffers never grow, and every secret is masked.
func TestHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB")
	}
	secret := "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	ps := Patterns([]string{secret, "https://user:pa55word@example.com/x"})
	var sink countWriter
	w := NewWriter(&sink, ps)
	bufCap := cap(w.buf)
	rng := rand.New(rand.NewPCG(1, 2))
	line := bytes.Repeat([]byte("x"), 1<<20)
	copy(line[1000:], secret)
	copy(line[500000:], secret)
	const lines = 64
	for range lines {
		for p := line; len(p) > 0; {
			n := min(len(p), 1+rng.IntN(200000))
			write(t, w, p[:n])
			p = p[n:]
			if len(w.buf) >= w.m.maxLen || cap(w.buf) != bufCap || cap(w.out) > 2*bufCap+3 {
				t.Fatalf("held %d (longest pattern %d), buf cap %d (was %d), out cap %d",
					len(w.buf), w.m.maxLen, cap(w.buf), bufCap, cap(w.out))
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := lines * (len(line) - 2*(len(secret)-3)); sink.n != want || sink.stars != 2*lines {
		t.Fatalf("wrote %d bytes, %d masks; want %d, %d", sink.n, sink.stars, want, 2*lines)
	}
}

type countWriter struct{ n, stars int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	c.stars += bytes.Count(p, []byte("***"))
	return len(p), nil
}

func TestHoldBound(t *testing.T) {
	ps := pats("abcdefghij", "xyz")
	var out bytes.Buffer
	w := NewWriter(&out, ps)
	write(t, w, []byte("...abcdefghi"))
	if got := string(w.buf); got != "abcdefghi" || out.String() != "..." {
		t.Fatalf("held %q, wrote %q", got, out.String())
	}
	write(t, w, []byte("j"))
	if len(w.buf) != 0 || out.String() != "...***" {
		t.Fatalf("held %q, wrote %q", w.buf, out.String())
	}
}

func TestNoAllocs(t *testing.T) {
	ps := Patterns(testgen.Values(100))
	w := NewWriter(discard{}, ps)
	text := testgen.Text(1 << 20)
	for i := 0; i < len(text); i += 4000 {
		copy(text[i:], ps[i%len(ps)])
	}
	for _, size := range []int{1, 100, 64 << 10} {
		i := 0
		allocs := testing.AllocsPerRun(1000, func() {
			if i+size > len(text) {
				i = 0
			}
			w.Write(text[i : i+size])
			i += size
		})
		if allocs != 0 {
			t.Errorf("%d-byte writes: %v allocations per Write", size, allocs)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestNoPatterns(t *testing.T) {
	if got := run(t, nil, []byte("abc"), 1); string(got) != "abc" {
		t.Fatal(string(got))
	}
	if got := run(t, pats(""), []byte("abc"), 1); string(got) != "abc" {
		t.Fatal(string(got))
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errFail
	}
	f.n--
	return len(p), nil
}

var errFail = bytes.ErrTooLarge

func TestWriteError(t *testing.T) {
	w := NewWriter(&failWriter{n: 1}, pats("abcdefgh"))
	if _, err := w.Write([]byte("one")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("two")); err != errFail {
		t.Fatalf("second Write: %v", err)
	}
	if _, err := w.Write([]byte("three")); err != errFail {
		t.Fatalf("after an error: %v", err)
	}
	if err := w.Flush(); err != errFail {
		t.Fatalf("Flush after an error: %v", err)
	}
}

// TestRandom compares the Writer with the reference on random streams
// over a small alphabet (so patterns overlap and nest often), random
// patterns and random write sizes.
func TestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for iter := 0; iter < n; iter++ {
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
			ps = append(ps, gen(1+rng.IntN(9)))
		}
		in := gen(rng.IntN(200))
		// Plant some patterns.
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
		want := reference(in, ps)
		if got := run(t, ps, in, sizes...); !bytes.Equal(got, want) {
			t.Fatalf("patterns %q\nin %q\nsizes %v\ngot  %q\nwant %q", ps, in, sizes, got, want)
		}
	}
}

func FuzzWriter(f *testing.F) {
	f.Add([]byte("x abcdefgh12345678 y"), []byte("abcdefgh12\x00gh12345678"), []byte{3, 7})
	f.Add([]byte("10%\r50%\rs3cr3t"), []byte("s3cr3t\x00\r5"), []byte{1, 1, 1})
	f.Add([]byte("abababab"), []byte("aba\x00b"), []byte{})
	f.Fuzz(func(t *testing.T, in, patterns, sizes []byte) {
		// Small inputs keep the executions fast: the reference and
		// the Writer are both O(len(in) * longest pattern) at worst.
		ps := bytes.Split(patterns, []byte{0})
		if len(ps) > 64 || len(in) > 4096 || len(patterns) > 1024 {
			return
		}
		cut := make([]int, len(sizes))
		for i, s := range sizes {
			cut[i] = int(s)
		}
		want := reference(in, ps)
		if got := run(t, ps, in, cut...); !bytes.Equal(got, want) {
			t.Fatalf("patterns %q\nin %q\nsizes %v\ngot  %q\nwant %q", ps, in, cut, got, want)
		}
	})
}

// FuzzPatterns checks the rule's invariants on any values, and that the
// Writer masks every value of at least MinLen bytes.
func FuzzPatterns(f *testing.F) {
	f.Add("--index-url https://__token__:T0k3n@host/simple\nother value", "x https://__token__:T0k3n@host/simple y")
	f.Fuzz(func(t *testing.T, values, out string) {
		vs := strings.Split(values, "\n")
		ps := Patterns(vs)
		seen := map[string]bool{}
		for _, p := range ps {
			if len(p) < minPattern || seen[string(p)] || isSpace(p[0]) || isSpace(p[len(p)-1]) {
				t.Fatalf("pattern %q: short, duplicate or with whitespace around", p)
			}
			seen[string(p)] = true
		}
		for _, v := range vs {
			if v = trimSpace(v); len(v) >= MinLen && !seen[v] {
				t.Fatalf("value %q not masked", v)
			}
		}
		got := run(t, ps, []byte(out))
		if want := reference([]byte(out), ps); !bytes.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

package mask

import (
	"encoding/base64"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/testgen"
)

func has(ps [][]byte, s string) bool {
	for _, p := range ps {
		if string(p) == s {
			return true
		}
	}
	return false
}

func TestPatternsRule(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	for _, c := range []struct {
		name     string
		values   []string
		masked   []string
		unmasked []string
	}{{
		name:     "lengths",
		values:   []string{"true", "1234567", "12345678", "main"},
		masked:   []string{"12345678", b64([]byte("12345678")), b64([]byte("12345678\n"))},
		unmasked: []string{"true", "1234567", "main"},
	}, {
		name:   "index url",
		values: []string{"--index-url https://__token__:T0k3n@gitlab.example.com/api/v4/groups/7/-/packages/pypi/simple"},
		masked: []string{
			"--index-url https://__token__:T0k3n@gitlab.example.com/api/v4/groups/7/-/packages/pypi/simple",
			"https://__token__:T0k3n@gitlab.example.com/api/v4/groups/7/-/packages/pypi/simple",
			"--index-url", // a word of 8 bytes or more, like any other
			"T0k3n", "__token__:T0k3n",
			b64([]byte("__token__:T0k3n")), // HTTP Basic auth
			url.QueryEscape("https://__token__:T0k3n@gitlab.example.com/api/v4/groups/7/-/packages/pypi/simple"),
		},
		unmasked: []string{"__token__", "gitlab.example.com", "T0k"},
	}, {
		name:     "short password",
		values:   []string{"https://user:abc@host/", "https://user:abcd@host/"},
		masked:   []string{"abcd", "user:abcd", "user:abc"}, // user:password has 4 bytes or more
		unmasked: []string{"abc", "user"},
	}, {
		name:     "token as user",
		values:   []string{"https://ghp_0123456789@github.com/o/r.git", "ssh://git@github.com/o/r"},
		masked:   []string{"ghp_0123456789"},
		unmasked: []string{"git"},
	}, {
		name:   "percent-encoded password",
		values: []string{"https://me%40corp:p%40ss%2Fw0rd@host/x"},
		masked: []string{"p%40ss%2Fw0rd", "p@ss/w0rd", "me@corp:p@ss/w0rd", b64([]byte("me@corp:p@ss/w0rd")),
			"p%40ss%2fw0rd", // lower-case hex
		},
	}, {
		name:     "malformed escape",
		values:   []string{"https://u:p%4x@host/"},
		masked:   []string{"p%4x", "u:p%4x"},
		unmasked: []string{"p@x"},
	}, {
		name:   "url in a flag",
		values: []string{"--extra-index-url=https://u:s3cr3t@host/simple"},
		masked: []string{"s3cr3t", "u:s3cr3t"},
	}, {
		name:   "words",
		values: []string{"Some value\tentirely"},
		masked: []string{"Some value\tentirely", "entirely", url.QueryEscape("Some value\tentirely"),
			strings.ReplaceAll(url.QueryEscape("Some value\tentirely"), "+", "%20")},
		unmasked: []string{"Some", "value"},
	}} {
		t.Run(c.name, func(t *testing.T) {
			ps := Patterns(c.values)
			for _, s := range c.masked {
				if !has(ps, s) {
					t.Errorf("%q is not masked", s)
				}
			}
			for _, s := range c.unmasked {
				if has(ps, s) {
					t.Errorf("%q is masked", s)
				}
			}
		})
	}
}

func TestPatternsDistinct(t *testing.T) {
	ps := Patterns(append(testgen.Values(100), testgen.Values(100)...))
	seen := map[string]bool{}
	for _, p := range ps {
		if seen[string(p)] || len(p) < minPattern {
			t.Fatalf("%q: duplicate or short", p)
		}
		seen[string(p)] = true
	}
	if len(ps) != len(Patterns(testgen.Values(100))) {
		t.Fatal("repeated values add patterns")
	}
}

// TestEscape compares the escapes with net/url's, which the loader does
// not link.
func TestEscape(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 1000 {
		b := make([]byte, rng.IntN(20))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		s := string(b)
		q := url.QueryEscape(s)
		for _, c := range []struct {
			m    escapeMode
			want string
		}{
			{query, q},
			{path, url.PathEscape(s)},
			{component, strings.ReplaceAll(q, "+", "%20")},
		} {
			if got := string(escape(nil, s, c.m, "0123456789ABCDEF")); got != c.want {
				t.Fatalf("escape(%q, %d) = %q, want %q", s, c.m, got, c.want)
			}
		}
	}
}

// TestBase64InStream encodes a secret inside larger streams, at every
// alignment and with every neighbour length: all of the base64 that
// depends on the secret alone is masked; of the characters that also
// depend on a neighbour, at most one is left at each end.
func TestBase64InStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, secret := range []string{"abcd", "s3cr3t-t0k3n", "tok~~~en>>>!", "\xfb\xff\xbf\xfe\xef\xfd\x00"} {
		ps := Patterns([]string{"https://u:" + secret + "@host", secret}) // a URL password, a value
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			for before := range 7 {
				for after := range 7 {
					stream := make([]byte, before+len(secret)+after)
					for i := range stream {
						stream[i] = byte(rng.IntN(256))
					}
					copy(stream[before:], secret)
					e := enc.EncodeToString(stream)
					got := string(run(t, ps, []byte(e)))
					first := (8*before + 5) / 6            // first character of the secret alone
					last := 8 * (before + len(secret)) / 6 // after the last one
					pre, post, ok := strings.Cut(got, "***")
					if !ok || !strings.HasPrefix(e, pre) || !strings.HasSuffix(e, post) ||
						len(pre) > first || len(e)-len(post) < last {
						t.Fatalf("%q at %d in %d bytes: %q masked as %q (secret alone: [%d, %d))",
							secret, before, len(stream), e, got, first, last)
					}
					if after == 0 && before%3 == 0 && post != "" {
						t.Errorf("%q at the end: %q masked as %q", secret, e, got)
					}
				}
			}
		}
	}
}

// TestCanary prints a secret the ways the issue lists and checks that no
// form of it comes out.
func TestCanary(t *testing.T) {
	const tok = "glpat-Canary0123456789xyz"
	index := "https://__token__:" + tok + "@gitlab.example.com/api/v4/groups/7/-/packages/pypi/simple"
	values := []string{"--index-url " + index, "Something else", tok}
	b64 := base64.StdEncoding.EncodeToString
	out := strings.Join([]string{
		"+ pip install --index-url " + index + " ridl==1.0",
		"PIP_INSTALL_ARG=--index-url " + index,
		"fatal: could not read from 'https://__token__:" + tok + "@gitlab.example.com/'",
		"> Authorization: Basic " + b64([]byte("__token__:"+tok)),
		"echo: " + b64([]byte(tok+"\n")),
		"printf: " + b64([]byte(tok)),
		"env file: " + b64([]byte("PIP_INSTALL_ARG=\"--index-url "+index+"\"\nTOKEN="+tok+"\n")),
		"url-safe: " + base64.RawURLEncoding.EncodeToString([]byte(tok+"?>")),
		"query: ?next=" + url.QueryEscape(index),
		"lower: " + string(escape(nil, index, query, "0123456789abcdef")),
		"path: /" + url.PathEscape(index),
		"token alone: " + tok + "\r50%\r" + tok[:5],
	}, "\n")
	got := string(run(t, Patterns(values), []byte(out), 7, 3, 1, 1, 50))
	for _, leak := range []string{tok, tok[6:20], b64([]byte(tok))[:20], url.QueryEscape(index)[:30], "Q2FuYXJ5MDEyMzQ1Njc4"} {
		if strings.Contains(got, leak) {
			t.Errorf("%q leaks in\n%s", leak, got)
		}
	}
	for _, kept := range []string{"ridl==1.0", "fatal: could not read from", "Basic ", "\r50%\rglpat"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q is gone from\n%s", kept, got)
		}
	}
	if testing.Verbose() {
		t.Log("\n" + got)
	}
}

// Package testgen makes the test inputs that two packages share: mask's
// values, build output and Writer cases, which package loader runs
// through mask.c too, and dotenv's well-formed random files, which it
// runs through dotenv.c.
package testgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func token(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

// Values returns n values as a build platform's dotenv holds them:
// tokens, index URLs with a token (all on one host), short flags, prose.
func Values(n int) []string {
	rng := rand.New(rand.NewPCG(5, 6))
	prefixes := []string{"ghp_", "glpat-", "sk-", "xoxb-", ""}
	var vs []string
	for i := range n {
		tok := prefixes[i%len(prefixes)] + token(rng, 20+rng.IntN(21))
		switch i % 10 {
		case 0, 1, 2, 3:
			vs = append(vs, tok)
		case 4:
			vs = append(vs, fmt.Sprintf("https://__token__:%s@gitlab.example.com/api/v4/groups/%d/-/packages/pypi/simple", tok, i))
		case 5:
			vs = append(vs, fmt.Sprintf("--index-url https://__token__:%s@gitlab.example.com/api/v4/projects/%d/packages/pypi/simple", tok, i))
		case 6:
			vs = append(vs, []string{"true", "1", "main", "production"}[i%4])
		case 7:
			vs = append(vs, "Something else "+token(rng, 6))
		case 8:
			vs = append(vs, `{"user":"ci","password":"`+tok+`"}`)
		case 9:
			vs = append(vs, token(rng, 64))
		}
	}
	return vs
}

// Text returns about n bytes of build output: pip, apt and compiler
// lines, URLs, progress bars.
func Text(n int) []byte {
	rng := rand.New(rand.NewPCG(7, 8))
	words := strings.Fields("the of and to in is for on with that this from by are be as at or an it not install package build error warning info debug using version update setup running collecting downloading processing requirement already satisfied")
	var b strings.Builder
	for b.Len() < n {
		switch rng.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "Collecting package-%d==1.%d.%d\n", rng.IntN(1000), rng.IntN(30), rng.IntN(10))
		case 1:
			fmt.Fprintf(&b, "  Downloading https://files.pythonhosted.org/packages/%02x/%02x/pkg_%d-1.%d-py3-none-any.whl (%d kB)\n",
				rng.IntN(256), rng.IntN(256), rng.IntN(1000), rng.IntN(30), rng.IntN(5000))
		case 2:
			fmt.Fprintf(&b, "Get:%d http://deb.debian.org/debian bookworm/main amd64 libfoo%d amd64 %d.%d-%d [%d kB]\n",
				rng.IntN(200), rng.IntN(100), rng.IntN(10), rng.IntN(20), rng.IntN(5), rng.IntN(3000))
		case 3:
			for p := 0; p <= 100; p += 25 {
				fmt.Fprintf(&b, "\r%3d%% |%-20s| %d/%d", p, strings.Repeat("#", p/5), p*37, 3700)
			}
			b.WriteString("\n")
		case 4:
			fmt.Fprintf(&b, "gcc -O2 -Wall -c src/module%d.c -o build/module%d.o -I/usr/include/python3.12\n", rng.IntN(100), rng.IntN(100))
		default:
			for range 8 + rng.IntN(8) {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(' ')
			}
			b.WriteString("\n")
		}
	}
	return []byte(b.String()[:n])
}

// WellFormed returns a random dotenv file that is mostly well formed: up
// to `lines` lines of assignments (to names[:4]) whose values mix every
// kind of quoting, escape and expansion (of names), comments, blank lines,
// LF or CRLF. Package dotenv's fuzz-like tests and package loader's
// comparison of dotenv.c with it draw from it.
func WellFormed(r *rand.Rand, names []string, lines int) []byte {
	pick := func(s string) string {
		runes := []rune(s)
		return string(runes[r.IntN(len(runes))])
	}
	const plain = "abcXYZ019_-./:=@%+,!*?[]{}#~^é€"
	const any = plain + " \t\n'\"$`\\;&|<>()"
	var b strings.Builder
	if r.IntN(10) == 0 {
		b.WriteString("\uFEFF")
	}
	eol := []string{"\n", "\r\n"}
	for n := r.IntN(lines); n >= 0; n-- {
		switch r.IntN(6) {
		case 0:
			b.WriteString(" # " + pick(any) + pick(any))
		case 1:
			b.WriteString(pick(" \t"))
		default:
			if r.IntN(3) == 0 {
				b.WriteString("export ")
			}
			b.WriteString(names[r.IntN(4)] + "=")
			for seg := r.IntN(5); seg > 0; seg-- {
				switch r.IntN(6) {
				case 0:
					for k := r.IntN(4); k >= 0; k-- {
						b.WriteString(pick(plain))
					}
				case 1:
					b.WriteString("\\" + pick(any))
				case 2:
					b.WriteString("'")
					for k := r.IntN(5); k >= 0; k-- {
						if c := pick(any); c != "'" {
							b.WriteString(c)
						}
					}
					b.WriteString("'")
				case 3:
					b.WriteString("\"")
					for k := r.IntN(5); k >= 0; k-- {
						switch c := pick(any); c {
						case "\"", "`", "$":
							b.WriteString("\\" + c)
						case "\\":
							b.WriteString("\\" + pick(any))
						default:
							b.WriteString(c)
						}
						if r.IntN(4) == 0 {
							b.WriteString("${" + names[r.IntN(len(names))] + "}")
						}
					}
					b.WriteString("\"")
				case 4:
					b.WriteString("$" + names[r.IntN(len(names))])
				case 5:
					b.WriteString("${" + names[r.IntN(len(names))] + "}")
				}
			}
			if r.IntN(4) == 0 {
				b.WriteString(pick(" \t") + "# c")
			}
		}
		b.WriteString(eol[r.IntN(2)])
	}
	return []byte(b.String())
}

// MaskCase is a text, the values to mask and the masked text.
type MaskCase struct {
	Name     string
	Patterns []string
	In, Want string
}

// MaskCases are package mask's cases for its Writer, which package loader
// runs through mask.c too.
func MaskCases() []MaskCase {
	return []MaskCase{
		{"plain", []string{"s3cr3t-token"}, "a s3cr3t-token b\n", "a *** b\n"},
		{"twice", []string{"s3cr3t-token"}, "s3cr3t-tokens3cr3t-token s3cr3t-token", "*** ***"},
		{"overlap", []string{"abcdefgh12", "gh12345678"}, "<abcdefgh12345678>", "<***>"},
		{"overlap reversed", []string{"gh12345678", "abcdefgh12"}, "<abcdefgh12345678>", "<***>"},
		{"nested", []string{"12345678", "xx12345678yy"}, "a xx12345678yy b 12345678", "a *** b ***"},
		{"nested inner at end", []string{"abcdefgh", "bcdefg"}, "abcdefg abcdefgh", "a*** ***"},
		{"adjacent", []string{"aaaabbbb", "ccccdddd"}, "aaaabbbbccccdddd aaaabbbb ccccdddd", "*** *** ***"},
		{"self overlap", []string{"abababab"}, "abababababab", "***"},
		{"prefix of another", []string{"abcd", "abcdefgh"}, "abcdefg abcdefgh abcd", "***efg *** ***"},
		{"held then not", []string{"secretvalue"}, "secretvalu", "secretvalu"},
		{"binary", []string{"\x00\xff\x00\xffkey"}, "\x01\x00\xff\x00\xffkey\x00\xff\x00", "\x01***\x00\xff\x00"},
		{"short patterns", []string{"a", "bc"}, "abcabd", "***bd"},
		{"crlf progress", []string{"s3cr3t-token"}, "10%\r50%\rs3cr3t-token 100%\r\n", "10%\r50%\r*** 100%\r\n"},
	}
}

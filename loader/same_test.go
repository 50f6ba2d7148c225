//go:build linux

package loader

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// scenario is one run of the loader: setup writes what it needs into dir
// and returns the environment and the arguments (argv[0] included).
type scenario struct {
	name        string
	setup       func(t *testing.T, dir string) (env, argv []string)
	closeStdout bool // and stdin, closed in every scenario
}

// withFile: the secret file content at dir/_env (nil: none), flags, the
// command argv, in runEnv.
func withFile(content []byte, flags []string, argv ...string) func(t *testing.T, dir string) ([]string, []string) {
	return func(t *testing.T, dir string) ([]string, []string) {
		file := filepath.Join(dir, "_env")
		if content != nil {
			if err := os.WriteFile(file, content, 0o444); err != nil {
				t.Fatal(err)
			}
		}
		args := append([]string{"loader", "--id=_env", "--file=" + file}, flags...)
		return runEnv, append(append(args, "--"), argv...)
	}
}

func scenarios(t *testing.T) []scenario {
	env := envProgram(t)
	var sc []scenario
	add := func(name string, setup func(t *testing.T, dir string) ([]string, []string)) {
		sc = append(sc, scenario{name: name, setup: setup})
	}
	for _, tc := range hostileCases() {
		add("hostile/"+tc.name, withFile([]byte(tc.file), nil, env, "-0"))
	}
	for _, tc := range flagCases {
		args := tc.args
		add("flags/"+strings.Join(args, " "), func(*testing.T, string) ([]string, []string) {
			return runEnv, append([]string{"loader"}, args...)
		})
	}
	add("flags/empty argv", func(*testing.T, string) ([]string, []string) { return runEnv, []string{} })
	add("flags/mask, nothing to mask", withFile([]byte("A=1\n"), []string{"--mask"}, env, "-0"))
	add("flags/mask, no file", withFile(nil, []string{"--mask", "--required"}, env, "-0"))

	// The secret file.
	fits, over := largeFiles()
	add("file/missing", withFile(nil, nil, env, "-0"))
	add("file/missing, required", withFile(nil, []string{"--required"}, env, "-0"))
	add("file/exactly the limit", withFile(fits, nil, "true"))
	add("file/over the limit", withFile(over, nil, "true"))
	add("file/empty", withFile([]byte{}, nil, env, "-0"))
	add("file/a directory", func(t *testing.T, dir string) ([]string, []string) {
		mkdir(t, filepath.Join(dir, "_env"))
		return withFile(nil, nil, "true")(t, dir)
	})
	add("file/a symlink loop", func(t *testing.T, dir string) ([]string, []string) {
		symlink(t, "_env", filepath.Join(dir, "_env"))
		return withFile(nil, nil, "true")(t, dir)
	})
	add("file/under a file", func(*testing.T, string) ([]string, []string) {
		return runEnv, []string{"loader", "--id=_env", "--file=/proc/self/cmdline/_env", "--", env, "-0"}
	})
	add("file/name too long", func(*testing.T, string) ([]string, []string) {
		return runEnv, []string{"loader", "--id=_env", "--file=/" + strings.Repeat("n", 300), "--", "true"}
	})
	add("file/refused, a line after multi-line values", withFile([]byte("A='1\n2'\nB=\"3\\\n4\"\nC=x y\n"), nil, "true"))

	// The command.
	script := func(dir, name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inDir := func(argv0 func(dir string) string, path string) func(t *testing.T, dir string) ([]string, []string) {
		return func(t *testing.T, dir string) ([]string, []string) {
			script(dir, "tool", "#!/bin/sh\nprintf '%s' \"$0\"\n", 0o755)
			script(dir, "plain", "#!/bin/sh\necho ran\n", 0o644)
			script(dir, "noshebang", "echo ran\n", 0o755)
			script(dir, "badinterp", "#!/nonexistent/sh\n", 0o755)
			mkdir(t, filepath.Join(dir, "sub"))
			symlink(t, "loop", filepath.Join(dir, "loop"))
			e := []string{"HOME=/root"}
			if path != "<unset>" {
				e = append(e, "PATH="+strings.ReplaceAll(path, "$DIR", dir))
			}
			return e, []string{"loader", "--id=_env", "--file=" + filepath.Join(dir, "_env"), "--", argv0(dir), "arg"}
		}
	}
	name := func(s string) func(string) string { return func(string) string { return s } }
	abs := func(s string) func(string) string { return func(dir string) string { return filepath.Join(dir, s) } }
	for _, c := range []struct {
		name  string
		argv0 func(string) string
		path  string
	}{
		{"on PATH", name("tool"), "/nonexistent:$DIR"},
		{"on PATH, trailing slashes", name("tool"), "$DIR//"},
		{"empty PATH entry", name("tool"), "/nonexistent:"},
		{"leading empty PATH entry", name("tool"), ":/nonexistent"},
		{"PATH empty", name("tool"), ""},
		{"PATH unset", name("tool"), "<unset>"},
		{"PATH with ..", name("tool"), "$DIR/sub/.."},
		{"not found", name("no-such-tool"), "/usr/bin:/bin"},
		{"not executable on PATH", name("plain"), "$DIR"},
		{"a directory on PATH", name("sub"), "$DIR"},
		{"empty name", name(""), "$DIR"},
		{"dot dot", name(".."), "$DIR/sub"},
		{"a name to quote", name("a\x01b\"c\\\xff\u200b"), "$DIR"},
		{"relative", name("./tool"), "/nonexistent"},
		{"relative, not there", name("./missing"), "/nonexistent"},
		{"absolute", abs("tool"), "/nonexistent"},
		{"absolute, not executable", abs("plain"), "/nonexistent"},
		{"absolute, a directory", abs("sub"), "/nonexistent"},
		{"absolute, a directory with a slash", abs("sub/"), "/nonexistent"},
		{"absolute, under a file", abs("tool/x"), "/nonexistent"},
		{"absolute, a symlink loop", abs("loop"), "/nonexistent"},
		{"absolute, name too long", abs(strings.Repeat("n", 300)), "/nonexistent"},
		{"no shebang", abs("noshebang"), "/nonexistent"},
		{"a missing interpreter", abs("badinterp"), "/nonexistent"},
	} {
		add("command/"+c.name, inDir(c.argv0, c.path))
		add("command/"+c.name+", with a file", func(t *testing.T, dir string) ([]string, []string) {
			if err := os.WriteFile(filepath.Join(dir, "_env"), []byte("A=1\nPATH=/elsewhere\n"), 0o444); err != nil {
				t.Fatal(err)
			}
			return inDir(c.argv0, c.path)(t, dir)
		})
	}
	add("command/an environment too large", withFile(tooBigFile(), nil, env))
	add("command/exit status and argv", withFile([]byte("A=1\n"), nil, "sh", "-c", `printf '[%s]' "$0" "$@" "$A"; exit 7`, "name", "a b", "", "--"))

	// Closed standard descriptors: /dev/null for the command, as Go's
	// runtime opened them.
	add("descriptors/stdin closed", withFile([]byte("A=1\n"), nil, "sh", "-c", `readlink /proc/$$/fd/0 || echo closed`))
	sc = append(sc, scenario{name: "descriptors/stdout closed", closeStdout: true,
		setup: withFile([]byte("A=1\n"), nil, "sh", "-c", `(readlink /proc/$$/fd/1 || echo closed) >&2`)})

	// The environment as Go's runtime kept it: no empty entries, the
	// first of a name, entries without '='.
	dups := []string{"A=1", "", "B=x", "A=2", "NOEQ", "PATH=/usr/bin:/bin", "=odd", "B=y", "NOEQ=3", "PATH=/nonexistent", "=odd2", "C"}
	for _, c := range []struct {
		name string
		file []byte
	}{
		{"no file", nil},
		{"empty file", []byte{}},
		{"names of the environment", []byte("A=$A.$B\nNOEQ=f\nD=$NOEQ\nC=c\nE=1\nA=last\n")},
		{"nothing on top", []byte("# only a comment\n")},
	} {
		add("environment/"+c.name, func(t *testing.T, dir string) ([]string, []string) {
			_, argv := withFile(c.file, nil, env, "-0")(t, dir)
			return dups, argv
		})
	}
	return sc
}

func mkdir(t *testing.T, p string) {
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, p string) {
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// TestSameAsGoLoader: on every scenario, the C loader (both builds) and
// the Go loader print the same bytes on stdout and stderr and end the
// same way: same messages, exit codes, environment (in order) and argv.
func TestSameAsGoLoader(t *testing.T) {
	goLoaderBin := goLoader(t)
	builds := loaders(t)
	for _, s := range scenarios(t) {
		t.Run(s.name, func(t *testing.T) {
			dir := t.TempDir()
			env, argv := s.setup(t, dir)
			want := spawnFiles(t, goLoaderBin, argv, env, dir, s.closeStdout)
			for _, b := range builds {
				got := spawnFiles(t, b.bin, argv, env, dir, s.closeStdout)
				if got != want {
					t.Errorf("%s: %s\n got %s\nwant %s (the Go loader)", b.name, quoteArgs(argv), show(got), show(want))
				}
			}
			if strings.Contains(want.stderr, "loader: cannot read its arguments") {
				t.Fatalf("the Go loader could not read /proc/self/cmdline")
			}
		})
	}
}

func show(r result) string {
	s := r.stdout
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return "exit " + strconv.Itoa(r.code) + " signal " + strconv.Itoa(int(r.signal)) + " stdout " + strconv.Quote(s) + " stderr " + strconv.Quote(r.stderr)
}

func quoteArgs(argv []string) string {
	var q []string
	for _, a := range argv {
		if len(a) > 80 {
			a = a[:80] + "…"
		}
		q = append(q, strconv.Quote(a))
	}
	return strings.Join(q, " ")
}

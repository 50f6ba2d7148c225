package dotenv

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hostile: what broke or leaked through loader v1 (the review of December
// 2026), and what shells would run.
var hostile = []string{
	"NOTE=see set\n",
	"DESC=dev env\n",
	"X=a export\n",
	"TOKEN=abc def\n",
	"DB_PASSWORD=aB3>kL9-secret\n",
	"P=aB3&cd\n",
	"P=\"pa$$word\"\n",
	"A=1\ncat <<EOF\nB=2\nEOF\n",
	"A=1\nexit 0\n",
	"set -x\nA=1\n",
	"IFS=\nA=1\n",
	"alias exec=echo\n",
	"trap() { :; }\n",
	"A=$(id)\n",
	"A=`id`\n",
	"A=\"$(id)\"\n",
	"A=1\nB=2\r\nC=3\n",
	"A=1\r\nB=x\ry\r\n",
	"\xff\xfeA\x00=\x001\x00\n\x00",
	"A=1\x00\n",
	"A=~\nB=~root\n",
	"A=${B:-x}\nC=${#B}\n",
	"export A={a,b}\n",
	"A=1 B=2\n",
	"A=$'\\x41'\n",
	"A=x\\",
	"A=\"x\\",
	"A='x\n",
}

func FuzzParse(f *testing.F) {
	for _, s := range corpus {
		f.Add([]byte(s))
	}
	for _, s := range hostile {
		f.Add([]byte(s))
	}
	sh := installedShells()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := Parse(data, EnvLookup(testEnv))
		if err != nil {
			checkError(t, data, err)
			return
		}
		checkVars(t, vars)
		if len(data) > 1<<16 {
			return // keep the shells fast
		}
		want := Environ(testEnv, vars)
		slices.Sort(want)
		for _, s := range sh {
			got, diag, ok := shellEnviron(t, s, dir, asShellReads(data), testEnv)
			if !ok {
				t.Fatalf("%s fails on %q, which Parse accepts: %s", s.name, data, diag)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s and Parse differ on %q:\n shell %q\n Parse %q", s.name, data, got, want)
			}
		}
	})
}

// installedShells: the fuzz target compares with the shells it finds and
// still checks the parser alone without them.
func installedShells() []refShell {
	found, _ := findShells()
	if envProgram == "" {
		return nil
	}
	return found
}

// checkError holds an error to its structure: its message is the line
// number, a fixed text and at most a name assigned in the file. So no byte
// of a value can reach it, whatever the input.
func checkError(t *testing.T, data []byte, err error) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("%T %v, want *Error", err, err)
	}
	if e.reason >= numReasons {
		t.Fatalf("reason %d out of range", e.reason)
	}
	if e.Line < 1 || e.Line > bytes.Count(data, []byte("\n"))+1 {
		t.Fatalf("line %d out of the file's range", e.Line)
	}
	if e.Name != "" && (!isName(e.Name) || !bytes.Contains(data, []byte(e.Name+"="))) {
		t.Fatalf("Name %q is not a name assigned in the file", e.Name)
	}
	text := strings.Replace(reasons[e.reason], "%v", e.Name, 1)
	if want := "line " + strconv.Itoa(e.Line) + ": " + text; err.Error() != want {
		t.Fatalf("message %q is not built from its parts (%q)", err.Error(), want)
	}
}

// checkVars: what Parse accepts can be exec'd as is.
func checkVars(t *testing.T, vars []Var) {
	t.Helper()
	total := 0
	for _, v := range vars {
		if !isName(v.Name) || isShellVar(v.Name) {
			t.Fatalf("accepted the name %q", v.Name)
		}
		if len(v.Name)+len(v.Value)+2 > MaxEnvString || strings.IndexByte(v.Value, 0) >= 0 {
			t.Fatalf("accepted a value exec cannot take (%d bytes)", len(v.Value))
		}
		total += len(v.Value)
	}
	if total > MaxTotal {
		t.Fatalf("accepted %d bytes of values", total)
	}
}

// TestErrorMessagesAreStructural: every reason text has at most one name
// placeholder and no other verb, so the message holds nothing else.
func TestErrorMessagesAreStructural(t *testing.T) {
	for r, text := range reasons {
		if text == "" {
			t.Errorf("reason %d has no text", r)
		}
		if strings.Count(text, "%") != strings.Count(text, "%v") || strings.Count(text, "%v") > 1 {
			t.Errorf("reason %d: %q: only one %%v (the name) may be filled in", r, text)
		}
	}
	e := &Error{Line: 7, Name: "TOKEN", reason: rWhitespace}
	if got, want := e.Error(), "line 7: unquoted space or tab in the value of TOKEN: quote the value; one assignment per line"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

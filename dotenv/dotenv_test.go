package dotenv

import (
	"strconv"
	"strings"
	"testing"
)

// testEnv is the environment the tests load files into; shell_test.go runs
// the reference shells with it.
var testEnv = []string{
	"PATH=/nonexistent/bin:/nonexistent/sbin", // a bug that runs a command runs nothing
	"HOME=/nonexistent/home",
	"LANG=C.UTF-8",
	"TERM=xterm",
	"FROM_ENV=a  b*?[x] $HOME \\n 'q' \"d\"",
	"EMPTY=",
	"NL=line1\nline2",
}

// show renders vars as NAME=value|… for compact expectations.
func show(vars []Var) string {
	var b strings.Builder
	for _, v := range vars {
		b.WriteString(v.Name + "=" + v.Value + "|")
	}
	return b.String()
}

// parseAccepts: files Parse accepts, and their values as show renders them.
var parseAccepts = []struct{ name, in, want string }{
	{"empty file", "", ""},
	{"blank lines and comments", "\n  \n\t\n# c\n  # c 'x\n#\n", ""},
	{"plain", "A=b\n", "A=b|"},
	{"no final newline", "A=b", "A=b|"},
	{"empty value", "A=\nB=\t# c\nC= \n", "A=|B=|C=|"},
	{"export", "export A=b\nexport\t\tB=c\n  export C=d", "A=b|B=c|C=d|"},
	{"a variable named export", "export=1\nexport export=2\n", "export=1|export=2|"},
	{"names", "a=1\nA1=2\n_a=3\nA__b_9=4\n", "a=1|A1=2|_a=3|A__b_9=4|"},
	{"leading blanks", "  \tA=b\n", "A=b|"},
	{"trailing blanks and comment", "A=b  \nB=c # d e\nC=d\t#\n", "A=b|B=c|C=d|"},
	{"# inside a word is literal", "A=b#c\nB=#c\nC='x'#y\n", "A=b#c|B=#c|C=x#y|"},
	{"= and other punctuation are literal", "A=b=c:d,e.f/g@h%i^j+k-l!m*n?o[p]q{r}s\n", "A=b=c:d,e.f/g@h%i^j+k-l!m*n?o[p]q{r}s|"},
	{"~ not at the start or after a colon", "A=a~b\nB=\\~\nC='~'\nD=\"~\"\nE=\\:~\nF=\":\"~\nG=\"\"~\n", "A=a~b|B=~|C=~|D=~|E=:~|F=:~|G=~|"},
	{"backslash unquoted", "A=\\a\\b\\\\\\$\\'\\\"\\ c\\#\n", "A=ab\\$'\" c#|"},
	{"line continuation unquoted", "A=a\\\nb\nB=\\\nC=1\nD=x\\\n # c\n", "A=ab|B=C=1|D=x|"},
	{"single quotes are literal", "A='$B \\ \" `x` $(y) # z'\n", "A=$B \\ \" `x` $(y) # z|"},
	{"double quotes: backslash rules", "A=\"\\$ \\` \\\" \\\\ \\a \\' \\n\"\n", "A=$ ` \" \\ \\a \\' \\n|"},
	{"double quotes: continuation", "A=\"a\\\nb\"\n", "A=ab|"},
	{"multi-line quoted values", "A='1\n2'\nB=\"3\n\n4\"\nC=5\n", "A=1\n2|B=3\n\n4|C=5|"},
	{"concatenated quoting", "A=a'b c'\"d e\"f\\ g\n", "A=ab cd ef g|"},
	{"operators inside quotes", "A='a;b&c|d<e>f(g)'\nB=\"a;b&c|d<e>f(g)\"\n", "A=a;b&c|d<e>f(g)|B=a;b&c|d<e>f(g)|"},
	{"expansion of earlier keys", "A=1\nB=$A\nC=${A}x\nD=\"$A $B\"\nA=2\nE=$A\n", "A=1|B=1|C=1x|D=1 1|A=2|E=2|"},
	{"expansion of the environment", "A=$FROM_ENV\nB=\"$EMPTY\"\nC=$NL\nD=$UNSET\n", "A=a  b*?[x] $HOME \\n 'q' \"d\"|B=|C=line1\nline2|D=|"},
	{"the file wins over the environment", "HOME=/h\nA=$HOME\n", "HOME=/h|A=/h|"},
	{"a variable refers to its old value", "PATH=/opt/bin:$PATH\n", "PATH=/opt/bin:/nonexistent/bin:/nonexistent/sbin|"},
	{"$NAME takes the longest name", "A_B=1\nA=2\nC=$A_B$A-$A_\n", "A_B=1|A=2|C=12-|"},
	{"shell defaults set in the environment", "A=$TERM\n", "A=xterm|"},
	{"shell defaults set by the file", "SHELL=/bin/sh\nA=$SHELL\n", "SHELL=/bin/sh|A=/bin/sh|"},
	{"UTF-8", "A=é€😀\nB='ü'\nC=\\é\n", "A=é€😀|B=ü|C=é|"},
	{"BOM", "\uFEFFA=b\n", "A=b|"},
	{"CRLF", "A=b\r\n\r\n# c\r\nexport B=\"c\r\nd\"\r\nC=x\\\r\ny\r\n", "A=b|B=c\nd|C=xy|"},
	{"mixed line endings", "A=1\nB=2\r\nC='3\r\n4\n5'\r\n", "A=1|B=2|C=3\n4\n5|"},
	{"the platform's example", "PIP_INSTALL_ARG=\"--index-url https://__token__:glpat-x_Y@gitlab.example.com/api/v4/groups/42/-/packages/pypi/simple\"\nOTHER_ENV_VAR=\"Something else\"\n",
		"PIP_INSTALL_ARG=--index-url https://__token__:glpat-x_Y@gitlab.example.com/api/v4/groups/42/-/packages/pypi/simple|OTHER_ENV_VAR=Something else|"},
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range parseAccepts {
		t.Run(tc.name, func(t *testing.T) {
			vars, err := Parse([]byte(tc.in), EnvLookup(testEnv))
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := show(vars); got != tc.want {
				t.Errorf("Parse(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// parseLinesInput: assignments that start on lines after continuations
// and multi-line values.
const parseLinesInput = "# c\nA=1\n\nexport B='x\ny'\nC=\"p\\\nq\"\r\n  D=z\\\nw\nE=\n"

func TestParseLines(t *testing.T) {
	vars, err := Parse([]byte(parseLinesInput), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vars {
		got = append(got, v.Name+":"+strconv.Itoa(v.Line))
	}
	if want := "A:2 B:4 C:6 D:8 E:10"; strings.Join(got, " ") != want {
		t.Errorf("lines %v, want %s", got, want)
	}
	// A nil lookup is an empty environment; blanks may end the file.
	vars, err = Parse([]byte("A=$HOME\n  "), nil)
	if err != nil || show(vars) != "A=|" {
		t.Errorf("nil lookup: %q %v", show(vars), err)
	}
}

// parseRefuses: files Parse refuses, the line and the message.
var parseRefuses = []struct {
	name, in string
	line     int
	want     string // the message after "line N: "
}{
	// Encoding.
	{"UTF-16LE with BOM", "\xff\xfeA\x00=\x00b\x00", 1, "the file is UTF-16; save it as UTF-8"},
	{"UTF-16BE with BOM", "\xfe\xff\x00A\x00=\x00b", 1, "the file is UTF-16; save it as UTF-8"},
	{"UTF-16LE without BOM", "A\x00=\x00b\x00", 1, "the file is UTF-16; save it as UTF-8"},
	{"UTF-16BE without BOM", "\x00A\x00=\x00b", 1, "the file is UTF-16; save it as UTF-8"},
	{"NUL", "A=1\nB=x\x00y\n", 2, "a NUL byte"},
	{"control character", "A=1\n\nB=x\x1by\n", 3, "a control character (only tab and newline are allowed)"},
	{"DEL", "A='\x7f'\n", 1, "a control character (only tab and newline are allowed)"},
	{"control character in a comment", "# \x01\n", 1, "a control character (only tab and newline are allowed)"},
	{"stray CR", "A=1\nB=x\ry\n", 2, "a carriage return that does not end the line"},
	{"CR at the end of the file", "A=1\r", 1, "a carriage return that does not end the line"},
	{"CR CR LF", "A=1\r\r\n", 1, "a carriage return that does not end the line"},
	{"not UTF-8", "A=1\nB=\xe9t\xe9\n", 2, "bytes that are not UTF-8"},
	{"surrogate", "A=\xed\xa0\x80\n", 1, "bytes that are not UTF-8"},
	{"BOM not at the start", "A=1\n\uFEFFB=2\n", 2, "not a variable name before = (letters, digits and _, not starting with a digit)"},
	// Lines that are not assignments.
	{"a command", "A=1\nset\n", 2, "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line"},
	{"a heredoc", "cat <<EOF\nA=1\nEOF\n", 1, "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line"},
	{"export alone", "export\n", 1, "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line"},
	{"export without value", "export A\n", 1, "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line"},
	{"export with options", "export -p\n", 1, "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line"},
	{"blank before =", "A =1\n", 1, "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line"},
	{"continuation in a name", "A\\\n=1\n", 1, "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line"},
	{"a bare value", "ghp_abc\n", 1, "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line"},
	{"starts with a digit", "1A=b\n", 1, "not a variable name before = (letters, digits and _, not starting with a digit)"},
	{"dash in name", "A-B=b\n", 1, "not a variable name before = (letters, digits and _, not starting with a digit)"},
	{"empty name", "=b\n", 1, "not a variable name before = (letters, digits and _, not starting with a digit)"},
	{"quoted name", "'A'=b\n", 1, "not a variable name before = (letters, digits and _, not starting with a digit)"},
	{"non-ASCII name", "É=b\n", 1, "not a variable name before = (letters, digits and _, not starting with a digit)"},
	{"a variable the shell sets", "PPID=1\n", 1, "PPID is a variable the shell sets itself, and shells differ on it: use another name"},
	{"IFS", "export IFS=x\n", 1, "IFS is a variable the shell sets itself, and shells differ on it: use another name"},
	{"a BASH_ variable", "BASH_VERSION=1\n", 1, "BASH_VERSION is a variable the shell sets itself, and shells differ on it: use another name"},
	{"a future BASH_ variable", "BASH_MONOSECONDS=1\n", 1, "BASH_MONOSECONDS is a variable the shell sets itself, and shells differ on it: use another name"},
	{"underscore", "_=x\n", 1, "_ is a variable the shell sets itself, and shells differ on it: use another name"},
	// What v1 ran or redirected (the review's findings 1 and 2).
	{"NOTE=see set", "NOTE=see set\n", 1, "unquoted space or tab in the value of NOTE: quote the value; one assignment per line"},
	{"DESC=dev env", "A=1\nDESC=dev env\n", 2, "unquoted space or tab in the value of DESC: quote the value; one assignment per line"},
	{"X=a export", "X=a export\n", 1, "unquoted space or tab in the value of X: quote the value; one assignment per line"},
	{"two assignments", "A=1 B=2\n", 1, "unquoted space or tab in the value of A: quote the value; one assignment per line"},
	{"export of two", "export A=1 B=2\n", 1, "unquoted space or tab in the value of A: quote the value; one assignment per line"},
	{"blank after =", "A= b\n", 1, "unquoted space or tab in the value of A: quote the value; one assignment per line"},
	{"tab", "A=b\tc\n", 1, "unquoted space or tab in the value of A: quote the value; one assignment per line"},
	{"after a quoted value", "A=\"x\"\\\n b\n", 2, "unquoted space or tab in the value of A: quote the value; one assignment per line"},
	{"redirection", "DB_PASSWORD=aB3>kL9-secret\n", 1, "an unquoted ; & | < > ( or ) in the value of DB_PASSWORD: quote the value"},
	{"background", "P=aB3&cd\n", 1, "an unquoted ; & | < > ( or ) in the value of P: quote the value"},
	{"semicolon", "P=a;b\n", 1, "an unquoted ; & | < > ( or ) in the value of P: quote the value"},
	{"pipe", "P=a|b\n", 1, "an unquoted ; & | < > ( or ) in the value of P: quote the value"},
	{"input", "P=<b\n", 1, "an unquoted ; & | < > ( or ) in the value of P: quote the value"},
	{"array", "P=(a b)\n", 1, "an unquoted ; & | < > ( or ) in the value of P: quote the value"},
	{"paren", "P=a)\n", 1, "an unquoted ; & | < > ( or ) in the value of P: quote the value"},
	{"backquote", "P=`id`\n", 1, "a backquote (command substitution) in the value of P: put the value in single quotes"},
	{"backquote in double quotes", "P=\"`id`\"\n", 1, "a backquote (command substitution) in the value of P: put the value in single quotes"},
	{"command substitution", "P=$(id)\n", 1, "a command substitution in the value of P: put the value in single quotes"},
	{"command substitution in double quotes", "P=\"a\nb $(id)\"\n", 2, "a command substitution in the value of P: put the value in single quotes"},
	{"arithmetic", "P=$((1+1))\n", 1, "a command substitution in the value of P: put the value in single quotes"},
	{"$$ in double quotes", "P=\"pa$$word\"\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"$1", "P=$1\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"$@", "P=$@\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"$?", "P=\"$?\"\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"$#", "P=$#\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"$-", "P=$-\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"$!", "P=$!\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"$*", "P=$*\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"$0", "P=$0\n", 1, "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of P: write \\$ for a literal $"},
	{"${1}", "P=${1}\n", 1, "a ${...} other than ${NAME} in the value of P: only $NAME and ${NAME} are expanded"},
	{"default", "P=${A:-x}\n", 1, "a ${...} other than ${NAME} in the value of P: only $NAME and ${NAME} are expanded"},
	{"length", "P=${#A}\n", 1, "a ${...} other than ${NAME} in the value of P: only $NAME and ${NAME} are expanded"},
	{"suffix", "P=\"${A%x}\"\n", 1, "a ${...} other than ${NAME} in the value of P: only $NAME and ${NAME} are expanded"},
	{"empty braces", "P=${}\n", 1, "a ${...} other than ${NAME} in the value of P: only $NAME and ${NAME} are expanded"},
	{"unclosed braces", "P=${A\n", 1, "a ${...} other than ${NAME} in the value of P: only $NAME and ${NAME} are expanded"},
	{"$'…'", "P=$'a\\tb'\n", 1, "a $'...' or $\"...\" string in the value of P: shells differ on them"},
	{"$\"…\"", "P=$\"a\"\n", 1, "a $'...' or $\"...\" string in the value of P: shells differ on them"},
	{"$ at the end", "P=a$\n", 1, "a $ without a name after it in the value of P: write \\$ for a literal $"},
	{"$ at the end of the file", "P=a$", 1, "a $ without a name after it in the value of P: write \\$ for a literal $"},
	{"$ before a quote", "P=\"a$\"\n", 1, "a $ without a name after it in the value of P: write \\$ for a literal $"},
	{"$' in double quotes", "P=\"$'x'\"\n", 1, "a $ without a name after it in the value of P: write \\$ for a literal $"},
	{"$ before a slash", "P=$/x\n", 1, "a $ without a name after it in the value of P: write \\$ for a literal $"},
	{"$[", "P=$[1+1]\n", 1, "a $ without a name after it in the value of P: write \\$ for a literal $"},
	{"continuation after $", "P=$\\\nA\n", 1, "a line continuation inside or right after a $NAME in the value of P: the shells join the lines into one name"},
	{"continuation after $NAME", "P=\"$A\\\nB\"\n", 1, "a line continuation inside or right after a $NAME in the value of P: the shells join the lines into one name"},
	{"continuation in ${}", "P=${A\\\nB}\n", 1, "a line continuation inside or right after a $NAME in the value of P: the shells join the lines into one name"},
	{"$PPID", "P=\"$PPID\"\n", 1, "the value of P uses a variable the shell sets itself, and shells differ on it"},
	{"${RANDOM}", "P=${RANDOM}\n", 1, "the value of P uses a variable the shell sets itself, and shells differ on it"},
	{"$PWD", "P=$PWD\n", 1, "the value of P uses a variable the shell sets itself, and shells differ on it"},
	{"$HOSTNAME unset", "P=$HOSTNAME\n", 1, "the value of P uses a variable the shell sets itself, and shells differ on it"},
	{"tilde", "P=~\n", 1, "an unquoted ~ at the start of the value of P or after a colon (tilde expansion): write $HOME, or quote it"},
	{"tilde path", "P=~/x\n", 1, "an unquoted ~ at the start of the value of P or after a colon (tilde expansion): write $HOME, or quote it"},
	{"tilde user", "P=~root\n", 1, "an unquoted ~ at the start of the value of P or after a colon (tilde expansion): write $HOME, or quote it"},
	{"tilde after a colon", "P=/a:~/b\n", 1, "an unquoted ~ at the start of the value of P or after a colon (tilde expansion): write $HOME, or quote it"},
	{"tilde after a continuation", "P=\\\n~\n", 2, "an unquoted ~ at the start of the value of P or after a colon (tilde expansion): write $HOME, or quote it"},
	{"brace after export", "export P=x{a,b}\n", 1, "an unquoted { in the value of P after export (bash expands braces there): quote the value"},
	{"unclosed single quote", "A=1\nP='abc\nB=2\n", 2, "the single quote that starts here in the value of P is never closed"},
	{"unclosed double quote", "P=\"abc\n\nB=2\n", 1, "the double quote that starts here in the value of P is never closed"},
	{"unclosed double quote, backslash at the end", "P=\"abc\\", 1, "the double quote that starts here in the value of P is never closed"},
	{"backslash at the end of the file", "P=abc\\", 1, "a backslash at the end of the file, in the value of P"},
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range parseRefuses {
		t.Run(tc.name, func(t *testing.T) {
			vars, err := Parse([]byte(tc.in), EnvLookup(testEnv[:len(testEnv):len(testEnv)]))
			if err == nil {
				t.Fatalf("Parse(%q) accepted it: %q", tc.in, show(vars))
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse(%q): %T %v, want *Error", tc.in, err, err)
			}
			if want := "line " + strconv.Itoa(tc.line) + ": " + tc.want; err.Error() != want || e.Line != tc.line {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tc.in, err, want)
			}
			if vars != nil {
				t.Errorf("Parse(%q) returned variables with its error", tc.in)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	name := "BIG"
	fits := strings.Repeat("x", MaxEnvString-len(name)-2) // BIG=…\0 is MaxEnvString
	vars, err := Parse([]byte(name+"="+fits+"\n"), nil)
	if err != nil || len(vars) != 1 || len(vars[0].Value) != len(fits) {
		t.Fatalf("a value at the limit: %v", err)
	}
	for _, in := range []string{
		"A=1\n" + name + "=" + fits + "y\n",                // one byte over, unquoted
		"A=1\n" + name + "='" + fits + "y'\n",              // quoted
		"A=" + fits + "\n" + name + "=${A}yyyy\n",          // by a byte after an expansion
		"A=" + fits + "\n" + name + "=y$A\n",               // by an expansion
		"A=1\n" + name + "=\"" + fits[:1000] + "\n" + fits, // over before the quote is found unclosed
	} {
		_, err := Parse([]byte(in), nil)
		want := "line 2: the value of BIG is too long: Linux allows at most 131072 bytes for NAME=value in the environment"
		if err == nil || err.Error() != want {
			t.Errorf("over the limit: got %v", err)
		}
	}
	// Expansions cannot add up to unbounded memory.
	in := "A=" + strings.Repeat("x", 100000) + "\n" + strings.Repeat("B=$A\n", 50)
	_, err = Parse([]byte(in), nil)
	if want := "line 42: the values add up to more than 4194304 bytes after expansion (at B)"; err == nil || err.Error() != want {
		t.Errorf("MaxTotal: got %v, want %s", err, want)
	}
	if !strings.Contains(reasons[rTooLong], strconv.Itoa(MaxEnvString)) || !strings.Contains(reasons[rTooMuch], strconv.Itoa(MaxTotal)) {
		t.Error("the messages do not state the limits")
	}
}

func TestEnviron(t *testing.T) {
	env := []string{"PATH=/bin", "A=env", "B=keep", "A=dup", "C=", "NOEQUALS"}
	vars := []Var{{Name: "A", Value: "1"}, {Name: "D", Value: "2"}, {Name: "A", Value: "3"}, {Name: "E", Value: ""}}
	got := strings.Join(Environ(env, vars), "|")
	if want := "PATH=/bin|A=3|B=keep|C=|NOEQUALS|D=2|E="; got != want {
		t.Errorf("Environ\n got %s\nwant %s", got, want)
	}
	if got := strings.Join(Environ(env, nil), "|"); got != strings.Join(env, "|") {
		t.Errorf("Environ without variables changed the environment: %s", got)
	}
	if v, ok := EnvLookup(env)("A"); v != "dup" || !ok {
		t.Errorf("EnvLookup: the last value wins, as in the shells: got %q", v)
	}
	if _, ok := EnvLookup(env)("NOEQUALS"); ok {
		t.Error("EnvLookup: an entry without = is not a variable")
	}
}

func TestLoaderArgs(t *testing.T) {
	got := LoaderArgs("/l", "_env", "/run/secrets/_env", true, false, []string{"/bin/sh", "-c", "make"})
	if want := "/l --id=_env --file=/run/secrets/_env --required -- /bin/sh -c make"; strings.Join(got, " ") != want {
		t.Errorf("got %q", got)
	}
	got = LoaderArgs("/l", "_env", "/run/secrets/_env", true, true, []string{"--mask"})
	if want := "/l --id=_env --file=/run/secrets/_env --required --mask -- --mask"; strings.Join(got, " ") != want {
		t.Errorf("got %q", got)
	}
}

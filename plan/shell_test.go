package plan

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadedByHand(t *testing.T) {
	const f = "/etc/secrets/.env"
	for script, want := range map[string]string{
		". /etc/secrets/.env && pip install $ARG ridl==1.2.0":               "pip install $ARG ridl==1.2.0",
		". /etc/secrets/.env     && pip install x":                          "pip install x",
		"source '/etc/secrets/.env'; make":                                  "make",
		"set -a && . /etc/secrets/.env && set +a && make && make install":   "make && make install",
		"set -o allexport; . \"/etc/secrets/.env\"; set +o allexport\nmake": "make",
		"[ -f /etc/secrets/.env ] && . /etc/secrets/.env && make":           "make",
		"export $(cat /etc/secrets/.env | xargs) && make":                   "make",
		"export $(grep -v '^#' /etc/secrets/.env | xargs) && make":          "make",
		`eval "$(cat /etc/secrets/.env)" && make`:                           "make",
		"make":                                "", // loads nothing
		". /etc/secrets/.env":                 "", // nothing but loading
		". /etc/secrets/.env || true && make": "", // not a plain sequence
		". /etc/secrets/.env | make":          "",
		". /etc/secrets/.env && cp /etc/secrets/.env /x": "", // the rest reads the file
		". /other && make":                         "",
		"make && . /etc/secrets/.env && make":      "", // not at the start
		". /etc/secrets/.env && (cd x && make)":    "", // beyond the reader
		". /etc/secrets/.env && cat <<EOF\nx\nEOF": "",
		". '/etc/secrets/.env && make":             "", // unterminated quote
	} {
		got, ok := loadedByHand(script, f)
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q, %v; want %q", script, got, ok, want)
		}
	}
}

func TestCopies(t *testing.T) {
	const f = "/run/secrets/_env"
	keep := func(dest string) bool {
		return !strings.HasPrefix(dest, "/dev/") && !strings.HasPrefix(dest, "/tmpfs/")
	}
	for script, want := range map[string][]string{
		"cp /run/secrets/_env /app/.env":                       {"/app/.env"},
		"cp -a /run/secrets/_env .env && make":                 {".env"},
		"install -m 600 /run/secrets/_env /etc/app.env":        {"/etc/app.env"},
		"cat /run/secrets/_env > /etc/.env":                    {"/etc/.env"},
		"cat /run/secrets/_env >> .env":                        {".env"},
		"cat < /run/secrets/_env > .env":                       {".env"},
		"grep -v '^#' /run/secrets/_env | sort > env.sorted":   {"env.sorted"},
		"cat /run/secrets/_env | tee a b > /dev/null":          {"a", "b"},
		"tee copy < /run/secrets/_env":                         {"copy"},
		"sed s/x/y/ /run/secrets/_env 2>/dev/null 1> out":      {"out"},
		"cat /run/secrets/_env > .env && make && rm -f .env":   nil, // removed again
		"cp /run/secrets/_env /tmpfs/env":                      nil, // not kept
		"cat /run/secrets/_env > /dev/null":                    nil,
		"cat /run/secrets/_env":                                nil, // printed, not copied
		"wc -l /run/secrets/_env > count":                      nil, // not the content
		"cat /run/secrets/_env | wc -l > count":                nil,
		"cp /run/secrets/other /app/.env":                      nil,
		"cp /app/.env /run/secrets/_env":                       nil,
		"echo /run/secrets/_env > note":                        nil,
		`cat "/run/secrets/_env" > ".env"`:                     {".env"},
		"cat /run/secrets/_env > a; cat /run/secrets/_env > a": {"a"},
	} {
		if got := copies(script, f, keep); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", script, got, want)
		}
	}
}

func TestSplitScript(t *testing.T) {
	cmds, ok := splitScript(`a 'b c' "d $(e "f") \"g" \
h && i|j;k 2>&1 # comment
l`)
	if !ok {
		t.Fatal("not read")
	}
	var got []string
	for _, c := range cmds {
		got = append(got, strings.Join(c.words, ",")+" "+c.op)
	}
	want := []string{`a,b c,d $(e "f") "g,h &&`, "i |", "j ;", "k,2>&,1 \n", "l "}
	if !slices.Equal(got, want) {
		t.Errorf("%q\nwant %q", got, want)
	}
}

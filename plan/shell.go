package plan

import (
	"path"
	"slices"
	"strings"
)

// The checks read shell-form RUN commands as far as they need to: which
// commands load or copy the dotenv file. When a script is beyond this small
// reader (a heredoc, a subshell, an unterminated quote), they say nothing.

// simpleCommand is one command of a shell script.
type simpleCommand struct {
	start int      // offset of its first byte in the script
	words []string // quotes removed; $(…) and `…` as written; ">", ">>", "<" and the like are words of their own
	op    string   // the operator after it: "&&", "||", ";", "|", "&", "\n", or "" at the end
}

// splitScript splits a script into its simple commands; ok is false when it
// cannot tell.
func splitScript(s string) (cmds []simpleCommand, ok bool) {
	cur := simpleCommand{start: -1}
	var word strings.Builder
	inWord := false
	add := func(i int, text string) {
		if cur.start < 0 {
			cur.start = i
		}
		word.WriteString(text)
		inWord = true
	}
	endWord := func() {
		if inWord {
			cur.words = append(cur.words, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCommand := func(op string) {
		endWord()
		if len(cur.words) > 0 {
			cur.op = op
			cmds = append(cmds, cur)
		}
		cur = simpleCommand{start: -1}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			if s[i+1] != '\n' {
				add(i, s[i+1:i+2])
			}
			i += 2
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, false
			}
			add(i, s[i+1:i+1+end])
			i += end + 2
		case c == '"':
			text, n, ok := doubleQuoted(s[i:])
			if !ok {
				return nil, false
			}
			add(i, text)
			i += n
		case c == '$' && strings.HasPrefix(s[i:], "$("), c == '`':
			n := substitution(s[i:])
			if n < 0 {
				return nil, false
			}
			add(i, s[i:i+n])
			i += n
		case c == '#' && !inWord:
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				end = len(s) - i
			}
			i += end
		case c == ' ' || c == '\t':
			endWord()
			i++
		case c == '(' || c == ')':
			return nil, false
		case strings.ContainsRune("\n;&|", rune(c)):
			op := s[i : i+1]
			if (c == '&' || c == '|') && strings.HasPrefix(s[i+1:], op) {
				op += op
			}
			endCommand(op)
			i += len(op)
		case c == '>' || c == '<':
			fd := ""
			if inWord && strings.Trim(word.String(), "0123456789") == "" {
				fd = word.String()
				word.Reset()
				inWord = false
			}
			endWord()
			op := s[i : i+1]
			if i+1 < len(s) && strings.ContainsRune("><&|", rune(s[i+1])) {
				op = s[i : i+2]
			}
			if op == "<<" {
				return nil, false // a heredoc
			}
			if cur.start < 0 {
				cur.start = i
			}
			cur.words = append(cur.words, fd+op)
			i += len(op)
		default:
			add(i, s[i:i+1])
			i++
		}
	}
	endCommand("")
	return cmds, true
}

// doubleQuoted reads the "…" at the start of s: its text and its length.
func doubleQuoted(s string) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), i + 1, true
		case c == '\\' && i+1 < len(s) && strings.ContainsRune("$`\"\\\n", rune(s[i+1])):
			if s[i+1] != '\n' {
				b.WriteByte(s[i+1])
			}
			i++
		case c == '$' && strings.HasPrefix(s[i:], "$("), c == '`':
			n := substitution(s[i:])
			if n < 0 {
				return "", 0, false
			}
			b.WriteString(s[i : i+n])
			i += n - 1
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false
}

// substitution returns the length of the $(…) or `…` at the start of s, -1
// when it does not end.
func substitution(s string) int {
	if s[0] == '`' {
		end := strings.IndexByte(s[1:], '`')
		if end < 0 {
			return -1
		}
		return end + 2
	}
	depth := 0
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i + 1
			}
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return -1
			}
			i += end + 1
		case '\\':
			i++
		}
	}
	return -1
}

// loadedByHand returns what remains of script once the commands that load
// the dotenv file at file, at its start, are dropped: `. file`, `source
// file`, `export $(… file …)`, with `set -a`, `set +a` and a test of the
// file around them. ok is false when script does not start that way or its
// rest still names the file.
func loadedByHand(script, file string) (rest string, ok bool) {
	cmds, ok := splitScript(script)
	if !ok {
		return "", false
	}
	loaded := false
	for _, c := range cmds {
		switch {
		case loads(c.words, file):
			loaded = true
		case prepares(c.words, file):
		default:
			rest = strings.TrimSpace(script[c.start:])
			if !loaded || strings.Contains(rest, file) {
				return "", false
			}
			return rest, true
		}
		if c.op != "&&" && c.op != ";" && c.op != "\n" {
			return "", false
		}
	}
	return "", false // nothing but loading
}

// loads tells whether a command loads file into the shell.
func loads(w []string, file string) bool {
	switch {
	case len(w) == 2 && (w[0] == "." || w[0] == "source"):
		return w[1] == file
	case len(w) == 2 && (w[0] == "export" || w[0] == "eval"):
		return isSubstitution(w[1]) && strings.Contains(w[1], file)
	}
	return false
}

// prepares tells whether a command goes with loading file: allexport on or
// off, or a test that the file is there.
func prepares(w []string, file string) bool {
	switch {
	case slices.Equal(w, []string{"set", "-a"}), slices.Equal(w, []string{"set", "+a"}),
		slices.Equal(w, []string{"set", "-o", "allexport"}), slices.Equal(w, []string{"set", "+o", "allexport"}):
		return true
	case len(w) == 4 && w[0] == "[" && w[3] == "]":
		return isFileTest(w[1]) && w[2] == file
	case len(w) == 3 && w[0] == "test":
		return isFileTest(w[1]) && w[2] == file
	}
	return false
}

func isFileTest(op string) bool { return op == "-f" || op == "-r" || op == "-s" || op == "-e" }

func isSubstitution(w string) bool {
	return strings.HasPrefix(w, "$(") && strings.HasSuffix(w, ")") || strings.HasPrefix(w, "`") && strings.HasSuffix(w, "`")
}

// readers print the content of a file they are given (or read on stdin).
var readers = []string{"cat", "tac", "head", "tail", "sort", "grep", "sed", "awk", "envsubst", "cut"}

// copies returns the files script writes the content of file to and does
// not remove again. keep tells whether a destination stays in the image.
func copies(script, file string, keep func(dest string) bool) []string {
	cmds, ok := splitScript(script)
	if !ok {
		return nil
	}
	var out []string
	for i := 0; i < len(cmds); {
		j := i
		for j < len(cmds)-1 && cmds[j].op == "|" {
			j++
		}
		for _, dest := range pipelineCopies(cmds[i:j+1], file) {
			if keep(dest) && !removed(cmds[j+1:], dest) && !slices.Contains(out, dest) {
				out = append(out, dest)
			}
		}
		i = j + 1
	}
	return out
}

// pipelineCopies returns the files a pipeline writes file to.
func pipelineCopies(pipeline []simpleCommand, file string) []string {
	reading := false
	for _, c := range pipeline {
		args, in, outs := redirections(c.words)
		if len(args) == 0 {
			continue
		}
		name := path.Base(args[0])
		operands := slices.DeleteFunc(slices.Clone(args[1:]), func(a string) bool { return strings.HasPrefix(a, "-") })
		switch {
		case (name == "cp" || name == "install") && len(operands) >= 2 && slices.Contains(operands[:len(operands)-1], file):
			return []string{operands[len(operands)-1]}
		case name == "tee" && (reading || in == file):
			return append(operands, outs...)
		case slices.Contains(readers, name):
			// it prints file, or passes on what it reads from a reader of it
			reading = slices.Contains(args[1:], file) || in == file || reading && in == ""
		default:
			reading = false
		}
		if reading && len(outs) > 0 {
			return outs
		}
	}
	return nil
}

// redirections splits a command's words into its arguments, the file it
// reads stdin from and the files its stdout goes to.
func redirections(words []string) (args []string, in string, outs []string) {
	for i := 0; i < len(words); i++ {
		switch words[i] {
		case "<", "0<":
			if i+1 < len(words) {
				in = words[i+1]
				i++
			}
		case ">", ">>", ">|", "1>", "1>>":
			if i+1 < len(words) {
				outs = append(outs, words[i+1])
				i++
			}
		default:
			if w := words[i]; w != "" && strings.ContainsAny(w[:1], "0123456789<>") && strings.ContainsAny(w, "<>") {
				i++ // another redirection and its target
				continue
			}
			args = append(args, words[i])
		}
	}
	return args, in, outs
}

// removed tells whether a later command removes dest.
func removed(later []simpleCommand, dest string) bool {
	return slices.ContainsFunc(later, func(c simpleCommand) bool {
		return len(c.words) > 1 && path.Base(c.words[0]) == "rm" && slices.Contains(c.words[1:], dest)
	})
}

package dotenv

// parser reads normalized text (LF only, no BOM, no NUL or control
// characters but tab and newline, valid UTF-8).
type parser struct {
	src      []byte
	pos      int
	line     int
	lookup   Lookup
	assigned map[string]string // the file's variables so far
	vars     []Var
	total    int    // bytes of all values so far (MaxTotal)
	scratch  []byte // the buffer values are built in
}

// statement reads one line: blank, comment or assignment, with its newline.
func (p *parser) statement() error {
	if p.lineEnd() {
		return nil
	}
	line := p.line
	exported := p.exportKeyword()
	name, err := p.name()
	if err != nil {
		return err
	}
	value, err := p.word(name, exported)
	if err != nil {
		return err
	}
	if err := p.endOfLine(name); err != nil {
		return err
	}
	return p.assign(Var{Name: name, Value: value, Line: line})
}

// exportKeyword skips `export` and the blanks after it, if the line starts
// with that word. `export=1` is an assignment to a variable named export.
func (p *parser) exportKeyword() bool {
	const kw = "export"
	rest := p.src[p.pos:]
	if len(rest) <= len(kw) || string(rest[:len(kw)]) != kw || !isBlank(rest[len(kw)]) {
		return false
	}
	p.pos += len(kw)
	p.skipBlanks()
	return true
}

// name reads NAME= and returns NAME.
func (p *parser) name() (string, error) {
	start := p.pos
	for p.pos < len(p.src) && isNameByte(p.src[p.pos]) {
		p.pos++
	}
	name := string(p.src[start:p.pos])
	if p.pos == len(p.src) || p.src[p.pos] != '=' {
		if p.wordHasEquals() {
			return "", &Error{Line: p.line, reason: rBadName}
		}
		return "", &Error{Line: p.line, reason: rNotAssignment}
	}
	if !isName(name) {
		return "", &Error{Line: p.line, reason: rBadName}
	}
	if isShellVar(name) {
		return "", &Error{Line: p.line, Name: name, reason: rShellName}
	}
	p.pos++ // =
	return name, nil
}

// wordHasEquals tells a misspelt name (A-B=1) from a line that is not an
// assignment at all (a command, a stray value).
func (p *parser) wordHasEquals() bool {
	for i := p.pos; i < len(p.src) && !isBlank(p.src[i]) && p.src[i] != '\n'; i++ {
		if p.src[i] == '=' {
			return true
		}
	}
	return false
}

// endOfLine reads what may follow a value: blanks, a comment, the newline.
func (p *parser) endOfLine(name string) error {
	if p.lineEnd() {
		return nil
	}
	return &Error{Line: p.line, Name: name, reason: rWhitespace}
}

// lineEnd skips blanks and reads the end of a line there, if it is one:
// the end of the file, a newline, or a comment and its newline. It reports
// whether it was.
func (p *parser) lineEnd() bool {
	p.skipBlanks()
	switch {
	case p.pos == len(p.src):
		return true
	case p.src[p.pos] == '\n':
		p.newline()
		return true
	case p.src[p.pos] == '#':
		p.skipComment()
		return true
	}
	return false
}

// assign records v; later expansions see it.
func (p *parser) assign(v Var) error {
	p.total += len(v.Value)
	if p.total > MaxTotal {
		return &Error{Line: v.Line, Name: v.Name, reason: rTooMuch}
	}
	p.assigned[v.Name] = v.Value
	p.vars = append(p.vars, v)
	return nil
}

func (p *parser) skipBlanks() {
	for p.pos < len(p.src) && isBlank(p.src[p.pos]) {
		p.pos++
	}
}

// skipComment skips to the end of the line, newline included.
func (p *parser) skipComment() {
	for p.pos < len(p.src) && p.src[p.pos] != '\n' {
		p.pos++
	}
	if p.pos < len(p.src) {
		p.newline()
	}
}

func (p *parser) newline() {
	p.pos++
	p.line++
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isName: a POSIX name, ASCII letters, digits and _, not starting with a
// digit.
func isName(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

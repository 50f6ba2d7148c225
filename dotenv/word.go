package dotenv

// value accumulates one value and enforces MaxEnvString as it grows, so
// that expansions cannot build an unbounded string.
type value struct {
	buf  []byte
	max  int // len(NAME=) + value + NUL <= MaxEnvString
	name string
	line int
}

func (v *value) add(s string) error {
	if len(v.buf)+len(s) > v.max {
		return &Error{Line: v.line, Name: v.name, reason: rTooLong}
	}
	v.buf = append(v.buf, s...)
	return nil
}

func (v *value) addByte(c byte) error {
	if len(v.buf)+1 > v.max {
		return &Error{Line: v.line, Name: v.name, reason: rTooLong}
	}
	v.buf = append(v.buf, c)
	return nil
}

// word reads the value after NAME= up to an unquoted blank, newline or the
// end of the file. The value is never split or globbed (it is an
// assignment); tilde expansion, and brace expansion by bash after export,
// are refused where they would apply.
func (p *parser) word(name string, exported bool) (string, error) {
	v := &value{buf: p.scratch[:0], max: MaxEnvString - len(name) - 2, name: name, line: p.line}
	defer func() { p.scratch = v.buf }() // reused: values are copied out as strings
	start, afterColon := true, false     // where an unquoted ~ would expand
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if isBlank(c) || c == '\n' {
			break
		}
		if isContinuation(p.src[p.pos:]) { // as if absent, for ~ too
			p.pos++
			p.newline()
			continue
		}
		colon := false
		var err error
		switch {
		case c == '\\':
			if p.pos+1 == len(p.src) {
				return "", p.fail(rBackslashAtEOF, name)
			}
			err = v.addByte(p.src[p.pos+1])
			p.pos += 2
		case c == '\'':
			err = p.singleQuoted(v)
		case c == '"':
			err = p.doubleQuoted(v)
		case c == '$':
			err = p.dollar(v, false)
		case c == '`':
			err = p.fail(rBacktick, name)
		case c == ';' || c == '&' || c == '|' || c == '<' || c == '>' || c == '(' || c == ')':
			err = p.fail(rOperator, name)
		case c == '~' && (start || afterColon):
			err = p.fail(rTilde, name)
		case c == '{' && exported:
			err = p.fail(rBrace, name)
		default:
			err = v.addByte(c)
			p.pos++
			colon = c == ':'
		}
		if err != nil {
			return "", err
		}
		start, afterColon = false, colon
	}
	return string(v.buf), nil
}

// singleQuoted reads '…': every byte up to the next ' is literal.
func (p *parser) singleQuoted(v *value) error {
	line := p.line
	for p.pos++; p.pos < len(p.src); p.pos++ {
		switch c := p.src[p.pos]; c {
		case '\'':
			p.pos++
			return nil
		case '\n':
			p.line++
			fallthrough
		default:
			if err := v.addByte(c); err != nil {
				return err
			}
		}
	}
	return &Error{Line: line, Name: v.name, reason: rUnclosedSingle}
}

// doubleQuoted reads "…": a backslash is special only before $ ` " \ and
// newline (POSIX); $NAME and ${NAME} expand.
func (p *parser) doubleQuoted(v *value) error {
	line := p.line
	p.pos++
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		var err error
		switch c {
		case '"':
			p.pos++
			return nil
		case '\\':
			err = p.backslashInDoubleQuotes(v)
		case '$':
			err = p.dollar(v, true)
		case '`':
			err = p.fail(rBacktick, v.name)
		case '\n':
			p.line++
			fallthrough
		default:
			err = v.addByte(c)
			p.pos++
		}
		if err != nil {
			return err
		}
	}
	return &Error{Line: line, Name: v.name, reason: rUnclosedDouble}
}

func (p *parser) backslashInDoubleQuotes(v *value) error {
	if p.pos+1 == len(p.src) {
		p.pos++
		return nil // the caller reports the unclosed quote
	}
	switch next := p.src[p.pos+1]; next {
	case '\n':
		p.pos++
		p.newline()
		return nil
	case '$', '`', '"', '\\':
		p.pos += 2
		return v.addByte(next)
	}
	p.pos++
	return v.addByte('\\')
}

// dollar reads $NAME or ${NAME} and adds its value; every other form of $
// is refused. In double quotes, $' and $" are not $'…' or $"…".
func (p *parser) dollar(v *value, inDoubleQuotes bool) error {
	rest := p.src[p.pos+1:]
	if len(rest) == 0 {
		return p.fail(rDollar, v.name)
	}
	if isContinuation(rest) {
		return p.fail(rContinuedName, v.name)
	}
	switch c := rest[0]; {
	case c == '{':
		n := 1
		for n < len(rest) && isNameByte(rest[n]) {
			n++
		}
		ref := string(rest[1:n])
		if isContinuation(rest[n:]) {
			return p.fail(rContinuedName, v.name)
		}
		if n == len(rest) || rest[n] != '}' || !isName(ref) {
			return p.fail(rParamForm, v.name)
		}
		p.pos += 1 + n + 1
		return p.expand(v, ref)
	case isNameByte(c) && !('0' <= c && c <= '9'):
		n := 1
		for n < len(rest) && isNameByte(rest[n]) {
			n++
		}
		if isContinuation(rest[n:]) { // the shells would read on: $A\<newline>B is $AB
			return p.fail(rContinuedName, v.name)
		}
		p.pos += 1 + n
		return p.expand(v, string(rest[:n]))
	case c == '(':
		return p.fail(rCommandSubst, v.name)
	case '0' <= c && c <= '9' || c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!':
		return p.fail(rSpecialParam, v.name)
	case (c == '\'' || c == '"') && !inDoubleQuotes:
		return p.fail(rDollarQuote, v.name)
	}
	return p.fail(rDollar, v.name)
}

// expand adds the value of ref: the file's own, else the environment's,
// else nothing. Variables the shells set themselves are refused: their
// values differ between shells, or from the environment's.
func (p *parser) expand(v *value, ref string) error {
	if isShellVar(ref) {
		return p.fail(rShellVar, v.name)
	}
	if s, ok := p.assigned[ref]; ok {
		return v.add(s)
	}
	if s, ok := p.lookup(ref); ok {
		return v.add(s)
	}
	if hasShellDefault(ref) {
		return p.fail(rShellVar, v.name)
	}
	return nil
}

// isContinuation: b starts with a backslash-newline, which the shells
// remove before they read names.
func isContinuation(b []byte) bool {
	return len(b) >= 2 && b[0] == '\\' && b[1] == '\n'
}

func (p *parser) fail(r reason, name string) error {
	return &Error{Line: p.line, Name: name, reason: r}
}

package dotenv

import "strconv"

// Error is why a file is refused. Its message is built only from the line
// number, a variable name and a fixed text chosen by reason: no byte of the
// file's values can reach it (TestErrorMessagesAreStructural and FuzzParse
// hold it to that).
type Error struct {
	Line   int    // from 1
	Name   string // the variable concerned, "" if none; always a valid name
	reason reason // what is wrong: an index into the fixed texts
}

func (e *Error) Error() string {
	return "line " + strconv.Itoa(e.Line) + ": " + e.Reason()
}

// Reason is the message without the line number.
func (e *Error) Reason() string {
	text := reasons[e.reason]
	for i := 0; i+1 < len(text); i++ {
		if text[i] == '%' && text[i+1] == 'v' {
			return text[:i] + e.Name + text[i+2:]
		}
	}
	return text
}

// reason indexes reasons; the texts are the only words an Error can carry.
type reason uint8

const (
	rUTF16 reason = iota
	rNUL
	rControl
	rStrayCR
	rNotUTF8
	rNotAssignment
	rBadName
	rShellName
	rWhitespace
	rOperator
	rBacktick
	rCommandSubst
	rParamForm
	rSpecialParam
	rDollarQuote
	rDollar
	rContinuedName
	rShellVar
	rTilde
	rBrace
	rUnclosedSingle
	rUnclosedDouble
	rBackslashAtEOF
	rTooLong
	rTooMuch
	numReasons
)

// reasons: %v is the variable's name. Say what is wrong and how to write it
// instead; never quote the file.
var reasons = [numReasons]string{
	rUTF16:          "the file is UTF-16; save it as UTF-8",
	rNUL:            "a NUL byte",
	rControl:        "a control character (only tab and newline are allowed)",
	rStrayCR:        "a carriage return that does not end the line",
	rNotUTF8:        "bytes that are not UTF-8",
	rNotAssignment:  "not an assignment: expected NAME=value, export NAME=value, a comment or a blank line",
	rBadName:        "not a variable name before = (letters, digits and _, not starting with a digit)",
	rShellName:      "%v is a variable the shell sets itself, and shells differ on it: use another name",
	rWhitespace:     "unquoted space or tab in the value of %v: quote the value; one assignment per line",
	rOperator:       "an unquoted ; & | < > ( or ) in the value of %v: quote the value",
	rBacktick:       "a backquote (command substitution) in the value of %v: put the value in single quotes",
	rCommandSubst:   "a command substitution in the value of %v: put the value in single quotes",
	rParamForm:      "a ${...} other than ${NAME} in the value of %v: only $NAME and ${NAME} are expanded",
	rSpecialParam:   "a special parameter ($ and a digit or one of @ * # ? - $ !) in the value of %v: write \\$ for a literal $",
	rDollarQuote:    "a $'...' or $\"...\" string in the value of %v: shells differ on them",
	rDollar:         "a $ without a name after it in the value of %v: write \\$ for a literal $",
	rContinuedName:  "a line continuation inside or right after a $NAME in the value of %v: the shells join the lines into one name",
	rShellVar:       "the value of %v uses a variable the shell sets itself, and shells differ on it",
	rTilde:          "an unquoted ~ at the start of the value of %v or after a colon (tilde expansion): write $HOME, or quote it",
	rBrace:          "an unquoted { in the value of %v after export (bash expands braces there): quote the value",
	rUnclosedSingle: "the single quote that starts here in the value of %v is never closed",
	rUnclosedDouble: "the double quote that starts here in the value of %v is never closed",
	rBackslashAtEOF: "a backslash at the end of the file, in the value of %v",
	rTooLong:        "the value of %v is too long: Linux allows at most 131072 bytes for NAME=value in the environment",
	rTooMuch:        "the values add up to more than 4194304 bytes after expansion (at %v)",
}

//go:build linux

package main

import (
	"strconv"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
)

type options struct {
	id       string // the secret id, for messages
	file     string // where the secret is mounted
	required bool
	mask     bool // stay the parent and mask the values in the output
}

// parseFlags reads the loader's flags up to --, strictly: each once, none
// unknown, the command after -- not empty. It returns what is wrong, or "".
func parseFlags(args []string) (o options, argv []string, msg string) {
	var seenID, seenFile bool
	for i, a := range args {
		switch {
		case a == dotenv.FlagEnd:
			argv = args[i+1:]
			switch {
			case !seenID:
				return o, nil, "missing " + dotenv.FlagID
			case !seenFile:
				return o, nil, "missing " + dotenv.FlagFile
			case len(argv) == 0:
				return o, nil, "no command after " + dotenv.FlagEnd
			}
			return o, argv, ""
		case hasPrefix(a, dotenv.FlagID) && !seenID:
			o.id, seenID = a[len(dotenv.FlagID):], true
			if !isID(o.id) {
				return o, nil, dotenv.FlagID + " is not a secret id (letters, digits, '_', '.', '-')"
			}
		case hasPrefix(a, dotenv.FlagFile) && !seenFile:
			o.file, seenFile = a[len(dotenv.FlagFile):], true
			if !hasPrefix(o.file, "/") {
				return o, nil, dotenv.FlagFile + " is not an absolute path"
			}
		case a == dotenv.FlagRequired && !o.required:
			o.required = true
		case a == dotenv.FlagMask && !o.mask:
			o.mask = true
		default:
			return o, nil, "unknown or repeated flag " + strconv.Quote(a)
		}
	}
	return o, nil, "missing " + dotenv.FlagEnd + " before the command"
}

func hasPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && s[:len(prefix)] == prefix
}

// isID: the ids the configuration accepts; they need no quoting in
// messages.
func isID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

//go:build linux

package main

import (
	"path"
	"strconv"
	"syscall"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
)

// run execs argv with env the way runc starts a RUN's process: argv[0]
// without a slash is looked up in pathVar (the RUN's PATH, not the file's),
// argv is passed unchanged, and a file exec cannot run (no shebang) is an
// error, not a script. It returns only on failure: the exit status a shell
// gives (127 not found, 126 cannot run) and runc's words, so that the
// failure reads as it does without the loader; tooBig is added when exec
// finds the argv and environment too large.
func run(argv []string, pathVar string, env []string, tooBig string) (int, string) {
	file, err := lookPath(argv[0], pathVar)
	if err != nil {
		return statusOf(err), "exec: " + strconv.Quote(argv[0]) + ": " + err.Error()
	}
	err = syscall.Exec(file, argv, env)
	msg := "exec " + file + ": " + err.Error()
	if err == syscall.E2BIG {
		msg += tooBig
	}
	return statusOf(err), msg
}

// statusOf: 127 when the file does not exist, 126 otherwise, as dash and
// bash decide it.
func statusOf(err error) int {
	switch err {
	case errNotFound, syscall.ENOENT, syscall.ENOTDIR:
		return dotenv.ExitNotFound
	}
	if se, ok := err.(statError); ok && (se.errno == syscall.ENOENT || se.errno == syscall.ENOTDIR) {
		return dotenv.ExitNotFound
	}
	return dotenv.ExitCannotRun
}

type pathError string

func (e pathError) Error() string { return string(e) }

const errNotFound = pathError("executable file not found in $PATH")

// statError words a failed stat as Go's os.Stat does.
type statError struct {
	file  string
	errno syscall.Errno
}

func (e statError) Error() string { return "stat " + e.file + ": " + e.errno.Error() }

// lookPath is Go's exec.LookPath, which runc uses, on pathVar: a name with
// a slash is taken as is, else the first executable regular file in the
// PATH directories (an empty entry is the working directory).
func lookPath(file, pathVar string) (string, error) {
	if contains(file, '/') {
		if err := findExecutable(file); err != nil {
			return "", err
		}
		return file, nil
	}
	for _, dir := range splitList(pathVar) {
		if dir == "" {
			dir = "." // as in sh
		}
		candidate := path.Join(dir, file)
		if findExecutable(candidate) == nil {
			return candidate, nil
		}
	}
	return "", errNotFound
}

const (
	atFDCWD   = -0x64
	atEACCESS = 0x200
	xOK       = 1
)

// findExecutable is os/exec's check: not a directory, executable for us.
func findExecutable(file string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(file, &st); err != nil {
		return statError{file, err.(syscall.Errno)}
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return syscall.EISDIR
	}
	err := syscall.Faccessat(atFDCWD, file, xOK, atEACCESS)
	if err == nil || err != syscall.ENOSYS && err != syscall.EPERM {
		return err
	}
	if st.Mode&0o111 != 0 {
		return nil
	}
	return syscall.EACCES
}

// splitList is filepath.SplitList: "" is no directory, "a:" is a and "".
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var list []string
	for {
		i := index(s, ':')
		if i < 0 {
			return append(list, s)
		}
		list, s = append(list, s[:i]), s[i+1:]
	}
}

func contains(s string, c byte) bool { return index(s, c) >= 0 }

func index(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

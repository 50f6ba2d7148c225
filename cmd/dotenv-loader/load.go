//go:build linux

package main

import (
	"strconv"
	"syscall"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
)

// load returns the environment to run the command with: env with the
// file's variables on top, or env itself when the file is missing and not
// required. values are the values the file assigned, in file order (nil
// when it assigned none). msg, when not
// "", is why the loader fails; it names the secret id, and the line, never a
// value.
func load(o options, env []string, lookup dotenv.Lookup) (runEnv, values []string, msg string) {
	secret := "secret " + o.id
	data, err := readFile(o.file)
	switch {
	case err == errMissing && o.required:
		return nil, nil, secret + " is required: pass it with --secret id=" + o.id + ",src=<dotenv file>"
	case err == errMissing:
		return env, nil, ""
	case err == errTooLarge:
		return nil, nil, secret + " is larger than " + strconv.Itoa(dotenv.MaxFileSize) + " bytes, BuildKit's limit for a secret"
	case err != nil:
		return nil, nil, secret + " cannot be read: " + err.Error()
	}
	vars, err := dotenv.Parse(data, lookup)
	if err != nil {
		return nil, nil, secret + ", " + err.Error() + " (values are not shown)"
	}
	for _, v := range vars {
		values = append(values, v.Value)
	}
	return dotenv.Environ(env, vars), values, ""
}

type loadError string

func (e loadError) Error() string { return string(e) }

const (
	errMissing  = loadError("missing")
	errTooLarge = loadError("too large")
)

// readFile reads the secret, at most MaxFileSize bytes. A file that is not
// there (the optional mount is absent) is errMissing; every other failure
// is reported as the system words it, with the path, which is no secret.
func readFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err == syscall.ENOENT || err == syscall.ENOTDIR {
		return nil, errMissing
	}
	if err != nil {
		return nil, loadError("open " + path + ": " + err.Error())
	}
	defer syscall.Close(fd)
	buf := make([]byte, dotenv.MaxFileSize+1)
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, loadError("read " + path + ": " + err.Error())
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
	return nil, errTooLarge
}

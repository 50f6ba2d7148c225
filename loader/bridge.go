// Package loader is the Go side of the loader program (loader v2), which
// is C: this directory's .c files, built by hack/build-loader.sh, static
// against musl. The Go loader (cmd/dotenv-loader) and package dotenv are
// the reference it is tested against.
//
// The package holds the tests only, and this cgo bridge to the C parts
// for them: cgo compiles every .c file here, main.c without its main
// (LOADER_NO_MAIN). It is built with cgo only (CGO_ENABLED=1); the tests
// that run the program need no cgo.
package loader

/*
#cgo CFLAGS: -std=c11 -D_GNU_SOURCE -DLOADER_NO_MAIN -Wall -Wextra -Wshadow -Wvla
#include <stdlib.h>
#include "dotenv.h"
*/
import "C"

import (
	"unsafe"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
)

// cStrings is a NULL-terminated C array of copies of ss; free frees it.
type cStrings struct {
	p []*C.char
}

func newCStrings(ss []string) *cStrings {
	c := &cStrings{p: make([]*C.char, 0, len(ss)+1)}
	for _, s := range ss {
		c.p = append(c.p, C.CString(s))
	}
	c.p = append(c.p, nil)
	return c
}

// array is the C array; it lives in C memory for the call's duration.
func (c *cStrings) array() (**C.char, func()) {
	n := len(c.p)
	arr := (**C.char)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	copy(unsafe.Slice(arr, n), c.p)
	return arr, func() {
		C.free(unsafe.Pointer(arr))
		for _, s := range c.p {
			C.free(unsafe.Pointer(s))
		}
	}
}

// parseError is the C parser's refusal: its line and message.
type parseError struct {
	Line int
	Msg  string // "line N: reason", as dotenv.Error.Error
}

func (e *parseError) Error() string { return e.Msg }

// newCEnv is env_init of env as the loader gets it in envp; free frees it.
func newCEnv(env []string) (e *C.struct_env, free func()) {
	envp, freeEnvp := newCStrings(env).array()
	e = new(C.struct_env)
	if C.env_init(e, envp) != 0 {
		panic("env_init: out of memory")
	}
	return e, func() {
		C.env_free(e)
		freeEnvp()
	}
}

// cParse runs the C parser on data in the environment env (as the loader
// gets it in envp), and also returns what env_merge makes of it
// (dotenv.Environ).
func cParse(data []byte, env []string) (vars []dotenv.Var, environ []string, err error) {
	e, freeEnv := newCEnv(env)
	defer freeEnv()

	buf := (*C.uchar)(C.malloc(C.size_t(len(data) + 1))) // +1: malloc(0) may be NULL
	defer C.free(unsafe.Pointer(buf))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(data)), data)

	var d C.struct_dotenv
	var de C.struct_dotenv_error
	switch C.dotenv_parse(buf, C.size_t(len(data)), e, &d, &de) {
	case 0:
	case 1:
		var t C.struct_text
		C.dotenv_error_text(&t, &de)
		msg := C.text_done(&t)
		defer C.free(unsafe.Pointer(msg))
		return nil, nil, &parseError{Line: int(de.line), Msg: C.GoString(msg)}
	default:
		panic("dotenv_parse: out of memory")
	}
	defer C.dotenv_free(&d)
	if d.n > 0 {
		for _, v := range unsafe.Slice(d.vars, d.n) {
			vars = append(vars, dotenv.Var{
				Name:  C.GoStringN(v.name, C.int(v.name_len)),
				Value: C.GoStringN(v.value, C.int(v.value_len)),
				Line:  int(v.line),
			})
		}
	}
	merged := C.env_merge(e, &d)
	if merged == nil {
		panic("env_merge: out of memory")
	}
	defer C.free(unsafe.Pointer(merged))
	for p := merged; *p != nil; p = (**C.char)(unsafe.Add(unsafe.Pointer(p), unsafe.Sizeof(*p))) {
		environ = append(environ, C.GoString(*p))
	}
	return vars, environ, nil
}

// cEnviron is the environment env_init keeps of envp (Go's
// syscall.Environ in the Go loader).
func cEnviron(env []string) []string {
	e, freeEnv := newCEnv(env)
	defer freeEnv()
	var out []string
	if e.n > 0 {
		for _, s := range unsafe.Slice(e.entries, e.n) {
			out = append(out, C.GoString(s))
		}
	}
	return out
}

// cLookPath is look_path: the file, or the exit code and message.
func cLookPath(argv0, path string) (file string, code int, msg string) {
	a, p := C.CString(argv0), C.CString(path)
	defer C.free(unsafe.Pointer(a))
	defer C.free(unsafe.Pointer(p))
	var f C.struct_failure
	s := C.look_path(a, p, &f)
	if s == nil {
		return "", int(f.code), failureMsg(f)
	}
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s), 0, ""
}

// cExecFailure is exec_failure's code and message.
func cExecFailure(file string, errno int, tooBig string) (int, string) {
	fs, tb := C.CString(file), C.CString(tooBig)
	defer C.free(unsafe.Pointer(fs))
	defer C.free(unsafe.Pointer(tb))
	f := C.exec_failure(fs, C.int(errno), tb)
	return int(f.code), failureMsg(f)
}

// failureMsg returns a failure's message and frees it.
func failureMsg(f C.struct_failure) string {
	msg := C.GoString(f.msg)
	if msg == "loader: out of memory" {
		panic(msg) // a static string, not to be freed
	}
	C.free(unsafe.Pointer(f.msg))
	return msg
}

func cPathJoin(dir, file string) string {
	d, f := C.CString(dir), C.CString(file)
	defer C.free(unsafe.Pointer(d))
	defer C.free(unsafe.Pointer(f))
	s := C.path_join(d, f)
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s)
}

// cAccessFallback is the permission check where faccessat2 is missing:
// 0 or an errno.
func cAccessFallback(file string) int {
	f := C.CString(file)
	defer C.free(unsafe.Pointer(f))
	return int(C.access_fallback(f))
}

// cQuote is text_quote (strconv.Quote); s has no NUL.
func cQuote(s string) string {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	var t C.struct_text
	C.text_quote(&t, cs)
	out := C.text_done(&t)
	defer C.free(unsafe.Pointer(out))
	return C.GoString(out)
}

// cErrno is text_errno (syscall.Errno.Error), and whether the C table has
// a text for it.
func cErrno(errno int) (string, bool) {
	var t C.struct_text
	C.text_errno(&t, C.int(errno))
	out := C.text_done(&t)
	defer C.free(unsafe.Pointer(out))
	return C.GoString(out), C.go_errno_text(C.int(errno)) != nil
}

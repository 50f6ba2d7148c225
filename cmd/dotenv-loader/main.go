//go:build linux

// Command dotenv-loader is the reference implementation of the loader
// (loader v2), which runs in front of every wrapped RUN:
//
//	dotenv-loader --id=<id> --file=<path> [--required] [--mask] -- <the RUN's argv>
//
// The image ships the C port of this program, loader/ (hack/build-loader.sh):
// its tests compare it with this one byte for byte (output, messages, exit
// status, environment, argv, with --mask too). This one is Go, memory-safe,
// and built on packages dotenv and mask, the reference for the file's
// syntax and for masking.
//
// It reads the build secret's dotenv file as data (package dotenv), sets
// its variables on top of the RUN's environment and execs the RUN's argv
// unchanged, as runc would have: nothing of the file is executed, nothing
// else is added to the environment, and the command's exit status and
// signals are its own. When the loader itself fails it prints one line and
// exits 125; no byte of a value is ever printed.
//
// With --mask and values to mask, it does not exec: it stays the parent of
// the command, passes its stdout and stderr through package mask, forwards
// signals, reaps orphans as PID 1 and ends with the command's status
// (parent.go).
//
// It is a separate small static program with reproducible bytes: wrapped
// RUNs are cached by them. It uses syscall rather than os, and has no
// version variable, on purpose: both would cost bytes or change them.
package main

import (
	"syscall"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/mask"
)

func main() {
	args, err := readArgs()
	if err != nil {
		fail(dotenv.ExitLoadFailed, "loader: cannot read its arguments: "+err.Error())
	}
	if len(args) > 0 { // the kernel allows an empty argv
		args = args[1:]
	}
	opts, argv, msg := parseFlags(args)
	if msg != "" {
		fail(dotenv.ExitLoadFailed, "loader: "+msg+"; usage: dotenv-loader "+
			dotenv.FlagID+"<id> "+dotenv.FlagFile+"<path> ["+dotenv.FlagRequired+"] ["+dotenv.FlagMask+"] "+dotenv.FlagEnd+" <command…>")
	}
	env := syscall.Environ()
	lookup := dotenv.EnvLookup(env)
	runEnv, values, msg := load(opts, env, lookup)
	if msg != "" {
		fail(dotenv.ExitLoadFailed, msg)
	}
	tooBig := ""
	if len(values) > 0 {
		tooBig = " (with the variables of secret " + opts.id + ")"
	}
	// The RUN's own PATH, as runc looks the command up without a loader.
	path, _ := lookup("PATH")
	if opts.mask {
		// Nothing to mask (no file, only short values): exec as without.
		if patterns := mask.Patterns(values); len(patterns) > 0 {
			fail(runMasked(argv, path, runEnv, tooBig, patterns))
		}
	}
	fail(run(argv, path, runEnv, tooBig))
}

// fail prints msg as the loader's one line and exits with code.
func fail(code int, msg string) {
	syscall.Write(2, []byte(dotenv.MessagePrefix+msg+"\n"))
	syscall.Exit(code)
}

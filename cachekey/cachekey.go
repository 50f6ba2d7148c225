// Package cachekey computes, inside a build, the key that makes wrapped
// RUNs' cache depend on the dotenv secret's content (the cache=secret
// setting). The frontend never reads the secret: a small step of the build
// runs this frontend's own binary (`dockerfile-dotenv cachekey SRC DST`)
// with the secret mounted, and every wrapped RUN mounts DST read-only, which
// BuildKit keys by content.
//
// The key stays in the builder's cache, so it must not give the secret away:
// it is Argon2id of the file, costly to compute per guess, so a short value
// cannot be found by trying candidates the way a plain hash allows.
package cachekey

import (
	"encoding/hex"
	"os"

	"github.com/pkg/errors"
	"golang.org/x/crypto/argon2"
)

// Command is the subcommand of the frontend binary that writes the key.
const Command = "cachekey"

// Argon2id parameters of key version 1. Changing them changes every key,
// so every cache=secret RUN rebuilds once.
const (
	version = "dockerfile-dotenv cachekey v1"
	passes  = 3
	memory  = 64 * 1024 // KiB
	threads = 1
	keyLen  = 32
)

// absent is the key when no secret was passed: distinct from any content.
const absent = "absent"

// Key returns the key of a dotenv file's content.
func Key(content []byte) string {
	return "v1:" + hex.EncodeToString(argon2.IDKey(content, []byte(version), passes, memory, threads, keyLen))
}

// Run writes the key of the file src (absent when there is none) to dst.
func Run(args []string) error {
	if len(args) != 2 {
		return errors.Errorf("usage: %s SECRET-FILE KEY-FILE", Command)
	}
	src, dst := args[0], args[1]
	key := absent
	content, err := os.ReadFile(src)
	switch {
	case err == nil:
		key = Key(content)
	case !errors.Is(err, os.ErrNotExist):
		return errors.Wrapf(err, "failed to read the secret") // the path names no value
	}
	return errors.Wrap(os.WriteFile(dst, []byte(key+"\n"), 0o444), "failed to write the cache key")
}

package frontend

import (
	"strconv"

	digest "github.com/opencontainers/go-digest"
)

func itoa(n int) string { return strconv.Itoa(n) }

func digestOf(dt []byte) string { return digest.FromBytes(dt).String() }

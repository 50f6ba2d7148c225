package cachekey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	a, b := Key([]byte("TOKEN=one\n")), Key([]byte("TOKEN=two\n"))
	if a == b || a != Key([]byte("TOKEN=one\n")) || !strings.HasPrefix(a, "v1:") || len(a) != 3+64 {
		t.Errorf("keys %s, %s", a, b)
	}
	if strings.Contains(a, "one") {
		t.Error("the key shows the content")
	}
}

// TestKeyCost: the key's cost per guess is what protects short values;
// its parameters must stay at least at OWASP's minimum for Argon2id
// (19 MiB, 2 passes).
func TestKeyCost(t *testing.T) {
	if memory < 19*1024 || passes < 2 || threads < 1 {
		t.Errorf("Argon2id with %d KiB, %d passes: below the minimum", memory, passes)
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "env"), filepath.Join(dir, "key")
	if err := Run([]string{src, dst}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "absent\n" {
		t.Errorf("no secret: key %q", got)
	}
	if err := os.WriteFile(src, []byte("A=1\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dst); err != nil {
		t.Fatal(err)
	}
	if err := Run([]string{src, dst}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != Key([]byte("A=1\n"))+"\n" {
		t.Errorf("key %q", got)
	}
	if err := Run([]string{src}); err == nil {
		t.Error("one argument accepted")
	}
}

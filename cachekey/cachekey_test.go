package cachekey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestKeyIsSlow: the key's cost per guess is what protects short values.
func TestKeyIsSlow(t *testing.T) {
	start := time.Now()
	Key([]byte("FLAG=1\n"))
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("a key takes %s: too cheap to resist guessing", d)
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

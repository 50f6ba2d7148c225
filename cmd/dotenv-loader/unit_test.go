//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	for in, want := range map[string][]string{
		"":                 nil,
		"a\x00":            {"a"},
		"a\x00\x00b c\x00": {"a", "", "b c"},
		"a\x00b":           {"a", "b"}, // not NUL-terminated: still the last argument
	} {
		if got := splitArgs([]byte(in)); !slices.Equal(got, want) {
			t.Errorf("splitArgs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitList(t *testing.T) {
	for _, in := range []string{"", "a", "a:b", ":", "a:", ":a", "a::b", "::"} {
		if got, want := splitList(in), filepath.SplitList(in); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("splitList(%q) = %q, filepath.SplitList %q", in, got, want)
		}
	}
}

// TestLookPathAsGo: lookPath finds what os/exec.LookPath (runc's) finds.
func TestLookPathAsGo(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"tool": 0o755, "plain": 0o644, "other": 0o700} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, path := range []string{"", dir, "/nonexistent:" + dir, dir + "//", "/usr/bin:/bin", ":/bin", "/bin:", "/nonexistent"} {
		t.Setenv("PATH", path)
		for _, name := range []string{"tool", "plain", "other", "sub", "sh", "ls", "missing", "./tool", "./plain", "sub/", dir + "/tool", "/nonexistent/x", ""} {
			got, gotErr := lookPath(name, path)
			want, wantErr := exec.LookPath(name)
			if errors.Is(wantErr, exec.ErrDot) {
				wantErr = nil // runc runs what it finds relative to the working directory
			}
			if got != want || (gotErr == nil) != (wantErr == nil) {
				t.Errorf("PATH=%q %q: lookPath %q %v, exec.LookPath %q %v", path, name, got, gotErr, want, wantErr)
			}
			if gotErr != nil && wantErr != nil {
				var ee *exec.Error
				if errors.As(wantErr, &ee) && ee.Err.Error() != gotErr.Error() {
					t.Errorf("PATH=%q %q: lookPath says %q, exec.LookPath %q", path, name, gotErr, ee.Err)
				}
			}
		}
	}
}

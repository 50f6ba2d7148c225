package peakrss

import (
	"os/exec"
	"testing"
	"time"
)

// TestWatch: a child process found by name and environment is measured; one
// with another environment is not.
func TestWatch(t *testing.T) {
	for _, tc := range []struct {
		env      string
		wantSeen bool
	}{
		{"PEAKRSS_TEST=1", true},
		{"PEAKRSS_TEST=other", false},
	} {
		w := Watch("sleep", "PEAKRSS_TEST=1", time.Millisecond)
		cmd := exec.Command("sleep", "0.3")
		cmd.Env = []string{tc.env}
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		if kib := w.Stop(); (kib > 0) != tc.wantSeen {
			t.Errorf("child with %s: peak %d KiB, want seen=%v", tc.env, kib, tc.wantSeen)
		}
	}
}

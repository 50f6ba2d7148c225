// Package peakrss watches the peak resident memory (VmHWM) of processes
// found by name in /proc: a frontend that BuildKit runs as a container
// process, which no client can ask for its memory.
package peakrss

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Watcher polls /proc until Stop.
type Watcher struct {
	name, env string
	done      chan struct{}
	stopped   chan struct{}

	mu   sync.Mutex
	peak int
}

// Watch polls every interval for processes named name (the kernel keeps 15
// bytes of it) whose environment holds env ("" for any) and records the
// largest VmHWM seen.
func Watch(name, env string, every time.Duration) *Watcher {
	w := &Watcher{name: name[:min(len(name), 15)], env: env, done: make(chan struct{}), stopped: make(chan struct{})}
	go w.poll(every)
	return w
}

// Stop ends the watch and returns the peak in KiB, 0 when no process matched.
func (w *Watcher) Stop() int {
	close(w.done)
	<-w.stopped
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

func (w *Watcher) poll(every time.Duration) {
	defer close(w.stopped)
	tick := time.NewTicker(every)
	defer tick.Stop()
	matched := map[string]bool{}
	for {
		select {
		case <-w.done:
			return
		case <-tick.C:
		}
		// Every process is looked at again each time: a container's
		// process is runc's until it execs the frontend.
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, dir := range dirs {
			if !matched[dir] && w.matches(dir) {
				matched[dir] = true
			}
			if matched[dir] {
				kib := hwm(dir)
				w.mu.Lock()
				w.peak = max(w.peak, kib)
				w.mu.Unlock()
			}
		}
	}
}

// matches tells whether the process in dir has the name and environment.
func (w *Watcher) matches(dir string) bool {
	dt, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil || strings.TrimSpace(string(dt)) != w.name {
		return false
	}
	if w.env == "" {
		return true
	}
	environ, err := os.ReadFile(filepath.Join(dir, "environ"))
	return err == nil && bytes.Contains(environ, []byte(w.env))
}

// hwm returns the VmHWM of the process in dir, in KiB, 0 once it is gone.
func hwm(dir string) int {
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kib, _ := strconv.Atoi(f[1])
			return kib
		}
	}
	return 0
}

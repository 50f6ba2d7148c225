// Command peakrss runs a command and prints, in KiB, the largest peak RSS
// (VmHWM) of the processes named -comm whose environment holds -env while
// the command runs: a frontend that BuildKit runs in a container, told apart
// from other builds' frontends by a build-arg only this build passes. The
// figure is printed even when the command fails; then peakrss fails too.
//
//	peakrss -comm dockerfile-dote -env build-arg:BENCH_TOKEN=x -- buildctl build ...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	comm := flag.String("comm", "", "process name (the kernel keeps 15 bytes of it)")
	env := flag.String("env", "", "a string the process's environment must hold")
	every := flag.Duration("every", 10*time.Millisecond, "polling interval")
	flag.Parse()
	if *comm == "" || *env == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	name := (*comm)[:min(len(*comm), 15)]

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr // stdout is the figure
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	peak, frontends := 0, map[string]bool{}
	for {
		select {
		case err := <-done:
			if peak == 0 {
				fail(fmt.Errorf("no process %q with %q in its environment was seen", name, *env))
			}
			fmt.Println(peak)
			if err != nil {
				fail(fmt.Errorf("%s: %w", flag.Arg(0), err))
			}
			return
		case <-time.After(*every):
		}
		// Every process is looked at again each time: a container's
		// process is runc's until it execs the frontend.
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, dir := range dirs {
			if !frontends[dir] && isFrontend(dir, name, *env) {
				frontends[dir] = true
			}
			if frontends[dir] {
				peak = max(peak, hwm(dir))
			}
		}
	}
}

// isFrontend tells whether the process in dir is named name and has env in
// its environment.
func isFrontend(dir, name, env string) bool {
	dt, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil || strings.TrimSpace(string(dt)) != name {
		return false
	}
	environ, err := os.ReadFile(filepath.Join(dir, "environ"))
	return err == nil && bytes.Contains(environ, []byte(env))
}

// hwm returns the VmHWM of the process in dir, in KiB, 0 once it is gone.
func hwm(dir string) int {
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return 0
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "peakrss:", err)
	os.Exit(1)
}

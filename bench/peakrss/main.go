// Command peakrss runs a command and prints, in KiB, the largest peak RSS
// (VmHWM) of the processes named -comm whose environment holds -env while
// the command runs: a frontend that BuildKit runs in a container, told apart
// from other builds' frontends by a build-arg only this build passes. The
// figure is printed even when the command fails; then peakrss fails too.
//
//	peakrss -comm dockerfile-dote -env build-arg:BENCH_TOKEN=x -- buildctl build ...
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/internal/peakrss"
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

	w := peakrss.Watch(*comm, *env, *every)
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr // stdout is the figure
	err := cmd.Run()
	peak := w.Stop()
	if peak == 0 {
		fail(fmt.Errorf("no process %q with %q in its environment was seen", *comm, *env))
	}
	fmt.Println(peak)
	if err != nil {
		fail(fmt.Errorf("%s: %w", flag.Arg(0), err))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "peakrss:", err)
	os.Exit(1)
}

//go:build linux

package main

import (
	"runtime"
	"syscall"
	"unsafe"
)

// The runtime's side of os/signal. os/signal would add about 170 KB to
// the loader (it needs package os); these three functions are all it
// uses of the runtime, which exports them to os/signal by go:linkname
// (a "push" linkname, which the linker allows us to use). Should a Go
// release drop them, the build fails; then use os/signal instead.

//go:linkname signalEnable os/signal.signal_enable
func signalEnable(uint32)

//go:linkname signalRecv os/signal.signal_recv
func signalRecv() uint32

//go:linkname signalIgnored os/signal.signal_ignored
func signalIgnored(uint32) bool

// forwarded reports whether the loader forwards sig to the command. Not:
// SIGKILL and SIGSTOP (nobody catches them), SIGCHLD (about the loader's
// own children), SIGPIPE (the loader's own write to a closed output; the
// command gets it itself when it writes next), SIGURG and SIGPROF (the Go
// runtime's: preemption and profiling), 32 and 33 (the runtime leaves
// them alone), and SIGHUP and SIGINT when the loader started with them
// ignored: the command inherits that, as it would without the loader.
func forwarded(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGPIPE, syscall.SIGURG, syscall.SIGPROF, 32, 33:
		return false
	}
	return !signalIgnored(uint32(sig))
}

// catchSignals has the runtime queue every forwarded signal and SIGCHLD
// for signalRecv. Called before the command starts, so that none is lost.
func catchSignals() {
	for sig := syscall.Signal(1); sig <= 64; sig++ {
		if sig == syscall.SIGCHLD || forwarded(sig) {
			signalEnable(uint32(sig))
		}
	}
}

// dieOf ends the loader with signal sig, as the command ended. It sets
// the kernel's disposition of sig to the default itself (the runtime's
// handler ignores most signals it is not asked to notify), without a
// core dump of the loader (the command dumped its own if it was to), and
// sends sig to the thread it runs on, with sig unblocked there: a signal
// sent to the process could go to another thread, and a core-dumping one
// (SIGSEGV, SIGABRT, SIGQUIT…) only kills when that thread takes it, by
// which time this one would have exited. A PID namespace's init cannot
// die of its own signal (the kernel drops it): then the loader exits with
// 128 + sig, which is what runc reports for a RUN killed by sig.
func dieOf(sig syscall.Signal) {
	runtime.LockOSThread()
	syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
	size, unblock := sigset()
	// All zero is SIG_DFL, no flags and an empty mask in every
	// architecture's struct sigaction; 64 bytes cover the largest (mips).
	var act [64]byte
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, size, 0, 0)
	// sigset_t is an array of unsigned long, as uintptr is.
	const bits = 8 * unsafe.Sizeof(uintptr(0))
	var set [16 / unsafe.Sizeof(uintptr(0))]uintptr
	set[uintptr(sig-1)/bits] |= 1 << (uintptr(sig-1) % bits)
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unblock, uintptr(unsafe.Pointer(&set)), 0, size, 0, 0)
	syscall.Tgkill(syscall.Getpid(), syscall.Gettid(), sig)
	syscall.Exit(128 + int(sig))
}

// sigset returns the kernel's sizeof(sigset_t) and its SIG_UNBLOCK: mips
// has 128 signals and numbers the "how" of sigprocmask from 1.
func sigset() (size, unblock uintptr) {
	switch runtime.GOARCH {
	case "mips", "mipsle", "mips64", "mips64le":
		return 16, 2
	}
	return 8, 1
}

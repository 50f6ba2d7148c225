//go:build linux

package main

import (
	"strconv"
	"syscall"

	"github.com/dockerfile-dotenv/dockerfile-dotenv/dotenv"
	"github.com/dockerfile-dotenv/dockerfile-dotenv/mask"
)

const (
	// readSize is the most read from a pipe at once, and the size the
	// pipes are asked for (Linux gives 64 KiB by default): fewer, larger
	// reads and writes, and a command that writes in bursts blocks less.
	readSize = 256 << 10
	// drainMax bounds what is read of each pipe once the command has
	// exited: a background process that keeps writing must not keep the
	// loader alive (without the loader, the container ends with its PID 1).
	drainMax = 1 << 20
)

// runMasked runs argv as run does, but as the loader's child rather than
// in its place: the command's stdout and stderr go each through a pipe and
// a mask.Writer to the loader's own, the loader forwards the signals it
// gets to the command, reaps orphans when it is PID 1 (BuildKit runs the
// RUN's process as PID 1 of its PID namespace), and ends as the command
// did. It returns only when the command could not be started, as run.
func runMasked(argv []string, pathVar string, env []string, tooBig string, patterns [][]byte) (int, string) {
	file, err := lookPath(argv[0], pathVar)
	if err != nil {
		return statusOf(err), "exec: " + strconv.Quote(argv[0]) + ": " + err.Error()
	}
	// Stdin as it is. A closed 0, 1 or 2 gets /dev/null first, so that
	// none of the loader's pipes takes its number (the command's stderr
	// written into the done pipe, say). The Go runtime does so at start
	// since Go 1.22 (then a closed stdin is /dev/null for the command, as
	// with the exec path); this does not depend on it.
	stdin := uintptr(0)
	for fd := 0; fd <= 2; fd++ {
		if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0); e == syscall.EBADF {
			if fd == 0 {
				stdin = ^uintptr(0)
			}
			syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
		}
	}
	var out, errp, done [2]int
	for _, p := range []*[2]int{&out, &errp, &done} {
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			return dotenv.ExitLoadFailed, "loader: cannot make a pipe: " + err.Error()
		}
	}
	for _, fd := range []int{out[0], errp[0]} {
		// F_SETPIPE_SZ; the default size is fine when refused.
		syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), 1031, readSize)
	}
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return dotenv.ExitLoadFailed, "loader: epoll: " + err.Error()
	}
	for _, fd := range []int{out[0], errp[0], done[0]} {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
			return dotenv.ExitLoadFailed, "loader: epoll: " + err.Error()
		}
	}
	catchSignals()
	pid, err := syscall.ForkExec(file, argv, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{stdin, uintptr(out[1]), uintptr(errp[1])},
	})
	if err != nil {
		msg := "exec " + file + ": " + err.Error()
		if err == syscall.E2BIG {
			msg += tooBig
		}
		return statusOf(err), msg
	}
	// Only the command holds the write ends now: EOF when it and its
	// children have closed them.
	syscall.Close(out[1])
	syscall.Close(errp[1])

	status := make(chan syscall.WaitStatus, 1)
	go supervise(pid, syscall.Getpid() == 1, status, done[1])

	streams := [2]stream{
		{fd: out[0], w: mask.NewWriter(fdWriter(1), patterns)},
		{fd: errp[0], w: mask.NewWriter(fdWriter(2), patterns)},
	}
	buf := make([]byte, readSize)
	events := make([]syscall.EpollEvent, 3)
	for exited := false; !exited; {
		n, err := syscall.EpollWait(ep, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			break // cannot happen with these arguments; drain and end
		}
		for _, ev := range events[:n] {
			if int(ev.Fd) == done[0] {
				exited = true
				continue
			}
			for i := range streams {
				if streams[i].fd == int(ev.Fd) {
					streams[i].pump(ep, buf)
				}
			}
		}
	}
	ws := <-status
	// What the command (or a process that shares its output) wrote
	// before it ended is in the pipes: pass it on, without waiting for
	// writers that are still running.
	for i := range streams {
		s := &streams[i]
		if s.fd >= 0 && syscall.SetNonblock(s.fd, true) == nil {
			for read := 0; s.fd >= 0 && read < drainMax; read += readSize {
				if !s.pump(ep, buf) {
					break
				}
			}
		}
		s.w.Flush() // on error there is nowhere to say it
	}
	if ws.Signaled() {
		dieOf(ws.Signal())
	}
	syscall.Exit(ws.ExitStatus())
	panic("unreachable")
}

// supervise forwards signals to the command and reaps children: the
// command, and, when the loader is PID 1, every orphan that the kernel
// makes its child. Both happen here, one at a time, so that no signal is
// sent after the command is reaped (its pid could be another process's
// by then). When the command is reaped, its status goes to status and a
// byte to the done pipe, to wake the output loop.
func supervise(pid int, init bool, status chan<- syscall.WaitStatus, done int) {
	which := pid
	if init {
		which = -1
	}
	for {
		sig := syscall.Signal(signalRecv())
		if sig != syscall.SIGCHLD {
			syscall.Kill(pid, sig)
			continue
		}
		// SIGCHLDs merge: reap every child that has ended.
		for {
			var ws syscall.WaitStatus
			wpid, err := syscall.Wait4(which, &ws, syscall.WNOHANG, nil)
			if err == syscall.EINTR {
				continue
			}
			if err != nil || wpid <= 0 {
				break
			}
			if wpid == pid {
				status <- ws
				syscall.Write(done, []byte{0})
				return
			}
		}
	}
}

// stream is one of the command's outputs.
type stream struct {
	fd int // the pipe's read end, -1 once closed
	w  *mask.Writer
}

// pump reads once from the pipe and masks what it read to the loader's
// output. It reports whether it read anything. At EOF, on a read error
// (EAGAIN when draining) or when the loader's output fails, the pipe is
// closed: a command writing to it again gets EPIPE or SIGPIPE, as it would
// writing to the failed output itself.
func (s *stream) pump(ep int, buf []byte) bool {
	n, err := syscall.Read(s.fd, buf)
	if err == syscall.EINTR {
		return true
	}
	if err == syscall.EAGAIN {
		return false
	}
	if err == nil && n > 0 {
		if _, werr := s.w.Write(buf[:n]); werr == nil {
			return true
		}
	}
	syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, s.fd, nil)
	syscall.Close(s.fd)
	s.fd = -1
	return false
}

// fdWriter writes to a descriptor, whole: after a signal interrupts it, a
// partial write, or EAGAIN (an output in non-blocking mode).
type fdWriter int

func (fd fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := syscall.Write(int(fd), p[n:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			ts := syscall.Timespec{Nsec: 1e6}
			syscall.Nanosleep(&ts, nil)
			continue
		case err != nil:
			return n, err
		}
		n += m
	}
	return n, nil
}

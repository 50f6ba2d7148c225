//go:build linux

package main

import "syscall"

// readArgs returns the loader's argv from /proc/self/cmdline, where the
// kernel keeps it NUL-terminated. Package os would give os.Args, but it
// adds about 170 KB to every frontend image; RUN containers always have
// /proc.
func readArgs() ([]string, error) {
	fd, err := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var data []byte
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		data = append(data, buf[:n]...)
	}
	return splitArgs(data), nil
}

// splitArgs splits NUL-terminated strings; an argument may be empty.
func splitArgs(data []byte) []string {
	var args []string
	start := 0
	for i, c := range data {
		if c == 0 {
			args = append(args, string(data[start:i]))
			start = i + 1
		}
	}
	if start < len(data) {
		args = append(args, string(data[start:]))
	}
	return args
}

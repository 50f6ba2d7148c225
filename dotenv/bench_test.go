package dotenv

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
	"time"
)

// bigFile is a file at BuildKit's limit: 10,000 keys, 500 KiB, some values
// quoted, some expanding an earlier key; crlf writes it as Windows would.
func bigFile(crlf bool) []byte {
	eol := "\n"
	if crlf {
		eol = "\r\n"
	}
	var b bytes.Buffer
	for i := 0; i < 10000; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "KEY_%05d=\"https://__token__:glpat-%013d@x.example/s\"%s", i, i, eol)
		case 1:
			fmt.Fprintf(&b, "export KEY_%05d='sq $x \\ %022d'%s", i, i, eol)
		case 2:
			fmt.Fprintf(&b, "KEY_%05d=unquoted-%016d/${KEY_%05d}%s", i, i, i-2, eol)
		case 3:
			fmt.Fprintf(&b, "#comment %05d%s", i, eol)
			fmt.Fprintf(&b, "KEY_%05d=\"a\\$b\\\\c\\\"d\"%s", i, eol)
		}
	}
	return b.Bytes()
}

func BenchmarkParse(b *testing.B) {
	for _, crlf := range []bool{false, true} {
		data := bigFile(crlf)
		if len(data) > MaxFileSize {
			b.Fatalf("the file is %d bytes, over BuildKit's limit", len(data))
		}
		name := map[bool]string{false: "LF", true: "CRLF"}[crlf]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			lookup := EnvLookup(testEnv)
			cpu := cpuTime()
			for b.Loop() {
				vars, err := Parse(data, lookup)
				if err != nil || len(vars) != 10000 {
					b.Fatal(len(vars), err)
				}
			}
			// CPU time, GC included: wall time says little on a busy machine.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the CPU time of this process so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

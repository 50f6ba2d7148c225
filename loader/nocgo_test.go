//go:build !cgo

package loader

import "testing"

// TestDifferentialNeedsCgo: without cgo, the C parts cannot be called
// (parse_test.go and the bridge are left out); the program's tests still
// run. make unit runs this package with cgo too.
func TestDifferentialNeedsCgo(t *testing.T) {
	t.Skip("the differential tests of the C parts need cgo: CGO_ENABLED=1 go test ./loader (make unit runs it)")
}

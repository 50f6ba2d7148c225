package mask

import "io"

// chunk is how much of a Write is scanned at a time: with the held-back
// tail, it bounds the Writer's buffer whatever the size of a Write.
const chunk = 32 << 10

// Writer replaces every occurrence of its patterns in the stream written
// to it by "***" and writes the result to the underlying writer, in order.
//
// Overlapping or adjacent occurrences (of different patterns, or of one
// pattern with itself) are masked as their union, written as one "***":
// masking the longest match alone could leave part of an overlapping
// value visible. Every other byte, binary or not, passes through as is.
//
// A Write passes on at once every byte that cannot be part of a match;
// it holds back only a tail of the stream that is a proper prefix of some
// pattern (at most the longest pattern - 1 bytes), until the next Write
// tells whether it is a match or Flush ends the stream. No newline is
// needed, and there is no timer: output that ends with the first bytes
// of a secret ("token: ghp_" and a stall) keeps those bytes until more
// output or the end, and never writes them unmasked while they might
// begin a secret. As no pattern from Patterns begins with whitespace, a
// Write that ends with a newline, a "\r" (a progress bar) or a space is
// passed on whole within the call: masking adds no latency to it.
//
// The Writer uses a fixed amount of memory (about 32 KiB plus the longest
// pattern) whatever it is given, and does not allocate in Write once
// its output buffer has grown to fit the masked chunks. It is not safe
// for concurrent use: give stdout and stderr a Writer each.
type Writer struct {
	w   io.Writer
	m   *matcher
	buf []byte // the held-back tail, then the bytes of the Write
	// region is the length of the start of buf that is inside a masked
	// region already written as "***" (0 if that region ends exactly
	// where buf starts, so a match there extends it), or -1.
	region int
	out    []byte
	err    error
}

// NewWriter returns a Writer that masks patterns in what it writes to w.
// Empty patterns are ignored; with none, writes go straight to w. The
// patterns must not be changed afterwards.
func NewWriter(w io.Writer, patterns [][]byte) *Writer {
	mw := &Writer{w: w, m: newMatcher(patterns), region: -1}
	if mw.m != nil {
		mw.buf = make([]byte, 0, mw.m.maxLen-1+chunk)
	}
	return mw
}

// Write masks p and writes what is decided. It returns len(p) unless the
// underlying writer fails; after an error, every call returns it.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.m == nil {
		return w.w.Write(p)
	}
	n := 0
	for n < len(p) {
		c := min(len(p)-n, cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[n:n+c]...)
		if err := w.step(false); err != nil {
			w.err = err
			return n, err
		}
		n += c
	}
	return n, nil
}

// Flush ends the stream: it writes the held-back tail, masked where it
// holds whole patterns. Call it when the output ends (the process
// exited); the Writer can then start a new stream.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if w.m != nil && len(w.buf) > 0 {
		w.err = w.step(true)
	}
	w.region = -1
	return w.err
}

// step scans buf, writes the bytes before the hold point with their
// masked regions as "***", and keeps the rest in buf. When final, the
// stream ends here and nothing is held back.
//
// Matches are found by start position, each the longest there, so
// regions are merged in one sweep: a match that starts inside or right at
// the end of the current region extends it. Positions from the hold point
// on are scanned again by the next step, with the bytes that decide them.
func (w *Writer) step(final bool) error {
	b, m := w.buf, w.m
	out := w.out[:0]
	end := w.region // end of the current region, -1 if none yet
	hold := len(b)
	for i := m.next(b, 0); i < len(b); i = m.next(b, i+1) {
		n, undecided := m.at(b, i, final)
		if undecided {
			hold = i
			break
		}
		if n == 0 {
			continue
		}
		if end >= 0 && i <= end {
			end = max(end, i+n)
			continue
		}
		out = append(out, b[max(end, 0):i]...)
		out = append(out, "***"...)
		end = i + n
	}
	rest := b[:0]
	if end < hold {
		rest = b[max(end, 0):hold]
		w.region = -1
	} else {
		w.region = end - hold
	}
	if len(out) > 0 {
		out = append(out, rest...)
		rest = out
	}
	w.out = out
	err := w.emit(rest) // before the tail moves over what rest points to
	w.buf = b[:copy(b, b[hold:])]
	return err
}

func (w *Writer) emit(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	n, err := w.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

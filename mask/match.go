package mask

import (
	"bytes"
	"math/bits"
	"slices"
)

// matcher finds patterns in a buffer: a bit filter on the first k bytes
// (k = 4, or less if a pattern is shorter) rejects almost every position
// of ordinary text in a few instructions; a candidate is then looked up in
// a hash table of those keys, and the patterns sharing its key are
// searched in lexicographic order, so shared prefixes (many URLs on the
// same host) cost a binary search, not a comparison each.
//
// A dense Aho-Corasick DFA was the alternative: one table load per byte
// and linear time whatever the input, but its states are the distinct
// prefixes of the patterns: 49,499 for the 100 values of the benchmark
// (1,132 patterns), times 77 byte classes, a 15 MB table to fill for
// every RUN, where this builds in about 40 µs. The price: a position that
// passes the filter costs a binary search and a comparison, so output
// made of long runs of a pattern's prefix ("aaaa…" against a value
// "aaaa…b") costs up to the length of that common prefix per byte; in
// ordinary text a comparison stops within a few bytes.
type matcher struct {
	k      int    // key length
	kmask  uint32 // keeps the k key bytes of a little-endian load
	maxLen int

	filter *filter

	// first and pair have a bit for each first byte and first two bytes
	// of a pattern: at the end of a Write they answer begins at once.
	first [4]uint64
	pair  *[1 << 10]uint64

	table   []int32 // open addressing: 1 + index into buckets, 0 is empty
	tshift  uint32
	buckets []bucket
	pats    [][]byte // bucket by bucket, each sorted

	// keys holds the keys as big-endian left-aligned numbers, sorted,
	// to tell whether the last k-1 bytes or fewer begin a pattern.
	keys []uint32
}

type bucket struct {
	key    uint32
	lo, hi int32 // pats[lo:hi]
}

const hashMul = 0x9E3779B1 // Fibonacci hashing: multiply, keep the top bits

func newMatcher(patterns [][]byte) *matcher {
	m := &matcher{k: 4}
	n := 0
	for _, p := range patterns {
		if len(p) > 0 {
			m.k = min(m.k, len(p))
			m.maxLen = max(m.maxLen, len(p))
			n++
		}
	}
	if n == 0 {
		return nil
	}
	m.kmask = uint32(1<<(8*m.k) - 1)

	// The table at most half full (n bounds the number of keys).
	tbits := max(4, bits.Len(uint(2*n)))
	m.table = make([]int32, 1<<tbits)
	m.tshift = uint32(32 - tbits)
	m.filter = new(filter)
	m.pair = new([1 << 10]uint64)

	// Counting sort of the patterns into their buckets.
	count := make([]int32, 0, n)
	of := make([]int32, len(patterns))
	for i, p := range patterns {
		if len(p) == 0 {
			of[i] = -1
			continue
		}
		key := load(p, m.k)
		m.filter.add(key)
		m.first[p[0]>>6] |= 1 << (p[0] & 63)
		if len(p) > 1 {
			x := load(p, 2)
			m.pair[x>>6] |= 1 << (x & 63)
		}
		b := m.insert(key)
		if int(b) == len(count) {
			count = append(count, 0)
		}
		count[b]++
		of[i] = b
	}
	pos := int32(0)
	for i := range m.buckets {
		m.buckets[i].lo, m.buckets[i].hi = pos, pos
		pos += count[i]
	}
	m.pats = make([][]byte, n)
	for i, p := range patterns {
		if of[i] < 0 {
			continue
		}
		b := &m.buckets[of[i]]
		m.pats[b.hi] = p
		b.hi++
	}
	m.keys = make([]uint32, len(m.buckets))
	for i, b := range m.buckets {
		slices.SortFunc(m.pats[b.lo:b.hi], bytes.Compare)
		m.keys[i] = bits.ReverseBytes32(b.key)
	}
	slices.Sort(m.keys)
	return m
}

// insert returns the index of the bucket of key, adding it if new.
func (m *matcher) insert(key uint32) int32 {
	mask := uint32(len(m.table) - 1)
	for i := (key * hashMul) >> m.tshift; ; i = (i + 1) & mask {
		e := m.table[i]
		if e == 0 {
			m.buckets = append(m.buckets, bucket{key: key})
			m.table[i] = int32(len(m.buckets))
			return int32(len(m.buckets) - 1)
		}
		if m.buckets[e-1].key == key {
			return e - 1
		}
	}
}

// lookup returns the sorted patterns that begin with key.
func (m *matcher) lookup(key uint32) [][]byte {
	mask := uint32(len(m.table) - 1)
	for i := (key * hashMul) >> m.tshift; ; i = (i + 1) & mask {
		e := m.table[i]
		if e == 0 {
			return nil
		}
		if b := m.buckets[e-1]; b.key == key {
			return m.pats[b.lo:b.hi]
		}
	}
}

// load returns the first k (1-4) bytes of p as a little-endian number.
func load(p []byte, k int) uint32 {
	var x uint32
	for i := k - 1; i >= 0; i-- {
		x = x<<8 | uint32(p[i])
	}
	return x
}

// filter has a bit set for the hash of every key. Its fixed size lets
// the compiler drop the bounds checks of the hot loop; at 2^17 bits
// (16 KiB, in L1 cache) it passes about 1% of the positions of ordinary
// text for 1,000 keys, about 50% for 100,000.
type filter [1 << (filterBits - 6)]uint64

const filterBits = 17

func (f *filter) add(key uint32) {
	h := (key * hashMul) >> (32 - filterBits)
	f[h>>6] |= 1 << (h & 63)
}

func (f *filter) has(key uint32) bool {
	h := (key * hashMul) >> (32 - filterBits)
	return f[h>>6]&(1<<(h&63)) != 0
}

// next returns the first position from i on where a pattern may start,
// by the filter, or i if fewer than 4 bytes are left there: the caller
// checks those few positions one by one.
func (m *matcher) next(b []byte, i int) int {
	f := m.filter
	if m.k == 4 {
		// 8 positions from 2 loads of 8 bytes.
		for ; i >= 0 && i < len(b)-11; i += 8 {
			lo, hi := le64(b[i:i+8:i+8]), le64(b[i+4:i+12:i+12])
			switch {
			case f.has(uint32(lo)):
				return i
			case f.has(uint32(lo >> 8)):
				return i + 1
			case f.has(uint32(lo >> 16)):
				return i + 2
			case f.has(uint32(lo >> 24)):
				return i + 3
			case f.has(uint32(hi)):
				return i + 4
			case f.has(uint32(hi >> 8)):
				return i + 5
			case f.has(uint32(hi >> 16)):
				return i + 6
			case f.has(uint32(hi >> 24)):
				return i + 7
			}
		}
	}
	for ; i < len(b)-3; i++ {
		if f.has(load(b[i:], 4) & m.kmask) {
			return i
		}
	}
	return i
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// at returns the length of the longest pattern at b[i:], or undecided if
// b[i:] is a proper prefix of a pattern and the stream goes on (final is
// false): then more bytes are needed to know.
func (m *matcher) at(b []byte, i int, final bool) (n int, undecided bool) {
	t := b[i:]
	open := !final && len(t) < m.maxLen // can a pattern run past the end?
	if len(t) < m.k {
		return 0, open && m.begins(t)
	}
	ps := m.lookup(load(t, m.k))
	if ps == nil {
		return 0, false
	}
	t = t[:min(len(t), m.maxLen)]
	j := upper(ps, t)
	if open && j < len(ps) && bytes.HasPrefix(ps[j], t) {
		return 0, true
	}
	// The last pattern <= t is the longest prefix of t if it is one;
	// otherwise no prefix of t is longer than their common prefix.
	for j > 0 {
		q := ps[j-1]
		l := commonPrefix(q, t)
		if l == len(q) {
			return l, false
		}
		if l < m.k {
			return 0, false
		}
		t = t[:l]
		j = upper(ps[:j-1], t)
	}
	return 0, false
}

// begins reports whether t, shorter than k, begins some pattern.
func (m *matcher) begins(t []byte) bool {
	if m.first[t[0]>>6]&(1<<(t[0]&63)) == 0 {
		return false
	}
	if len(t) == 1 {
		return true
	}
	if x := load(t, 2); m.pair[x>>6]&(1<<(x&63)) == 0 {
		return false
	}
	lo := bits.ReverseBytes32(load(t, len(t)))
	hi := lo | (1<<(8*(4-len(t))) - 1)
	i, _ := slices.BinarySearch(m.keys, lo)
	return i < len(m.keys) && m.keys[i] <= hi
}

// upper returns the number of patterns of the sorted ps that are <= t.
func upper(ps [][]byte, t []byte) int {
	lo, hi := 0, len(ps)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if bytes.Compare(ps[mid], t) <= 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

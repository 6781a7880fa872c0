package policy

import (
	"cmp"
	"slices"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// findings collects an evaluation's findings as compact records in
// fixed-size chunks (never copied while they grow) and turns them into
// sorted Findings once, at the end: each Finding is written exactly once.
type findings struct {
	chunks [][]record
	n      int
	// whole holds findings not about an object (CW099), built in full.
	whole []Finding
}

// record is a finding before it becomes a Finding: what the rule decided,
// with the object it concerns by pointer.
type record struct {
	idMsg    string // the 32-digit id followed by the message
	ev       map[string]string
	obj      *inventory.Object // nil for a whole finding
	keyID    string
	sec      int64 // deadline; noDeadline when none
	nsec     int32
	whole    int32 // index in findings.whole when obj is nil
	reason   string
	rule     uint8
	sev      Severity // fits in a byte; kept typed for clarity
	suppress bool
}

const chunkSize = 4096

// next returns a zeroed record slot.
func (fs *findings) next() *record {
	i := fs.n % chunkSize
	if i == 0 {
		fs.chunks = append(fs.chunks, make([]record, chunkSize))
	}
	fs.n++
	return &fs.chunks[len(fs.chunks)-1][i]
}

func (fs *findings) at(i int32) *record {
	return &fs.chunks[i/chunkSize][i%chunkSize]
}

// addWhole records a finding built in full.
func (fs *findings) addWhole(f Finding) {
	r := fs.next()
	r.idMsg = f.ID
	r.sec = noDeadline
	if f.Deadline != nil {
		r.sec, r.nsec = f.Deadline.Unix(), int32(f.Deadline.Nanosecond())
	}
	r.sev = f.Severity
	r.whole = int32(len(fs.whole))
	fs.whole = append(fs.whole, f)
}

func (r *record) id() string {
	if r.obj == nil {
		return r.idMsg
	}
	return r.idMsg[:32]
}

// sortKey orders records without moving them: hi packs the severity
// (highest first) above the deadline's second (soonest first, none last),
// lo holds the id's first 8 bytes big-endian, whose numeric order is the
// ids' string order as far as it goes; equal prefixes compare whole ids.
type sortKey struct {
	hi   uint64
	lo   uint64
	nsec int32
	idx  int32
}

const (
	noDeadline = 1<<61 - 1
	secOffset  = 1 << 40 // makes every representable second positive
)

func (r *record) key(idx int32) sortKey {
	k := sortKey{hi: uint64(Critical-r.sev) << 61, idx: idx, nsec: r.nsec}
	if r.sec == noDeadline {
		k.hi |= noDeadline
	} else {
		k.hi |= uint64(r.sec+secOffset) & noDeadline
	}
	id := r.id()
	for i := range 8 {
		k.lo <<= 8
		if i < len(id) {
			k.lo |= uint64(id[i])
		}
	}
	return k
}

// sorted returns the findings by severity (highest first), deadline
// (soonest first, none last) and id.
func (fs *findings) sorted() []Finding {
	if fs.n == 0 {
		return []Finding{}
	}
	keys := make([]sortKey, fs.n)
	withDeadline := 0
	for i := range keys {
		r := fs.at(int32(i))
		keys[i] = r.key(int32(i))
		if r.obj != nil && r.sec != noDeadline {
			withDeadline++
		}
	}
	keys = radixSort(keys)
	// Keys equal in every radix digit have ids sharing 8 bytes: compare the
	// whole ids.
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].hi == keys[i].hi && keys[j].nsec == keys[i].nsec && keys[j].lo == keys[i].lo {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(keys[i:j], func(a, b sortKey) int {
				return cmp.Compare(fs.at(a.idx).id(), fs.at(b.idx).id())
			})
		}
		i = j
	}
	// Walk the records in the order they were made, which follows the
	// tenant's object order, and write each Finding to its sorted place:
	// reads stay sequential and only the writes jump around.
	rank := make([]int32, len(keys))
	for i, k := range keys {
		rank[k.idx] = int32(i)
	}
	out := make([]Finding, len(keys))
	// All deadlines in one allocation; each Finding points at its own.
	times := make([]time.Time, 0, withDeadline)
	idx := 0
	for _, chunk := range fs.chunks {
		for ci := range chunk {
			if idx == fs.n {
				break
			}
			r := &chunk[ci]
			f := &out[rank[idx]]
			idx++
			if r.obj == nil {
				*f = fs.whole[r.whole]
				continue
			}
			f.ID, f.Message = r.idMsg[:32], r.idMsg[32:]
			f.RuleID = registry[r.rule].id
			f.Severity = r.sev
			f.ObjectType = r.obj.Type
			f.ObjectID = r.obj.ID
			f.AppID = r.obj.AppID
			f.AppName = r.obj.DisplayName
			f.KeyID = r.keyID
			if r.sec != noDeadline {
				times = append(times, time.Unix(r.sec, int64(r.nsec)).UTC())
				f.Deadline = &times[len(times)-1]
			}
			f.Evidence = r.ev
			f.Suppressed, f.SuppressionReason = r.suppress, r.reason
		}
	}
	return out
}

// radixSort orders keys by (hi, nsec, lo), least significant byte first,
// skipping bytes that are the same in every key. For the hundreds of
// thousands of findings of a large tenant it is several times faster than
// a comparison sort.
func radixSort(keys []sortKey) []sortKey {
	const digits = 8 + 4 + 8
	digit := func(k *sortKey, d int) byte {
		switch {
		case d < 8:
			return byte(k.lo >> (8 * d))
		case d < 12:
			return byte(uint32(k.nsec) >> (8 * (d - 8)))
		default:
			return byte(k.hi >> (8 * (d - 12)))
		}
	}
	var counts [digits][256]int
	for i := range keys {
		k := &keys[i]
		for d := range digits {
			counts[d][digit(k, d)]++
		}
	}
	buf := make([]sortKey, len(keys))
	src, dst := keys, buf
	for d := range digits {
		c := &counts[d]
		if c[digit(&src[0], d)] == len(src) {
			continue // every key has this byte: nothing to reorder
		}
		var offsets [256]int
		sum := 0
		for b := range 256 {
			offsets[b] = sum
			sum += c[b]
		}
		for i := range src {
			b := digit(&src[i], d)
			dst[offsets[b]] = src[i]
			offsets[b]++
		}
		src, dst = dst, src
	}
	return src
}

package tenantgen

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"time"
)

// Streams of the seeded generator. The tenant id has a stream of its own so
// that passing Options.TenantID changes nothing else in the output.
// Activity evidence has one too, so adding it left the objects of every
// tenant as they were.
const (
	streamMain     = 0x9e3779b97f4a7c15
	streamTenant   = 0xd1b54a32d192ed03
	streamActivity = 0x3c6ef372fe94f82b
)

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// guid draws a random (version 4) GUID string.
func guid(r *rand.Rand) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], r.Uint64())
	binary.BigEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// assignmentID draws an appRoleAssignment id: Graph's are opaque 43-character
// base64url strings.
func assignmentID(r *rand.Rand) string {
	var b [32]byte
	for i := 0; i < 32; i += 8 {
		binary.BigEndian.PutUint64(b[i:], r.Uint64())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// pick returns a random element of s.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// between draws a duration uniformly from [lo, hi), whole seconds.
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64((hi-lo)/time.Second)))*time.Second
}

const day = 24 * time.Hour

func days(n int) time.Duration { return time.Duration(n) * day }

// Graph writes dates in UTC with a Z, with no fraction (directory object
// timestamps, certificate dates), seven digits (most credential and
// assignment timestamps) or three (secrets made in the portal).
type fraction uint8

const (
	fracNone fraction = iota
	frac3
	frac7
)

var layouts = [...]string{
	fracNone: "2006-01-02T15:04:05Z",
	frac3:    "2006-01-02T15:04:05.000Z",
	frac7:    "2006-01-02T15:04:05.0000000Z",
}

// graphTime formats t as Graph does. With a fraction, t keeps its
// sub-second part (callers add one with subSecond). It writes the digits
// itself: time.Format was a fifth of the time of a large tenant.
func graphTime(t time.Time, f fraction) string {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 1000 || y > 9999 {
		return t.Format(layouts[f])
	}
	h, mi, s := t.Clock()
	var buf [28]byte
	b := appendDigits(buf[:0], y, 4)
	b = append(b, '-')
	b = appendDigits(b, int(mo), 2)
	b = append(b, '-')
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = append(b, ':')
	b = appendDigits(b, mi, 2)
	b = append(b, ':')
	b = appendDigits(b, s, 2)
	switch f {
	case frac3:
		b = appendDigits(append(b, '.'), t.Nanosecond()/1e6, 3)
	case frac7:
		b = appendDigits(append(b, '.'), t.Nanosecond()/100, 7)
	}
	return string(append(b, 'Z'))
}

// appendDigits appends v (0 <= v < 10^n) as exactly n decimal digits.
func appendDigits(b []byte, v, n int) []byte {
	at := len(b)
	for range n {
		b = append(b, '0')
	}
	for i := at + n - 1; i >= at; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}

// subSecond draws a sub-second offset that the fraction f can show exactly.
func subSecond(r *rand.Rand, f fraction) time.Duration {
	switch f {
	case frac3:
		return time.Duration(r.IntN(1000)) * time.Millisecond
	case frac7:
		return time.Duration(r.IntN(10_000_000)) * 100 * time.Nanosecond
	}
	return 0
}

func strp(s string) *string { return &s }

func boolp(b bool) *bool { return &b }

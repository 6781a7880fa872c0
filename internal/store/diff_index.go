package store

import (
	"cmp"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/inventory"
)

type permKey struct{ resourceApp, role string }

// children is one kind of to's child items (credentials, owners or
// permissions), located through their object: a flag per item says the
// other side matched it, and a key repeated within an object keeps its
// first item. Only long lists get a lookup map, so a large tenant's index
// is a flag an item and an offset an object.
type children[T any, K comparable] struct {
	t    *inventory.Tenant
	list func(*inventory.Object) []T
	key  func(*T) K
	base []int // each object's first flag
	seen []bool
	long map[int32]map[K]int32 // for objects with many items, made on first use
}

// longList is the length above which an object's items are found through
// a map rather than by a scan.
const longList = 32

func newChildren[T any, K comparable](t *inventory.Tenant, list func(*inventory.Object) []T, key func(*T) K) *children[T, K] {
	c := &children[T, K]{t: t, list: list, key: key, base: make([]int, len(t.Objects)+1)}
	for i := range t.Objects {
		c.base[i+1] = c.base[i] + len(list(&t.Objects[i]))
	}
	c.seen = make([]bool, c.base[len(t.Objects)])
	return c
}

// find is the index in object oi's list of the first item with key k.
func (c *children[T, K]) find(oi int32, k K) (int32, bool) {
	items := c.list(&c.t.Objects[oi])
	if len(items) <= longList {
		for j := range items {
			if c.key(&items[j]) == k {
				return int32(j), true
			}
		}
		return 0, false
	}
	m, ok := c.long[oi]
	if !ok {
		if c.long == nil {
			c.long = map[int32]map[K]int32{}
		}
		m = make(map[K]int32, len(items))
		for j := len(items) - 1; j >= 0; j-- {
			m[c.key(&items[j])] = int32(j)
		}
		c.long[oi] = m
	}
	j, ok := m[k]
	return j, ok
}

// match marks the item of object oi (-1: none in to) with key k as
// matched; first is false when an earlier row already matched it.
func (c *children[T, K]) match(oi int32, k K) (j int32, found, first bool) {
	if oi < 0 {
		return 0, false, false
	}
	if j, found = c.find(oi, k); !found {
		return 0, false, false
	}
	flag := c.base[oi] + int(j)
	first = !c.seen[flag]
	c.seen[flag] = true
	return j, true, first
}

// unseen calls fn with each item nothing matched, in to's order, leaving
// out repeats of a key within an object.
func (c *children[T, K]) unseen(fn func(*inventory.Object, *T)) {
	for i := range c.t.Objects {
		o := &c.t.Objects[i]
		items := c.list(o)
		for j := range items {
			if c.seen[c.base[i]+j] {
				continue
			}
			if first, _ := c.find(int32(i), c.key(&items[j])); int(first) == j {
				fn(o, &items[j])
			}
		}
	}
}

// idIndex finds the first of n items that carries an id by binary search
// over their positions sorted by id: for a large tenant's objects and
// findings it is a tenth of the size of a map from id to position.
type idIndex struct {
	order []int32
	id    func(int) string
}

func newIDIndex(n int, id func(int) string) idIndex {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	// Of items with one id, the first comes first.
	slices.SortFunc(order, func(a, b int32) int { return cmp.Or(strings.Compare(id(int(a)), id(int(b))), cmp.Compare(a, b)) })
	return idIndex{order: order, id: id}
}

// first is the position of the first item with id k.
func (x idIndex) first(k string) (int, bool) {
	j, ok := slices.BinarySearchFunc(x.order, k, func(e int32, k string) int { return strings.Compare(x.id(int(e)), k) })
	if !ok {
		return 0, false
	}
	return int(x.order[j]), true
}

// isFirst says whether position i is the first with id k.
func (x idIndex) isFirst(k string, i int) bool {
	j, ok := x.first(k)
	return ok && j == i
}

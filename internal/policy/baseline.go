package policy

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Baseline is what CW021 needs of the previous complete scan: when it was
// collected, which objects it held and the key ids of their credentials.
// It is a set of ids, not a tenant, so a large tenant's previous scan
// costs a few bytes an id to hold.
type Baseline struct {
	TenantID    string
	CollectedAt time.Time
	Complete    bool
	objects     map[idKey]struct{}
	keys        map[idKey]struct{}
}

// idKey is an id as a set key: a GUID as its 16 bytes, anything else as
// its lower-case text.
type idKey struct {
	uuid [16]byte
	text string
}

func keyOf(id string) idKey {
	var k idKey
	if len(id) == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-' {
		src := id[0:8] + id[9:13] + id[14:18] + id[19:23] + id[24:]
		if _, err := hex.Decode(k.uuid[:], []byte(src)); err == nil {
			return k
		}
	}
	return idKey{text: strings.ToLower(id)}
}

// NewBaseline starts an empty baseline; AddObject and AddKey fill it.
func NewBaseline(tenantID string, collectedAt time.Time, complete bool) *Baseline {
	return &Baseline{TenantID: tenantID, CollectedAt: collectedAt, Complete: complete,
		objects: map[idKey]struct{}{}, keys: map[idKey]struct{}{}}
}

// AddObject records an object id (ids compare without letter case).
func (b *Baseline) AddObject(id string) { b.objects[keyOf(id)] = struct{}{} }

// AddKey records a credential's key id; empty ones are ignored.
func (b *Baseline) AddKey(id string) {
	if id != "" {
		b.keys[keyOf(id)] = struct{}{}
	}
}

// BaselineOf is the baseline of a tenant held in memory.
func BaselineOf(t *inventory.Tenant) *Baseline {
	if t == nil {
		return nil
	}
	b := NewBaseline(t.ID, t.CollectedAt, t.Complete)
	for i := range t.Objects {
		o := &t.Objects[i]
		b.AddObject(o.ID)
		for j := range o.Credentials {
			b.AddKey(o.Credentials[j].KeyID)
			b.AddKey(o.Credentials[j].PairedKeyID)
		}
	}
	return b
}

func (b *Baseline) hasObject(id string) bool {
	_, ok := b.objects[keyOf(id)]
	return ok
}

func (b *Baseline) hasKey(id string) bool {
	_, ok := b.keys[keyOf(id)]
	return ok
}

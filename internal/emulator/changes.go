package emulator

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// changeLog records, in order, which objects changed and how, so delta
// queries can answer "what changed since this token". Guarded by
// Server.mu; append-only, numbered from 1.
type changeLog struct {
	entries []change
}

// change is one object changed by one write or Mutate.
type change struct {
	seq   uint64
	set   string   // "applications" or "servicePrincipals"
	id    string   // lower case
	props []string // changed properties; nil means any of them
}

// seq is the number of the latest change, 0 before any.
func (l *changeLog) seq() uint64 { return uint64(len(l.entries)) }

func (l *changeLog) add(set, id string, props []string) {
	l.entries = append(l.entries, change{seq: l.seq() + 1, set: set, id: strings.ToLower(id), props: props})
}

// changed is one object in a delta round: its id and the union of what
// changed, nil meaning any property.
type changed struct {
	id    string
	props []string
}

// between lists the objects of set changed after from, up to and including
// to, each once, in the order of their first change in that span.
func (l *changeLog) between(set string, from, to uint64) []changed {
	var out []changed
	at := map[string]int{}
	for _, c := range l.entries[min(from, l.seq()):min(to, l.seq())] {
		if c.set != set {
			continue
		}
		i, seen := at[c.id]
		if !seen {
			at[c.id] = len(out)
			out = append(out, changed{id: c.id, props: c.props})
			continue
		}
		switch {
		case out[i].props == nil:
		case c.props == nil:
			out[i].props = nil
		default:
			for _, p := range c.props {
				if !containsFold(out[i].props, p) {
					out[i].props = append(out[i].props, p)
				}
			}
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Mutate changes the served tenant in place, standing in for changes made
// where no API of the emulator reaches (the portal, another admin tool):
// fn gets the live Directory under the write lock. Every application or
// service principal fn adds, removes or changes in any property or
// relationship (owners, federated credentials, app role assignments) is
// logged for delta queries, as Graph reports a changed object. It fails,
// keeping fn's changes out of the indexes, when fn leaves two objects with
// one id. Meant for tests and benchmarks: it hashes every object twice.
func (s *Server) Mutate(fn func(*msgraph.Directory)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	appsBefore, spsBefore := fingerprints(s.src)
	act := s.src.Activity
	var audits, signIns int
	if act != nil {
		audits, signIns = len(act.DirectoryAudits), len(act.SignIns)
	}
	fn(s.src)
	dir, err := indexDirectory(s.src)
	if err != nil {
		return fmt.Errorf("emulator: mutate: %w", err)
	}
	s.dir = dir
	if a := s.src.Activity; a != act || (a != nil && (len(a.DirectoryAudits) != audits || len(a.SignIns) != signIns)) {
		s.act = newActivityState(s.src)
	}
	appsAfter, spsAfter := fingerprints(s.src)
	s.logDiff("applications", appsBefore, appsAfter, func(yield func(string)) {
		for i := range s.src.Applications {
			yield(s.src.Applications[i].ID)
		}
	})
	s.logDiff("servicePrincipals", spsBefore, spsAfter, func(yield func(string)) {
		for i := range s.src.ServicePrincipals {
			yield(s.src.ServicePrincipals[i].ID)
		}
	})
	return nil
}

// logDiff logs every object of set whose fingerprint changed or appeared
// (in the directory's order), then every one that disappeared (in the
// order they had).
func (s *Server) logDiff(set string, before, after map[string]objectPrint, ids func(func(string))) {
	ids(func(id string) {
		k := strings.ToLower(id)
		if b, ok := before[k]; !ok || b.sum != after[k].sum {
			s.changes.add(set, id, nil)
		}
	})
	var gone []objectPrint
	for k, b := range before {
		if _, ok := after[k]; !ok {
			gone = append(gone, b)
		}
	}
	sortPrints(gone)
	for _, b := range gone {
		s.changes.add(set, b.id, nil)
	}
}

// objectPrint is an object's hash and its place in the directory.
type objectPrint struct {
	id  string
	ord int
	sum uint64
}

func sortPrints(p []objectPrint) {
	slices.SortFunc(p, func(a, b objectPrint) int { return a.ord - b.ord })
}

// fingerprints hashes every listed object with its relationships, by
// lower-case id.
func fingerprints(d *msgraph.Directory) (apps, sps map[string]objectPrint) {
	apps = make(map[string]objectPrint, len(d.Applications))
	for i := range d.Applications {
		a := &d.Applications[i]
		apps[strings.ToLower(a.ID)] = objectPrint{a.ID, i, hashJSON(a)}
	}
	sps = make(map[string]objectPrint, len(d.ServicePrincipals))
	for i := range d.ServicePrincipals {
		p := &d.ServicePrincipals[i]
		sps[strings.ToLower(p.ID)] = objectPrint{p.ID, i, hashJSON(p)}
	}
	return apps, sps
}

func hashJSON(v any) uint64 {
	h := fnv.New64a()
	_ = json.NewEncoder(h).Encode(v) // the Graph types always encode
	return h.Sum64()
}

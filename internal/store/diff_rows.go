package store

import (
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// scanRows is a scan as Compare reads it: its summary, then each table in
// saved order, children naming their object by its ordinal.
type scanRows interface {
	info() ScanInfo
	objects(func(ord int, o *inventory.Object) error) error
	credentials(func(ord int, c *inventory.Credential) error) error
	owners(func(ord int, ow *inventory.Owner) error) error
	permissions(func(ord int, p *inventory.Permission) error) error
	findings(func(f *policy.Finding) error) error
}

type storedRows struct {
	si ScanInfo
	reader
}

func (r storedRows) info() ScanInfo { return r.si }

type memoryRows struct{ r *Record }

func (m memoryRows) info() ScanInfo { return m.r.info() }

func (m memoryRows) objects(fn func(int, *inventory.Object) error) error {
	for i := range m.r.Tenant.Objects {
		if err := fn(i, &m.r.Tenant.Objects[i]); err != nil {
			return err
		}
	}
	return nil
}

// eachChild calls fn with each child of each object, picked by list.
func eachChild[T any](m memoryRows, list func(*inventory.Object) []T, fn func(int, *T) error) error {
	for i := range m.r.Tenant.Objects {
		items := list(&m.r.Tenant.Objects[i])
		for j := range items {
			if err := fn(i, &items[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m memoryRows) credentials(fn func(int, *inventory.Credential) error) error {
	return eachChild(m, func(o *inventory.Object) []inventory.Credential { return o.Credentials }, fn)
}

func (m memoryRows) owners(fn func(int, *inventory.Owner) error) error {
	return eachChild(m, func(o *inventory.Object) []*inventory.Owner { return o.Owners },
		func(i int, ow **inventory.Owner) error { return fn(i, *ow) })
}

func (m memoryRows) permissions(fn func(int, *inventory.Permission) error) error {
	return eachChild(m, func(o *inventory.Object) []inventory.Permission { return o.Permissions }, fn)
}

func (m memoryRows) findings(fn func(*policy.Finding) error) error {
	for i := range m.r.Findings {
		if err := fn(&m.r.Findings[i]); err != nil {
			return err
		}
	}
	return nil
}

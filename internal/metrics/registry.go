package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry returns a fresh registry holding c, ops (either may be nil) and
// the Go runtime and process collectors. A fresh one per server keeps tests
// and several servers in one process apart.
func Registry(c *Collector, ops *Ops) *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if c != nil {
		r.MustRegister(c)
	}
	if ops != nil {
		r.MustRegister(ops)
	}
	return r
}

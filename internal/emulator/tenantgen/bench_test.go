package tenantgen

import "testing"

// BenchmarkGenerate100k measures a 100,000-app tenant: the target is under
// 5 s and 1 GiB allocated per run.
func BenchmarkGenerate100k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d := Generate(Options{Seed: 1, Apps: 100_000, ExtraSPs: 10_000, Now: testNow})
		if len(d.Applications) != 100_000 {
			b.Fatal("wrong count")
		}
	}
}

func BenchmarkDemo(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Demo(testNow)
	}
}

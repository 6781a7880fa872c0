package inventory

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkLoadBuildAzList loads and builds a 5,000-application az CLI
// export, the slowest path (generic decode and normalisation).
func BenchmarkLoadBuildAzList(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("[")
	for i := range 5000 {
		if i > 0 {
			buf.WriteString(",")
		}
		fmt.Fprintf(&buf, `{"id":"obj-%d","appId":"app-%d","displayName":"app %d","signInAudience":"AzureADMyOrg",`+
			`"createdDateTime":"2023-05-11T08:12:45Z","passwordCredentials":[{"keyId":"k-%d","hint":"abc",`+
			`"startDateTime":"2024-05-11T08:12:45.1234567Z","endDateTime":"2026-05-11T08:12:45.1234567Z"}],`+
			`"keyCredentials":[{"keyId":"c-%d","customKeyIdentifier":"u10QZEN9hyClxTB4GF5qNhp4sQo=","type":"AsymmetricX509Cert",`+
			`"usage":"Verify","startDateTime":"2025-01-01T00:00:00Z","endDateTime":"2026-01-01T00:00:00Z"}]}`, i, i, i, i, i)
	}
	buf.WriteString("]")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		s, err := Load(bytes.NewReader(data), "bench.json")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Build(s, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

package emulator

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// BenchmarkListApplicationsPage measures one full page ($top=999) of a
// 5,000-application tenant over HTTPS, as a scan reads it.
func BenchmarkListApplicationsPage(b *testing.B) {
	d := &msgraph.Directory{TenantID: testTenant}
	for i := range 5000 {
		d.Applications = append(d.Applications, msgraph.Application{
			ID: guidN("a0000000", i), AppID: guidN("b0000000", i), DisplayName: fmt.Sprintf("app-%d", i),
			PasswordCredentials: []msgraph.PasswordCredential{{KeyID: guidN("c0000000", i), Hint: strp("abc"), EndDateTime: "2027-01-01T00:00:00Z"}},
			Owners:              []msgraph.DirectoryObject{{ODataType: "#microsoft.graph.user", ID: guidN("d0000000", i), DisplayName: "owner"}},
		})
	}
	srv, err := Start(Options{Directory: d, Clients: []Client{{ID: readerID, Secret: certSecret, Roles: []string{"Application.Read.All"}}}})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	e := &testEnv{srv: srv, hc: srv.Client()}
	tok := e.token(b, readerID)
	url := srv.GraphURL() + "/applications?$top=999&$select=id,appId,displayName,passwordCredentials,keyCredentials&$expand=owners($select=id,displayName)"
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := e.hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		b.SetBytes(n)
	}
}

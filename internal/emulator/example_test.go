package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// Start an emulator for a one-application tenant, get a token with a
// client secret and list the applications, as any Graph client would.
func Example() {
	dir := &msgraph.Directory{
		TenantID:     "0e0e0000-0000-4000-8000-000000000001",
		Applications: []msgraph.Application{{ID: "a0000000-0000-4000-8000-000000000001", AppID: "b0000000-0000-4000-8000-000000000001", DisplayName: "billing-sync"}},
	}
	secret, _ := emulator.NewClientSecret()
	const clientID = "c0000000-0000-4000-8000-000000000001"
	srv, err := emulator.Start(emulator.Options{
		Directory: dir,
		Clients:   []emulator.Client{{ID: clientID, Secret: secret, Roles: []string{"Application.Read.All"}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	hc := srv.Client()

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret},
		"scope": {"https://graph.microsoft.com/.default"}}
	resp, err := hc.PostForm(srv.URL()+"/"+srv.TenantID()+"/oauth2/v2.0/token", form)
	if err != nil {
		fmt.Println(err)
		return
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.GraphURL()+"/applications?$select=displayName", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = hc.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var page struct {
		Context string `json:"@odata.context"`
		Value   []struct {
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&page)
	fmt.Println(resp.StatusCode, strings.TrimPrefix(page.Context, srv.GraphURL()), page.Value[0].DisplayName)
	// Output: 200 /$metadata#applications(displayName) billing-sync
}

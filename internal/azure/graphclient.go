package azure

import (
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/credwatch/credwatch/internal/azure/graph"
)

// NewGraphClient wires cred, and the HTTP client and Graph endpoint that o
// selects, into a Graph client. A nil cred means NewCredential(o). g tunes
// the client; its BaseURL, Scope and HTTPClient are taken from o.
func NewGraphClient(o AuthOptions, cred azcore.TokenCredential, g graph.Options) (*graph.Client, error) {
	_, graphURL, scope, err := Endpoints(o)
	if err != nil {
		return nil, err
	}
	hc, err := HTTPClient(o)
	if err != nil {
		return nil, err
	}
	if cred == nil {
		if cred, err = NewCredential(o); err != nil {
			return nil, err
		}
	}
	g.BaseURL, g.Scope, g.HTTPClient = graphURL, scope, hc
	return graph.New(cred, g)
}

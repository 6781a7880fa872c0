package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/emulator"
)

// naiveResult is what the naive baseline did and took: the lists, then
// the per-object requests (of a sample of objects, or all).
type naiveResult struct {
	listRequests, relRequests int
	listWall, relWall         time.Duration
	throttled                 int
	apps, sps                 int // in the tenant
	sampled                   bool
}

// extrapolated is the whole run's requests and wall time: every
// application's owners and every service principal's owners and grants,
// at the pace the sample kept (sequential requests scale linearly).
func (r naiveResult) extrapolated() (int, time.Duration) {
	rel := r.apps + 2*r.sps
	if r.relRequests == 0 {
		return r.listRequests, r.listWall
	}
	return r.listRequests + rel, r.listWall + time.Duration(float64(r.relWall)*float64(rel)/float64(r.relRequests))
}

// naive reads the tenant the way common scripts do: list both collections
// page by page, then, one request at a time, each object's owners and
// each service principal's app role assignments, waiting out any 429.
// With limit > 0 it reads the relationships of only the first limit
// applications and service principals, for extrapolation.
func naive(ctx context.Context, srv *emulator.Server, client emulator.Client, limit int) (naiveResult, error) {
	auth := azure.AuthOptions{TenantID: srv.TenantID(), AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), HTTPClient: srv.Client()}
	cred, err := azure.NewClientSecretCredential(auth, client.ID, client.Secret)
	if err != nil {
		return naiveResult{}, err
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		return naiveResult{}, err
	}
	n := &naiveClient{hc: srv.Client(), base: srv.GraphURL(), token: tok.Token}
	start := time.Now()
	var apps, sps []string
	for _, l := range []struct {
		path string
		ids  *[]string
	}{{"/applications?$top=999", &apps}, {"/servicePrincipals?$top=999", &sps}} {
		next := n.base + l.path
		for next != "" {
			var page struct {
				Value []struct {
					ID string `json:"id"`
				} `json:"value"`
				Next string `json:"@odata.nextLink"`
			}
			if err := n.get(ctx, next, &page); err != nil {
				return naiveResult{}, err
			}
			for _, v := range page.Value {
				*l.ids = append(*l.ids, v.ID)
			}
			next = page.Next
		}
	}
	res := naiveResult{listRequests: n.requests, listWall: time.Since(start), apps: len(apps), sps: len(sps)}
	if limit > 0 && (limit < len(apps) || limit < len(sps)) {
		apps, sps, res.sampled = apps[:min(limit, len(apps))], sps[:min(limit, len(sps))], true
	}
	relStart := time.Now()
	for _, id := range apps {
		if err := n.get(ctx, n.base+"/applications/"+url.PathEscape(id)+"/owners", nil); err != nil {
			return naiveResult{}, err
		}
	}
	for _, id := range sps {
		for _, rel := range []string{"owners", "appRoleAssignments"} {
			if err := n.get(ctx, n.base+"/servicePrincipals/"+url.PathEscape(id)+"/"+rel, nil); err != nil {
				return naiveResult{}, err
			}
		}
	}
	res.relRequests, res.relWall, res.throttled = n.requests-res.listRequests, time.Since(relStart), n.throttled
	return res, nil
}

type naiveClient struct {
	hc                  *http.Client
	base, token         string
	requests, throttled int
}

// get reads one URL, waiting out 429s as Retry-After says, and decodes it
// into v (or discards it).
func (n *naiveClient) get(ctx context.Context, u string, v any) error {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+n.token)
		n.requests++
		resp, err := n.hc.Do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			n.throttled++
			resp.Body.Close()
			wait, _ := strconv.ParseFloat(strings.TrimSpace(resp.Header.Get("Retry-After")), 64)
			select {
			case <-time.After(time.Duration(max(wait, 1) * float64(time.Second))):
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			return fmt.Errorf("naive GET %s: %d %s", req.URL.Path, resp.StatusCode, body)
		}
		if v != nil {
			err = json.NewDecoder(resp.Body).Decode(v)
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
		return err
	}
}

package rotate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/azure/graph"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/wait"
)

// NewPassword is what addPassword returned. SecretText is the secret
// itself: Apply writes it to the vault and drops it.
type NewPassword struct {
	KeyID      string
	Hint       string
	SecretText string
	End        time.Time
}

// Directory is the part of Microsoft Graph rotation changes: client
// secrets with addPassword and removePassword, certificates with addKey
// and removeKey (or PATCH of keyCredentials where no certificate can sign
// the proof of possession those take).
type Directory interface {
	// AddPassword adds a client secret to the application.
	AddPassword(ctx context.Context, objectID, displayName string, end time.Time) (NewPassword, error)
	// RemovePassword removes one; a credential (or app) already gone is
	// not an error.
	RemovePassword(ctx context.Context, objectID, keyID string) error
	// PasswordCredentials lists the application's secrets (metadata).
	PasswordCredentials(ctx context.Context, objectID string) ([]msgraph.PasswordCredential, error)

	// KeyCredentials lists the application's certificates with their
	// public keys.
	KeyCredentials(ctx context.Context, objectID string) ([]msgraph.KeyCredential, error)
	// AddKey adds a public certificate with addKey; proof is a proof of
	// possession signed by a current certificate of the app. It returns
	// the new key id.
	AddKey(ctx context.Context, objectID string, k NewKey, proof string) (string, error)
	// RemoveKey removes a certificate with removeKey; a key (or app)
	// already gone is not an error.
	RemoveKey(ctx context.Context, objectID, keyID, proof string) error
	// PatchKeyCredentials replaces the application's certificates with
	// keep (sent back as KeyCredentials listed them, keys included) and
	// add, if not nil.
	PatchKeyCredentials(ctx context.Context, objectID string, keep []msgraph.KeyCredential, add *NewKey) error
}

// NewKey is a public certificate to add to an application.
type NewKey struct {
	// KeyID is the key id a PATCH gives the credential, chosen by the
	// caller so a lost answer can be looked for; addKey ignores it.
	KeyID       string
	DER         []byte
	DisplayName string
	Start, End  time.Time
}

func (k NewKey) json() map[string]any {
	m := map[string]any{"type": "AsymmetricX509Cert", "usage": "Verify", "key": base64.StdEncoding.EncodeToString(k.DER),
		"displayName": k.DisplayName, "startDateTime": k.Start.UTC().Format(time.RFC3339), "endDateTime": k.End.UTC().Format(time.RFC3339)}
	if k.KeyID != "" {
		m["keyId"] = k.KeyID
	}
	return m
}

// Usage says when an app's credentials last signed in, by key id (lower
// case).
type Usage interface {
	LastSignIns(ctx context.Context, appID string) (map[string]time.Time, error)
}

// GraphError is a refused Graph write.
type GraphError struct {
	Op         string
	StatusCode int
	Code       string
	Message    string
	RequestID  string
}

func (e *GraphError) Error() string {
	s := fmt.Sprintf("graph %s: %d", e.Op, e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request-id: " + e.RequestID + ")"
	}
	return s
}

// GraphDirectory writes credentials through Microsoft Graph. Reads go
// through the shared Graph client (paging, retries); writes go through a
// pipeline of their own, retried only when Graph says it did nothing (429,
// 503). A 504 says only that a gateway stopped waiting, so it is retried
// for the writes that can be repeated (removals, PATCH of the whole
// collection) and never for addPassword or addKey, where a second call
// would make a second credential: Apply's resume finds what a lost
// answer added.
type GraphDirectory struct {
	reads *graph.Client
	base  string
	pl    runtime.Pipeline
	sleep func(context.Context, time.Duration) error
}

// NewGraphDirectory writes at baseURL (the Graph v1.0 root) with tokens of
// scope, and reads through reads.
func NewGraphDirectory(reads *graph.Client, baseURL, scope string, cred azcore.TokenCredential, hc *http.Client) (*GraphDirectory, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("graph url %q: want https://host[:port]/v1.0", baseURL)
	}
	if reads == nil || cred == nil {
		return nil, errors.New("graph directory: a graph client and a credential are required")
	}
	if scope == "" {
		scope = graph.DefaultScope
	}
	co := &policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}, Telemetry: policy.TelemetryOptions{ApplicationID: "credwatch"}}
	if hc != nil {
		co.Transport = hc
	}
	pl := runtime.NewPipeline("credwatch", "v1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{scope}, nil)},
	}, co)
	return &GraphDirectory{reads: reads, base: u.String(), pl: pl, sleep: wait.Sleep}, nil
}

// AddPassword calls POST /applications/{id}/addPassword. The answer holds
// the secret text: it is decoded into memory and never put in an error.
func (g *GraphDirectory) AddPassword(ctx context.Context, objectID, displayName string, end time.Time) (NewPassword, error) {
	body, _ := json.Marshal(map[string]any{"passwordCredential": map[string]string{
		"displayName": displayName, "endDateTime": end.UTC().Format(time.RFC3339)}})
	op := "addPassword on application " + objectID
	raw, err := g.send(ctx, http.MethodPost, "/applications/"+url.PathEscape(objectID)+"/addPassword", body, op, false)
	if err != nil {
		return NewPassword{}, err
	}
	var pc struct {
		KeyID       string `json:"keyId"`
		Hint        string `json:"hint"`
		SecretText  string `json:"secretText"`
		EndDateTime string `json:"endDateTime"`
	}
	if json.Unmarshal(raw, &pc) != nil || pc.KeyID == "" || pc.SecretText == "" {
		// The decoder's error could quote the body, which holds the secret.
		return NewPassword{}, fmt.Errorf("graph %s: the answer is not a password credential with keyId and secretText", op)
	}
	np := NewPassword{KeyID: strings.ToLower(pc.KeyID), Hint: pc.Hint, SecretText: pc.SecretText}
	np.End, _ = time.Parse(time.RFC3339Nano, pc.EndDateTime)
	return np, nil
}

// RemovePassword calls POST /applications/{id}/removePassword; 404 (the
// key or the app is gone) counts as done.
func (g *GraphDirectory) RemovePassword(ctx context.Context, objectID, keyID string) error {
	body, _ := json.Marshal(map[string]string{"keyId": keyID})
	_, err := g.send(ctx, http.MethodPost, "/applications/"+url.PathEscape(objectID)+"/removePassword", body,
		"removePassword "+keyID+" on application "+objectID, true)
	var ge *GraphError
	if errors.As(err, &ge) && ge.StatusCode == http.StatusNotFound {
		return nil
	}
	return err
}

// PasswordCredentials reads the application's secrets.
func (g *GraphDirectory) PasswordCredentials(ctx context.Context, objectID string) ([]msgraph.PasswordCredential, error) {
	a, err := graph.Get[msgraph.Application](ctx, g.reads, "/applications/"+url.PathEscape(objectID)+"?$select=id,passwordCredentials")
	if err != nil {
		return nil, fmt.Errorf("read secrets of application %s: %w", objectID, err)
	}
	return a.PasswordCredentials, nil
}

// KeyCredentials reads the application's certificates. Selecting
// keyCredentials on the one object is what makes Graph return each key.
func (g *GraphDirectory) KeyCredentials(ctx context.Context, objectID string) ([]msgraph.KeyCredential, error) {
	a, err := graph.Get[msgraph.Application](ctx, g.reads, "/applications/"+url.PathEscape(objectID)+"?$select=id,keyCredentials")
	if err != nil {
		return nil, fmt.Errorf("read certificates of application %s: %w", objectID, err)
	}
	return a.KeyCredentials, nil
}

// AddKey calls POST /applications/{id}/addKey. The proof is never put in
// an error.
func (g *GraphDirectory) AddKey(ctx context.Context, objectID string, k NewKey, proof string) (string, error) {
	nk := k.json()
	delete(nk, "keyId")
	body, _ := json.Marshal(map[string]any{"keyCredential": nk, "passwordCredential": nil, "proof": proof})
	op := "addKey on application " + objectID
	raw, err := g.send(ctx, http.MethodPost, "/applications/"+url.PathEscape(objectID)+"/addKey", body, op, false)
	if err != nil {
		return "", err
	}
	var kc struct {
		KeyID string `json:"keyId"`
	}
	if json.Unmarshal(raw, &kc) != nil || kc.KeyID == "" {
		return "", fmt.Errorf("graph %s: the answer is not a key credential with a keyId", op)
	}
	return strings.ToLower(kc.KeyID), nil
}

// RemoveKey calls POST /applications/{id}/removeKey; 404 counts as done.
func (g *GraphDirectory) RemoveKey(ctx context.Context, objectID, keyID, proof string) error {
	body, _ := json.Marshal(map[string]string{"keyId": keyID, "proof": proof})
	_, err := g.send(ctx, http.MethodPost, "/applications/"+url.PathEscape(objectID)+"/removeKey", body,
		"removeKey "+keyID+" on application "+objectID, true)
	var ge *GraphError
	if errors.As(err, &ge) && ge.StatusCode == http.StatusNotFound {
		return nil
	}
	return err
}

// PatchKeyCredentials calls PATCH /applications/{id} with the whole
// keyCredentials collection: Graph replaces it, so every certificate to
// keep is sent back as listed, with its key (which KeyCredentials
// selects): Graph documents each item with its key, and a keyId alone is
// not documented to keep a certificate. A certificate listed without its
// key stops the PATCH before anything is sent.
func (g *GraphDirectory) PatchKeyCredentials(ctx context.Context, objectID string, keep []msgraph.KeyCredential, add *NewKey) error {
	op := "update keyCredentials of application " + objectID
	items := make([]map[string]any, 0, len(keep)+1)
	for _, k := range keep {
		if k.Key == nil || *k.Key == "" {
			return fmt.Errorf("graph %s: Graph listed certificate %s without its key, so it cannot be sent back; nothing was changed", op, k.KeyID)
		}
		items = append(items, map[string]any{"customKeyIdentifier": k.CustomKeyIdentifier, "displayName": k.DisplayName,
			"endDateTime": k.EndDateTime, "key": *k.Key, "keyId": k.KeyID, "startDateTime": k.StartDateTime, "type": k.Type, "usage": k.Usage})
	}
	if add != nil {
		items = append(items, add.json())
	}
	body, _ := json.Marshal(map[string]any{"keyCredentials": items})
	_, err := g.send(ctx, http.MethodPatch, "/applications/"+url.PathEscape(objectID), body, op, true)
	return err
}

// send sends one write, retrying the answers that say nothing was done
// (429, 503) and, when repeating the write is harmless, a gateway's
// timeout (504).
func (g *GraphDirectory) send(ctx context.Context, method, path string, body []byte, op string, repeatable bool) ([]byte, error) {
	const attempts = 4
	for attempt := 1; ; attempt++ {
		req, err := runtime.NewRequest(ctx, method, g.base+path)
		if err != nil {
			return nil, fmt.Errorf("graph %s: %w", op, err)
		}
		req.Raw().Header.Set("Accept", "application/json")
		if err := req.SetBody(streaming.NopCloser(bytes.NewReader(body)), "application/json"); err != nil {
			return nil, fmt.Errorf("graph %s: %w", op, err)
		}
		resp, err := g.pl.Do(req)
		if err != nil {
			return nil, fmt.Errorf("graph %s: %w", op, err)
		}
		raw, err := runtime.Payload(resp)
		if err != nil {
			return nil, fmt.Errorf("graph %s: read answer: %w", op, err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return raw, nil
		}
		ge := &GraphError{Op: op, StatusCode: resp.StatusCode, RequestID: resp.Header.Get("request-id")}
		var env msgraph.ErrorResponse
		if json.Unmarshal(raw, &env) == nil {
			ge.Code, ge.Message = env.Error.Code, env.Error.Message
		}
		retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable ||
			(repeatable && resp.StatusCode == http.StatusGatewayTimeout)
		if !retry || attempt >= attempts {
			return nil, ge
		}
		wait := time.Duration(attempt) * time.Second
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			wait = min(time.Duration(s)*time.Second, 30*time.Second)
		}
		if err := g.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("graph %s: %w", op, err)
		}
	}
}

// GraphUsage reads credential usage from the beta
// appCredentialSignInActivities report, parsed by internal/activity.
type GraphUsage struct{ c *graph.Client }

// NewGraphUsage reads usage through c.
func NewGraphUsage(c *graph.Client) *GraphUsage { return &GraphUsage{c} }

// LastSignIns returns the last sign-in of each of the app's keys.
func (u *GraphUsage) LastSignIns(ctx context.Context, appID string) (map[string]time.Time, error) {
	filter := strings.ReplaceAll(url.QueryEscape("appId eq '"+appID+"'"), "+", "%20")
	list, err := graph.ListAll[msgraph.AppCredentialSignInActivity](ctx, u.c, u.c.BetaURL("/reports/appCredentialSignInActivities?$filter="+filter))
	if err != nil {
		return nil, fmt.Errorf("read credential usage of app %s: %w", appID, err)
	}
	ev, err := activity.Parse(&msgraph.Activity{CredentialSignInActivities: list}, nil)
	if err != nil {
		return nil, fmt.Errorf("read credential usage of app %s: %w", appID, err)
	}
	out := map[string]time.Time{}
	for k, v := range ev.Usage.KeyLastSignIn {
		if u, ok := ev.Usage.Keys[k]; ok && !strings.EqualFold(u.AppID, appID) {
			continue
		}
		out[strings.ToLower(k)] = v
	}
	return out, nil
}

package tokencheck

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Refetch bounds how often an unknown key id triggers a fetch of the key
// set, so garbage tokens cannot make a server hammer the token service.
const Refetch = 10 * time.Second

// KeysURL is the token service's key set for tenant.
func KeysURL(authorityHost, tenant string) string {
	return strings.TrimRight(authorityHost, "/") + "/" + strings.ToLower(tenant) + "/discovery/v2.0/keys"
}

// FetchKeys reads a JWKS document and returns its RSA keys by key id.
func FetchKeys(ctx context.Context, hc *http.Client, url string) (map[string]*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("key set: status %d", resp.StatusCode)
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			continue
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return out, nil
}

// KeySetOptions configure a KeySet.
type KeySetOptions struct {
	// AuthorityHost (https://host:port/) and TenantID locate the key set.
	AuthorityHost, TenantID string
	// HTTPClient fetches it; it must trust the token service's CA.
	// Default http.DefaultClient.
	HTTPClient *http.Client
	// Fixed, when set, are the only keys trusted; nothing is fetched.
	Fixed  map[string]*rsa.PublicKey
	Logger *slog.Logger // nil = discard
}

// KeySet is the token service's signing keys, fetched when a token names
// a key not seen yet. It is safe for concurrent use.
type KeySet struct {
	url   string
	hc    *http.Client
	log   *slog.Logger
	fixed bool

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey
	fetchedAt time.Time
}

// NewKeySet returns an empty (or fixed) key set.
func NewKeySet(o KeySetOptions) *KeySet {
	k := &KeySet{url: KeysURL(o.AuthorityHost, o.TenantID), hc: o.HTTPClient, log: o.Logger, keys: map[string]*rsa.PublicKey{}}
	if k.hc == nil {
		k.hc = http.DefaultClient
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	for id, key := range o.Fixed {
		k.keys[id], k.fixed = key, true
	}
	return k
}

// Key returns the key with id kid; it is a KeyFunc.
func (k *KeySet) Key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	if k.fixed || (!k.fetchedAt.IsZero() && time.Since(k.fetchedAt) < Refetch) {
		return nil, fmt.Errorf("unknown signing key %q", kid)
	}
	k.fetchedAt = time.Now()
	keys, err := FetchKeys(ctx, k.hc, k.url)
	if err != nil {
		k.log.Warn("fetch token signing keys", "err", err)
		return nil, err
	}
	k.keys = keys
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	return nil, fmt.Errorf("unknown signing key %q", kid)
}

package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Page is one page of a Graph collection.
type Page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink,omitempty"`
	// DeltaLink ends a delta query's round: where the next round starts.
	DeltaLink string `json:"@odata.deltaLink,omitempty"`
}

// ListPages reads a collection page by page, calling fn with each page's
// items as it arrives so callers never need the whole set in memory.
// pathOrURL is relative to the version root ("/applications?$top=999") or
// an absolute nextLink (from a $batch answer) on the Graph endpoint.
// @odata.nextLink is followed verbatim; a link already followed is an error
// wrapping ErrRepeatedNextLink rather than an endless loop. Each page is
// decoded as it streams in, one item at a time; fn gets it once it is
// whole, so a page retried after a cut connection is never seen twice.
func ListPages[T any](ctx context.Context, c *Client, pathOrURL string, fn func([]T) error) error {
	_, err := readPages(ctx, c, pathOrURL, fn)
	return err
}

// readPages is ListPages returning the last page's @odata.deltaLink.
func readPages[T any](ctx context.Context, c *Client, pathOrURL string, fn func([]T) error) (string, error) {
	next, err := c.resolve(pathOrURL)
	if err != nil {
		return "", err
	}
	seen := make(map[string]bool)
	for next != "" {
		if seen[next] {
			return "", fmt.Errorf("graph %s %s: %w", http.MethodGet, pathOf(next), ErrRepeatedNextLink)
		}
		seen[next] = true
		var p Page[T]
		err := c.do(ctx, call{method: http.MethodGet, url: next, idempotent: true,
			cost: ResourceUnits(http.MethodGet, next),
			stream: func(r io.Reader) error {
				p = Page[T]{} // a retried attempt must not keep a partial page
				return streamCollection(r, func(v T) error {
					p.Value = append(p.Value, v)
					return nil
				}, func(key, v string) {
					if key == "@odata.nextLink" {
						p.NextLink = v
					} else {
						p.DeltaLink = v
					}
				})
			}})
		if err != nil {
			return "", err
		}
		if err := fn(p.Value); err != nil {
			return "", err
		}
		if p.NextLink == "" {
			return p.DeltaLink, nil
		}
		link, err := c.resolve(p.NextLink)
		if err != nil {
			return "", fmt.Errorf("graph %s %s: nextLink: %w", http.MethodGet, pathOf(next), err)
		}
		next = link
	}
	return "", nil
}

// ListAll reads a whole collection into one slice.
func ListAll[T any](ctx context.Context, c *Client, pathOrURL string) ([]T, error) {
	var all []T
	err := ListPages(ctx, c, pathOrURL, func(items []T) error {
		all = append(all, items...)
		return nil
	})
	return all, err
}

// Get reads one resource, such as "/servicePrincipals/{id}?$select=id".
func Get[T any](ctx context.Context, c *Client, path string) (T, error) {
	var v T
	u, err := c.resolve(path)
	if err != nil {
		return v, err
	}
	err = c.do(ctx, call{method: http.MethodGet, url: u, idempotent: true, cost: ResourceUnits(http.MethodGet, u), decode: func(b []byte) error {
		var fresh T
		if err := json.Unmarshal(b, &fresh); err != nil {
			return err
		}
		v = fresh
		return nil
	}})
	return v, err
}

// pathOf is a URL's path for messages, never its query.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.EscapedPath()
}

package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Page is one page of a Graph collection.
type Page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink,omitempty"`
}

// ListPages reads a collection page by page, calling fn with each page's
// items as it arrives so callers never need the whole set in memory.
// pathOrURL is relative to the version root ("/applications?$top=999") or
// an absolute nextLink (from a $batch answer) on the Graph endpoint.
// @odata.nextLink is followed verbatim; a link already followed is an error
// wrapping ErrRepeatedNextLink rather than an endless loop.
func ListPages[T any](ctx context.Context, c *Client, pathOrURL string, fn func([]T) error) error {
	next, err := c.resolve(pathOrURL)
	if err != nil {
		return err
	}
	seen := make(map[string]bool)
	for next != "" {
		if seen[next] {
			return fmt.Errorf("graph %s %s: %w", http.MethodGet, pathOf(next), ErrRepeatedNextLink)
		}
		seen[next] = true
		var p Page[T]
		err := c.do(ctx, call{method: http.MethodGet, url: next, idempotent: true, decode: func(b []byte) error {
			p = Page[T]{} // a retried attempt must not keep a partial page
			return json.Unmarshal(b, &p)
		}})
		if err != nil {
			return err
		}
		if err := fn(p.Value); err != nil {
			return err
		}
		if p.NextLink == "" {
			return nil
		}
		link, err := c.resolve(p.NextLink)
		if err != nil {
			return fmt.Errorf("graph %s %s: nextLink: %w", http.MethodGet, pathOf(next), err)
		}
		next = link
	}
	return nil
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
	err = c.do(ctx, call{method: http.MethodGet, url: u, idempotent: true, decode: func(b []byte) error {
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

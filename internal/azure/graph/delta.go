package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrNoDeltaLink is returned when a delta round ends without the
// @odata.deltaLink that would start the next one.
var ErrNoDeltaLink = errors.New("delta round ended without @odata.deltaLink")

// Delta reads one round of a delta query from pathOrURL, which is either
// the first call ("/applications/delta?$select=id,displayName", or with
// $deltatoken=latest to start from now) or the @odata.deltaLink a previous
// round returned. It calls fn with each page's items as ListPages does
// and returns the round's @odata.deltaLink. Items are the changed objects
// (with at least their changed properties) and removed ones (with
// "@removed"); the same object may come more than once.
func Delta[T any](ctx context.Context, c *Client, pathOrURL string, fn func([]T) error) (string, error) {
	link, err := readPages(ctx, c, pathOrURL, fn)
	if err != nil {
		return "", err
	}
	if link == "" {
		return "", fmt.Errorf("graph %s %s: %w", http.MethodGet, pathOf(pathOrURL), ErrNoDeltaLink)
	}
	if _, err := c.resolve(link); err != nil {
		return "", fmt.Errorf("graph %s %s: deltaLink: %w", http.MethodGet, pathOf(pathOrURL), err)
	}
	return link, nil
}

// IsDeltaExpired reports whether err says a delta token can no longer be
// used: 410 Gone, or the syncStateNotFound, resyncRequired or
// syncStateInvalid codes Graph gives an expired or unknown sync state.
// The only way on is a new round without a token.
func IsDeltaExpired(err error) bool {
	var ge *Error
	if !errors.As(err, &ge) {
		return false
	}
	if ge.StatusCode == http.StatusGone {
		return true
	}
	switch strings.ToLower(ge.Code) {
	case "syncstatenotfound", "resyncrequired", "syncstateinvalid":
		return true
	}
	return false
}

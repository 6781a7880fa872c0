package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestListPagesFollowsOpaqueNextLinksVerbatim(t *testing.T) {
	// Skip tokens are opaque: characters a URL builder would re-encode
	// must come back to the server byte for byte.
	tokens := []string{"", "RFNwdAIAAQAAAC%2Bx~y!z*", "X%3D%3D'(2)"}
	var seen []string
	var f *fixture
	f = newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.RawQuery)
		page := len(seen) - 1
		body := map[string]any{"value": []item{{ID: string(rune('a' + page))}, {ID: string(rune('A' + page))}}}
		if page+1 < len(tokens) {
			body["@odata.nextLink"] = f.srv.URL + "/v1.0/applications?$select=id&$top=999&$skiptoken=" + tokens[page+1]
		}
		writeJSON(w, http.StatusOK, body)
	}, nil)

	var pages [][]item
	err := ListPages(context.Background(), f.c, "/applications?$select=id&$top=999", func(p []item) error {
		pages = append(pages, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 || pages[2][0].ID != "c" {
		t.Fatalf("pages = %v, want 3 pages streamed in order", pages)
	}
	want := []string{"$select=id&$top=999", "$select=id&$top=999&$skiptoken=" + tokens[1], "$select=id&$top=999&$skiptoken=" + tokens[2]}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("queries sent:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

func TestListPagesStopsOnRepeatedNextLink(t *testing.T) {
	var hits atomic.Int32
	var f *fixture
	f = newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		// Page 2 points at itself: a server bug that would loop forever.
		writeJSON(w, http.StatusOK, map[string]any{"value": []item{{ID: "x"}},
			"@odata.nextLink": f.srv.URL + "/v1.0/applications?$skiptoken=page2"})
	}, nil)
	err := ListPages(context.Background(), f.c, "/applications", func([]item) error { return nil })
	if !errors.Is(err, ErrRepeatedNextLink) {
		t.Fatalf("err = %v, want ErrRepeatedNextLink", err)
	}
	if hits.Load() != 2 {
		t.Errorf("server hit %d times, want 2", hits.Load())
	}
}

func TestListPagesRefusesNextLinkOffTheGraphEndpoint(t *testing.T) {
	var hits atomic.Int32
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeJSON(w, http.StatusOK, map[string]any{"value": []item{},
			"@odata.nextLink": "https://collector.example/steal?$skiptoken=x"})
	}, nil)
	err := ListPages(context.Background(), f.c, "/applications", func([]item) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "outside the graph endpoint") {
		t.Fatalf("err = %v, want a refusal to leave the graph endpoint", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server hit %d times, want 1", hits.Load())
	}
}

func TestListPagesCallbackErrorStopsPaging(t *testing.T) {
	var f *fixture
	f = newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"value": []item{{ID: "x"}},
			"@odata.nextLink": f.srv.URL + "/v1.0/applications?$skiptoken=" + r.URL.Query().Get("$skiptoken") + "n"})
	}, nil)
	stop := errors.New("enough")
	n := 0
	err := ListPages(context.Background(), f.c, "/applications", func([]item) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("err = %v after %d pages, want the callback's error after 2", err, n)
	}
}

func TestGetDecodesOneResource(t *testing.T) {
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.0/servicePrincipals/abc" || r.URL.RawQuery != "$select=id" {
			t.Errorf("request %s?%s", r.URL.Path, r.URL.RawQuery)
		}
		writeJSON(w, http.StatusOK, item{ID: "abc"})
	}, nil)
	got, err := Get[item](context.Background(), f.c, "/servicePrincipals/abc?$select=id")
	if err != nil || got.ID != "abc" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
}

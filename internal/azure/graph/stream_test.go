package graph

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// pageReader produces a collection page of n items as it is read, so the
// page never exists whole: it records where each item's text ends and how
// much has been read.
type pageReader struct {
	n, next int
	buf     []byte
	read    int   // bytes handed out
	ends    []int // end offset of each item
	done    bool
	pad     string
}

func (p *pageReader) Read(b []byte) (int, error) {
	for len(p.buf) == 0 {
		switch {
		case p.done:
			return 0, io.EOF
		case p.next == 0 && p.ends == nil:
			p.buf = []byte(`{"@odata.context":"https://graph.example/v1.0/$metadata#applications","value":[`)
			p.ends = []int{}
		case p.next < p.n:
			sep := ","
			if p.next == 0 {
				sep = ""
			}
			item := fmt.Sprintf(`%s{"id":"%d","displayName":"%s"}`, sep, p.next, p.pad)
			p.ends = append(p.ends, p.read+len(item))
			p.buf = []byte(item)
			p.next++
		default:
			p.buf = []byte(`],"@odata.nextLink":null,"extra":{"a":[1,2]}}`)
			p.done = true
		}
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	p.read += n
	return n, nil
}

func TestStreamDecodesAPageItemByItem(t *testing.T) {
	pr := &pageReader{n: 100000, pad: strings.Repeat("x", 200)} // a 22 MB page
	type app struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
	}
	got, maxAhead := 0, 0
	err := streamCollection(pr, func(a app) error {
		if a.ID != fmt.Sprint(got) {
			return fmt.Errorf("item %d has id %s", got, a.ID)
		}
		maxAhead = max(maxAhead, pr.read-pr.ends[got])
		got++
		return nil
	}, func(k, v string) { t.Errorf("link %s=%s from a null link", k, v) })
	if err != nil {
		t.Fatal(err)
	}
	if got != pr.n {
		t.Fatalf("%d items, want %d", got, pr.n)
	}
	// Each item is decoded once its text has arrived, never after the
	// rest of the page: the reader is at most a buffer ahead.
	if maxAhead > 64<<10 {
		t.Errorf("the decoder read %d bytes past an item before handing it over", maxAhead)
	}
}

func TestStreamRejectsMalformedPages(t *testing.T) {
	for _, body := range []string{
		``,
		`[]`,
		`{"value":{}}`,
		`{"value":[{"id":"a"}]`,
		`{"value":[{"id":"a"}]} {}`,
		`{"value":[{"id":1}]}`,
	} {
		err := streamCollection(strings.NewReader(body), func(item) error { return nil }, func(string, string) {})
		if err == nil {
			t.Errorf("%q: no error", body)
		}
	}
}

func TestListPagesStreamsLargePages(t *testing.T) {
	const n = 30000
	f := newFixture(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("$skiptoken") != "" {
			fmt.Fprint(w, `{"value":[{"id":"last"}],"@odata.deltaLink":"https://elsewhere.example/x"}`)
			return
		}
		pr := &pageReader{n: n, pad: "app"}
		pr.buf = nil
		// Reuse the generator, then point the page at a second one.
		b, _ := io.ReadAll(pr)
		body := strings.Replace(string(b), `"@odata.nextLink":null`, `"@odata.nextLink":"https://`+r.Host+`/v1.0/applications?$skiptoken=2"`, 1)
		_, _ = io.WriteString(w, body)
	}, nil)
	var pages []int
	err := ListPages(context.Background(), f.c, "/applications?$top=999", func(items []item) error {
		pages = append(pages, len(items))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || pages[0] != n || pages[1] != 1 {
		t.Errorf("pages %v, want [%d 1]", pages, n)
	}
}

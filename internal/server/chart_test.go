package server

import (
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/report"
)

func TestChartBucketsByWeekFromToday(t *testing.T) {
	today := now.Truncate(24 * time.Hour)
	at := func(d time.Duration) report.CredentialRow { e := today.Add(d); return report.CredentialRow{End: &e} }
	dayD := 24 * time.Hour
	rows := []report.CredentialRow{
		{},                       // no end (federated): not on the chart
		at(-time.Hour),           // expired: not on the chart
		at(11 * time.Hour),       // earlier today than now (12:00): expired
		at(13 * time.Hour),       // later today: week 1
		at(7*dayD - time.Second), // last moment of week 1
		at(7 * dayD),             // week 2
		at(179*dayD + 23*time.Hour),
		at(180 * dayD), // past the horizon
	}
	c := buildChart("c", rows, now)
	if len(c.Bars) != 26 {
		t.Fatalf("%d bars, want 26", len(c.Bars))
	}
	counts := map[int]int{}
	for i, b := range c.Bars {
		if b.Count > 0 {
			counts[i] = b.Count
		}
	}
	if len(counts) != 3 || counts[0] != 2 || counts[1] != 1 || counts[25] != 1 || c.Total != 4 || c.Max != 2 {
		t.Errorf("counts by week %v, total %d, max %d", counts, c.Total, c.Max)
	}
	if b := c.Bars[0]; b.H != chartPlotH || b.Y != c.PlotBottom-chartPlotH || b.Label != "Mar 1 – Mar 7: 2 credentials expire" {
		t.Errorf("tallest bar %+v", b)
	}
	if b := c.Bars[1]; b.H != chartPlotH/2 {
		t.Errorf("half bar height %d", b.H)
	}
	if b := c.Bars[25]; b.Label != "Aug 23 – Aug 27: 1 credential expires" {
		t.Errorf("the last, short week: %q", b.Label)
	}
	want := "4 credentials expire from 2026-03-01 to 2026-08-27. The busiest week starts 2026-03-01 with 2."
	if c.Desc != want {
		t.Errorf("desc %q\nwant %q", c.Desc, want)
	}
}

func TestChartKeepsSmallBarsVisible(t *testing.T) {
	var rows []report.CredentialRow
	for range 200 {
		e := now.Add(time.Hour)
		rows = append(rows, report.CredentialRow{End: &e})
	}
	e := now.Add(30 * 24 * time.Hour)
	rows = append(rows, report.CredentialRow{End: &e})
	c := buildChart("c", rows, now)
	if h := c.Bars[4].H; h != 2 {
		t.Errorf("one credential next to 200 drawn %dpx high, want 2", h)
	}
}

func TestChartWithoutExpiries(t *testing.T) {
	c := buildChart("c", nil, now)
	if c.Total != 0 || !strings.HasPrefix(c.Desc, "No credential expires from 2026-03-01") {
		t.Errorf("empty chart: %d, %q", c.Total, c.Desc)
	}
	for _, b := range c.Bars {
		if b.H != 0 {
			t.Fatalf("bar drawn for nothing: %+v", b)
		}
	}
}

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	c := newLRU[int, string](2)
	c.put(1, "a")
	c.put(2, "b")
	c.get(1) // 2 is now the least recent
	c.put(3, "c")
	if _, ok := c.get(2); ok {
		t.Error("2 survived")
	}
	for _, k := range []int{1, 3} {
		if _, ok := c.get(k); !ok {
			t.Errorf("%d evicted", k)
		}
	}
}

package server

import (
	"fmt"
	"time"

	"github.com/credwatch/credwatch/internal/report"
)

const (
	chartDays  = 180
	chartWeeks = (chartDays + 6) / 7 // the last bar covers the days left over

	chartBarW   = 20
	chartGap    = 4
	chartLeft   = 34 // room for the y-axis labels
	chartTop    = 10
	chartPlotH  = 120
	chartBottom = 22 // room for the x-axis labels
)

// chart is an inline SVG bar chart of credentials expiring per week over
// the next 180 days. It is accessible: the SVG has a title and a desc that
// says what the bars show in words, each bar has its own title, and the
// same numbers are in a table for readers who cannot see the chart.
type chart struct {
	ID            string // unique within the page, for aria-labelledby
	Width, Height int
	PlotBottom    int
	Left, Right   int
	XLabelY       int // baseline of the date labels
	YLabelX       int // right edge of the count labels
	Top           int // y of the plot's top, where the Max label sits
	MaxLabelY     int
	Bars          []chartBar
	XLabels       []chartLabel
	Max           int
	Total         int
	Title, Desc   string
}

type chartBar struct {
	X, Y, W, H int
	Count      int
	Start, End time.Time // the week's first day and the day after its last
	Label      string
}

type chartLabel struct {
	X, Y int
	Text string
}

// buildChart buckets the credentials that end from now until 180 days
// after today (UTC) by calendar week counted from today, so a bar is whole
// days: "Mar 1 – Mar 7".
func buildChart(id string, rows []report.CredentialRow, now time.Time) chart {
	now = now.UTC()
	day := 24 * time.Hour
	today := now.Truncate(day)
	horizon := today.Add(chartDays * day)
	counts := make([]int, chartWeeks)
	c := chart{ID: id}
	for _, r := range rows {
		if r.End == nil || r.End.Before(now) || !r.End.Before(horizon) {
			continue
		}
		counts[int(r.End.Sub(today)/(7*day))]++
		c.Total++
	}
	for _, n := range counts {
		c.Max = max(c.Max, n)
	}
	scale := max(c.Max, 1)
	c.Left = chartLeft
	c.Right = chartLeft + chartWeeks*(chartBarW+chartGap)
	c.Width = c.Right + chartGap
	c.PlotBottom = chartTop + chartPlotH
	c.Height = c.PlotBottom + chartBottom
	c.XLabelY = c.Height - 6
	c.YLabelX = chartLeft - 4
	c.Top, c.MaxLabelY = chartTop, chartTop+8
	busiest := -1
	for i, n := range counts {
		start := today.Add(time.Duration(i*7) * day)
		end := start.Add(7 * day)
		if end.After(horizon) {
			end = horizon
		}
		h := n * chartPlotH / scale
		if n > 0 {
			h = max(h, 2) // a single credential stays visible next to a tall bar
		}
		b := chartBar{X: chartLeft + chartGap + i*(chartBarW+chartGap), W: chartBarW, H: h, Count: n,
			Start: start, End: end}
		b.Y = c.PlotBottom - h
		b.Label = fmt.Sprintf("%s – %s: %s", start.Format("Jan 2"), end.Add(-day).Format("Jan 2"),
			plural(n, "credential expires", "credentials expire"))
		c.Bars = append(c.Bars, b)
		if busiest < 0 || n > counts[busiest] {
			busiest = i
		}
		if i%4 == 0 {
			c.XLabels = append(c.XLabels, chartLabel{X: b.X, Y: c.XLabelY, Text: start.Format("Jan 2")})
		}
	}
	c.Title = "Credentials expiring per week, next 180 days"
	if c.Total == 0 {
		c.Desc = fmt.Sprintf("No credential expires from %s to %s.", today.Format(time.DateOnly),
			horizon.Add(-day).Format(time.DateOnly))
	} else {
		b := c.Bars[busiest]
		c.Desc = fmt.Sprintf("%s from %s to %s. The busiest week starts %s with %d.",
			plural(c.Total, "credential expires", "credentials expire"), today.Format(time.DateOnly),
			horizon.Add(-day).Format(time.DateOnly), b.Start.Format(time.DateOnly), b.Count)
	}
	return c
}

// plural is "1 credential expires" or "3 credentials expire".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Package chart lays out charts the server draws as SVG in a page (html/template
// escapes every label): readable without JavaScript, styled by CSS.
package chart

import (
	"fmt"
	"strings"
)

// BarChart is a horizontal bar chart.
type BarChart struct {
	Title         string
	Width, Height int
	LabelWidth    int // where the bars start
	Bars          []Bar
}

// Bar is one bar: its label, value and geometry in the 600-wide view box.
type Bar struct {
	Label       string
	Value       int
	Y, TextY, W int
	NumX        int
	Highlight   bool
}

// The bar chart's view box: drawn about as wide as it shows in a card, so
// its text keeps the page's size.
const (
	chartWidth = 480
	labelWidth = 170
	barHeight  = 22
	barGap     = 10
)

// Bars lays out values (in order) as a bar chart; the longest bar fills the
// space after the labels. highlight marks the bar of index (or -1).
func Bars(title string, labels []string, values []int, highlight int) BarChart {
	top := 0
	for _, v := range values {
		top = max(top, v)
	}
	c := BarChart{Title: title, Width: chartWidth, LabelWidth: labelWidth, Height: len(values)*(barHeight+barGap) + barGap}
	room := chartWidth - labelWidth - 44
	for i, v := range values {
		w := 0
		if top > 0 {
			w = v * room / top
		}
		y := barGap + i*(barHeight+barGap)
		c.Bars = append(c.Bars, Bar{Label: Clip(labels[i], 20), Value: v, Y: y, TextY: y + barHeight - 6, W: max(w, 2),
			NumX: labelWidth + max(w, 2) + 8, Highlight: i == highlight})
	}
	return c
}

// Clip shortens s to n characters (runes), ending it with an ellipsis.
func Clip(s string, n int) string {
	r := []rune(strings.TrimSpace(strings.ReplaceAll(s, "\n", " ")))
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return string(r)
}

// LineChart is a line over a series (the mood of each build).
type LineChart struct {
	Title  string
	Points string // the polyline's points
	Dots   []Dot
	Width  int
	Height int
	// AxisY is the baseline, LabelY the labels' line, Left and Right the
	// axis' ends.
	AxisY, LabelY, Left, Right int
}

// Dot is one point with its label and value.
type Dot struct {
	X, Y        int
	Label, Text string
}

// Line lays out values between lo and hi over the labels, left to right.
func Line(title string, labels []string, values []float64, lo, hi float64) LineChart {
	const w, h, pad = 960, 260, 40
	c := LineChart{Title: title, Width: w, Height: h, AxisY: h - pad, LabelY: h - pad + 26, Left: pad, Right: w - pad}
	var pts []string
	for i, v := range values {
		x := pad
		if len(values) > 1 {
			x = pad + i*(w-2*pad)/(len(values)-1)
		}
		y := h - pad - int((v-lo)/(hi-lo)*float64(h-2*pad))
		pts = append(pts, fmt.Sprintf("%d,%d", x, y))
		c.Dots = append(c.Dots, Dot{X: x, Y: y, Label: labels[i], Text: fmt.Sprintf("%.1f", v)})
	}
	c.Points = strings.Join(pts, " ")
	return c
}

// Counts lays out whole numbers over the labels as a line width wide (a
// half-width card takes 480), from zero to a fifth above the largest.
func Counts(title string, labels []string, values []int, width int) LineChart {
	const h, pad = 220, 30
	top := 1
	for _, v := range values {
		top = max(top, v)
	}
	hi := float64(top) * 1.2
	c := LineChart{Title: title, Width: width, Height: h, AxisY: h - pad, LabelY: h - pad + 22, Left: pad, Right: width - pad}
	var pts []string
	for i, v := range values {
		x := pad
		if len(values) > 1 {
			x = pad + i*(width-2*pad)/(len(values)-1)
		}
		y := h - pad - int(float64(v)/hi*float64(h-2*pad))
		pts = append(pts, fmt.Sprintf("%d,%d", x, y))
		c.Dots = append(c.Dots, Dot{X: x, Y: y, Label: labels[i], Text: fmt.Sprint(v)})
	}
	c.Points = strings.Join(pts, " ")
	return c
}

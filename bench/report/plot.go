package main

import (
	"fmt"
	"math"
	"strings"
)

// decade drops the zeros of a round tick label: "10.0 ms" is "10 ms".
var decade = strings.NewReplacer(".00 ", " ", ".0 ", " ")

// plot draws time per op against RUNs on log-log axes: upstream's conversion,
// the pass, the re-encoding floor and the budget (2 % of conversion). A
// straight line of slope 1 is linear; the dotted one is the pass's linear
// extrapolation from 10 RUNs.
func plot(gb goBench) []byte {
	conv := gb.series("Convert", "upstream")
	pass := gb.series("Pass", "")
	budget := make([]float64, len(conv))
	linear := make([]float64, len(conv))
	for i, c := range conv {
		budget[i] = c * passBudget
		linear[i] = pass[0] * float64(sizes[i]) / float64(sizes[0])
	}
	series := []struct {
		name, color, dash string
		ys                []float64
	}{
		{"upstream's conversion", "#555", "", conv},
		{fmt.Sprintf("budget: %g %% of conversion", passBudget*100), "#c33", "6 4", budget},
		{"the pass", "#16c", "", pass},
		{"linear from 10 RUNs", "#16c", "2 3", linear},
		{"re-encoding floor", "#3a3", "", gb.series("Recode", "")},
	}

	const w, h, left, right, top, bottom = 720, 440, 80, 220, 40, 50
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, y := range s.ys {
			lo, hi = min(lo, math.Log10(y)), max(hi, math.Log10(y))
		}
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	x := func(n int) float64 { return left + (math.Log10(float64(n))-1)/3*(w-left-right) }
	y := func(ns float64) float64 { return top + (hi-math.Log10(ns))/(hi-lo)*(h-top-bottom) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="14">Time per op against RUNs in the Dockerfile (Go benchmarks, medians, log-log)</text>`+"\n", left)
	for e := 1; e <= 4; e++ {
		n := int(math.Pow10(e))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`, x(n), top, x(n), h-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(n), h-bottom+18, count(float64(n)))
	}
	for e := lo; e <= hi; e++ {
		v := math.Pow(10, e)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, left, y(v), w-right, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y(v)+4, decade.Replace(duration(v)))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">RUNs</text>`+"\n", (left+w-right)/2, h-10)
	for i, s := range series {
		pts := make([]string, len(sizes))
		for j, n := range sizes {
			pts[j] = fmt.Sprintf("%.1f,%.1f", x(n), y(s.ys[j]))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>`+"\n", s.color, s.dash, strings.Join(pts, " "))
		if s.dash == "" {
			for j, n := range sizes {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s at %d RUNs: %s</title></circle>`+"\n",
					x(n), y(s.ys[j]), s.color, s.name, n, duration(s.ys[j]))
			}
		}
		ly := top + 10 + 22*i
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`, w-right+15, ly, w-right+45, ly, s.color, s.dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", w-right+52, ly+4, s.name)
	}
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// Command report turns the samples of bench/bench.sh into the table of
// make bench (Markdown, on stdout) and the plot of the pass's cost against
// the number of RUNs (SVG).
//
//	go run ./bench/report DIR SVG
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Budgets of issue 6.
const (
	passBudget     = 0.02 // pass / conversion at 1,000 RUNs
	linearBudget   = 1.1  // exponent of the pass's time in the number of RUNs
	cachedBudget   = 1.03 // cached rebuild, ours / upstream
	loaderBudget   = 2.0  // ms per RUN, loader v1
	loaderV2Budget = 1.0  // ms of CPU per RUN, loader v2
	maskBudget     = 1.5  // ms of CPU per RUN, loader v2 masking (the default)
	outputMB       = 100  // what bench_output's RUN prints
	latencyBudget  = 10.0 // ms a line may wait in the masking loader
	sizeBudget     = 1.02 // image, ours / upstream
	budgetRuns     = 1000
	uncachedRuns   = 50
	loaderExecs    = 200 // per build of bench/loader.sh
)

var sizes = []int{10, 100, 1000, 5000}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: report DIR SVG")
		os.Exit(2)
	}
	dir := os.Args[1]
	gb, err := readGoBench(filepath.Join(dir, "go.txt"))
	check(err)
	s, err := readSamples(filepath.Join(dir, "samples.tsv"))
	check(err)
	for _, who := range []string{"ours", "upstream", "boilerplate"} {
		steps, err := runSteps(filepath.Join(dir, "uncached-"+who), uncachedRuns)
		check(err)
		s.add("step", who, steps...)
	}
	for _, who := range []string{"ours", "upstream"} {
		steps, err := runSteps(filepath.Join(dir, "output-"+who), 1)
		check(err)
		s.add("output", who, steps...)
	}
	for _, who := range []string{"ours", "upstream"} {
		compressed, err := compressedSize(filepath.Join(dir, "manifest-"+who+".json"))
		check(err)
		s.add("compressed", who, compressed)
	}

	t := &table{}
	passRows(t, gb)
	buildRows(t, s)
	latencyRow(t, gb)
	t.print(os.Stdout)
	check(printMachine(filepath.Join(dir, "machine.tsv")))
	check(os.WriteFile(os.Args[2], plot(gb), 0o644))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

// passRows: conversion alone and with the pass, the pass alone, per size.
func passRows(t *table, gb goBench) {
	var ns []float64
	for _, n := range sizes {
		up, ours := gb.get("Convert", n, "upstream"), gb.get("Convert", n, "dotenv")
		pass := gb.get("Pass", n, "")
		t.add(fmt.Sprintf("conversion + pass, %s RUNs (Go, per op)", count(float64(n))),
			up.cell(), ours.cell(), "",
			fmt.Sprintf("%s time, %s allocs", times(ours.ns/up.ns), times(ours.allocs/up.allocs)), "", "")
		budget, met := "", ""
		if n == budgetRuns {
			budget, met = fmt.Sprintf("≤ %g %%", passBudget*100), yes(pass.ns/up.ns <= passBudget)
		}
		t.add(fmt.Sprintf("pass alone, %s RUNs", count(float64(n))), "", pass.cell(), "",
			percent(pass.ns/up.ns)+" of conversion", budget, met)
		ns = append(ns, pass.ns)
	}
	perRun := make([]string, len(sizes))
	for i, n := range sizes {
		perRun[i] = duration(ns[i] / float64(n))
	}
	k := exponent(sizes, ns)
	t.add("pass per RUN at "+joinSizes(" / ")+" RUNs", "", strings.Join(perRun, " / "), "",
		fmt.Sprintf("time ∝ RUNs^%.2f (conversion: ^%.2f)", k, exponent(sizes, gb.series("Convert", "upstream"))),
		fmt.Sprintf("linear (^≤ %g)", linearBudget), yes(k <= linearBudget))
	floor, up := gb.get("Recode", budgetRuns, ""), gb.get("Convert", budgetRuns, "upstream")
	t.add(fmt.Sprintf("re-encoding floor of any pass, %s RUNs (BenchmarkRecode)", count(budgetRuns)), "", floor.cell(), "",
		percent(floor.ns/up.ns)+" of conversion", "", "")
}

// buildRows: the figures of real builds, images and the frontend process.
func buildRows(t *table, s samples) {
	c := s.stat("cached")
	ratios := s.paired("cached", "ours", "upstream", func(o, u float64) float64 { return o / u })
	ratio := median(ratios)
	t.add(fmt.Sprintf("cached rebuild, wall; reference: builtin frontend (n = %d, %d, %d)", c["upstream"].n, c["ours"].n, c["builtin"].n),
		c["upstream"].seconds(), c["ours"].seconds(), c["builtin"].seconds(),
		fmt.Sprintf("%.3f paired, 95 %% CI %s; of medians %.3f", ratio, medianCI(ratios, "%.3f"), c["ours"].median/c["upstream"].median),
		fmt.Sprintf("≤ %g", cachedBudget), yes(ratio <= cachedBudget))

	// End to end the loader's cost drowns in the noise of whole builds: the
	// budget is judged on the loader alone (below), not on these rows.
	perRun := func(o, u float64) float64 { return (o - u) / uncachedRuns * 1000 }
	u, st := s.stat("uncached"), s.stat("step")
	paired := s.paired("uncached", "ours", "upstream", perRun)
	t.add(fmt.Sprintf("uncached build of %d RUNs, wall; reference: upstream's with the boilerplate (n = %d, %d, %d)",
		uncachedRuns, u["upstream"].n, u["ours"].n, u["boilerplate"].n),
		u["upstream"].seconds(), u["ours"].seconds(), u["boilerplate"].seconds(),
		fmt.Sprintf("%.1f ms per RUN (paired %.1f, 95 %% CI %s; vs boilerplate %.1f)", perRun(u["ours"].median, u["upstream"].median),
			median(paired), medianCI(paired, "%.1f"), perRun(u["ours"].median, u["boilerplate"].median)),
		"", "")
	t.add(fmt.Sprintf("same, one RUN step as BuildKit times it (n = %d, %d, %d)", st["upstream"].n, st["ours"].n, st["boilerplate"].n),
		st["upstream"].milliseconds(), st["ours"].milliseconds(), st["boilerplate"].milliseconds(),
		fmt.Sprintf("%.1f ms per RUN (vs boilerplate %.1f)", (st["ours"].median-st["upstream"].median)*1000,
			(st["ours"].median-st["boilerplate"].median)*1000), "", "")
	for _, f := range []struct{ key, what string }{{"loader", "wall"}, {"loader-cpu", "CPU time (user + system)"}} {
		l := s.stat(f.key) // ms per loaderExecs
		perExec := func(v float64) float64 { return v / loaderExecs / 1000 }
		extra := func(way string) float64 {
			return median(s.paired(f.key, way, "plain", func(w, p float64) float64 { return perExec(w - p) })) * 1000
		}
		d := extra("loader")
		t.add(fmt.Sprintf("the loader alone, %s: a RUN's shell without / with it; reference: inlined in the RUN's shell (%d builds × %d)",
			f.what, l["plain"].n, loaderExecs),
			scaled(l["plain"], perExec).milliseconds(), scaled(l["loader"], perExec).milliseconds(), scaled(l["inline"], perExec).milliseconds(),
			fmt.Sprintf("%.2f ms per RUN, of which the second shell %.2f; inlined %.2f", d, extra("exec"), extra("inline")),
			fmt.Sprintf("≤ %g ms", loaderBudget), yes(d <= loaderBudget))
		d2 := extra("v2")
		budget, met := "", ""
		if f.key == "loader-cpu" {
			budget, met = fmt.Sprintf("≤ %g ms", loaderV2Budget), yes(d2 <= loaderV2Budget)
		}
		t.add(fmt.Sprintf("loader v2 alone, %s: a RUN's shell without / with it; reference: with loader v1 (%d builds × %d)",
			f.what, l["plain"].n, loaderExecs),
			scaled(l["plain"], perExec).milliseconds(), scaled(l["v2"], perExec).milliseconds(), scaled(l["loader"], perExec).milliseconds(),
			fmt.Sprintf("%.2f ms per RUN (v1: %.2f; a program that only execs: %.2f)", d2, d, extra("floor")), budget, met)
		dm := extra("v2mask")
		budget, met = "", ""
		if f.key == "loader-cpu" {
			budget, met = fmt.Sprintf("≤ %g ms", maskBudget), yes(dm <= maskBudget)
		}
		t.add(fmt.Sprintf("loader v2 masking (the default) alone, %s: a RUN's shell without / with it; reference: v2 without masking (%d builds × %d)",
			f.what, l["plain"].n, loaderExecs),
			scaled(l["plain"], perExec).milliseconds(), scaled(l["v2mask"], perExec).milliseconds(), scaled(l["v2"], perExec).milliseconds(),
			fmt.Sprintf("%.2f ms per RUN (a parent that only copies the output: %.2f)", dm, extra("spawnfloor")), budget, met)
	}

	o := s.stat("output")
	extra := o["ours"].median - o["upstream"].median
	rate := "faster than upstream's"
	if extra > 0 {
		rate = fmt.Sprintf("%.0f MB/s of masking", outputMB/extra)
	}
	t.add(fmt.Sprintf("a RUN printing %d MB of text, ours masking, as BuildKit times it (n = %d, %d)", outputMB, o["upstream"].n, o["ours"].n),
		o["upstream"].seconds(), o["ours"].seconds(), "",
		fmt.Sprintf("×%.3f; %+.3f s: %s", o["ours"].median/o["upstream"].median, extra, rate), "", "")

	for _, f := range []string{"compressed", "uncompressed"} {
		z := s.stat(f)
		r := z["ours"].median / z["upstream"].median
		t.add("image linux/amd64, "+f, mb(z["upstream"].median), mb(z["ours"].median), "",
			fmt.Sprintf("%.4f", r), fmt.Sprintf("≤ %g", sizeBudget), yes(r <= sizeBudget))
	}
	for _, f := range []struct{ key, what string }{
		{"rss-build", "a build of %s RUNs (the first fails)"},
		{"rss-convertllb", "convertllb of %s RUNs"},
	} {
		r := s.stat(f.key)
		t.add(fmt.Sprintf("frontend peak RSS, "+f.what+" (n = %d, %d)", count(budgetRuns), r["upstream"].n, r["ours"].n),
			r["upstream"].kib(), r["ours"].kib(), "", times(r["ours"].median/r["upstream"].median), "", "")
	}
}

// latencyRow: how much later a line reaches the log through the masking
// loader than without it (BenchmarkMaskLatency, medians of its rounds).
func latencyRow(t *table, gb goBench) {
	l := gb["BenchmarkMaskLatency"]
	added, p99 := l["added-ms/line"], l["masked-p99-ms/line"]
	if len(added) == 0 {
		check(fmt.Errorf("no BenchmarkMaskLatency in the Go benchmarks"))
	}
	t.add(fmt.Sprintf("a line's added latency through the masking loader (BenchmarkMaskLatency, %d rounds × 2,000 lines)", len(added)),
		fmt.Sprintf("%.3f ms", median(l["alone-ms/line"])), fmt.Sprintf("%.3f ms", median(l["masked-ms/line"])), "",
		fmt.Sprintf("+%.3f ms (p99 masked %.3f ms)", median(added), median(p99)),
		fmt.Sprintf("≤ %g ms", latencyBudget), yes(median(added) <= latencyBudget))
}

// table is the one table make bench prints.
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print(f *os.File) {
	fmt.Fprintln(f, "| figure | upstream | ours | reference | ours vs upstream | budget | met |")
	fmt.Fprintln(f, "| --- | --: | --: | --: | --: | --- | --- |")
	for _, r := range t.rows {
		fmt.Fprintf(f, "| %s |\n", strings.Join(r, " | "))
	}
	fmt.Fprintln(f)
	fmt.Fprintln(f, "Medians, [first–third quartile] of the samples unless a CI is named; frontends alternate in every round.")
}

func printMachine(path string) error {
	dt, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for l := range strings.Lines(string(dt)) {
		k, v, _ := strings.Cut(strings.TrimSpace(l), "\t")
		fmt.Printf("- %s: %s\n", k, v)
	}
	return nil
}

// --- samples of real builds

type samples map[string]map[string][]sample // figure -> who -> samples

type sample struct {
	round int
	value float64
}

// add records values of figure for who, outside any round.
func (s samples) add(figure, who string, values ...float64) {
	for _, v := range values {
		s.put(figure, who, sample{value: v})
	}
}

func (s samples) put(figure, who string, x sample) {
	if s[figure] == nil {
		s[figure] = map[string][]sample{}
	}
	s[figure][who] = append(s[figure][who], x)
}

func readSamples(path string) (samples, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := samples{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 4 {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		round, err1 := strconv.Atoi(c[2])
		v, err2 := strconv.ParseFloat(strings.TrimSpace(c[3]), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
		s.put(c[0], c[1], sample{round, v})
	}
	return s, nil
}

func (s samples) stat(figure string) map[string]stat {
	m := map[string]stat{}
	for who, ss := range s[figure] {
		vs := make([]float64, len(ss))
		for i, x := range ss {
			vs[i] = x.value
		}
		m[who] = newStat(vs)
	}
	return m
}

// paired applies f to the samples of who and of other of each round.
func (s samples) paired(figure, who, other string, f func(who, other float64) float64) []float64 {
	up := map[int]float64{}
	for _, x := range s[figure][other] {
		up[x.round] = x.value
	}
	var out []float64
	for _, x := range s[figure][who] {
		if u, ok := up[x.round]; ok {
			out = append(out, f(x.value, u))
		}
	}
	return out
}

// runStep matches the progress name of a Dockerfile RUN step, "[ 3/51] RUN …"
// or "[stage-0 3/51] RUN …".
var runStep = regexp.MustCompile(`^\[[^]]*\d+/\d+\] RUN `)

// runSteps reads the rawjson progress of the builds in dir and returns how
// long each RUN step took, in seconds; each build has runs of them.
func runSteps(dir string, runs int) ([]float64, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no progress logs in %s (%v)", dir, err)
	}
	var out []float64
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		last := map[string]float64{}
		dec := json.NewDecoder(f)
		for {
			var st struct {
				Vertexes []struct {
					Digest, Name       string
					Started, Completed *time.Time
				}
			}
			if err := dec.Decode(&st); err != nil {
				break // the end, or buildctl's own lines after it
			}
			for _, v := range st.Vertexes {
				if runStep.MatchString(v.Name) && v.Started != nil && v.Completed != nil {
					last[v.Digest] = v.Completed.Sub(*v.Started).Seconds()
				}
			}
		}
		f.Close()
		if len(last) != runs {
			return nil, fmt.Errorf("%s: %d RUN steps, want %d", file, len(last), runs)
		}
		for _, d := range last {
			out = append(out, d)
		}
	}
	return out, nil
}

func compressedSize(path string) (float64, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var m struct{ Layers []struct{ Size int64 } }
	if err := json.Unmarshal(dt, &m); err != nil {
		return 0, err
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return float64(n), nil
}

// --- Go benchmarks

// goBench: benchmark name without the GOMAXPROCS suffix -> unit -> values.
type goBench map[string]map[string][]float64

func readGoBench(path string) (goBench, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gb := goBench{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		c := strings.Fields(sc.Text())
		if len(c) < 4 || !strings.HasPrefix(c[0], "Benchmark") {
			continue
		}
		name := c[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			name = name[:i]
		}
		if gb[name] == nil {
			gb[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(c); i += 2 {
			v, err := strconv.ParseFloat(c[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %v", path, sc.Text(), err)
			}
			gb[name][c[i+1]] = append(gb[name][c[i+1]], v)
		}
	}
	return gb, nil
}

type benchStat struct {
	ns, allocs float64
	time       stat
}

func (b benchStat) cell() string {
	return fmt.Sprintf("%s %s, %s allocs", duration(b.ns), b.time.spread(duration), count(b.allocs))
}

// get returns the medians of BenchmarkNAME/runs=N[/variant].
func (gb goBench) get(name string, n int, variant string) benchStat {
	key := fmt.Sprintf("Benchmark%s/runs=%d", name, n)
	if variant != "" {
		key += "/" + variant
	}
	m, ok := gb[key]
	if !ok {
		check(fmt.Errorf("no %s in the Go benchmarks' output", key))
	}
	t := newStat(m["ns/op"])
	return benchStat{ns: t.median, allocs: newStat(m["allocs/op"]).median, time: t}
}

func (gb goBench) series(name, variant string) []float64 {
	out := make([]float64, len(sizes))
	for i, n := range sizes {
		out[i] = gb.get(name, n, variant).ns
	}
	return out
}

// exponent fits time = a·n^k by least squares on logarithms and returns k.
func exponent(ns []int, ts []float64) float64 {
	var sx, sy, sxx, sxy float64
	for i := range ns {
		x, y := math.Log(float64(ns[i])), math.Log(ts[i])
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	k := float64(len(ns))
	return (k*sxy - sx*sy) / (k*sxx - sx*sx)
}

// --- statistics and formats

type stat struct {
	n              int
	median, q1, q3 float64
}

func newStat(vs []float64) stat {
	return stat{n: len(vs), median: median(vs), q1: quantile(vs, 0.25), q3: quantile(vs, 0.75)}
}

func median(vs []float64) float64 { return quantile(vs, 0.5) }

// quantile interpolates linearly between the sorted values.
func quantile(vs []float64, q float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(vs))
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[i]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// medianCI is a distribution-free 95 % confidence interval of the median of
// vs: the order statistics around it that a binomial(n, ½) allows.
func medianCI(vs []float64, format string) string {
	n := len(vs)
	k := int(math.Floor((float64(n) - 1.96*math.Sqrt(float64(n))) / 2))
	if k < 1 {
		return "n/a (too few samples)"
	}
	s := slices.Sorted(slices.Values(vs))
	return fmt.Sprintf("["+format+"–"+format+"]", s[k-1], s[n-k])
}

// scaled returns s with its figures passed through f.
func scaled(s stat, f func(float64) float64) stat {
	return stat{n: s.n, median: f(s.median), q1: f(s.q1), q3: f(s.q3)}
}

func (s stat) spread(format func(float64) string) string {
	return fmt.Sprintf("[%s–%s]", format(s.q1), format(s.q3))
}

func (s stat) with(format func(float64) string) string {
	if s.n == 0 {
		return "–"
	}
	return format(s.median) + " " + s.spread(format)
}

func (s stat) seconds() string {
	return s.with(func(v float64) string { return fmt.Sprintf("%.3f s", v) })
}

func (s stat) milliseconds() string {
	return s.with(func(v float64) string { return fmt.Sprintf("%.1f ms", v*1000) })
}

func (s stat) kib() string {
	return s.with(func(v float64) string { return fmt.Sprintf("%.1f MiB", v/1024) })
}

// duration formats nanoseconds with three significant digits.
func duration(ns float64) string {
	for _, u := range []struct {
		unit string
		ns   float64
	}{{"s", 1e9}, {"ms", 1e6}, {"µs", 1e3}} {
		if ns >= u.ns {
			return sig3(ns/u.ns) + " " + u.unit
		}
	}
	return sig3(ns) + " ns"
}

func sig3(v float64) string {
	d := max(0, 2-int(math.Floor(math.Log10(math.Abs(v)))))
	return strconv.FormatFloat(v, 'f', d, 64)
}

// count formats an integer with thousands separators.
func count(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func mb(bytes float64) string { return fmt.Sprintf("%s B (%.2f MB)", count(bytes), bytes/1e6) }

func times(r float64) string { return fmt.Sprintf("×%.3f", r) }

func percent(r float64) string { return fmt.Sprintf("%.2f %%", r*100) }

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func joinSizes(sep string) string {
	s := make([]string, len(sizes))
	for i, n := range sizes {
		s[i] = count(float64(n))
	}
	return strings.Join(s, sep)
}

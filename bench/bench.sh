#!/usr/bin/env bash
# make bench: our frontend against upstream's, measured side by side in one
# run on the stack of make up, then one table (bench/report) and the plot of
# the pass's cost (bench/pass-cost.svg). Frontends take turns in every round,
# the report takes medians. Raw samples stay in .local/bench/.
. "$(dirname "$0")/../hack/lib.sh"
[ -f "$LOCAL/env" ] || die "the stack is not up: run make up"
. "$LOCAL/env"

OUT=$LOCAL/bench
GO_ROUNDS=${BENCH_GO_ROUNDS:-5}  # rounds of the Go benchmarks
CACHED=${BENCH_CACHED:-30}       # cached rebuilds per frontend
UNCACHED=${BENCH_UNCACHED:-10}   # uncached builds of 50 RUNs per frontend
LOADER=${BENCH_LOADER:-5}        # builds timing the loader alone
RSS=${BENCH_RSS:-5}              # builds and conversions of 1,000 RUNs per frontend
OUTPUT=${BENCH_OUTPUT:-5}        # builds of a RUN printing 100 MB per frontend
SVG=${BENCH_SVG:-$ROOT/bench/pass-cost.svg}

declare -A image released comm=([ours]=dockerfile-dotenv [upstream]=dockerfile-frontend)

# record FIGURE WHO ROUND VALUE: one sample for the report.
record() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$OUT/samples.tsv"; }

# machine KEY VALUE: a line about the conditions of the run.
machine() { printf '%s\t%s\n' "$1" "$2" >>"$OUT/machine.tsv"; }

load() { machine "load average (1, 5, 15 min) $1" "$(cut -d' ' -f1-3 /proc/loadavg)"; }

# idle and total CPU jiffies of the machine since boot.
jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5 + $6, t }' /proc/stat; }

# rotate N WORD...: the WORDs, the Nth first (each takes its turn first).
rotate() {
	local n=$1
	shift
	n=$((n % $#))
	echo "${@:n+1}" "${@:1:n}"
}

# project NAME WHO BODY: a build context $OUT/NAME-WHO (printed) with a
# Dockerfile of BODY behind WHO's syntax line (none for the builtin frontend)
# and a dotenv file.
project() {
	local dir=$OUT/$1-$2
	mkdir -p "$dir"
	{
		[ "$2" = builtin ] || echo "# syntax=${image[$2]}"
		echo "$3"
	} >"$dir/Dockerfile"
	printf 'PIP_INSTALL_ARG="--index-url https://example.invalid/simple"\nOTHER=1\n' >"$dir/.env"
	echo hello >"$dir/hello.txt"
	echo "$dir"
}

# runs N: the body of a Dockerfile with N trivial RUNs.
runs() {
	echo "FROM $BASE_IMAGE"
	seq -f 'RUN echo step %g' "$1"
}

# bk DIR: the buildctl command line that builds DIR, in BK.
bk() {
	BK=(buildctl build --frontend dockerfile.v0 --local context="$1" --local dockerfile="$1"
		--secret id=_env,src="$1/.env")
}

# build LOG DIR ARGS...: build DIR with output in LOG; prints the wall time in s.
build() {
	local log=$1 start=$EPOCHREALTIME
	bk "$2"
	"${BK[@]}" "${@:3}" >"$log" 2>&1 || { tail -20 "$log" >&2; die "build of $2 failed (log $log)"; }
	awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.4f\n", e - s }'
}

# all_cached LOG: every RUN in the plain progress LOG came from the cache.
all_cached() {
	awk '/^#[0-9]+ \[.*\] RUN / { run[$1] } /^#[0-9]+ CACHED/ { hit[$1] }
		END { for (v in run) if (!(v in hit)) exit 1 }' "$1"
}

bench_go() {
	say "Go benchmarks: $GO_ROUNDS rounds (BENCH_GO_ROUNDS)"
	go -C "$ROOT" test -c -o "$OUT/frontend.test" ./frontend
	for r in $(seq "$GO_ROUNDS"); do
		(cd "$ROOT/frontend" && "$OUT/frontend.test" -test.run '^$' -test.bench 'Convert|Pass|Recode' -test.benchmem) >>"$OUT/go.txt"
	done
	# A line's way through the masking loader (loader/bench_test.go).
	for r in $(seq "$GO_ROUNDS"); do
		go -C "$ROOT" test -run '^$' -bench 'MaskLatency' -benchtime 2000x ./loader >>"$OUT/go.txt"
	done
	# Where the pass's time goes, at 1,000 RUNs.
	(cd "$ROOT/frontend" && "$OUT/frontend.test" -test.run '^$' -test.bench 'Pass/runs=1000$' -test.benchtime 5s \
		-test.cpuprofile "$OUT/pass.pprof") >/dev/null
}

bench_cached() {
	local who dir r s body
	say "cached rebuilds: $CACHED per frontend (BENCH_CACHED)"
	body="$(runs 3)
WORKDIR /app
COPY hello.txt .
RUN cat hello.txt /etc/passwd > /app/all"
	for who in ours upstream builtin; do
		dir=$(project cached "$who" "$body")
		build "$dir/warm.log" "$dir" >/dev/null
	done
	for r in $(seq "$CACHED"); do
		for who in $(rotate "$r" ours upstream builtin); do
			dir=$OUT/cached-$who
			s=$(build "$dir/$r.log" "$dir" --progress plain)
			if all_cached "$dir/$r.log"; then
				record cached "$who" "$r" "$s"
			else
				say "cached rebuild $r of $who ran steps (cache pruned?): not counted"
			fi
		done
	done
}

# Uncached builds of 50 RUNs: ours, upstream's, and upstream's with the
# boilerplate users write today (the secret mount and `. file` in each RUN).
bench_uncached() {
	local who dir r s
	say "uncached builds of 50 RUNs: $UNCACHED per frontend (BENCH_UNCACHED)"
	project uncached ours "$(runs 50)" >/dev/null
	project uncached upstream "$(runs 50)" >/dev/null
	image[boilerplate]=${image[upstream]}
	project uncached boilerplate "$(runs 50 | sed "s|^RUN |RUN --mount=type=secret,id=_env,dst=/run/secrets/_env . /run/secrets/_env \&\& |")" >/dev/null
	for r in $(seq "$UNCACHED"); do
		for who in $(rotate "$r" ours upstream boilerplate); do
			dir=$OUT/uncached-$who
			s=$(build "$dir/$r.json" "$dir" --no-cache --progress rawjson)
			record uncached "$who" "$r" "$s"
		done
	done
}

# The loader alone (bench/loader.sh) in a RUN of upstream's frontend that
# mounts the secret as ours do: what it adds to a RUN's own shell, what its
# second shell costs, and what it would cost inlined into the RUN's shell.
bench_loader() {
	local dir r way wall cpu cc golden=$ROOT/llb/testdata/loader-v1.golden
	say "the loader alone: $LOADER builds of 200 runs each way (BENCH_LOADER)"
	[ "$(sed -n 2p "$golden")" = "# id=_env target=/run/secrets/_env" ] || die "$golden changed shape"
	dir=$(project loader upstream "FROM $BASE_IMAGE
RUN --mount=type=bind,target=/bench --mount=type=secret,id=_env,target=/run/secrets/_env,mode=0444 sh /bench/loader.sh 200")
	sed -n 3p "$golden" >"$dir/loader.txt"
	cp "$ROOT/bench/loader.sh" "$dir/"
	# Loader v2 as the image carries it.
	cc=$("$ROOT/hack/cc.sh" linux/amd64)
	(cd "$ROOT" && CC=$cc hack/build-loader.sh "$dir/dotenv-loader")
	# The floors of any loader that is a program, built as the loader is.
	for floor in exec spawn; do
		# shellcheck disable=SC2086 # CC is a command line
		$cc -std=c11 -D_GNU_SOURCE -Os -static -Wl,-z,noseparate-code -s -o "$dir/floor-$floor" "$ROOT/bench/floor/$floor.c"
	done
	for r in $(seq "$LOADER"); do
		build "$dir/$r.log" "$dir" --no-cache --progress plain >/dev/null
		grep -q 'loader-bench v2 n=200' "$dir/$r.log" || die "no figures in $dir/$r.log"
		while read -r way wall cpu; do
			record loader "$way" "$r" "$((wall * 10))"
			record loader-cpu "$way" "$r" "$cpu"
		done < <(sed -n 's/.*loader-bench \([a-z0-9]*\) n=200 \([0-9]*\) \([0-9]*\)$/\1 \2 \3/p' "$dir/$r.log")
	done
}

# A RUN that prints 100 MB of text lines, which ours masks (the file's value
# is long enough to be masked) and upstream's does not: BuildKit's time of the
# RUN step, each frontend in turn. BuildKit keeps only the start of a step's
# log, but reads it all from the container.
bench_output() {
	local who dir r
	say "a RUN printing 100 MB: $OUTPUT builds per frontend (BENCH_OUTPUT)"
	for who in ours upstream; do
		project output "$who" "FROM $BASE_IMAGE
RUN yes 'a line of build output: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ' | head -c 100000000" >/dev/null
	done
	for r in $(seq "$OUTPUT"); do
		for who in $(rotate "$r" ours upstream); do
			dir=$OUT/output-$who
			build "$dir/$r.json" "$dir" --no-cache --progress rawjson >/dev/null
		done
	done
}

# Sizes of images built alike (bench/image.sh): ours as released, not the
# dev image the builds above use.
bench_size() {
	local who bytes
	say "image sizes (linux/amd64)"
	for who in ours upstream; do
		crane manifest --platform linux/amd64 "${released[$who]}" >"$OUT/manifest-$who.json"
		bytes=$(crane export --platform linux/amd64 "${released[$who]}" - | wc -c)
		record uncompressed "$who" 1 "$bytes"
	done
}

# Peak RSS of the frontend process with 1,000 RUNs: a real build whose first
# RUN fails (conversion, pass and solve of all 1,000, one RUN runs), and the
# convertllb subrequest (ours parses upstream's JSON answer, wraps it and
# writes it again).
bench_rss() {
	local who dir r token kib
	say "peak RSS with 1,000 RUNs: $RSS per frontend (BENCH_RSS)"
	go -C "$ROOT" build -o "$OUT/peakrss" ./bench/peakrss
	for who in ours upstream; do
		project rss-build "$who" "$(runs 1000 | sed '2s/^RUN .*/RUN false/')" >/dev/null
		project rss-convertllb "$who" "$(runs 1000)" >/dev/null
	done
	for r in $(seq "$RSS"); do
		for who in $(rotate "$r" ours upstream); do
			token=build-arg:BENCH_TOKEN=$who-$r-$$
			dir=$OUT/rss-build-$who
			bk "$dir"
			kib=$("$OUT/peakrss" -comm "${comm[$who]}" -env "$token" -- "${BK[@]}" --opt "$token" 2>"$dir/$r.log") ||
				grep -q '"/bin/sh -c false" did not complete successfully' "$dir/$r.log" || die "see $dir/$r.log"
			[ -n "$kib" ] || die "no peak RSS: see $dir/$r.log"
			record rss-build "$who" "$r" "$kib"
			dir=$OUT/rss-convertllb-$who
			bk "$dir"
			kib=$("$OUT/peakrss" -comm "${comm[$who]}" -env "$token" -- \
				"${BK[@]}" --opt requestid=frontend.convertllb --opt "$token" --progress quiet 2>"$dir/$r.log")
			record rss-convertllb "$who" "$r" "$kib"
		done
	done
}

rm -rf "$OUT"
mkdir -p "$OUT"
image[ours]=$FRONTEND_IMAGE@$(crane digest "$FRONTEND_IMAGE")
image[upstream]=$("$ROOT/bench/image.sh" upstream)
released=([ours]=$("$ROOT/bench/image.sh" ours) [upstream]=${image[upstream]})
machine "ours" "${image[ours]}"
machine "ours as released, for the image sizes (bench/image.sh ours)" "${released[ours]}"
machine "upstream's, built as ours are released (bench/image.sh upstream)" "${image[upstream]}"
machine "CPUs" "$(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
read -r idle total < <(jiffies)
load "at the start"
bench_go
load "after the Go benchmarks"
bench_cached
bench_uncached
bench_loader
bench_output
load "after the builds"
bench_size
bench_rss
load "at the end"
read -r idle2 total2 < <(jiffies)
machine "CPU busy over the run (this benchmark included)" \
	"$(awk -v i=$((idle2 - idle)) -v t=$((total2 - total)) 'BEGIN { printf "%.0f %%", 100 * (1 - i / t) }')"
go -C "$ROOT" run ./bench/report "$OUT" "$SVG"

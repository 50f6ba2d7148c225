#!/usr/bin/env bash
# conformance/run.sh: BuildKit's own Dockerfile integration suite (the module we
# pin) against our frontend image, through conformance/upstream-suite.sh.
#
#   conformance/run.sh full   # ours and upstream's image, both summaries, the difference
#   conformance/run.sh fast   # ours only, the fast subset (FAST_FILES)
#
# Exit status: 1 when a test fails with our image that DIFFERENCES.md does not
# list (full: a test that passes with upstream's image; fast: any failure).
# Root, linux/amd64; see upstream-suite.sh for what it installs and builds.
#
# Images: OURS_IMAGE_REF (or OURS_IMAGE_TAR) and UPSTREAM_IMAGE_REF; `make
# conformance` passes make up's dev image and upstream's built by buildkitd
# from ./Dockerfile (bench/image.sh upstream). Unset, ours is `go build` with
# the Dockerfile's flags and labels, and upstream's is built from the module by
# upstream-suite.sh, both wrapped into an image by upstream-suite.sh.
# Also: WORKDIR (default .cache/conformance), TESTS / TEST_FILES (narrow the
# full run), FAST_FILES (the fast subset), and upstream-suite.sh's own options.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
MODE=${1:-full}
FAST_FILES=${FAST_FILES:-secrets mount heredoc multistage args}
export WORKDIR=${WORKDIR:-$ROOT/.cache/conformance}
OUT=$WORKDIR/run-$(date -u +%Y%m%dT%H%M%SZ)-$MODE
BUILDKIT_VERSION=$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/moby/buildkit)
export BUILDKIT_VERSION
mkdir -p "$OUT"

say() { printf '%s\n' "$*" >&2; }

# Our image as the Dockerfile publishes it: the same build flags, the same
# caps label (read from the Dockerfile). The suite's wrapper installs the
# binary as /bin/dockerfile-frontend; the entrypoint's name is not observable.
ours_env() {
	if [ -n "${OURS_IMAGE_REF:-}" ]; then
		echo "FRONTEND_IMAGE_REF=$OURS_IMAGE_REF"
	elif [ -n "${OURS_IMAGE_TAR:-}" ]; then
		echo "FRONTEND_IMAGE_TAR=$OURS_IMAGE_TAR"
	else
		local bin=$WORKDIR/ours/dockerfile-dotenv caps
		(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -tags "netgo static_build osusergo" \
			-ldflags "-s -w -X main.Version=conformance -X main.Revision=$(git rev-parse HEAD)" \
			-o "$bin" ./cmd/dockerfile-dotenv)
		caps=$(sed -n 's/^LABEL moby\.buildkit\.frontend\.caps="\(.*\)"$/\1/p' "$ROOT/Dockerfile")
		[ -n "$caps" ] || { say "no moby.buildkit.frontend.caps label in Dockerfile"; exit 1; }
		echo "FRONTEND_BINARY=$bin"
		echo "FRONTEND_CAPS=$caps"
	fi
}

# suite NAME [VAR=value...]: one gateway-mode run; leaves $OUT/NAME.{results,summary}
suite() {
	local name=$1 logdir start
	shift
	start=$(date +%s)
	env -u FRONTEND_IMAGE_REF -u FRONTEND_IMAGE_TAR -u FRONTEND_BINARY -u FRONTEND_CAPS \
		MODE=gateway EXTRA_TEST_FILES="$HERE/testdata/dockerfile_dotenv_test.go" "$@" \
		"$HERE/upstream-suite.sh" >"$OUT/$name.out" 2>"$OUT/$name.err" || true
	logdir=$(sed -n 's/^upstream-suite: .*logs in \(.*\))$/\1/p' "$OUT/$name.out")
	[ -n "$logdir" ] && [ -f "$logdir/gateway.results" ] ||
		{ say "conformance: the $name run did not finish:"; tail -20 "$OUT/$name.err" >&2; exit 1; }
	sed 's#/frontend=gateway$##' "$logdir/gateway.results" | sort -k2 >"$OUT/$name.results"
	cp "$logdir/gateway.summary" "$OUT/$name.summary"
	cp "$logdir/gateway.reasons" "$OUT/$name.reasons"
	echo "$(($(date +%s) - start))" >"$OUT/$name.seconds"
}

# documented KIND...: test names listed in DIFFERENCES.md's table with one of KINDs
documented() {
	awk -F'|' -v kinds=" $* " '
		$2 ~ /`Test[A-Za-z0-9_]+`/ {
			t = $2; gsub(/[ `]/, "", t); k = $3; gsub(/ /, "", k)
			if (index(kinds, " " k " ")) print t
		}' "$HERE/DIFFERENCES.md" | sort -u
}

short() { sed -E 's#TestIntegration/##; s#/worker=oci##'; }

# report LIST: tests of LIST, undocumented ones marked, with our first error
report() {
	local t mark why
	while read -r t; do
		mark=""
		grep -qx "${t%%/*}" "$OUT/documented" || mark=" UNDOCUMENTED"
		why=$(awk -F'\t' -v t="TestIntegration/${t%%/*}/" 'index($1, t) == 1 { print $3; exit }' "$OUT/ours.reasons")
		echo "  $t$mark"
		[ -z "$why" ] || echo "      -> ${why:0:200}"
	done <"$1"
}

# undocumented LIST: tests of LIST (Test/matrix=value...) whose test is not documented
undocumented() { awk -F/ 'NR == FNR { d[$0]; next } !($1 in d)' "$OUT/documented" "$1"; }

full() {
	local ours
	ours_env >"$OUT/ours.env"
	mapfile -t ours <"$OUT/ours.env"
	say "conformance: our image $(head -1 "$OUT/ours.env") (log $OUT/ours.err)"
	suite ours "${ours[@]}"
	say "conformance: upstream's image $BUILDKIT_VERSION ${UPSTREAM_IMAGE_REF:-} (log $OUT/upstream.err)"
	suite upstream SKIP_TESTS="${SKIP_TESTS:+$SKIP_TESTS|}TestDotenv.*" \
		${UPSTREAM_IMAGE_REF:+FRONTEND_IMAGE_REF=$UPSTREAM_IMAGE_REF}
	echo "== with our image ($(cat "$OUT/ours.seconds")s in all)"
	cat "$OUT/ours.summary"
	echo "== with upstream's image ($(cat "$OUT/upstream.seconds")s in all)"
	cat "$OUT/upstream.summary"
	documented wrap >"$OUT/documented"
	LC_ALL=C join -j 2 "$OUT/upstream.results" "$OUT/ours.results" |
		awk '$2 == "PASS" && $3 != "PASS" { print $1 }' | short >"$OUT/differences"
	# a test that ran with upstream's image only (never reported by ours) counts too
	LC_ALL=C join -j 2 -v 1 "$OUT/upstream.results" "$OUT/ours.results" |
		awk '$2 == "PASS" { print $1 }' | short >>"$OUT/differences"
	echo "== pass with upstream's image, not with ours: $(wc -l <"$OUT/differences")"
	report "$OUT/differences"
	LC_ALL=C join -j 2 "$OUT/upstream.results" "$OUT/ours.results" |
		awk '$3 == "PASS" && $2 != "PASS" { print "  " $1 " (" $2 " with upstream)" }' | short >"$OUT/better"
	[ ! -s "$OUT/better" ] || { echo "== pass with ours only:"; cat "$OUT/better"; }
	grep ' TestIntegration/TestDotenv' "$OUT/ours.results" | short >"$OUT/own" || true
	echo "== our own tests (conformance/testdata), with our image: $(grep -c '^PASS' "$OUT/own" || true) passed of $(wc -l <"$OUT/own")"
	grep -v '^PASS' "$OUT/own" | sed 's/^/  /' || true
	undocumented "$OUT/differences" >"$OUT/undocumented"
	# Our own tests must have run: an empty list would pass unnoticed.
	if [ -s "$OUT/undocumented" ] || [ ! -s "$OUT/own" ] || grep -qv '^PASS' "$OUT/own"; then
		echo "conformance: $(wc -l <"$OUT/undocumented") undocumented difference(s) (see conformance/DIFFERENCES.md), $(grep -c '^PASS' "$OUT/own" || true) of $(wc -l <"$OUT/own") of our own tests passed"
		exit 1
	fi
	echo "conformance: no undocumented difference (results in $OUT)"
}

fast() {
	local ours f
	ours_env >"$OUT/ours.env"
	mapfile -t ours <"$OUT/ours.env"
	suite ours TESTS= TEST_FILES="$FAST_FILES" "${ours[@]}"
	documented wrap environment >"$OUT/documented"
	grep '^FAIL ' "$OUT/ours.results" | awk '{ print $2 }' | short >"$OUT/failed" || true
	head -1 "$OUT/ours.summary" | sed "s/^upstream-suite\[gateway\]/conformance-fast/; s/, log .*)/)/"
	[ ! -s "$OUT/failed" ] || { echo "failing:"; report "$OUT/failed"; }
	undocumented "$OUT/failed" >"$OUT/undocumented"
	f=$(wc -l <"$OUT/undocumented")
	[ "$f" = 0 ] || { echo "conformance-fast: $f undocumented failure(s) (details: $OUT/ours.summary)"; exit 1; }
}

case $MODE in
full) full ;;
fast) fast ;;
*) say "usage: $0 full|fast"; exit 2 ;;
esac

#!/usr/bin/env bash
# conformance/daemons.sh: our image (make up's) driven through the core
# end-to-end scenarios (e2e/) on older buildkitd releases, each built from the
# Go module proxy and started next to make up's, with the same registry and
# docker.io mirror, on its own socket and root. Prints one line per release.
# Needs make up (`. .local/env` values) and root. Exit 1 when a release fails.
#
#   DAEMON_VERSIONS  releases to try (default: the oldest that builds from
#                    the module proxy, v0.9.0, and one release of some later
#                    lines; the README's matrix names every release run)
#   CORE_TESTS       e2e tests as a go test -run regexp ^(A|B|...)$; each
#                    must run and pass
#   ENGINE=1         also the Docker Engine of make up-engine (Debian's 20.10,
#                    BuildKit 0.8), through buildx's docker driver, with
#                    ENGINE_CORE_TESTS: CORE_TESTS but TestBuildctlAndBake
#                    (buildctl cannot reach an Engine's BuildKit)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORKDIR=${WORKDIR:-$ROOT/.cache/conformance}
DAEMON_VERSIONS=${DAEMON_VERSIONS:-v0.9.0 v0.13.2 v0.16.0 v0.20.2 v0.25.2 v0.34.2}
CORE_TESTS=${CORE_TESTS:-^(TestVariablesArrive|TestWithoutSecret|TestUserAndShell|TestStageWithoutBinSh|TestFailingRun|TestBoilerplateOptOutStages|TestMultiStageTargetArgsContexts|TestSubrequests|TestBuildctlAndBake|TestCache|TestMalformedDotenv)$}

[ -f "$ROOT/.local/env" ] || { echo "daemons: run make up first" >&2; exit 1; }
# shellcheck source=/dev/null
. "$ROOT/.local/env"
export PATH=$ROOT/bin:$PATH
REGISTRY=${BASE_IMAGE%%/*}

# build VERSION: bin path of buildkitd VERSION, built once
build() {
	local v=$1 dir out=$WORKDIR/daemons/$1
	if [ ! -x "$out/buildkitd" ]; then
		mkdir -p "$out"
		dir=$(cd / && GOFLAGS=-mod=mod go mod download -json "github.com/moby/buildkit@$v" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[ -n "$dir" ] || return 1
		# the module zip has a partial vendor/: build in module mode
		(cd "$dir" && GOFLAGS=-mod=mod go build -ldflags "-X github.com/moby/buildkit/version.Version=$v" \
			-o "$out/buildkitd" ./cmd/buildkitd) >"$out/build.log" 2>&1 || return 1
	fi
	echo "$out/buildkitd"
}

PID=""
stop() {
	[ -z "$PID" ] || { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
	PID=""
}
trap stop EXIT

# run VERSION: start it, run the scenarios through it, stop it; prints a summary line
run() {
	local v=$1 bk dir sock builder log t0 p f
	dir=$WORKDIR/daemons/$v
	if ! bk=$(build "$v"); then
		echo "$v: does not build here: $(grep -m1 -vE '^go: (downloading|finding)' "$dir/build.log" | cut -c1-160)"
		return 1
	fi
	sock=$dir/buildkitd.sock builder=dotenv-conformance-${v//./-} log=$dir/e2e.log
	"$ROOT/hack/buildkitd-config.sh" "$dir/root" "unix://$sock" "$REGISTRY" >"$dir/buildkitd.toml"
	rm -f "$sock"
	"$bk" --config "$dir/buildkitd.toml" >"$dir/buildkitd.log" 2>&1 &
	PID=$!
	for _ in $(seq 150); do [ -S "$sock" ] && break; sleep 0.2; done
	[ -S "$sock" ] || { stop; echo "$v: buildkitd did not start: $(tail -1 "$dir/buildkitd.log")"; return 1; }
	docker buildx rm "$builder" >/dev/null 2>&1 || true
	docker buildx create --name "$builder" --driver remote "unix://$sock" >/dev/null
	t0=$(date +%s)
	(cd "$ROOT" && BUILDKIT_HOST=unix://$sock BUILDX_BUILDER=$builder BUILDKITD_LOG=$dir/buildkitd.log \
		go test -tags e2e -count=1 -timeout 20m -v -run "$CORE_TESTS" ./e2e/) >"$log" 2>&1 || true
	docker buildx rm "$builder" >/dev/null 2>&1 || true
	stop
	p=$(grep -c '^--- PASS' "$log" || true)
	f=$(grep '^--- FAIL' "$log" | awk '{ print $3 }' | tr '\n' ' ' || true)
	echo "$v: $p passed, $(wc -w <<<"$f") failed $f($(($(date +%s) - t0))s, log $log)"
	# every scenario of CORE_TESTS must have run: a renamed test would not match
	[ -z "$f" ] && [ "$p" -eq "$(tr '|' '\n' <<<"$CORE_TESTS" | wc -l)" ]
}

# summary NAME LOG TESTS T0: the summary line of a run; fails unless every
# scenario of TESTS ran and passed
summary() {
	local name=$1 log=$2 tests=$3 t0=$4 p f
	p=$(grep -c '^--- PASS' "$log" || true)
	f=$(grep '^--- FAIL' "$log" | awk '{ print $3 }' | tr '\n' ' ' || true)
	echo "$name: $p passed, $(wc -w <<<"$f") failed $f($(($(date +%s) - t0))s, log $log)"
	[ -z "$f" ] && [ "$p" -eq "$(tr '|' '\n' <<<"$tests" | wc -l)" ]
}

# run_engine: the scenarios through the Engine's default builder (docker
# driver). The Engine runs without a bridge (make up-engine creates no network
# device) and its BuildKit puts RUNs on the bridge unless told otherwise: a
# docker shim first in PATH adds --network host to each `docker buildx build`.
run_engine() {
	local dir=$WORKDIR/daemons/engine t0 tests version
	tests=${ENGINE_CORE_TESTS:-$(sed 's/|TestBuildctlAndBake//' <<<"$CORE_TESTS")}
	[ -f "$ROOT/.local/engine.env" ] || { echo "engine: not up (make up-engine)"; return 1; }
	# shellcheck source=/dev/null
	. "$ROOT/.local/engine.env"
	mkdir -p "$dir/bin"
	printf '#!/bin/sh\nif [ "$1 $2" = "buildx build" ]; then shift 2; set -- buildx build --network host "$@"; fi\nexec %q "$@"\n' \
		"$(command -v docker)" >"$dir/bin/docker"
	chmod +x "$dir/bin/docker"
	version=$(DOCKER_HOST=$ENGINE_HOST docker version -f '{{.Server.Version}}')
	t0=$(date +%s)
	(cd "$ROOT" && PATH=$dir/bin:$PATH DOCKER_HOST=$ENGINE_HOST BUILDX_BUILDER=default BUILDKIT_HOST=unix:///nonexistent \
		BUILDKITD_LOG= go test -tags e2e -count=1 -timeout 20m -v -run "$tests" ./e2e/) >"$dir/e2e.log" 2>&1 || true
	summary "Docker Engine $version (docker driver)" "$dir/e2e.log" "$tests" "$t0"
}

rc=0
for v in $DAEMON_VERSIONS; do run "$v" || rc=1; done
[ -z "${ENGINE:-}" ] || run_engine || rc=1
exit $rc

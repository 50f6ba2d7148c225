#!/usr/bin/env bash
# hack/dev-image.sh IMAGE: the frontend image of make up, from binaries built
# on this machine (cross-compiled, sharing the Go build cache of the unit
# tests) instead of ./Dockerfile's in-container build, with the release
# image's layout and config:
#   layer 1  /bin/dotenv-loader      built exactly as ./Dockerfile builds it
#                                    (hack/cc.sh, hack/build-loader.sh: the
#                                    same bytes with the same gcc and musl)
#   layer 2  /bin/dockerfile-dotenv  version "dev", revision HEAD
#   the labels of ./Dockerfile's LABEL lines, its ENTRYPOINT, WorkingDir / (as
#   BuildKit sets it FROM scratch).
# make release-check checks that this image and a release build agree (e2e/release_test.go).
#
# DEV_PLATFORMS: the platforms of the index. DEV_FRONTEND_PLATFORMS: those
# that carry the frontend too; the others (linux/386: end-to-end builds run
# 386 RUNs, never a 386 frontend) carry the loader only, which saves a full
# cross-compile of the frontend.
. "$(dirname "$0")/lib.sh"
. "$ROOT/hack/images.sh" # tar_dir
[ $# = 1 ] || die "usage: $0 IMAGE"
image=$1
DEV_PLATFORMS=${DEV_PLATFORMS:-linux/amd64,linux/arm64,linux/386}
DEV_FRONTEND_PLATFORMS=${DEV_FRONTEND_PLATFORMS:-linux/amd64,linux/arm64}
dockerfile=$ROOT/Dockerfile
need crane
need go "install Go first"

# dockerfile_labels: the KEY=VALUE of every LABEL instruction of ./Dockerfile,
# one a line, with VERSION, REVISION and SOURCE (the release stage's ARGs)
# expanded as BuildKit expands them.
dockerfile_labels() {
	local line rest
	VERSION=dev REVISION=$(git -C "$ROOT" rev-parse HEAD)
	SOURCE=$(sed -n 's/^ARG SOURCE=//p' "$dockerfile")
	[ -n "$SOURCE" ] || die "no ARG SOURCE= in ./Dockerfile"
	sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' "$dockerfile" | while IFS= read -r line; do
		case $line in LABEL\ *) ;; *) continue ;; esac
		rest=${line#LABEL }
		eval "set -- $rest"
		printf '%s\n' "$@"
	done
}

# platform_env PLATFORM: GOOS, GOARCH and GOARM of a platform, as ./Dockerfile sets them.
platform_env() {
	local os arch variant
	IFS=/ read -r os arch variant <<<"$1"
	printf 'GOOS=%s\nGOARCH=%s\n' "$os" "$arch"
	case $arch/$variant in arm/v*) printf 'GOARM=%s\n' "${variant#v}" ;; esac
}

# build_platform PLATFORM DIR: DIR/loader.tar and DIR/frontend.tar, the two
# layers (bin/ and its program, mtime 0, root-owned).
build_platform() {
	local platform=$1 dir=$2 env cc
	mapfile -t env < <(platform_env "$platform")
	mkdir -p "$dir/loader/bin" "$dir/frontend/bin"
	cc=$("$ROOT/hack/cc.sh" "$platform")
	(cd "$ROOT" && CC=$cc hack/build-loader.sh "$dir/loader/bin/dotenv-loader")
	tar_dir "$dir/loader" "$dir/loader.tar" bin
	if [[ ",$DEV_FRONTEND_PLATFORMS," == *",$platform,"* ]]; then
		# Not -trimpath: the unit tests' build cache (CGO_ENABLED=0, see the
		# Makefile) serves every package but main.
		env "${env[@]}" CGO_ENABLED=0 go -C "$ROOT" build -buildvcs=false -tags "netgo static_build osusergo" \
			-ldflags "-s -w -X main.Version=dev -X main.Revision=$(git -C "$ROOT" rev-parse HEAD)" \
			-o "$dir/frontend/bin/dockerfile-dotenv" ./cmd/dockerfile-dotenv
		tar_dir "$dir/frontend" "$dir/frontend.tar" bin
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t labels < <(dockerfile_labels)
[ ${#labels[@]} -gt 0 ] || die "no LABEL in ./Dockerfile"
label_args=()
for label in "${labels[@]}"; do label_args+=(-l "$label"); done
entrypoint=$(sed -n 's/^ENTRYPOINT \["\(.*\)"\]$/\1/p' "$dockerfile")
[ -n "$entrypoint" ] || die "no ENTRYPOINT [\"...\"] in ./Dockerfile"

refs=()
IFS=, read -ra platforms <<<"$DEV_PLATFORMS"
for platform in "${platforms[@]}"; do
	dir=$tmp/${platform//\//-}
	build_platform "$platform" "$dir"
	layers=(-f "$dir/loader.tar")
	[ ! -f "$dir/frontend.tar" ] || layers+=(-f "$dir/frontend.tar")
	ref=$image-${platform//\//-}
	crane append --oci-empty-base "${layers[@]}" -t "$ref" >/dev/null 2>>"$tmp/crane.log" ||
		{ cat "$tmp/crane.log"; die "crane append $ref"; }
	refs+=(-m "$(crane mutate "$ref" --set-platform "$platform" --entrypoint "$entrypoint" --workdir / \
		-e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${label_args[@]}" -t "$ref" 2>>"$tmp/crane.log")") ||
		{ cat "$tmp/crane.log"; die "crane mutate $ref"; }
done
crane index append "${refs[@]}" -t "$image" >/dev/null 2>>"$tmp/crane.log" || { cat "$tmp/crane.log"; die "crane index append $image"; }
say "pushed $image ($DEV_PLATFORMS; the frontend for $DEV_FRONTEND_PLATFORMS)"

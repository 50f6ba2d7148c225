#!/usr/bin/env bash
# bench/image.sh upstream|ours: a frontend image built the way a release is:
# ./Dockerfile through the stack's buildkitd, with the same Go image, flags
# (static, -trimpath, stripped) and platforms as hack/up.sh builds ours.
#   upstream  the package swapped for upstream's cmd/dockerfile-frontend, in
#             this module (so the same BuildKit and dependency versions);
#             upstream's image has no loader: its layer goes.
#   ours      as released, but the loader's layer copied from make up's dev
#             image (hack/build-loader.sh with the same gcc and musl: the
#             same bytes, which make release-check checks) instead of built
#             by the loader stage, which installs cross compilers.
# make up's docker/dockerfile:1 is not stripped (it would flatter our size),
# and the dev image's frontend is not -trimpath (28 KB of paths longer):
# neither is like for like. Prints the image's reference by digest.
. "$(dirname "$0")/../hack/lib.sh"
. "$ROOT/hack/images.sh" # GO_IMAGE
[ -f "$LOCAL/env" ] || die "the stack is not up: run make up"
. "$LOCAL/env"

pkg=github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case ${1:-} in
upstream)
	version=$(go -C "$ROOT" list -m -f '{{.Version}}' github.com/moby/buildkit)
	args=(--build-arg VERSION="$version")
	image=$REGISTRY/bench/dockerfile-upstream:$version
	sed -e "s|\./cmd/dockerfile-dotenv|$pkg|" -e 's|/dockerfile-dotenv|/dockerfile-frontend|g' -e '/^COPY --from=loader /d' \
		"$ROOT/Dockerfile" >"$tmp/Dockerfile"
	grep -q -- "-o /out/bin/dockerfile-frontend $pkg\$" "$tmp/Dockerfile" && ! grep -q 'from=loader' "$tmp/Dockerfile" ||
		die "./Dockerfile changed shape: update bench/image.sh"
	;;
ours)
	args=(--build-arg VERSION=dev --build-arg REVISION="$(git -C "$ROOT" rev-parse HEAD)")
	image=$REGISTRY/bench/dockerfile-dotenv:dev
	loader=$FRONTEND_IMAGE@$(crane digest "$FRONTEND_IMAGE")
	sed -e "s|^COPY --from=loader /out/ /\$|COPY --from=$loader /bin/dotenv-loader /bin/|" \
		"$ROOT/Dockerfile" >"$tmp/Dockerfile"
	grep -q -- "^COPY --from=$loader " "$tmp/Dockerfile" ||
		die "./Dockerfile changed shape: update bench/image.sh"
	;;
*) die "usage: $0 upstream|ours" ;;
esac
log=$LOGS/bench-image-$1.log

ensure_go_image
say "building $image (log .local/logs/bench-image-$1.log)"
docker buildx build --progress plain --platform "${FRONTEND_PLATFORMS:-linux/amd64,linux/arm64}" \
	-f "$tmp/Dockerfile" --build-arg GO_IMAGE="$GO_IMAGE" --build-arg GOPROXY="$(go env GOPROXY)" "${args[@]}" \
	-t "$image" --push "$ROOT" >"$log" 2>&1 ||
	{ tail -30 "$log" >&2; die "the image build failed"; }
echo "$image@$(crane digest "$image")"

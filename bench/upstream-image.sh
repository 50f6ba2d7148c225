#!/usr/bin/env bash
# Upstream's Dockerfile frontend image built exactly as ours: ./Dockerfile with
# the package swapped for upstream's cmd/dockerfile-frontend, in this module
# (so the same BuildKit and dependency versions), through the same builder,
# Go image, flags (static, stripped) and platforms as hack/up.sh builds ours.
# docker/dockerfile:1 of make up is not stripped: it would flatter our size.
# Prints the image's reference by digest.
. "$(dirname "$0")/../hack/lib.sh"
. "$ROOT/hack/images.sh" # GO_IMAGE

pkg=github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend
version=$(go -C "$ROOT" list -m -f '{{.Version}}' github.com/moby/buildkit)
image=$REGISTRY/bench/dockerfile-upstream:$version
log=$LOGS/bench-upstream.log
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Upstream's image has no loader: its layer goes.
sed -e "s|\./cmd/dockerfile-dotenv|$pkg|" -e 's|/dockerfile-dotenv|/dockerfile-frontend|g' -e '/^COPY --from=loader /d' \
	"$ROOT/Dockerfile" >"$tmp/Dockerfile"
grep -q -- "-o /out/bin/dockerfile-frontend $pkg\$" "$tmp/Dockerfile" && ! grep -q 'from=loader' "$tmp/Dockerfile" ||
	die "./Dockerfile changed shape: update bench/upstream-image.sh"

ensure_go_image
say "building $image (log .local/logs/bench-upstream.log)"
docker buildx build --progress plain --platform "${FRONTEND_PLATFORMS:-linux/amd64,linux/arm64}" \
	-f "$tmp/Dockerfile" --build-arg GO_IMAGE="$GO_IMAGE" --build-arg GOPROXY="$(go env GOPROXY)" \
	--build-arg VERSION="$version" -t "$image" --push "$ROOT" >"$log" 2>&1 ||
	{ tail -30 "$log" >&2; die "upstream's image build failed"; }
echo "$image@$(crane digest "$image")"

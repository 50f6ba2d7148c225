#!/usr/bin/env bash
# make release VERSION=x.y.z REGISTRY=<registry>/<repo>: build ./Dockerfile
# for every platform upstream's docker/dockerfile image is published for, with
# SBOM and provenance (mode=max) attestations and SOURCE_DATE_EPOCH from the
# commit; push it by digest, build it again without cache and compare, sign
# the digest with cosign, then tag it x.y.z, and x.y and x when no higher
# release of that line exists in REGISTRY.
#
# Refuses: a tree with changes or untracked files, a version without its
# CHANGELOG.md section (or whose "Loader:" line is not the code's loader), a
# tag x.y.z that exists in REGISTRY.
#
# Environment:
#   COSIGN_KEY            the signing key, a cosign key reference
#                         (default env://COSIGN_PRIVATE_KEY: the encrypted
#                         key itself in COSIGN_PRIVATE_KEY); COSIGN_PASSWORD
#   COSIGN_TLOG_UPLOAD    true (default): record the signature in the public
#                         Rekor log; false for registries without it
#   BUILDX_BUILDER        the builder: any BuildKit (no emulation needed:
#                         the Dockerfile cross-compiles)
#   RELEASE_METADATA      where to write the build's metadata JSON (optional)
#   RELEASE_REPRODUCED    where to write the digest of the second build's
#                         index (optional)
# Prints the index digest on stdout.
repo=${REGISTRY:-} # before lib.sh, whose REGISTRY is the local stack's
. "$(dirname "$0")/lib.sh"

# The platforms of upstream's image: BuildKit's docker-bake.hcl, target
# frontend-image-cross (make test checks this list against it).
PLATFORMS=linux/386,linux/amd64,linux/arm/v7,linux/arm64,linux/mips,linux/mipsle,linux/mips64,linux/mips64le,linux/s390x,linux/ppc64le,linux/riscv64
# Fewer, to try the procedure out (make release-check then fails: the
# release must have every platform).
PLATFORMS=${RELEASE_PLATFORMS:-$PLATFORMS}

VERSION=${VERSION:-}
COSIGN_KEY=${COSIGN_KEY:-env://COSIGN_PRIVATE_KEY}
COSIGN_TLOG_UPLOAD=${COSIGN_TLOG_UPLOAD:-true}
[ -n "$VERSION" ] && [ -n "$repo" ] || die "usage: make release VERSION=x.y.z REGISTRY=<registry>/<repo>"
[[ $VERSION =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] || die "VERSION $VERSION is not x.y.z"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
[[ $repo == */* && ${repo##*/} != *[:@]* ]] || die "REGISTRY $repo is not <registry>/<repo> (no tag or digest)"
for tool in docker crane cosign git go jq; do need "$tool" "run hack/tools.sh release"; done

# 1. The tree is exactly the commit.
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=all)" ] ||
	die "the tree has changes or untracked files: a release is built from a commit (git status)"
revision=$(git -C "$ROOT" rev-parse HEAD)
epoch=$(git -C "$ROOT" log -1 --format=%ct "$revision")

# 2. CHANGELOG.md has the release, naming the code's loader.
changelog=$ROOT/CHANGELOG.md
grep -Eq "^## \[${VERSION//./\\.}\] - [0-9]{4}-[0-9]{2}-[0-9]{2}\$" "$changelog" ||
	die "CHANGELOG.md has no '## [$VERSION] - YYYY-MM-DD' section: move Unreleased there first"
section_loader=$(awk -v h="## [$VERSION] - " 'index($0, h) == 1 {s = 1; next} s && /^## / {exit} s && /^Loader: / {print $2; exit}' "$changelog")
code_loader=$(go -C "$ROOT" run ./cmd/dockerfile-dotenv --version | sed -n 's/^loader: //p')
[ -n "$code_loader" ] || die "dockerfile-dotenv --version prints no loader version"
[ "$section_loader" = "$code_loader" ] ||
	die "CHANGELOG.md says 'Loader: ${section_loader:-<none>}' for $VERSION, the code's loader is $code_loader"

# 3. The version is new.
if out=$(crane digest "$repo:$VERSION" 2>&1); then
	die "$repo:$VERSION exists ($out): a release is never overwritten"
fi
case $out in
*MANIFEST_UNKNOWN* | *NAME_UNKNOWN* | *"404 Not Found"*) ;;
*) die "cannot tell whether $repo:$VERSION exists: $out" ;;
esac
[ "$COSIGN_KEY" != env://COSIGN_PRIVATE_KEY ] || [ -n "${COSIGN_PRIVATE_KEY:-}" ] ||
	die "no signing key: set COSIGN_PRIVATE_KEY (and COSIGN_PASSWORD), or COSIGN_KEY"

# Loopback registries speak plain http.
insecure=()
case ${repo%%/*} in
127.* | localhost | localhost:*) insecure=(--allow-http-registry --allow-insecure-registry) ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# build_image NAME METADATA ARGS...: ./Dockerfile for every platform, pushed by
# digest to NAME, as the release is built.
build_image() {
	local name=$1 metadata=$2
	shift 2
	SOURCE_DATE_EPOCH=$epoch nice docker buildx build --progress plain --platform "$PLATFORMS" \
		--build-arg VERSION="$VERSION" --build-arg REVISION="$revision" --build-arg GOPROXY="$(go env GOPROXY)" \
		--output "type=image,name=$name,push-by-digest=true,push=true,oci-mediatypes=true" \
		--metadata-file "$metadata" "$@" "$ROOT" >&2 || return
	sed -n 's/.*"containerimage.digest": *"\(sha256:[0-9a-f]*\)".*/\1/p' "$metadata" | head -1
}
# image_manifests REF: "platform digest" of each image of an index (not its
# attestations), sorted.
image_manifests() {
	crane manifest "$1" | jq -r '.manifests[]
		| select(.annotations["vnd.docker.reference.type"] != "attestation-manifest")
		| "\(.platform.os)/\(.platform.architecture)\(if .platform.variant then "/" + .platform.variant else "" end) \(.digest)"' | sort
}

say "building $repo $VERSION ($revision, SOURCE_DATE_EPOCH=$epoch) for $PLATFORMS"
digest=$(build_image "$repo" "$tmp/metadata.json" --sbom=true --provenance=mode=max) && [ -n "$digest" ] ||
	die "the release build failed"
[ -z "${RELEASE_METADATA:-}" ] || cp "$tmp/metadata.json" "$RELEASE_METADATA"

# Reproducible: the same commit built again, without BuildKit's cache (the Go
# build cache stays), gives the same image for every platform. The index
# itself differs by its attestations only: BuildKit's provenance records the
# build's start and end times and invocation id.
say "rebuilding without cache: the images must be the same"
again=$(build_image "$repo" "$tmp/again.json" --no-cache --sbom=false --provenance=false) && [ -n "$again" ] ||
	die "the second build failed"
image_manifests "$repo@$digest" >"$tmp/released"
image_manifests "$repo@$again" >"$tmp/again"
[ "$(wc -l <"$tmp/released")" = "$(tr , '\n' <<<"$PLATFORMS" | wc -l)" ] || die "the index has $(wc -l <"$tmp/released") images, not one per platform"
diff "$tmp/released" "$tmp/again" >&2 || die "not reproducible: the images of a second build differ (above); nothing signed or tagged"
say "reproducible: index without attestations $repo@$again"
[ -z "${RELEASE_REPRODUCED:-}" ] || echo "$again" >"$RELEASE_REPRODUCED"

say "signing $repo@$digest"
cosign sign --yes --key "$COSIGN_KEY" --tlog-upload="$COSIGN_TLOG_UPLOAD" "${insecure[@]}" \
	-a version="$VERSION" -a revision="$revision" "$repo@$digest" >&2 || die "signing failed: nothing tagged"

# x.y and x follow the highest release of their line.
tags=$(crane ls "$repo" 2>/dev/null | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' || true)
newest_in() { { printf '%s\n' "$tags" | grep -E "^${1//./\\.}\\." || true; echo "$VERSION"; } | sort -V | tail -1; }
tag_list=("$VERSION")
[ "$(newest_in "$major.$minor")" != "$VERSION" ] || tag_list+=("$major.$minor")
[ "$(newest_in "$major")" != "$VERSION" ] || tag_list+=("$major")
for tag in "${tag_list[@]}"; do
	crane tag "$repo@$digest" "$tag" >&2 || die "tagging $tag failed"
done
say "released $repo@$digest as ${tag_list[*]}"
say "verify: cosign verify --key cosign.pub $repo:$VERSION"
echo "$digest"

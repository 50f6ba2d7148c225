#!/usr/bin/env bash
# make release-check (its own target, outside make test): hack/release.sh run
# on a snapshot of this tree against the stack's registry, with a throwaway
# cosign key, then e2e/release_test.go on what it published. The snapshot is
# a one-commit repository of the files as they are now (uncommitted changes
# and untracked files included, ignored ones not), whose CHANGELOG.md has its
# Unreleased section turned into the release, as a release commit would.
. "$(dirname "$0")/lib.sh"
[ -f "$LOCAL/env" ] || die "the stack is not up: run make up"
. "$LOCAL/env"
. "$ROOT/hack/images.sh" # ensure_go_image: ./Dockerfile builds FROM docker.io/library/golang
for tool in cosign crane jq git go; do need "$tool" "run hack/tools.sh release"; done
ensure_go_image

version=${RELEASE_CHECK_VERSION:-0.0.1}
repo=$REGISTRY/release-check/$(date +%s)/dockerfile-dotenv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=$LOGS/release-check.log
: >"$log"

say "snapshot of the tree in a one-commit repository"
# The files make up's dev image is built from: tracked and untracked, not ignored.
tree=$(export GIT_INDEX_FILE=$tmp/index && git -C "$ROOT" add -A && git -C "$ROOT" write-tree)
src=$tmp/src
mkdir -p "$src"
git -C "$ROOT" archive "$tree" | tar -x -C "$src"
code_loader=$(go -C "$src" run ./cmd/dockerfile-dotenv --version | sed -n 's/^loader: //p')
sed -i -e "s/^## \[Unreleased\]\$/## [$version] - $(date -u +%F)/" "$src/CHANGELOG.md"
awk -v h="## [$version] - " -v l="$code_loader" 'index($0, h) == 1 {s = 1} s && /^Loader: / {$0 = "Loader: " l; s = 0} {print}' \
	"$src/CHANGELOG.md" >"$tmp/changelog" && mv "$tmp/changelog" "$src/CHANGELOG.md"
(
	cd "$src"
	export GIT_AUTHOR_NAME=release-check GIT_AUTHOR_EMAIL=release-check@invalid GIT_COMMITTER_NAME=release-check GIT_COMMITTER_EMAIL=release-check@invalid
	export GIT_AUTHOR_DATE="$(git -C "$ROOT" log -1 --format=%cI HEAD)" GIT_COMMITTER_DATE="$(git -C "$ROOT" log -1 --format=%cI HEAD)"
	git init -q && git add -A && git commit -q -m "release-check snapshot of $(git -C "$ROOT" rev-parse --short HEAD)"
)
# release.sh of the snapshot runs with this checkout's tools and stack.
release() { VERSION=$1 REGISTRY=$repo "$src/hack/release.sh"; }
# The snapshot's hack/lib.sh would find its own (empty) bin/ and .local/.
ln -s "$BIN" "$src/bin"
ln -s "$LOCAL" "$src/.local"
printf '/bin\n/.local\n' >>"$src/.git/info/exclude"

say "throwaway cosign key"
(cd "$tmp" && COSIGN_PASSWORD=release-check cosign generate-key-pair >/dev/null 2>>"$log") || { tail "$log"; die "cosign generate-key-pair"; }
export COSIGN_PASSWORD=release-check COSIGN_PRIVATE_KEY
COSIGN_PRIVATE_KEY=$(cat "$tmp/cosign.key")
export COSIGN_TLOG_UPLOAD=false

# refused VERSION WHY...: release.sh must fail, saying WHY.
refused() {
	local version=$1 why=$2 out
	if out=$(release "$version" 2>&1); then
		die "release.sh released $version: $why was not refused"
	fi
	grep -qF -- "$why" <<<"$out" || { echo "$out" >&2; die "release.sh failed for another reason than: $why"; }
	say "refused: $why"
}

refused "$version.0" "is not x.y.z"
refused 9.9.9 "CHANGELOG.md has no '## [9.9.9]"
touch "$src/untracked"
refused "$version" "untracked files"
rm "$src/untracked"

say "make release VERSION=$version REGISTRY=$repo (log .local/logs/release-check.log)"
start=$(date +%s)
RELEASE_METADATA=$tmp/metadata.json RELEASE_REPRODUCED=$tmp/reproduced release "$version" >"$tmp/digest" 2>>"$log" ||
	{ tail -40 "$log"; die "the release failed"; }
say "released in $(($(date +%s) - start)) s: $repo@$(cat "$tmp/digest")"
refused "$version" "exists"

say "checking the release (e2e/release_test.go)"
RELEASE_IMAGE=$repo:$version RELEASE_DIGEST=$(cat "$tmp/digest") RELEASE_REPRODUCED=$(cat "$tmp/reproduced") \
	RELEASE_REVISION=$(git -C "$src" rev-parse HEAD) RELEASE_VERSION=$version \
	RELEASE_EPOCH=$(git -C "$src" log -1 --format=%ct) RELEASE_PUBLIC_KEY=$tmp/cosign.pub \
	RELEASE_LOADER=$([ -f "$src/loader/main.c" ] && echo true || echo false) \
	go -C "$ROOT" test -tags "e2e release" -count=1 -timeout 30m -run 'TestRelease' -v ./e2e/ >"$tmp/test.log" 2>&1 ||
	{ cat "$tmp/test.log" >>"$log"; grep -E '^\s*(--- |FAIL|ok)|_test.go' "$tmp/test.log"; die "the release check failed (log .local/logs/release-check.log)"; }
cat "$tmp/test.log" >>"$log"
grep -E '^\s*--- ' "$tmp/test.log"
say "ok: the release is signed, attested, reproducible, for every platform of upstream's image"

#!/usr/bin/env bash
# make tools: the pinned tools in ./bin, the buildx CLI plugin, the Debian
# packages the stack needs and the foreign busybox for the stand-in base image.
# Each step is skipped when its result is already there.
. "$(dirname "$0")/lib.sh"

# go_tools MODULE_DIR PACKAGE...: go build PACKAGEs of MODULE_DIR into bin/
# when a binary is missing or the module's go.mod/go.sum changed since; each
# MODULE/version.Version in ldflags_version gets the module's version.
go_tools() {
	local dir=$1 stamp sum pkg mod ldflags= missing=
	shift
	stamp=$BIN/.$(basename "$dir").sum
	sum=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum)
	for pkg; do [ -x "$BIN/$(basename "$pkg")" ] || missing=1; done
	if [ -z "$missing" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
		return
	fi
	say "building $* (${dir#"$ROOT"/})"
	for mod in $ldflags_version; do
		ldflags+=" -X $mod/version.Version=$(go -C "$dir" list -m -f '{{.Version}}' "$mod")"
	done
	mkdir -p "$BIN"
	go -C "$dir" build -trimpath -ldflags="$ldflags" $gcflags -o "$BIN/" "$@"
	echo "$sum" >"$stamp"
}

apt_updated=
apt_get() {
	[ -n "$apt_updated" ] || { say "apt-get update"; as_root apt-get -qq "$@" update || true; apt_updated=1; }
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq -o APT::Sandbox::User=root "$@"
}

# The static busybox of a Debian architecture, extracted from its package.
foreign_busybox() {
	local arch=$1 dir=$CACHE/busybox/$1 tmp
	[ -x "$dir/busybox" ] && return
	say "fetching busybox-static:$arch"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt_get -o "APT::Architectures::=$arch" download "busybox-static:$arch")
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
	mkdir -p "$dir"
	mv "$tmp/x/bin/busybox" "$dir/busybox"
	rm -rf "$tmp"
}

need go "install Go first"
ldflags_version="github.com/moby/buildkit github.com/docker/buildx" gcflags=
go_tools "$ROOT/tools" github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl \
	github.com/docker/buildx/cmd/buildx github.com/google/go-containerregistry/cmd/crane
if [ -x "$BIN/docker" ] || ! command -v docker >/dev/null; then
	# docker/cli has no go.mod: Go would compile it as go1.16 code.
	ldflags_version=github.com/docker/cli/cli gcflags=-gcflags=github.com/docker/cli/...=-lang=go1.26
	go_tools "$ROOT/tools/docker" github.com/docker/cli/cmd/docker
fi

mkdir -p "$DOCKER_CONFIG/cli-plugins"
ln -sfn "$BIN/buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"

command -v runc >/dev/null || apt_get install -y --no-install-recommends runc
dpkg -s busybox-static >/dev/null 2>&1 || apt_get install -y --no-install-recommends busybox-static
foreign_busybox i386

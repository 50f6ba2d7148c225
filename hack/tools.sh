#!/usr/bin/env bash
# make tools: the pinned tools in ./bin, the buildx CLI plugin, the Debian
# packages the stack needs and the foreign busybox for the stand-in base image.
# Each step is skipped when its result is already there.
#
# hack/tools.sh release: also what releasing and checking a release need:
# cosign (tools/cosign) and qemu-user-static (a release's binaries of every
# platform run under emulation in make test). make up does not need them.
. "$(dirname "$0")/lib.sh"

# go_tools MODULE_DIR PACKAGE...: go build PACKAGEs of MODULE_DIR into bin/
# when a binary is missing or the module's go.mod/go.sum changed since; the
# Version variable of each package in $version_pkgs is set to its module's.
go_tools() {
	local dir=$1 stamp sum pkg version ldflags= missing=
	shift
	stamp=$BIN/.$(basename "$dir").sum
	sum=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum)
	for pkg; do [ -x "$BIN/$(basename "$pkg")" ] || missing=1; done
	if [ -z "$missing" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
		return
	fi
	say "building $* (${dir#"$ROOT"/})"
	for pkg in $version_pkgs; do
		version=$(go -C "$dir" list -f '{{.Module.Version}}' "$pkg")
		ldflags+=" -X $pkg.Version=${version%+incompatible}"
	done
	mkdir -p "$BIN"
	go -C "$dir" build -trimpath -ldflags="$ldflags" $gcflags -o "$BIN/" "$@"
	echo "$sum" >"$stamp"
}

# apt_get ARGS...: apt-get as root, after one apt-get update (with the lists of
# the foreign architectures we download from; an index that fails is not fatal).
foreign_archs=(-o APT::Architectures::=i386)
apt_updated=
apt_get() {
	if [ -z "$apt_updated" ]; then
		say "apt-get update"
		as_root apt-get -qq "${foreign_archs[@]}" update || say "apt-get update failed in part: going on"
		apt_updated=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq -o APT::Sandbox::User=root "$@"
}

# The static busybox of a Debian architecture, extracted from its package.
foreign_busybox() {
	local arch=$1 dir=$CACHE/busybox/$1 tmp
	[ -x "$dir/busybox" ] && return
	say "fetching busybox-static:$arch"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt_get "${foreign_archs[@]}" download "busybox-static:$arch")
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
	mkdir -p "$dir"
	mv "$tmp/x/bin/busybox" "$dir/busybox"
	rm -rf "$tmp"
}

need go "install Go first"
version_pkgs="github.com/moby/buildkit/version github.com/docker/buildx/version" gcflags=
go_tools "$ROOT/tools" github.com/moby/buildkit/cmd/buildkitd github.com/moby/buildkit/cmd/buildctl \
	github.com/docker/buildx/cmd/buildx github.com/google/go-containerregistry/cmd/crane
if [ -x "$BIN/docker" ] || ! command -v docker >/dev/null; then
	# docker/cli has no go.mod: Go would compile it as go1.16 code.
	version_pkgs=github.com/docker/cli/cli/version gcflags=-gcflags=github.com/docker/cli/...=-lang=go1.26
	go_tools "$ROOT/tools/docker" github.com/docker/cli/cmd/docker
fi

mkdir -p "$DOCKER_CONFIG/cli-plugins"
ln -sfn "$BIN/buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"

command -v runc >/dev/null || apt_get install -y --no-install-recommends runc
dpkg -s busybox-static >/dev/null 2>&1 || apt_get install -y --no-install-recommends busybox-static
# The loader is C, static against musl (hack/build-loader.sh), built with
# the compiler hack/cc.sh prints for each platform of the dev image: it
# installs Debian's gcc for the platform and unpacks musl once. The tests
# also build it with gcc's sanitizers, and call it through cgo.
command -v gcc >/dev/null || apt_get install -y --no-install-recommends gcc libc6-dev
for platform in linux/amd64 linux/arm64 linux/386; do
	"$ROOT/hack/cc.sh" "$platform" >/dev/null || die "hack/cc.sh $platform failed"
done
foreign_busybox i386

# linux/386 RUNs: BuildKit runs 386 binaries natively on amd64 (it never uses
# an emulator for them), but some kernels (VMs without IA32 emulation) cannot.
# Then let binfmt_misc hand them to qemu: F keeps the interpreter open for
# containers, P keeps argv[0] (busybox applets need it).
if ! "$CACHE/busybox/i386/busybox" true 2>/dev/null; then
	say "this kernel cannot run i386 binaries: registering qemu-i386 with binfmt_misc"
	[ -x /usr/bin/qemu-i386-static ] || apt_get install -y --no-install-recommends qemu-user-static
	binfmt=/proc/sys/fs/binfmt_misc
	[ -e $binfmt/register ] || as_root mount -t binfmt_misc binfmt_misc $binfmt
	printf '%s' ':qemu-i386:M::\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00:\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-i386-static:FP' |
		as_root tee $binfmt/register >/dev/null
	"$CACHE/busybox/i386/busybox" true || die "i386 binaries still do not run"
fi

# Releasing (make release, make release-check).
if [ "${1:-}" = release ]; then
	version_pkgs= gcflags=
	go_tools "$ROOT/tools/cosign" github.com/sigstore/cosign/v2/cmd/cosign
	command -v jq >/dev/null || apt_get install -y --no-install-recommends jq
	[ -x /usr/bin/qemu-riscv64-static ] || apt_get install -y --no-install-recommends qemu-user-static
fi

#!/usr/bin/env bash
# hack/cc.sh PLATFORM: prints the C compiler command that builds the loader
# for PLATFORM (linux/amd64, linux/arm64, linux/386, linux/arm/v7, linux/mips,
# linux/mipsle, linux/mips64, linux/mips64le, linux/ppc64le, linux/s390x,
# linux/riscv64): Debian's gcc for the platform with musl's specs, static.
# What is missing is installed first: the cross gcc (apt-get), and musl for
# the platform under $MUSL_CACHE/<arch>, from the files hack/musl.lock pins.
#
#   CC="$(hack/cc.sh linux/arm64)" hack/build-loader.sh out/dotenv-loader
#
# Standalone (no hack/lib.sh): ./Dockerfile's loader stage runs it too.
set -euo pipefail
[ $# = 1 ] || { echo "usage: $0 PLATFORM" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
MUSL_CACHE=${MUSL_CACHE:-$root/.cache/musl}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian architecture, gcc triplet, musl triplet.
case $1 in
linux/amd64) set -- amd64 x86_64-linux-gnu x86_64-linux-musl ;;
linux/arm64) set -- arm64 aarch64-linux-gnu aarch64-linux-musl ;;
linux/386) set -- i386 i686-linux-gnu i386-linux-musl ;;
linux/arm/v7) set -- armhf arm-linux-gnueabihf arm-linux-musleabihf ;;
linux/mips) set -- mips mips-linux-gnu mips-linux-musl ;;
linux/mipsle) set -- mipsel mipsel-linux-gnu mipsel-linux-musl ;;
linux/mips64) set -- mips64 mips64-linux-gnuabi64 mips64-linux-musl ;;
linux/mips64le) set -- mips64el mips64el-linux-gnuabi64 mips64el-linux-musl ;;
linux/ppc64le) set -- ppc64el powerpc64le-linux-gnu powerpc64le-linux-musl ;;
linux/s390x) set -- s390x s390x-linux-gnu s390x-linux-musl ;;
linux/riscv64) set -- riscv64 riscv64-linux-gnu riscv64-linux-musl ;;
*) die "no loader for platform $1" ;;
esac
arch=$1 gnu=$2 musl=$3
dir=$MUSL_CACHE/$arch

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_install PACKAGE: apt-get install, after apt-get update when the lists
# lack it (a fresh machine, or an image that removed them).
apt_install() {
	log "installing $1"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends "$1" >/dev/null 2>&1 ||
		{ as_root apt-get -qq update && as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get -qq install -y --no-install-recommends "$1" >/dev/null; } ||
		die "apt-get install $1 failed"
}

# The gcc of the platform: the host's own or Debian's cross compiler.
command -v "$gnu-gcc" >/dev/null || apt_install "gcc-$gnu"

# fetch NAME FILE: FILE, the locked file of NAME (an architecture or source),
# downloaded and checked.
fetch() {
	local path sum
	read -r path sum < <(awk -v n="$1" '$1 == n { print $2, $3 }' "$root/hack/musl.lock")
	[ -n "$path" ] || return 1
	log "fetching $path"
	command -v curl >/dev/null || command -v wget >/dev/null || apt_install curl
	if command -v curl >/dev/null; then curl -fsSL -o "$2" "$MIRROR/$path"; else wget -q -O "$2" "$MIRROR/$path"; fi
	echo "$sum  $2" | sha256sum -c --quiet - || die "$path: checksum mismatch"
}

if [ ! -f "$dir/musl-gcc.specs" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	if fetch "$arch" "$tmp/musl-dev.deb"; then
		dpkg-deb -x "$tmp/musl-dev.deb" "$tmp/x"
		mkdir -p "$tmp/out"
		mv "$tmp/x/usr/lib/$musl" "$tmp/out/lib"
		mv "$tmp/x/usr/include/$musl" "$tmp/out/include"
	else
		# Debian has no musl for this architecture: its source, built with
		# the platform's gcc (static library and start files only).
		fetch source "$tmp/musl.tar.gz" || die "hack/musl.lock has no source"
		tar -C "$tmp" -xzf "$tmp/musl.tar.gz"
		log "building musl for $arch"
		(cd "$tmp"/musl-*/ && ./configure --prefix="$tmp/out" --target="$gnu" \
			CROSS_COMPILE="$gnu-" --disable-shared >/dev/null &&
			make -j"$(nproc)" install >/dev/null) || die "building musl for $arch failed"
	fi
	# musl-gcc's specs (as Debian's and musl's own), pointing into $dir.
	cat >"$tmp/out/musl-gcc.specs" <<SPECS
%rename cpp_options old_cpp_options

*cpp_options:
-nostdinc -isystem $dir/include -isystem include%s %(old_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem $dir/include -isystem include%s

*link_libgcc:
-L$dir/lib -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
%{!shared: $dir/lib/Scrt1.o} $dir/lib/crti.o crtbeginS.o%s

*endfile:
crtendS.o%s $dir/lib/crtn.o

*link:
-nostdlib %{shared:-shared} %{static:-static} %{rdynamic:-export-dynamic}
SPECS
	mkdir -p "$MUSL_CACHE"
	rm -rf "$dir"
	mv "$tmp/out" "$dir"
fi
echo "$gnu-gcc -specs $dir/musl-gcc.specs"

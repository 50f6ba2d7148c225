# Stand-ins for the docker.io images the builds need, pushed to the loopback
# registry under their docker.io names: buildkitd uses that registry as its
# docker.io mirror. Sourced by up.sh (after lib.sh).

BASE_IMAGE=$REGISTRY/library/busybox:latest
GO_VERSION=$(go env GOVERSION | sed 's/^go//')
GO_IMAGE=$REGISTRY/library/golang:$GO_VERSION
DOCKERFILE_IMAGE=$REGISTRY/docker/dockerfile:1
SBOM_SCANNER_IMAGE=$REGISTRY/docker/buildkit-syft-scanner:stable-1
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# present IMAGE: whether the registry has IMAGE.
present() { crane digest "$1" >/dev/null 2>&1; }

# ensure_go_image: the Go toolchain stand-in, pushed when missing.
ensure_go_image() {
	present "$GO_IMAGE" || { say "pushing $GO_IMAGE"; push_go_image; }
}

# crane with its progress lines in .local/logs/images.log (shown on failure).
crane_log() {
	crane "$@" 2>>"$LOGS/images.log" || { tail -5 "$LOGS/images.log" >&2; return 1; }
}

# busybox_layer BUSYBOX TAR: a root filesystem of the static BUSYBOX (its
# applets as symlinks, root and nobody, /tmp) as an image layer tarball.
busybox_layer() {
	local busybox=$1 tar=$2 root applet
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp}
	chmod 1777 "$root/tmp"
	chmod 700 "$root/root"
	install -m 755 "$busybox" "$root/bin/busybox"
	# Debian builds every architecture's busybox-static with one configuration,
	# so the host's applet list serves the foreign ones too.
	for applet in $(/bin/busybox --list-full); do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	tar_dir "$root" "$tar" bin etc root sbin tmp usr
	rm -rf "$root"
}

# tar_dir DIR TAR PATH...: a reproducible tarball of PATHs under DIR.
tar_dir() {
	local dir=$1 tar=$2
	shift 2
	tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$tar" "$@"
}

# The busybox stand-in: one image per platform, then an index of them.
push_base_image() {
	local tmp arch busybox refs=()
	tmp=$(mktemp -d)
	for arch in amd64 386; do
		case $arch in
		amd64) busybox=/bin/busybox ;;
		386) busybox=$CACHE/busybox/i386/busybox ;;
		esac
		[ -x "$busybox" ] || die "$busybox missing: run make tools"
		busybox_layer "$busybox" "$tmp/$arch.tar"
		crane_log append --oci-empty-base -f "$tmp/$arch.tar" -t "$BASE_IMAGE-$arch" >/dev/null
		refs+=(-m "$(crane_log mutate "$BASE_IMAGE-$arch" --set-platform "linux/$arch" \
			-e PATH=$IMAGE_PATH --cmd sh -t "$BASE_IMAGE-$arch")")
	done
	crane_log index append "${refs[@]}" -t "$BASE_IMAGE" >/dev/null
	rm -rf "$tmp"
}

# The Go toolchain stand-in, shaped like the official image: a Debian bookworm
# root (debootstrap's minbase with gcc, make, git, curl and CA certificates,
# as golang:<version> has them, apt lists removed), this machine's GOROOT and
# CA certificates (the module proxy's certificate may be signed by a CA only
# this machine trusts) and the official image's environment. Debian's apt answers inside its containers
# (host networking): ./Dockerfile's loader stage installs cross compilers
# there. The root's tarball is kept in .cache (debootstrap takes minutes).
# Only releases (make release-check) and make bench build with it.
push_go_image() {
	local tmp goroot root_tar=$CACHE/debian-bookworm-golang-root.tar
	tmp=$(mktemp -d)
	if [ ! -f "$root_tar" ]; then
		command -v debootstrap >/dev/null || { . "$ROOT/hack/apt.sh"; apt_install debootstrap; }
		say "debootstrap of Debian bookworm for the Go image stand-in (once; log .local/logs/debootstrap.log)"
		mkdir -p "$LOGS" "$CACHE"
		as_root debootstrap --variant=minbase --include=gcc,libc6-dev,make,git,curl,ca-certificates \
			bookworm "$tmp/debian" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$LOGS/debootstrap.log" 2>&1 ||
			{ tail -20 "$LOGS/debootstrap.log"; die "debootstrap failed"; }
		as_root sh -c 'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb "$1"/dev/*' - "$tmp/debian"
		as_root tar -C "$tmp/debian" --sort=name --numeric-owner --mtime=@0 -cf "$root_tar.tmp" .
		as_root rm -rf "$tmp/debian"
		mv "$root_tar.tmp" "$root_tar"
	fi
	goroot=$(go env GOROOT)
	mkdir -p "$tmp/root/usr/local" "$tmp/root/etc/ssl/certs"
	cp -a "$goroot" "$tmp/root/usr/local/go"
	cp /etc/ssl/certs/ca-certificates.crt "$tmp/root/etc/ssl/certs/" ||
		die "no /etc/ssl/certs/ca-certificates.crt: install ca-certificates"
	tar_dir "$tmp/root" "$tmp/go.tar" etc usr
	crane_log append --oci-empty-base -f "$root_tar" -f "$tmp/go.tar" -t "$GO_IMAGE-layers" >/dev/null
	crane_log mutate "$GO_IMAGE-layers" --set-platform linux/amd64 \
		-e GOLANG_VERSION="$GO_VERSION" -e GOTOOLCHAIN=local -e GOPATH=/go \
		-e PATH=/go/bin:/usr/local/go/bin:$IMAGE_PATH -t "$GO_IMAGE" >/dev/null
	rm -rf "$tmp"
}

# upstream_frontend_label NAME: the value of upstream's frontend image label
# NAME, from frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile of the
# BuildKit module of tools/go.mod (the caps are copied nowhere else but our
# ./Dockerfile, which a unit test checks against the same file).
upstream_frontend_label() {
	local dir value
	dir=$(go -C "$ROOT/tools" list -m -f '{{.Dir}}' github.com/moby/buildkit) || die "BuildKit module not found: run make tools"
	value=$(sed -n "s/^LABEL $1=\"\\(.*\\)\"\$/\\1/p" "$dir/frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile")
	[ -n "$value" ] || die "label $1 not found in upstream's frontend Dockerfile"
	echo "$value"
}

# docker/dockerfile:1, the syntax of ./Dockerfile: upstream's Dockerfile
# frontend at the BuildKit version of tools/go.mod, built and labelled as
# upstream's image is.
push_dockerfile_image() {
	local tmp caps
	caps=$(upstream_frontend_label moby.buildkit.frontend.caps)
	tmp=$(mktemp -d)
	mkdir -p "$tmp/root/bin"
	CGO_ENABLED=0 go -C "$ROOT/tools" build -trimpath -tags "netgo static_build osusergo" \
		-o "$tmp/root/bin/" github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend
	tar_dir "$tmp/root" "$tmp/frontend.tar" bin
	crane_log append --oci-empty-base -f "$tmp/frontend.tar" -t "$DOCKERFILE_IMAGE" >/dev/null
	crane_log mutate "$DOCKERFILE_IMAGE" --set-platform linux/amd64 --entrypoint /bin/dockerfile-frontend \
		-l moby.buildkit.frontend.network.none=true \
		-l moby.buildkit.frontend.caps="$caps" \
		-t "$DOCKERFILE_IMAGE" >/dev/null
	rm -rf "$tmp"
}

# docker/buildkit-syft-scanner:stable-1, BuildKit's default SBOM generator
# (--sbom=true, make release): a stand-in on the busybox stand-in that writes
# an SPDX 2.3 document of the scanned image's files with their SHA-256, in
# name order (the same files give the same document).
push_sbom_scanner_image() {
	local tmp
	tmp=$(mktemp -d)
	mkdir -p "$tmp/root/bin"
	cat >"$tmp/root/bin/sbom-scan" <<'SCAN'
#!/bin/sh
# Stand-in for docker/buildkit-syft-scanner (BuildKit's SBOM scanner protocol).
set -eu
cd "$BUILDKIT_SCAN_SOURCE"
n=0 files=
for f in $(find . -type f | LC_ALL=C sort); do
	n=$((n + 1))
	sum=$(sha256sum "$f" | cut -d' ' -f1)
	files="$files${files:+,}{\"fileName\":\"${f#.}\",\"SPDXID\":\"SPDXRef-File-$n\",\"checksums\":[{\"algorithm\":\"SHA256\",\"checksumValue\":\"$sum\"}]}"
done
ns=$(printf %s "$files" | sha256sum | cut -d' ' -f1)
printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"sbom","documentNamespace":"https://dockerfile-dotenv.invalid/sbom/%s","creationInfo":{"created":"1970-01-01T00:00:00Z","creators":["Tool: dockerfile-dotenv stand-in scanner"]},"files":[%s]}}\n' "$ns" "$files" >"$BUILDKIT_SCAN_DESTINATION/sbom.spdx.json"
SCAN
	chmod 755 "$tmp/root/bin/sbom-scan"
	tar_dir "$tmp/root" "$tmp/scanner.tar" bin
	crane_log append -b "$BASE_IMAGE-amd64" -f "$tmp/scanner.tar" -t "$SBOM_SCANNER_IMAGE" >/dev/null
	crane_log mutate "$SBOM_SCANNER_IMAGE" --entrypoint /bin/sbom-scan -t "$SBOM_SCANNER_IMAGE" >/dev/null
	rm -rf "$tmp"
}

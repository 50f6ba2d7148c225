#!/usr/bin/env bash
#
# Vendored from run-upstream-suite.sh of the project's shared conformance
# kit (kept outside this repository, next to the design notes), because CI
# runs a clean clone of this repository alone. Local
# additions, marked "(local addition)": this paragraph and EXTRA_TEST_FILES.
# conformance/run.sh drives it.
# run-upstream-suite.sh
#
# Runs BuildKit's own Dockerfile-frontend integration suite
# (package github.com/moby/buildkit/frontend/dockerfile, TestIntegration) OFFLINE,
# against an external gateway frontend image (FRONTEND_GATEWAY_ONLY) and/or the
# daemon's builtin frontend (FRONTEND_BUILTIN_ONLY=1), using only the oci worker
# (buildkitd + runc).
#
# Nothing from BuildKit's source is contained in this script: the module is
# fetched by version through the Go module proxy (`go mod download`) and the
# tests are run from a writable copy of the module cache.
#
# Network needed: only the Go module proxy (first run) and Debian apt (if tools
# are missing). docker.io is never contacted: busybox/alpine stand-ins are built
# from the host's static busybox and pre-seeded into the harness' registry
# mirror dir (BUILDKIT_REGISTRY_MIRROR_DIR).
#
# Usage:
#   run-upstream-suite.sh                      # gateway mode, upstream frontend built from the module
#   FRONTEND_IMAGE_TAR=/path/img.tar run-upstream-suite.sh
#   FRONTEND_BINARY=/path/static-frontend run-upstream-suite.sh
#   FRONTEND_IMAGE_REF=localhost:5000/my/frontend:tag run-upstream-suite.sh
#   MODE=both TEST_FILES="secrets mount heredoc multistage args" run-upstream-suite.sh
#   TESTS='TestSecret.*|TestHeredoc.*' MODE=builtin run-upstream-suite.sh
#
# Environment:
#   MODE               gateway (default) | builtin | both
#   FRONTEND_IMAGE_TAR OCI-layout tar or `docker save` tar of the frontend image (linux/amd64).
#                      Handed to the harness as FRONTEND_GATEWAY_ONLY=local:<tar>.
#   FRONTEND_IMAGE_REF A registry ref (e.g. localhost:5000/my/frontend:dev); pulled with crane
#                      (linux/amd64) into an OCI tar and used as local:<tar>, because the
#                      harness itself only speaks HTTPS to registries.
#                      FRONTEND_IMAGE_REF_INSECURE=1 for plain-http non-localhost registries.
#   FRONTEND_BINARY    A static linux/amd64 frontend binary; it is wrapped into an image
#                      (/bin/dockerfile-frontend, entrypoint, labels as upstream's image).
#   (none of the three) upstream's dockerfile-frontend is built from the module at
#                      BUILDKIT_VERSION and wrapped the same way.
#   FRONTEND_CAPS      value of the moby.buildkit.frontend.caps label for wrapped binaries
#   TEST_FILES         space separated short names x of dockerfile_<x>_test.go files whose
#                      test functions are selected (e.g. "secrets mount heredoc multistage args")
#   TESTS              regexp over top-level test names (TestFoo...); overrides TEST_FILES.
#                      Both empty = the whole TestIntegration.
#   SKIP_TESTS         regexp over top-level test names to skip (go test -skip)
#   PARALLEL           go test -parallel (default 2)
#   SANDBOXES          GOMAXPROCS of the test binary = max concurrent buildkitd sandboxes
#                      (default: nproc)
#   GO_TEST_TIMEOUT    default 300m
#   WORKDIR            default /tmp/conformance/suite
#   BUILDKIT_VERSION   default v0.34.2
#   NETWORK            bridge (default): like upstream CI, RUN steps get an isolated CNI
#                      bridge network (plugins built from containernetworking/plugins,
#                      iptables from apt, bridge "buildkit0" pre-created and removed again)
#                      and BUILDKIT_RUN_NETWORK_INTEGRATION_TESTS=1 enables the network tests.
#                      host: buildkitd falls back to host networking, network tests skip.
#   FORCE_RESEED=1     wipe and re-create the registry mirror
#   SKIP_APT=1         never call apt-get
#   EXTRA_TEST_FILES   (local addition) space separated *_test.go files copied into the suite's
#                      package before it is compiled; their tests append to allTests
set -euo pipefail

BUILDKIT_VERSION=${BUILDKIT_VERSION:-v0.34.2}
DISTRIBUTION_VERSION=${DISTRIBUTION_VERSION:-v3.0.0}
CRANE_VERSION=${CRANE_VERSION:-v0.22.1}
WORKDIR=${WORKDIR:-/tmp/conformance/suite}
MODE=${MODE:-gateway}
TEST_FILES=${TEST_FILES:-}
TESTS=${TESTS:-}
SKIP_TESTS=${SKIP_TESTS:-}
PARALLEL=${PARALLEL:-2}
SANDBOXES=${SANDBOXES:-$(nproc)}
GO_TEST_TIMEOUT=${GO_TEST_TIMEOUT:-300m}
FRONTEND_IMAGE_TAR=${FRONTEND_IMAGE_TAR:-}
FRONTEND_IMAGE_REF=${FRONTEND_IMAGE_REF:-}
FRONTEND_BINARY=${FRONTEND_BINARY:-}
FRONTEND_CAPS=${FRONTEND_CAPS:-moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd}
BUSYBOX_BIN=${BUSYBOX_BIN:-/bin/busybox}
NETWORK=${NETWORK:-bridge}
CNI_PLUGINS_VERSION=${CNI_PLUGINS_VERSION:-v1.9.1}
FORCE_RESEED=${FORCE_RESEED:-0}
SKIP_APT=${SKIP_APT:-0}
EXTRA_TEST_FILES=${EXTRA_TEST_FILES:-}

BIN=$WORKDIR/bin
SRC=$WORKDIR/buildkit
MIRROR=$WORKDIR/mirror
IMG=$WORKDIR/images
RUNID=$(date -u +%Y%m%dT%H%M%SZ)
LOGDIR=$WORKDIR/logs/$RUNID
IMAGE_PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$BIN" "$IMG" "$LOGDIR"
export PATH="$BIN:$PATH"
export GOFLAGS=${GOFLAGS:--buildvcs=false}
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

# ---------------------------------------------------------------- prerequisites
ensure_host() {
	[ "$(id -u)" = 0 ] || die "must run as root (the oci worker needs root)"
	[ "$(uname -m)" = x86_64 ] || die "only linux/amd64 is handled (stand-in images are amd64)"
	local missing=()
	command -v runc >/dev/null || missing+=(runc)
	command -v git >/dev/null || missing+=(git)
	command -v ssh-agent >/dev/null || missing+=(openssh-client)
	command -v tar >/dev/null || missing+=(tar)
	[ -x "$BUSYBOX_BIN" ] || missing+=(busybox-static)
	command -v ip >/dev/null || missing+=(iproute2)
	if [ "$NETWORK" = bridge ]; then
		command -v iptables >/dev/null || missing+=(iptables)
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		[ "$SKIP_APT" = 1 ] && die "missing packages: ${missing[*]}"
		log "apt-get install ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
	command -v go >/dev/null || die "go is required (any recent go; GOTOOLCHAIN=auto fetches the one buildkit's go.mod asks for via the module proxy)"
	file_is_static "$BUSYBOX_BIN" || die "$BUSYBOX_BIN must be a static binary (apt-get install busybox-static)"
	grep -qw overlay /proc/filesystems || log "WARN: overlayfs not available; buildkitd will fall back to native snapshotter"
}

file_is_static() {
	if command -v readelf >/dev/null; then
		LC_ALL=C readelf -h "$1" >/dev/null 2>&1 || return 1
		! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'INTERP'
	else
		# ldd exits non-zero ("not a dynamic executable") for static binaries
		! ldd "$1" >/dev/null 2>&1
	fi
}

# ---------------------------------------------------------------- sources/tools
prepare_source() {
	if [ -f "$SRC/.module-version" ] && [ "$(cat "$SRC/.module-version")" = "$BUILDKIT_VERSION" ]; then
		return
	fi
	log "fetching github.com/moby/buildkit@$BUILDKIT_VERSION via the module proxy"
	local dir
	dir=$(cd / && GOFLAGS=-mod=mod go mod download -json "github.com/moby/buildkit@$BUILDKIT_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || die "go mod download of buildkit failed"
	rm -rf "$SRC"
	cp -r "$dir" "$SRC"
	chmod -R u+w "$SRC"
	(cd "$SRC" && go mod download)
	echo "$BUILDKIT_VERSION" >"$SRC/.module-version"
}

build_tools() {
	if [ ! -x "$BIN/buildkitd" ] || [ ! -x "$BIN/buildctl" ] || [ "$(cat "$BIN/.bk-version" 2>/dev/null)" != "$BUILDKIT_VERSION" ]; then
		log "building buildkitd/buildctl $BUILDKIT_VERSION"
		(cd "$SRC" && go build -o "$BIN/buildkitd" ./cmd/buildkitd && go build -o "$BIN/buildctl" ./cmd/buildctl)
		echo "$BUILDKIT_VERSION" >"$BIN/.bk-version"
	fi
	if [ ! -x "$BIN/registry" ]; then
		log "building registry (distribution $DISTRIBUTION_VERSION)"
		(cd / && GOBIN="$BIN" go install "github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION")
	fi
	if [ ! -x "$BIN/crane" ]; then
		log "building crane $CRANE_VERSION"
		(cd / && GOBIN="$BIN" go install "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION")
	fi
	if [ "$NETWORK" = bridge ]; then
		local p
		for p in main/bridge main/loopback ipam/host-local meta/firewall; do
			if [ ! -x "$BIN/cni/$(basename "$p")" ]; then
				log "building CNI plugin $p $CNI_PLUGINS_VERSION"
				(cd / && GOBIN="$BIN/cni" go install "github.com/containernetworking/plugins/plugins/$p@$CNI_PLUGINS_VERSION")
			fi
			# buildkitd's bridge provider looks these names up on PATH
			mkdir -p "$BIN/cni-path"
			ln -sf "$BIN/cni/$(basename "$p")" "$BIN/cni-path/buildkit-cni-$(basename "$p")"
		done
	fi
	# (local addition) EXTRA_TEST_FILES: test files compiled into the suite's package
	local f
	[ ! -f "$SRC/.extra-test-files" ] || while read -r f; do rm -f "$SRC/frontend/dockerfile/$f"; done <"$SRC/.extra-test-files"
	: >"$SRC/.extra-test-files"
	for f in $EXTRA_TEST_FILES; do
		cp "$f" "$SRC/frontend/dockerfile/" && basename "$f" >>"$SRC/.extra-test-files"
	done
	log "compiling the test binary"
	(cd "$SRC" && go test -c -o "$BIN/dockerfile.test" ./frontend/dockerfile)
}

# ---------------------------------------------------------------- registry helpers
REG_PID=""
REG_HOST=""
start_registry() { # $1 = dir (same layout/config the harness uses)
	local dir=$1
	mkdir -p "$dir"
	if [ ! -f "$dir/config.yaml" ]; then
		# identical to the template util/testutil/integration/registry.go writes
		cat >"$dir/config.yaml" <<EOF
version: 0.1
loglevel: debug
storage:
    filesystem:
        rootdirectory: $dir/data
http:
    addr: 127.0.0.1:0
EOF
		chmod 600 "$dir/config.yaml"
	fi
	"$BIN/registry" serve "$dir/config.yaml" >"$LOGDIR/seed-registry.log" 2>&1 &
	REG_PID=$!
	local i port=""
	for i in $(seq 1 100); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOGDIR/seed-registry.log" | head -n1)
		[ -n "$port" ] && break
		kill -0 "$REG_PID" 2>/dev/null || die "registry exited: $(tail -5 "$LOGDIR/seed-registry.log")"
		sleep 0.1
	done
	[ -n "$port" ] || die "registry did not report its port"
	REG_HOST="localhost:$port"
	log "seeding registry pid=$REG_PID at $REG_HOST"
}
stop_registry() {
	if [ -n "$REG_PID" ]; then
		kill "$REG_PID" 2>/dev/null || true
		wait "$REG_PID" 2>/dev/null || true
		REG_PID=""
	fi
}
CREATED_BRIDGE=0 HAD_CNI_CHAINS=1 HAD_CNI_STATE=1 PREV_IP_FORWARD=""
setup_network() {
	[ "$NETWORK" = bridge ] || return 0
	# remember host state so teardown_network can put it back
	PREV_IP_FORWARD=$(cat /proc/sys/net/ipv4/ip_forward)
	iptables -w -S CNI-FORWARD >/dev/null 2>&1 || HAD_CNI_CHAINS=0
	[ -e /var/lib/cni/networks/buildkit ] || HAD_CNI_STATE=0
	# Every sandbox runs its own buildkitd; the one that creates the bridge deletes it on
	# exit, pulling it from under the others. A pre-existing bridge is never deleted.
	if ! ip link show buildkit0 >/dev/null 2>&1; then
		ip link add buildkit0 type bridge
		ip link set buildkit0 up
		CREATED_BRIDGE=1
	fi
}
teardown_network() {
	[ "$CREATED_BRIDGE" = 1 ] || return 0 # someone else's bridge: leave everything alone
	CREATED_BRIDGE=0
	ip link del buildkit0 2>/dev/null || true
	local c rule
	# per-container NAT chains the bridge plugin leaves behind when a buildkitd crashes
	{ iptables -w -t nat -S POSTROUTING 2>/dev/null | grep -F 'name: \"buildkit\"' | sed 's/^-A /-D /' |
		while read -r rule; do
			c=$(sed -n 's/.* -j \(CNI-[0-9a-f]*\).*/\1/p' <<<"$rule")
			eval "iptables -w -t nat $rule" 2>/dev/null || true
			[ -n "$c" ] && { iptables -w -t nat -F "$c" 2>/dev/null; iptables -w -t nat -X "$c" 2>/dev/null; } || true
		done; } || true
	if [ "$HAD_CNI_CHAINS" = 0 ]; then
		# chains the CNI firewall plugin created on first use
		while iptables -w -D FORWARD -m comment --comment "CNI firewall plugin rules (ingressPolicy: same-bridge|isolated)" -j CNI-ISOLATION-STAGE-1 2>/dev/null; do :; done
		while iptables -w -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null; do :; done
		for c in CNI-FORWARD CNI-ADMIN CNI-ISOLATION-STAGE-1 CNI-ISOLATION-STAGE-2; do iptables -w -F "$c" 2>/dev/null || true; done
		for c in CNI-FORWARD CNI-ADMIN CNI-ISOLATION-STAGE-1 CNI-ISOLATION-STAGE-2; do iptables -w -X "$c" 2>/dev/null || true; done
	fi
	if [ "$HAD_CNI_STATE" = 0 ]; then
		rm -rf /var/lib/cni/networks/buildkit
		rmdir /var/lib/cni/networks /var/lib/cni/results /var/lib/cni 2>/dev/null || true
	fi
	# the bridge plugin (ipMasq) switches forwarding on
	[ -n "$PREV_IP_FORWARD" ] && echo "$PREV_IP_FORWARD" >/proc/sys/net/ipv4/ip_forward
	return 0
}
trap 'stop_registry; teardown_network' EXIT

# ---------------------------------------------------------------- stand-in images
make_rootfs() { # $1 = dir, $2 = busybox|alpine
	local r=$1 flavor=$2 a p
	rm -rf "$r"
	mkdir -p "$r"/{bin,dev,etc,home,lib,proc,root,sys,tmp,usr/bin,usr/sbin,sbin,var/spool/mail,var/www}
	chmod 700 "$r/root"
	chmod 1777 "$r/tmp"
	cp "$BUSYBOX_BIN" "$r/bin/busybox"
	chmod 755 "$r/bin/busybox"
	# like the official busybox image: every applet in /bin, hard-linked to busybox
	for a in $("$BUSYBOX_BIN" --list); do
		[ "$a" = busybox ] && continue
		ln -f "$r/bin/busybox" "$r/bin/$a"
	done
	if [ "$flavor" = alpine ]; then
		# alpine additionally has applets at their FHS paths
		for p in $("$BUSYBOX_BIN" --list-full); do
			case "$p" in bin/*) continue ;; esac
			mkdir -p "$r/$(dirname "$p")"
			[ -e "$r/$p" ] || ln -s /bin/busybox "$r/$p"
		done
		echo "3.18.4" >"$r/etc/alpine-release"
		printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME="Alpine Linux v3.18 (busybox stand-in)"\n' >"$r/etc/os-release"
	fi
	cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
	cat >"$r/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nobody:x:65534:
EOF
	cat >"$r/etc/shadow" <<'EOF'
root:*:10933:0:99999:7:::
daemon:*:10933:0:99999:7:::
bin:*:10933:0:99999:7:::
sys:*:10933:0:99999:7:::
sync:*:10933:0:99999:7:::
mail:*:10933:0:99999:7:::
www-data:*:10933:0:99999:7:::
operator:*:10933:0:99999:7:::
nobody:*:10933:0:99999:7:::
EOF
	chmod 640 "$r/etc/shadow"
	printf 'hosts: files dns\n' >"$r/etc/nsswitch.conf"
	install_user_tools "$r"
}

# Debian's busybox-static is built without adduser/addgroup, which several
# upstream tests use (`adduser -D user`, `addgroup -g 2000 g && adduser -D -u 1000 -G g u`).
# Minimal shell stand-ins with busybox-compatible flags/defaults.
install_user_tools() { # $1 = rootfs
	cat >"$1/bin/addgroup" <<'EOS'
#!/bin/sh
# stand-in for busybox addgroup: addgroup [-g GID] [-S] GROUP | addgroup USER GROUP
gid= min=1000
while getopts "g:S" o; do
	case $o in g) gid=$OPTARG ;; S) min=100 ;; *) echo "usage: addgroup [-g GID] [-S] GROUP | addgroup USER GROUP" >&2; exit 1 ;; esac
done
shift $((OPTIND - 1))
if [ $# -eq 2 ]; then
	grep -q "^$1:" /etc/passwd || { echo "addgroup: unknown user '$1'" >&2; exit 1; }
	grep -q "^$2:" /etc/group || { echo "addgroup: unknown group '$2'" >&2; exit 1; }
	awk -F: -v u="$1" -v g="$2" 'BEGIN { OFS = ":" } $1 == g { $4 = ($4 == "" ? u : $4 "," u) } { print }' /etc/group >/etc/group.new &&
		cat /etc/group.new >/etc/group && rm -f /etc/group.new
	exit 0
fi
[ $# -eq 1 ] || { echo "usage: addgroup [-g GID] [-S] GROUP | addgroup USER GROUP" >&2; exit 1; }
grep -q "^$1:" /etc/group && { echo "addgroup: group '$1' in use" >&2; exit 1; }
[ -n "$gid" ] || gid=$(awk -F: -v m="$min" '{ u[$3] = 1 } END { while (m in u) m++; print m }' /etc/group)
echo "$1:x:$gid:" >>/etc/group
EOS
	cat >"$1/bin/adduser" <<'EOS'
#!/bin/sh
# stand-in for busybox adduser:
# adduser [-D] [-H] [-S] [-h HOME] [-g GECOS] [-s SHELL] [-G GROUP] [-u UID] [-k SKEL] USER [GROUP]
home= gecos= shell=/bin/sh group= uid= nohome= min=1000
while getopts "DHSh:g:s:G:u:k:" o; do
	case $o in
	D | k) ;;
	H) nohome=1 ;;
	S) min=100; shell=/bin/false ;;
	h) home=$OPTARG ;;
	g) gecos=$OPTARG ;;
	s) shell=$OPTARG ;;
	G) group=$OPTARG ;;
	u) uid=$OPTARG ;;
	*) echo "usage: adduser [-D] [-u UID] [-G GROUP] [-h HOME] [-s SHELL] USER [GROUP]" >&2; exit 1 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] && exec addgroup "$1" "$2"
[ $# -eq 1 ] || { echo "usage: adduser [-D] [-u UID] [-G GROUP] USER" >&2; exit 1; }
user=$1
grep -q "^$user:" /etc/passwd && { echo "adduser: user '$user' in use" >&2; exit 1; }
[ -n "$uid" ] || uid=$(awk -F: -v m="$min" '{ u[$3] = 1 } END { while (m in u) m++; print m }' /etc/passwd)
if [ -z "$group" ]; then
	group=$user
	if ! grep -q "^$group:" /etc/group; then
		if awk -F: -v g="$uid" '$3 == g { f = 1 } END { exit !f }' /etc/group; then
			addgroup "$group" || exit 1
		else
			addgroup -g "$uid" "$group" || exit 1
		fi
	fi
fi
gid=$(awk -F: -v g="$group" '$1 == g { print $3 }' /etc/group)
[ -n "$gid" ] || { echo "adduser: unknown group $group" >&2; exit 1; }
[ -n "$home" ] || home=/home/$user
echo "$user:x:$uid:$gid:${gecos:-Linux User,,,}:$home:$shell" >>/etc/passwd
[ -f /etc/shadow ] && echo "$user:!:19000:0:99999:7:::" >>/etc/shadow
if [ -z "$nohome" ]; then mkdir -p "$home" && chown "$uid:$gid" "$home"; fi
exit 0
EOS
	chmod 755 "$1/bin/addgroup" "$1/bin/adduser"
}

make_layer() { # $1 = rootfs dir, $2 = out tar
	(cd "$1" && tar --sort=name --mtime='2023-01-01 00:00:00Z' --owner=0 --group=0 --numeric-owner \
		-cf "$2" $(ls -A))
}

registry_has() { crane manifest "$1" >/dev/null 2>&1; }

seed_mirror() {
	if [ "$FORCE_RESEED" = 1 ]; then
		log "FORCE_RESEED=1: wiping $MIRROR"
		rm -rf "$MIRROR"
	fi
	mkdir -p "$MIRROR"
	# drop gateway images that earlier runs copied in under random names
	rm -rf "$MIRROR/data/docker/registry/v2/repositories/buildkit_test"
	start_registry "$MIRROR"
	local h=$REG_HOST
	if ! registry_has "$h/library/busybox:latest" || ! registry_has "$h/library/busybox:stable-musl"; then
		log "building busybox stand-in from $BUSYBOX_BIN"
		make_rootfs "$IMG/rootfs-busybox" busybox
		make_layer "$IMG/rootfs-busybox" "$IMG/busybox-layer.tar"
		crane append --oci-empty-base --platform linux/amd64 -f "$IMG/busybox-layer.tar" -t "$h/library/busybox:latest" >/dev/null
		crane mutate --set-platform linux/amd64 --env "$IMAGE_PATH_ENV" --cmd sh -t "$h/library/busybox:latest" "$h/library/busybox:latest" >/dev/null
		crane copy "$h/library/busybox:latest" "$h/library/busybox:stable-musl" >/dev/null
	fi
	if ! registry_has "$h/library/alpine:latest"; then
		log "building alpine stand-in (busybox + /etc/alpine-release, no apk)"
		make_rootfs "$IMG/rootfs-alpine" alpine
		make_layer "$IMG/rootfs-alpine" "$IMG/alpine-layer.tar"
		crane append --oci-empty-base --platform linux/amd64 -f "$IMG/alpine-layer.tar" -t "$h/library/alpine:latest" >/dev/null
		crane mutate --set-platform linux/amd64 --env "$IMAGE_PATH_ENV" --cmd /bin/sh -t "$h/library/alpine:latest" "$h/library/alpine:latest" >/dev/null
	fi
	# Other test groups declare extra mirrored images (WithMirroredImages). If the harness
	# cannot copy one of them from docker.io it calls FailNow on the parent test from a
	# subtest goroutine, which panics the whole test binary. Placeholders keep those
	# groups runnable; the few tests that really need the content fail on their own.
	if ! registry_has "$h/tonistiigi/hellofs:latest"; then
		log "seeding placeholder tonistiigi/hellofs:latest (security tests; real image is a FUSE demo)"
		rm -rf "$IMG/hellofs-root" && mkdir -p "$IMG/hellofs-root"
		printf '#!/bin/sh\necho "hellofs placeholder (offline conformance run)" >&2\nexit 1\n' >"$IMG/hellofs-root/hellofs"
		chmod 755 "$IMG/hellofs-root/hellofs"
		make_layer "$IMG/hellofs-root" "$IMG/hellofs-layer.tar"
		crane append --oci-empty-base --platform linux/amd64 -f "$IMG/hellofs-layer.tar" -t "$h/tonistiigi/hellofs:latest" >/dev/null
		crane mutate --set-platform linux/amd64 -l conformance.placeholder=true -t "$h/tonistiigi/hellofs:latest" "$h/tonistiigi/hellofs:latest" >/dev/null
	fi
	if ! registry_has "$h/amd64/debian:bullseye-20230109-slim"; then
		log "seeding placeholder amd64/debian:bullseye-20230109-slim (repro tests; busybox content, digests will differ)"
		[ -f "$IMG/busybox-layer.tar" ] || { make_rootfs "$IMG/rootfs-busybox" busybox; make_layer "$IMG/rootfs-busybox" "$IMG/busybox-layer.tar"; }
		crane append --oci-empty-base --platform linux/amd64 -f "$IMG/busybox-layer.tar" -t "$h/amd64/debian:bullseye-20230109-slim" >/dev/null
		crane mutate --set-platform linux/amd64 --env "$IMAGE_PATH_ENV" --cmd bash -l conformance.placeholder=true -t "$h/amd64/debian:bullseye-20230109-slim" "$h/amd64/debian:bullseye-20230109-slim" >/dev/null
	fi
	local ref
	for ref in library/busybox:latest library/busybox:stable-musl library/alpine:latest tonistiigi/hellofs:latest amd64/debian:bullseye-20230109-slim; do
		log "mirror: $ref $(crane digest "$h/$ref") $(crane config "$h/$ref" | tr -d '\n' | sed -n 's/.*"architecture":"\([^"]*\)".*"os":"\([^"]*\)".*/\2\/\1/p')"
	done
}

# wraps a static frontend binary into an OCI-layout tar; prints the tar path
wrap_frontend_binary() { # $1 = binary
	local bin=$1 sum out d
	file_is_static "$bin" || die "$bin is not a static binary (build with CGO_ENABLED=0)"
	sum=$( (sha256sum "$bin"; echo "$FRONTEND_CAPS") | sha256sum | cut -c1-16)
	out=$IMG/frontend-$sum.oci.tar
	if [ -s "$out" ]; then echo "$out"; return; fi
	d=$IMG/frontend-root
	rm -rf "$d" && mkdir -p "$d/bin"
	cp "$bin" "$d/bin/dockerfile-frontend"
	chmod 755 "$d/bin/dockerfile-frontend"
	make_layer "$d" "$IMG/frontend-layer.tar"
	local ref=$REG_HOST/conformance/frontend:$sum
	crane append --oci-empty-base --platform linux/amd64 -f "$IMG/frontend-layer.tar" -t "$ref" >/dev/null
	# labels as in frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile (pflag stringToString is CSV, hence the quotes)
	crane mutate --set-platform linux/amd64 --entrypoint /bin/dockerfile-frontend \
		-l moby.buildkit.frontend.network.none=true \
		-l "\"moby.buildkit.frontend.caps=$FRONTEND_CAPS\"" \
		-t "$ref" "$ref" >/dev/null
	rm -rf "$IMG/frontend-oci"
	crane pull --format=oci "$ref" "$IMG/frontend-oci"
	(cd "$IMG/frontend-oci" && tar --owner=0 --group=0 --numeric-owner -cf "$out.tmp" oci-layout index.json blobs)
	mv "$out.tmp" "$out"
	log "frontend image config: $(crane config "$ref" | tr -d '\n' | cut -c1-400)"
	echo "$out"
}

prepare_frontend() {
	FRONTEND_GW=""
	[ "$MODE" = builtin ] && return
	if [ -n "$FRONTEND_IMAGE_REF" ]; then
		# The harness resolves non-"local:" refs with containerd's resolver without plain-HTTP
		# fallback (util/contentutil.ProviderFromRef), so a plain-http localhost registry does
		# not work directly. Pull it with crane into an OCI layout tar instead.
		local out=$IMG/frontend-ref.oci.tar insecure=()
		[ "${FRONTEND_IMAGE_REF_INSECURE:-0}" = 1 ] && insecure=(--insecure)
		rm -rf "$IMG/frontend-ref-oci"
		crane pull "${insecure[@]}" --platform linux/amd64 --format=oci "$FRONTEND_IMAGE_REF" "$IMG/frontend-ref-oci" ||
			die "cannot pull $FRONTEND_IMAGE_REF"
		(cd "$IMG/frontend-ref-oci" && tar --owner=0 --group=0 --numeric-owner -cf "$out" oci-layout index.json blobs)
		FRONTEND_GW=local:$out
	elif [ -n "$FRONTEND_IMAGE_TAR" ]; then
		[ -f "$FRONTEND_IMAGE_TAR" ] || die "FRONTEND_IMAGE_TAR=$FRONTEND_IMAGE_TAR not found"
		tar -tf "$FRONTEND_IMAGE_TAR" | grep -qE '^(\./)?(index|manifest)\.json$' || die "$FRONTEND_IMAGE_TAR is neither an OCI layout nor a docker-save tar"
		FRONTEND_GW=local:$(readlink -f "$FRONTEND_IMAGE_TAR")
	else
		local b=$FRONTEND_BINARY
		if [ -z "$b" ]; then
			b=$BIN/dockerfile-frontend-upstream
			if [ ! -x "$b" ] || [ "$(cat "$BIN/.fe-version" 2>/dev/null)" != "$BUILDKIT_VERSION" ]; then
				log "building upstream dockerfile-frontend $BUILDKIT_VERSION"
				(cd "$SRC" && CGO_ENABLED=0 go build -o "$b" -tags "netgo static_build osusergo" \
					-ldflags "-d -X main.Version=$BUILDKIT_VERSION -X main.Revision=upstream-module" \
					./frontend/dockerfile/cmd/dockerfile-frontend)
				echo "$BUILDKIT_VERSION" >"$BIN/.fe-version"
			fi
		fi
		FRONTEND_GW=local:$(wrap_frontend_binary "$b")
	fi
	log "FRONTEND_GATEWAY_ONLY=$FRONTEND_GW"
}

# ---------------------------------------------------------------- test selection
tests_regex() {
	if [ -n "$TESTS" ]; then
		echo "$TESTS"
		return
	fi
	if [ -n "$TEST_FILES" ]; then
		local x f names=()
		for x in $TEST_FILES; do
			f=$SRC/frontend/dockerfile/dockerfile_${x}_test.go
			[ -f "$f" ] || die "no such test file: $f"
			while read -r n; do
				names+=("$(printf '%s' "${n:0:1}" | tr a-z A-Z)${n:1}")
			done < <(sed -n -E 's/^func (test[A-Za-z0-9_]+)\(t \*testing\.T, sb integration\.Sandbox\).*/\1/p' "$f")
		done
		local IFS='|'
		echo "${names[*]}"
		return
	fi
	echo ".*"
}

# ---------------------------------------------------------------- run
proc_start() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null; }
RUN_START_TICKS=$(proc_start $$)

leftover_daemons() {
	# buildkitd/registry processes the harness started during this script run
	# (matched by command line AND start time, so nothing else is touched)
	local p pid st
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qE '^[^ ]*(buildkitd|registry) .*(bktest_buildkitd|bktest_config|test-registry|'"$MIRROR"')' || continue
		st=$(proc_start "$pid") || continue
		[ -n "$st" ] && [ "$st" -ge "$RUN_START_TICKS" ] && echo "$pid"
	done
	return 0
}

reap_leftovers() {
	local pids
	pids=$(leftover_daemons | tr '\n' ' ')
	[ -z "${pids// /}" ] && return 0
	log "WARN: harness daemons left behind (test binary crashed?): $pids -- sending SIGTERM"
	kill $pids 2>/dev/null || true
	sleep 5
	pids=$(leftover_daemons | tr '\n' ' ')
	[ -n "${pids// /}" ] && { log "WARN: still alive, SIGKILL: $pids"; kill -9 $pids 2>/dev/null || true; }
	return 0
}

run_mode() { # $1 = gateway|builtin
	local mode=$1 re skipargs=() rc=0 start end
	re=$(tests_regex)
	local runexpr="^TestIntegration\$/^(${re})\$/^worker=oci\$"
	[ -n "$SKIP_TESTS" ] && skipargs=(-test.skip "^TestIntegration\$/^(${SKIP_TESTS})\$")
	local envs=(BUILDKIT_REGISTRY_MIRROR_DIR="$MIRROR" GOMAXPROCS="$SANDBOXES")
	if [ "$NETWORK" = bridge ]; then
		envs+=(PATH="$BIN/cni-path:$PATH" BUILDKIT_NETWORK_BRIDGE_AUTO=1 BUILDKIT_RUN_NETWORK_INTEGRATION_TESTS=1
			BUILDKIT_CNI_INIT_LOCK_PATH="$WORKDIR/cni-init.lock")
	fi
	if [ "$mode" = gateway ]; then
		envs+=(FRONTEND_GATEWAY_ONLY="$FRONTEND_GW")
	else
		envs+=(FRONTEND_BUILTIN_ONLY=1)
	fi
	local out=$LOGDIR/$mode.log
	log "running mode=$mode -run '$runexpr' parallel=$PARALLEL sandboxes=$SANDBOXES (log: $out)"
	start=$(date +%s)
	(cd "$SRC/frontend/dockerfile" && env -u FRONTEND_GATEWAY_ONLY -u FRONTEND_BUILTIN_ONLY -u FRONTEND_CLIENT_ONLY -u TEST_DOCKERD \
		-u BUILDKIT_NETWORK_BRIDGE_AUTO -u BUILDKIT_RUN_NETWORK_INTEGRATION_TESTS -u BUILDKIT_WORKER_RANDOM \
		"${envs[@]}" "$BIN/dockerfile.test" -test.run "$runexpr" "${skipargs[@]}" -test.v -test.count=1 \
		-test.parallel "$PARALLEL" -test.timeout "$GO_TEST_TIMEOUT" >"$out" 2>&1) || rc=$?
	end=$(date +%s)
	reap_leftovers
	summarize "$mode" "$out" "$rc" $((end - start))
}

# "<test>\t<first error or skip message>" for every test in a `go test -v` log
REASONS_AWK='
/^=== (RUN|CONT|NAME|PAUSE) / { cur = $3; next }
/^[ \t]*--- (PASS|FAIL|SKIP):/ { next }
cur != "" {
	line = $0
	if (!(cur in msg) && match(line, /^ +[A-Za-z0-9_]+\.go:[0-9]+: ./)) { sub(/^ +/, "", line); msg[cur] = line }
	if (!(cur in err) && line ~ /^[ \t]+Error:[ \t]+/) {
		e = line; sub(/^[ \t]+Error:[ \t]+/, "", e)
		if ((getline nx) > 0) { sub(/^[ \t]+/, "", nx); if (nx !~ /^(Test|Messages|Error Trace):/) e = e " " nx }
		err[cur] = e
	}
}
END {
	for (k in msg) { r[k] = msg[k]; kind[k] = "M" }
	for (k in err) { r[k] = err[k]; kind[k] = "E" }
	for (k in r) {
		gsub(/[ \t]+/, " ", r[k]); sub(/^Received unexpected error: /, "", r[k])
		printf "%s\t%s\t%s\n", k, kind[k], substr(r[k], 1, 240)
	}
}'

summarize() { # mode log rc seconds
	local mode=$1 out=$2 rc=$3 secs=$4
	local res=$LOGDIR/$mode.results
	# one result per sandbox-level test: TestIntegration/<Test>/worker=<w>/<matrix key=value>...
	# (nested t.Run cases inside a test are not counted separately)
	grep -E '^[[:space:]]*--- (PASS|FAIL|SKIP): TestIntegration/[^ /]+/worker=[^ /]+(/(frontend|security\.insecure|network\.host|env)=[^ /]+)+ ' "$out" |
		sed -E 's/^[[:space:]]*--- (PASS|FAIL|SKIP): ([^ ]+).*/\1 \2/' | sort -k2 -u >"$res" || true
	local p f s
	p=$(grep -c '^PASS ' "$res" || true)
	f=$(grep -c '^FAIL ' "$res" || true)
	s=$(grep -c '^SKIP ' "$res" || true)
	awk "$REASONS_AWK" "$out" | sort >"$LOGDIR/$mode.reasons"
	local started unfinished
	started=$(grep -E '^=== RUN +TestIntegration/[^ /]+/worker=[^ /]+(/(frontend|security\.insecure|network\.host|env)=[^ /]+)+$' "$out" | awk '{ print $3 }' | sort -u | wc -l)
	unfinished=$((started - p - f - s))
	{
		echo "upstream-suite[$mode]: $p passed, $f failed, $s skipped (network=$NETWORK, go test rc=$rc, ${secs}s, log $out)"
		[ "$unfinished" -gt 0 ] && echo "  WARNING: $unfinished started tests never reported a result"
		if grep -qE '^panic: test timed out|^panic: ' "$out"; then
			echo "  WARNING: test binary panicked/timed out: $(grep -m1 -E '^panic: ' "$out")"
		fi
		if [ "$f" -gt 0 ]; then
			echo "  failing tests:"
			local t why
			for t in $(grep '^FAIL ' "$res" | awk '{ print $2 }'); do
				# prefer an assertion error (of the test or one of its t.Run cases) over a log line
				why=$(awk -F'\t' -v t="$t" '($1 == t || index($1, t "/") == 1) { if ($2 == "E") { print $3; found = 1; exit } else if (m == "") m = $3 }
					END { if (!found && m != "") print m }' "$LOGDIR/$mode.reasons")
				echo "    $t"
				[ -n "$why" ] && echo "        -> ${why:0:200}"
			done
		fi
		if [ "$s" -gt 0 ]; then
			echo "  skipped, by reason:"
			grep '^SKIP ' "$res" | awk '{ print $2 }' | while read -r t; do
				awk -F'\t' -v t="$t" '$1 == t { sub(/^[A-Za-z0-9_]+\.go:[0-9]+: /, "", $3); print $3; f = 1; exit } END { if (!f) print "(no message)" }' "$LOGDIR/$mode.reasons"
			done | sort | uniq -c | sort -rn | sed 's/^/    /'
		fi
		echo "  (results: $res; first message per test: $LOGDIR/$mode.reasons)"
	} | tee "$LOGDIR/$mode.summary"
	SUMMARY_P=$((SUMMARY_P + p)); SUMMARY_F=$((SUMMARY_F + f)); SUMMARY_S=$((SUMMARY_S + s))
}

main() {
	SUMMARY_P=0 SUMMARY_F=0 SUMMARY_S=0
	ensure_host
	prepare_source
	build_tools
	seed_mirror
	prepare_frontend
	stop_registry
	setup_network
	case "$MODE" in
	gateway) run_mode gateway ;;
	builtin) run_mode builtin ;;
	both) run_mode gateway; run_mode builtin ;;
	*) die "MODE must be gateway|builtin|both" ;;
	esac
	if [ "$MODE" = both ]; then
		# what the external frontend does differently from the daemon's builtin one
		# on the same host (environment-caused failures cancel out)
		local norm='s#/frontend=(gateway|builtin)#/frontend=*#'
		LC_ALL=C join -j 2 <(sed -E "$norm" "$LOGDIR/gateway.results" | LC_ALL=C sort -k2) <(sed -E "$norm" "$LOGDIR/builtin.results" | LC_ALL=C sort -k2) |
			awk '$2 != $3 { print "  " $2 " (gateway) vs " $3 " (builtin): " $1 }' >"$LOGDIR/diff.txt"
		echo "gateway vs builtin differences: $(wc -l <"$LOGDIR/diff.txt")"
		cat "$LOGDIR/diff.txt"
	fi
	echo "upstream-suite: $SUMMARY_P passed, $SUMMARY_F failed, $SUMMARY_S skipped (mode=$MODE, logs in $LOGDIR)"
	[ "$SUMMARY_F" = 0 ]
}

main "$@"

#!/usr/bin/env bash
# hack/scale.sh up|down: a buildx builder of two buildkitd nodes next to make
# up's stack (make up-scale, make e2e-scale; make down stops it).
#
#   node amd64  bin/buildkitd, worker platforms linux/amd64 (native)
#   node arm64  bin/buildkitd, worker platforms linux/arm64 first (emulated:
#               Debian's qemu-user-static, registered with binfmt_misc), then
#               linux/amd64 (native), so it can take any job, as an arm64
#               machine with qemu can
#
# Both use make up's registry (plain http, docker.io mirror) and host
# networking; each has its own root and cache under .local/scale/<node>. The
# builder $BUILDER_NAME-scale (remote driver) declares amd64 on the first node
# and arm64 on the second, so a linux/amd64,linux/arm64 build splits across
# them; $BUILDER_NAME-scale-arm64 is the second node alone (another
# client's builder, for the shared registry cache). The stand-in base
# $REGISTRY/scale/busybox:latest is busybox for linux/amd64 and linux/arm64.
#
# up writes .local/scale.env: SCALE_BUILDER, SCALE_OTHER_BUILDER,
# SCALE_BASE, SCALE_AMD64_HOST, SCALE_ARM64_HOST.
. "$(dirname "$0")/lib.sh"
. "$ROOT/hack/apt.sh"
. "$ROOT/hack/images.sh"

SCALE=$LOCAL/scale
SCALE_BUILDER=$BUILDER_NAME-scale
SCALE_OTHER_BUILDER=$BUILDER_NAME-scale-arm64
SCALE_BASE=$REGISTRY/scale/busybox:latest
NODES="amd64 arm64"
QEMU=/usr/bin/qemu-aarch64-static
BINFMT=/proc/sys/fs/binfmt_misc

node_host() { echo "unix://$SCALE/$1/buildkitd.sock"; }

# The pid of node NAME's buildkitd when it runs.
node_pid() {
	local pid
	pid=$(cat "$RUN/scale-$1.pid" 2>/dev/null) || return 1
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BIN/buildkitd" ] || return 1
	echo "$pid"
}

# arm64 binaries run on this amd64 kernel through qemu-aarch64 (binfmt_misc,
# F: the interpreter is opened now, so it works inside containers).
emulation() {
	local busybox=$CACHE/busybox/arm64/busybox
	apt_install qemu-user-static
	[ -e $BINFMT/register ] || as_root mount -t binfmt_misc binfmt_misc $BINFMT
	if [ ! -e $BINFMT/qemu-aarch64 ]; then
		say "registering qemu-aarch64 with binfmt_misc"
		printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:'"$QEMU"':FP' |
			as_root tee $BINFMT/register >/dev/null
	fi
	if [ ! -x "$busybox" ]; then
		APT_ARCHS=arm64 apt_unpack "$CACHE/busybox/arm64-deb" busybox-static:arm64
		mkdir -p "$(dirname "$busybox")"
		cp "$CACHE/busybox/arm64-deb/bin/busybox" "$busybox"
	fi
	[ "$("$busybox" uname -m)" = aarch64 ] || die "arm64 binaries do not run under qemu-aarch64"
}

# The stand-in base for both platforms (images.sh's amd64 busybox layer).
push_scale_base() {
	local tmp refs=() arch busybox
	crane digest "$SCALE_BASE" >/dev/null 2>&1 && return
	say "pushing $SCALE_BASE"
	tmp=$(mktemp -d)
	for arch in amd64 arm64; do
		case $arch in
		amd64) busybox=/bin/busybox ;;
		arm64) busybox=$CACHE/busybox/arm64/busybox ;;
		esac
		busybox_layer "$busybox" "$tmp/$arch.tar"
		crane_log append --oci-empty-base -f "$tmp/$arch.tar" -t "$SCALE_BASE-$arch" >/dev/null
		refs+=(-m "$(crane_log mutate "$SCALE_BASE-$arch" --set-platform "linux/$arch" \
			-e PATH=$IMAGE_PATH --cmd sh -t "$SCALE_BASE-$arch")")
	done
	crane_log index append "${refs[@]}" -t "$SCALE_BASE" >/dev/null
	rm -rf "$tmp"
}

start_node() {
	local name=$1 platforms=$2 dir=$SCALE/$1 pid
	if pid=$(node_pid "$name"); then
		say "node $name already running (pid $pid)"
		return
	fi
	mkdir -p "$dir" "$LOGS" "$RUN"
	# make up's buildkitd.toml, with the worker's platforms
	"$ROOT/hack/buildkitd-config.sh" "$dir/root" "$(node_host "$name")" "$REGISTRY" |
		sed "/^\[worker.oci\]/a\\  platforms = [$platforms]" >"$dir/buildkitd.toml"
	rm -f "$dir/buildkitd.sock"
	setsid "$BIN/buildkitd" --config "$dir/buildkitd.toml" >>"$LOGS/scale-$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/scale-$name.pid"
	say "node $name started (pid $!, log .local/logs/scale-$name.log)"
	wait_for "node $name" buildctl --addr "$(node_host "$name")" debug workers
}

create_builders() {
	local want got
	want="$(node_host amd64) $(node_host arm64)"
	got=$({ docker buildx inspect "$SCALE_BUILDER" 2>/dev/null || true; } | sed -n 's/^Endpoint: *//p' | tr '\n' ' ')
	if [ "$got" != "$want " ]; then
		docker buildx rm "$SCALE_BUILDER" >/dev/null 2>&1 || true
		say "creating the buildx builder $SCALE_BUILDER (nodes amd64, arm64)"
		docker buildx create --name "$SCALE_BUILDER" --driver remote --node amd64 --platform linux/amd64 "$(node_host amd64)" >/dev/null
		docker buildx create --append --name "$SCALE_BUILDER" --node arm64 --platform linux/arm64 "$(node_host arm64)" >/dev/null
	fi
	docker buildx inspect "$SCALE_OTHER_BUILDER" >/dev/null 2>&1 ||
		docker buildx create --name "$SCALE_OTHER_BUILDER" --driver remote "$(node_host arm64)" >/dev/null
}

up() {
	[ "$(id -u)" = 0 ] || die "buildkitd runs containers with runc as root: run make up-scale as root"
	emulation
	push_scale_base
	start_node amd64 '"linux/amd64"'
	start_node arm64 '"linux/arm64", "linux/amd64"'
	create_builders
	{
		for name in SCALE_BUILDER SCALE_OTHER_BUILDER SCALE_BASE; do printf 'export %s=%q\n' "$name" "${!name}"; done
		printf 'export SCALE_AMD64_HOST=%q SCALE_ARM64_HOST=%q\n' "$(node_host amd64)" "$(node_host arm64)"
	} >"$LOCAL/scale.env"
	say "scale up: BUILDX_BUILDER=$SCALE_BUILDER"
}

down() {
	local name pid
	rm -f "$LOCAL/scale.env"
	for name in $NODES; do
		if pid=$(node_pid "$name"); then
			terminate "$pid" "node $name" 50
			say "node $name stopped (pid $pid)"
		fi
		rm -f "$RUN/scale-$name.pid"
	done
}

case ${1:-} in
up) up ;;
down) down ;;
*) die "usage: $0 up|down" ;;
esac

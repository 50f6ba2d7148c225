#!/usr/bin/env bash
# hack/engine.sh up|down: a Docker Engine next to make up's stack (make
# up-engine, make e2e-engine; make down stops it).
#
# Debian's docker.io (Engine 20.10, its embedded BuildKit 0.8) with its
# containerd, runc and tini, unpacked from the packages (apt-get download +
# dpkg -x) into .cache/engine/debian: nothing is installed as a service. dockerd
# runs as root with its own config file, socket (.local/docker-engine.sock),
# data and exec roots under .local/engine, and starts its containerd as its
# own child. No iptables, no bridge, no userland proxy: it creates no network
# device, so builds must run RUNs with --network host (its BuildKit puts them
# on the bridge by default: "network bridge not found"). The loopback registry
# of make up is allowed over http and is its docker.io mirror.
#
# ENGINE_FLAVOR=current: instead, a current Engine, dockerd built from the Go
# module proxy (github.com/moby/moby/v2/cmd/dockerd@$ENGINE_CURRENT_VERSION,
# about 11 CPU-minutes once) into .cache/engine/current/, run the same way
# with Debian's containerd and runc, on .local/docker-engine-current.sock.
#
# up writes .local/engine.env (.local/engine-current.env): ENGINE_HOST (the
# socket, for DOCKER_HOST) and ENGINE_DOCKER (the Engine's own CLI: Debian's
# 20.10 docker for the classic builder path; the docker on PATH for current).
# down stops both flavors.
. "$(dirname "$0")/lib.sh"
. "$ROOT/hack/apt.sh"

ENGINE_PACKAGES=${ENGINE_PACKAGES:-docker.io containerd runc tini}
ENGINE_CURRENT_VERSION=${ENGINE_CURRENT_VERSION:-v2.0.0-beta.24}
ENGINE_ROOT=$CACHE/engine/debian       # the unpacked packages

# flavor NAME: the settings of one Engine
flavor() {
	case $1 in
	debian)
		NAME=engine
		DOCKERD=$ENGINE_ROOT/usr/sbin/dockerd
		ENGINE_DOCKER=$ENGINE_ROOT/usr/bin/docker
		;;
	current)
		NAME=engine-current
		DOCKERD=$CACHE/engine/current/$ENGINE_CURRENT_VERSION/dockerd
		ENGINE_DOCKER=$(command -v docker || echo docker)
		;;
	*) die "ENGINE_FLAVOR: debian or current, not $1" ;;
	esac
	ENGINE_STATE=$LOCAL/$NAME              # data-root, exec-root, daemon.json
	ENGINE_SOCKET=$LOCAL/docker-$NAME.sock
	ENGINE_HOST=unix://$ENGINE_SOCKET
}

# The pid of our dockerd when it runs (the binary of .cache/engine).
engine_pid() {
	local pid
	pid=$(cat "$RUN/$NAME.pid" 2>/dev/null) || return 1
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$DOCKERD" ] || return 1
	echo "$pid"
}

fetch() {
	apt_unpack "$ENGINE_ROOT" $ENGINE_PACKAGES
	if [ "$NAME" = engine-current ] && [ ! -x "$DOCKERD" ]; then
		say "building dockerd $ENGINE_CURRENT_VERSION from the Go module proxy (log .local/logs/$NAME-build.log)"
		mkdir -p "$LOGS"
		(cd / && GOBIN=$(dirname "$DOCKERD") CGO_ENABLED=0 nice go install -trimpath \
			-ldflags "-X github.com/moby/moby/v2/dockerversion.Version=$ENGINE_CURRENT_VERSION" \
			"github.com/moby/moby/v2/cmd/dockerd@$ENGINE_CURRENT_VERSION") >"$LOGS/$NAME-build.log" 2>&1 ||
			{ tail -5 "$LOGS/$NAME-build.log"; die "dockerd $ENGINE_CURRENT_VERSION does not build"; }
	fi
	# Shared libraries dockerd links (the rest of docker.io's Depends are
	# for the service and iptables, which we do not use).
	apt_install libdevmapper1.02.1 libsystemd0
	if ldd "$DOCKERD" 2>/dev/null | grep -q "not found"; then
		ldd "$DOCKERD" | grep 'not found' >&2
		die "dockerd lacks shared libraries"
	fi
}

daemon_json() {
	cat <<EOF
{
  "hosts": ["$ENGINE_HOST"],
  "data-root": "$ENGINE_STATE/data",
  "exec-root": "$ENGINE_STATE/exec",
  "pidfile": "$ENGINE_STATE/dockerd.pid",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "bridge": "none",
  "userland-proxy": false,
  "insecure-registries": ["$REGISTRY"],
  "registry-mirrors": ["http://$REGISTRY"],
  "features": {"buildkit": true}
}
EOF
}

up() {
	local pid
	[ "$(id -u)" = 0 ] || die "dockerd runs as root: run make up-engine as root"
	flavor "${ENGINE_FLAVOR:-debian}"
	fetch
	if pid=$(engine_pid); then
		say "dockerd already running (pid $pid)"
	else
		mkdir -p "$ENGINE_STATE" "$LOGS" "$RUN"
		daemon_json >"$ENGINE_STATE/daemon.json"
		rm -f "$ENGINE_SOCKET"
		# Its containerd, runc, docker-init and shims first in its PATH.
		PATH=$ENGINE_ROOT/usr/bin:$ENGINE_ROOT/usr/sbin:$PATH setsid "$DOCKERD" \
			--config-file "$ENGINE_STATE/daemon.json" >>"$LOGS/$NAME.log" 2>&1 </dev/null &
		echo $! >"$RUN/$NAME.pid"
		say "dockerd $("$DOCKERD" --version | cut -d' ' -f3 | tr -d ,) started (pid $!, log .local/logs/$NAME.log)"
	fi
	wait_for "dockerd on $ENGINE_SOCKET" "$ENGINE_DOCKER" -H "$ENGINE_HOST" version
	for name in ENGINE_HOST ENGINE_DOCKER; do printf 'export %s=%q\n' "$name" "${!name}"; done >"$LOCAL/$NAME.env"
	say "engine up: DOCKER_HOST=$ENGINE_HOST"
}

down() {
	local f pid
	for f in debian current; do
		flavor $f
		rm -f "$LOCAL/$NAME.env"
		if pid=$(engine_pid); then
			# TERM: dockerd stops its containers and its containerd, then exits.
			terminate "$pid" dockerd 100
			say "dockerd stopped (pid $pid, $NAME)"
		fi
		rm -f "$RUN/$NAME.pid"
	done
	# Its containerd exits with it; one left by a killed dockerd is ours
	# by its binary.
	for pid in $(pids_of "$ENGINE_ROOT/usr/bin/containerd"); do
		say "stopping dockerd's containerd (pid $pid)"
		kill "$pid"
	done
}

# pids_of EXE: the processes that run the binary EXE.
pids_of() {
	local exe
	for exe in /proc/[0-9]*/exe; do
		[ "$(readlink "$exe" 2>/dev/null)" = "$1" ] && { exe=${exe#/proc/}; echo "${exe%/exe}"; }
	done
	return 0
}

case ${1:-} in
up) up ;;
down) down ;;
*) die "usage: $0 up|down" ;;
esac

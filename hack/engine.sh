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
# device; builds run in the host's network namespace (--network host) or in
# one with only lo. The loopback registry of make up is allowed over http and
# is its docker.io mirror.
#
# up writes .local/engine.env: ENGINE_HOST (the socket, for DOCKER_HOST) and
# ENGINE_DOCKER (the Engine's own 20.10 CLI, for the classic builder path).
. "$(dirname "$0")/lib.sh"
. "$ROOT/hack/apt.sh"

ENGINE_PACKAGES=${ENGINE_PACKAGES:-docker.io containerd runc tini}
ENGINE_ROOT=$CACHE/engine/debian       # the unpacked packages
ENGINE_STATE=$LOCAL/engine             # data-root, exec-root, daemon.json
ENGINE_SOCKET=$LOCAL/docker-engine.sock
ENGINE_HOST=unix://$ENGINE_SOCKET
ENGINE_DOCKER=$ENGINE_ROOT/usr/bin/docker
DOCKERD=$ENGINE_ROOT/usr/sbin/dockerd

# The pid of our dockerd when it runs (the binary of .cache/engine).
engine_pid() {
	local pid
	pid=$(cat "$RUN/engine.pid" 2>/dev/null) || return 1
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$DOCKERD" ] || return 1
	echo "$pid"
}

fetch() {
	apt_unpack "$ENGINE_ROOT" $ENGINE_PACKAGES
	# Shared libraries dockerd links (the rest of docker.io's Depends are
	# for the service and iptables, which we do not use).
	apt_install libdevmapper1.02.1 libsystemd0
	if ldd "$DOCKERD" | grep -q 'not found'; then
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
	fetch
	if pid=$(engine_pid); then
		say "dockerd already running (pid $pid)"
	else
		mkdir -p "$ENGINE_STATE" "$LOGS" "$RUN"
		daemon_json >"$ENGINE_STATE/daemon.json"
		rm -f "$ENGINE_SOCKET"
		# Its containerd, runc, docker-init and shims first in its PATH.
		PATH=$ENGINE_ROOT/usr/bin:$ENGINE_ROOT/usr/sbin:$PATH setsid "$DOCKERD" \
			--config-file "$ENGINE_STATE/daemon.json" >>"$LOGS/engine.log" 2>&1 </dev/null &
		echo $! >"$RUN/engine.pid"
		say "dockerd $("$DOCKERD" --version | cut -d' ' -f3 | tr -d ,) started (pid $!, log .local/logs/engine.log)"
	fi
	wait_for "dockerd on $ENGINE_SOCKET" "$ENGINE_DOCKER" -H "$ENGINE_HOST" version
	for name in ENGINE_HOST ENGINE_DOCKER; do printf 'export %s=%q\n' "$name" "${!name}"; done >"$LOCAL/engine.env"
	say "engine up: DOCKER_HOST=$ENGINE_HOST"
}

down() {
	local pid i
	rm -f "$LOCAL/engine.env"
	if pid=$(engine_pid); then
		# TERM: dockerd stops its containers and its containerd, then exits.
		kill "$pid"
		for i in $(seq 100); do
			[ -d "/proc/$pid" ] || break
			sleep 0.2
		done
		[ ! -d "/proc/$pid" ] || { say "dockerd (pid $pid) ignores TERM: killing"; kill -9 "$pid"; }
		say "dockerd stopped (pid $pid)"
	fi
	rm -f "$RUN/engine.pid"
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

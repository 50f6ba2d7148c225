# Shared by the hack/ scripts: paths, ports, messages, daemons. Source it.
# Every value here can be overridden from the environment.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
LOCAL=$ROOT/.local          # state of the running stack (make down; rm -rf .local)
CACHE=$ROOT/.cache          # downloads kept across stacks
LOGS=$LOCAL/logs
RUN=$LOCAL/run              # pid files
REGISTRY_PORT=${REGISTRY_PORT:-5123}
REGISTRY=127.0.0.1:$REGISTRY_PORT
BUILDER_NAME=${BUILDER_NAME:-dotenv}
SOCKET=$LOCAL/buildkitd.sock
export DOCKER_CONFIG=$LOCAL/docker
export PATH=$BIN:$PATH

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 not found: ${2:-run make tools}"; }

# as_root CMD...: run a command as root (sudo when we are not root).
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root for: $*"
	fi
}

# The pid in $RUN/NAME.pid when that process is alive and runs bin/NAME.
daemon_pid() {
	local pid
	pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BIN/$1" ] || return 1
	echo "$pid"
}

# start_daemon NAME ARGS...: run bin/NAME ARGS in the background, logging to
# $LOGS/NAME.log, unless it already runs.
start_daemon() {
	local name=$1 pid
	shift
	if pid=$(daemon_pid "$name"); then
		say "$name already running (pid $pid)"
		return
	fi
	mkdir -p "$LOGS" "$RUN"
	setsid "$BIN/$name" "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
	say "$name started (pid $!, log .local/logs/$name.log)"
}

stop_daemon() {
	local pid
	if ! pid=$(daemon_pid "$1"); then
		rm -f "$RUN/$1.pid"
		return
	fi
	terminate "$pid" "$1" 50
	rm -f "$RUN/$1.pid"
	say "$1 stopped (pid $pid)"
}

# terminate PID NAME TRIES: TERM, then KILL when PID is still there after
# TRIES × 0.2 s.
terminate() {
	local pid=$1 i
	kill "$pid"
	for i in $(seq "$3"); do
		[ -d "/proc/$pid" ] || return 0
		sleep 0.2
	done
	[ ! -d "/proc/$pid" ] || { say "$2 (pid $pid) ignores TERM: killing"; kill -9 "$pid"; }
}

# wait_for WHAT CMD...: retry CMD for up to 30s.
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 150); do
		"$@" >/dev/null 2>&1 && return
		sleep 0.2
	done
	die "$what did not come up: see .local/logs/"
}

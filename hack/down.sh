#!/usr/bin/env bash
# make down: stop the daemons that make up started (by their pid files).
# State stays in .local/ (rm -rf .local for a cold start).
. "$(dirname "$0")/lib.sh"

"$ROOT/hack/engine.sh" down
"$ROOT/hack/scale.sh" down
stop_daemon buildkitd
stop_daemon crane

#!/usr/bin/env bash
# buildkitd-config.sh ROOT ADDRESS REGISTRY: the buildkitd.toml of the local
# stack on stdout: the OCI worker with host networking, the loopback REGISTRY
# over plain http, and that registry as the docker.io mirror. Used by make up
# and by the daemon matrix (conformance/daemons.sh).
set -euo pipefail
[ $# = 3 ] || { echo "usage: $0 ROOT ADDRESS REGISTRY" >&2; exit 2; }
cat <<EOF
root = "$1"
[grpc]
  address = ["$2"]
[worker.oci]
  enabled = true
  networkMode = "host"
[worker.containerd]
  enabled = false
[registry."$3"]
  http = true
  insecure = true
[registry."docker.io"]
  mirrors = ["$3"]
EOF

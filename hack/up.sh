#!/usr/bin/env bash
# make up: the local stack, each part started or pushed only when missing.
#   a registry on 127.0.0.1:$REGISTRY_PORT (crane), buildkitd (OCI worker,
#   runc) on .local/buildkitd.sock, the stand-in base, Go, docker/dockerfile
#   and SBOM scanner images, a buildx builder (remote driver), the frontend
#   image from host-built binaries (hack/dev-image.sh).
# Then `. .local/env` sets up a shell for docker buildx and buildctl.
. "$(dirname "$0")/lib.sh"
. "$ROOT/hack/images.sh"

FRONTEND_IMAGE=$REGISTRY/dockerfile-dotenv:dev
export BUILDKIT_HOST=unix://$SOCKET BUILDX_BUILDER=$BUILDER_NAME

[ "$(id -u)" = 0 ] || die "buildkitd runs containers with runc as root: run make up as root"
for tool in buildkitd buildctl crane docker runc git; do need "$tool"; done
docker buildx version >/dev/null 2>&1 || die "docker buildx plugin missing in $DOCKER_CONFIG: run make tools"


start_registry() {
	mkdir -p "$LOCAL/registry"
	start_daemon crane registry serve --address "$REGISTRY" --disk "$LOCAL/registry"
	wait_for "the registry on $REGISTRY" crane catalog "$REGISTRY"
}

start_buildkitd() {
	"$ROOT/hack/buildkitd-config.sh" "$LOCAL/buildkit" "$BUILDKIT_HOST" "$REGISTRY" >"$LOCAL/buildkitd.toml"
	start_daemon buildkitd --config "$LOCAL/buildkitd.toml"
	wait_for buildkitd buildctl debug workers
}

create_builder() {
	docker buildx inspect "$BUILDER_NAME" >/dev/null 2>&1 && return
	say "creating the buildx builder $BUILDER_NAME"
	docker buildx create --name "$BUILDER_NAME" --driver remote "$BUILDKIT_HOST" >/dev/null
}

# The frontend image: host-built binaries in the release image's layout
# (hack/dev-image.sh), the host platform and what the end-to-end tests build
# for. Rebuilt when the sources or settings change. The release build of
# ./Dockerfile is make release's (make test runs it once: make release-check).
build_frontend() {
	local stamp=$LOCAL/frontend.stamp inputs log=$LOGS/frontend.log
	local sources=(. ':!hack' ':!examples' ':!e2e' ':!*_test.go' ':!*.md' hack/dev-image.sh hack/cc.sh hack/build-loader.sh hack/musl.lock)
	rm -f "$LOCAL/frontend.index"
	inputs="$(export GIT_INDEX_FILE=$LOCAL/frontend.index
		git -C "$ROOT" add -A -- "${sources[@]}" && git -C "$ROOT" write-tree) $(git -C "$ROOT" rev-parse HEAD) $(go env GOVERSION)"
	inputs+=" ${DEV_PLATFORMS:-} ${DEV_FRONTEND_PLATFORMS:-}"
	if present "$FRONTEND_IMAGE" && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
		return
	fi
	say "building $FRONTEND_IMAGE from host-built binaries (log .local/logs/frontend.log)"
	"$ROOT/hack/dev-image.sh" "$FRONTEND_IMAGE" >"$log" 2>&1 || { tail -30 "$log"; die "frontend image build failed"; }
	echo "$inputs" >"$stamp"
}

write_env() {
	local name
	for name in BUILDKIT_HOST FRONTEND_IMAGE BASE_IMAGE BUILDX_BUILDER DOCKER_CONFIG; do
		printf 'export %s=%q\n' "$name" "${!name}"
	done >"$LOCAL/env"
}

start_registry
start_buildkitd
present "$BASE_IMAGE" || { say "pushing $BASE_IMAGE"; push_base_image; }
present "$DOCKERFILE_IMAGE" || { say "pushing $DOCKERFILE_IMAGE"; push_dockerfile_image; }
present "$SBOM_SCANNER_IMAGE" || { say "pushing $SBOM_SCANNER_IMAGE"; push_sbom_scanner_image; }
create_builder
build_frontend
write_env
say "up: . .local/env  # BUILDKIT_HOST=$BUILDKIT_HOST FRONTEND_IMAGE=$FRONTEND_IMAGE BASE_IMAGE=$BASE_IMAGE"

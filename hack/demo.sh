#!/usr/bin/env bash
# make demo: build examples/aichor through the stack of make up with
# `docker buildx build --secret id=_env,...` and show that every RUN got the
# variables of build.env while the token shows up nowhere.
. "$(dirname "$0")/lib.sh"
[ -f "$LOCAL/env" ] || die "the stack is not up: run make up"
. "$LOCAL/env"

example=$ROOT/examples/aichor
demo=$LOCAL/demo
rm -rf "$demo"
mkdir -p "$demo"
# A real syntax line, naming the frontend image of this stack.
sed "1s|.*|# syntax=$FRONTEND_IMAGE|" "$example/Dockerfile" >"$demo/Dockerfile"

say "docker buildx build --secret id=_env,src=examples/aichor/build.env (log .local/demo/build.log)"
docker buildx build --progress plain --no-cache --secret "id=_env,src=$example/build.env" \
	--build-arg BASE_IMAGE="$BASE_IMAGE" -f "$demo/Dockerfile" \
	--output "type=local,dest=$demo/out" "$example" >"$demo/build.log" 2>&1 ||
	{ tail -30 "$demo/build.log"; die "the demo build failed"; }

say "the syntax line selected our frontend; what the RUNs printed"
grep -m1 "resolve image config for .*$FRONTEND_IMAGE" "$demo/build.log" || die "the build did not use $FRONTEND_IMAGE"
grep -E '^#[0-9]+ [0-9.]+ ' "$demo/build.log" || true

# What the RUNs must have seen, from the same file.
value=$(. "$example/build.env" && printf %s "$PIP_INSTALL_ARG")
other=$(. "$example/build.env" && printf %s "$OTHER_ENV_VAR")
token=${value#*__token__:}
token=${token%%@*}
expected="PIP_INSTALL_ARG set: yes
PIP_INSTALL_ARG length: ${#value}
PIP_INSTALL_ARG sha256: $(printf %s "$value" | sha256sum | cut -d' ' -f1)
OTHER_ENV_VAR: $other"

failed=
for file in "$demo"/out/*; do
	say "evidence from RUN ${file##*/}"
	cat "$file"
	[ "$(grep -v '^uid:' "$file")" = "$expected" ] || { echo "  ^ differs from build.env"; failed=1; }
done
[ "$(find "$demo/out" -type f | wc -l)" = 4 ] || { echo "expected evidence from 4 RUNs"; failed=1; }
if grep -rlF -e "$token" "$demo/out" "$demo/build.log"; then
	echo "  ^ the token is in there"
	failed=1
fi
[ -z "$failed" ] || die "demo failed"
say "ok: every RUN saw build.env (same length and sha256, OTHER_ENV_VAR=\"$other\"); the token is in neither the build log nor the output"

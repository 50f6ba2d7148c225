# syntax=docker/dockerfile:1

# The dockerfile-dotenv frontend image: one static binary, FROM scratch, with
# the labels BuildKit reads from a gateway frontend image.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION=1.0.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     -t <registry>/dockerfile-dotenv:1 --push .
#
# GO_IMAGE can point at any Go toolchain image (make up builds a stand-in
# where docker.io cannot be reached).

ARG GO_VERSION=1.26.8
ARG GO_IMAGE=golang:${GO_VERSION}

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
ARG TARGETOS TARGETARCH
ARG VERSION=0.0.0+unknown
ARG REVISION=
ARG GOPROXY
RUN --mount=type=bind,target=/src \
    --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOMODCACHE=/go/pkg/mod GOFLAGS=-buildvcs=false \
    go build -trimpath -tags "netgo static_build osusergo" \
      -ldflags "-s -w -X main.Version=${VERSION} -X main.Revision=${REVISION}" \
      -o /out/dockerfile-dotenv ./cmd/dockerfile-dotenv

FROM scratch AS release
# The frontend needs no network; caps equal upstream's builder/caps.go (a
# missing cap fails --build-context builds).
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd"
COPY --from=build /out/dockerfile-dotenv /bin/dockerfile-dotenv
ENTRYPOINT ["/bin/dockerfile-dotenv"]

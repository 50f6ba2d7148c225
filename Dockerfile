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

# The loader that wrapped RUNs mount from this image: its bytes key every
# wrapped RUN, so they depend on its source and the Go toolchain only (no
# version, revision or build id), and it has a layer of its own, shared by
# images of different versions with the same loader.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS loader
WORKDIR /src
ARG TARGETOS TARGETARCH
ARG GOPROXY
RUN --mount=type=bind,target=/src \
    --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH GOMODCACHE=/go/pkg/mod GOFLAGS=-buildvcs=false \
    go build -trimpath -ldflags "-s -w -buildid=" -o /out/dotenv-loader ./cmd/dotenv-loader && \
    touch -d @0 /out/dotenv-loader

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
COPY --from=loader /out/dotenv-loader /bin/dotenv-loader
COPY --from=build /out/dockerfile-dotenv /bin/dockerfile-dotenv
ENTRYPOINT ["/bin/dockerfile-dotenv"]

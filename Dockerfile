# syntax=docker/dockerfile:1

# The dockerfile-dotenv frontend image: FROM scratch, two static programs in
# two layers, the labels BuildKit reads from a gateway frontend image.
#
#   layer 1  /bin/dotenv-loader     the loader that wrapped RUNs mount from this
#                                   image: its bytes key every wrapped RUN, so
#                                   they depend on the loader's source, gcc and
#                                   musl only (no version, revision or
#                                   build id; mtime 0). Images of different
#                                   versions with the same loader share this layer.
#   layer 2  /bin/dockerfile-dotenv the frontend (version and revision by -X)
#
# Releases: hack/release.sh (make release), for every platform upstream's
# docker/dockerfile image is published for, with SOURCE_DATE_EPOCH from the
# commit. make up packages host-built binaries into the same layout instead
# (hack/dev-image.sh); make test checks that both agree.
#
# GO_IMAGE can point at any Debian-based Go toolchain image: the loader stage
# installs Debian's cross compilers with apt (make release-check pushes a
# stand-in where docker.io cannot be reached).

ARG GO_VERSION=1.26.8
ARG GO_IMAGE=golang:${GO_VERSION}

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS gobase
WORKDIR /src
ARG GOPROXY
# GOCACHE explicitly: the cache mounts below must be where Go looks, whatever
# HOME the image or BuildKit sets.
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOMODCACHE=/go/pkg/mod GOCACHE=/root/.cache/go-build
ARG TARGETOS TARGETARCH TARGETVARIANT
# GOARM from the platform variant (linux/arm/v7 -> 7); other variants are
# Go's defaults.
ENV GOOS=$TARGETOS GOARCH=$TARGETARCH
ENV TARGETVARIANT=$TARGETVARIANT

# The loader is C (loader/), static against musl: it starts in front of every
# wrapped RUN, where a Go program's start would cost milliseconds. hack/cc.sh
# installs Debian's gcc for the target platform and the musl that
# hack/musl.lock pins (kept in a cache mount); hack/build-loader.sh has the
# flags. The same scripts build the loader of make up's image on the host.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS loader
WORKDIR /src
ARG TARGETPLATFORM
RUN --mount=type=bind,target=/src \
    --mount=type=cache,target=/var/cache/musl,id=dotenv-musl \
    --mount=type=cache,target=/var/cache/apt,id=dotenv-apt,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,id=dotenv-apt-lists,sharing=locked <<EOT
  set -e
  rm -f /etc/apt/apt.conf.d/docker-clean
  mkdir -p /out/bin
  cc=$(MUSL_CACHE=/var/cache/musl hack/cc.sh "$TARGETPLATFORM")
  CC=$cc hack/build-loader.sh /out/bin/dotenv-loader
  find /out/bin -exec touch -h -d @0 {} +
EOT

FROM gobase AS build
ARG VERSION=0.0.0+unknown
ARG REVISION=
ARG SOURCE_DATE_EPOCH=0
RUN --mount=type=bind,target=/src \
    --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod <<EOT
  set -e
  case "$TARGETARCH/$TARGETVARIANT" in arm/v*) export GOARM=${TARGETVARIANT#v} ;; esac
  mkdir -p /out/bin
  go build -trimpath -tags "netgo static_build osusergo" \
    -ldflags "-s -w -X main.Version=${VERSION} -X main.Revision=${REVISION}" \
    -o /out/bin/dockerfile-dotenv ./cmd/dockerfile-dotenv
  touch -h -d @0 /out/bin
  touch -h -d "@${SOURCE_DATE_EPOCH}" /out/bin/dockerfile-dotenv
EOT

FROM scratch AS release
ARG VERSION=0.0.0+unknown
ARG REVISION=
ARG SOURCE=https://github.com/dockerfile-dotenv/dockerfile-dotenv
# The frontend needs no network; caps equal upstream's (its
# frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile; a missing cap fails
# --build-context builds). TestImageLabels checks both against upstream.
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd"
LABEL org.opencontainers.image.title="dockerfile-dotenv" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=loader /out/ /
COPY --from=build /out/ /
ENTRYPOINT ["/bin/dockerfile-dotenv"]

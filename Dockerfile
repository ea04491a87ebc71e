# syntax=docker/dockerfile:1
# The images of a local Nym network (docker-compose.yml runs them on the tree `make localnet-build
# LOCALNET_BUILD_FLAGS=--docker` writes). Two stages:
#   build    the same script as the README and the Makefile (tools/build.sh: tools/install-deps.sh,
#            then the release preset's executables and the NymToken contract; CometBFT and geth come
#            from the Go module proxy, hence a Go >= 1.22 base: Debian 12's golang-go is 1.19)
#   runtime  Debian 12 with the shared libraries the executables link, the executables under /app
#            (also as /app/issuer, /app/provider and /app/nymnode, the names the documents' `docker ps`
#            shows), CometBFT and geth.
# Not built on the machine this was written on: it has no Docker engine (README, "Containers").

FROM golang:1.23-bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive JOBS=4
WORKDIR /src
COPY . .
RUN bash tools/build.sh \
 && mkdir -p /out/tools \
 && cp -a build/release/bin /out/bin \
 && cp -a build/release/contracts /out/contracts \
 && cp /root/.cache/nym-cpp/tools/cometbft-*/cometbft /root/.cache/nym-cpp/tools/geth-*/geth /out/tools/

FROM debian:bookworm-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates curl python3 \
      libcrypto++8 libfmt9 libgflags2.2 liblz4-1 libprotobuf-lite32 libprotobuf32 librocksdb7.8 \
      libsecp256k1-1 libsnappy1v5 libsodium23 libspdlog1.10 libsqlite3-0 libssl3 libtomlplusplus3 \
      libzstd1 zlib1g libbz2-1.0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/bin/ /app/
COPY --from=build /out/contracts/ /contracts/
COPY --from=build /out/tools/ /app/
COPY tools/docker/ /app/docker/
RUN ln -s nym-issuer /app/issuer && ln -s nym-provider /app/provider && ln -s docker/nymnode.sh /app/nymnode \
 && chmod +x /app/docker/*.sh
ENV PATH=/app:$PATH
WORKDIR /app

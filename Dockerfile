# syntax=docker/dockerfile:1
#
# dt-node-labeller container image, for linux/arm64, linux/arm/v7 and linux/amd64:
#
#   docker buildx build --platform linux/arm64,linux/arm/v7,linux/amd64 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" -t dt-node-labeller:0.1.0 .
#
# The build stage runs once, on the build machine's own platform: esbuild's output is plain JavaScript
# with every dependency bundled in, so the same dist/ serves every target platform. The runtime stage is
# Node.js plus dist/, package.json and V8's code cache of dist/: no node_modules, no npm, no shell. The
# cache is made by the target platform's own node, so building for another architecture needs an emulator
# (QEMU through binfmt_misc, as `docker buildx` sets up with tonistiigi/binfmt).

ARG NODE_MAJOR=24
# Set by the builder for each --platform; TARGETARCH picks the runtime base below.
ARG TARGETARCH
ARG TARGETPLATFORM

# ---- build: npm ci + esbuild bundle -------------------------------------------------------------
FROM --platform=$BUILDPLATFORM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script (the build) needs the sources, which are not copied yet.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
# `npm run build` runs check-node.mjs (a clear line on a too-old Node) before build.ts.
COPY scripts/check-node.mjs scripts/build.ts scripts/builtin-imports.ts scripts/lazy-imports.ts scripts/
COPY src/ src/
# Source maps are 6 MB of the 8 MB bundle and only help with --enable-source-maps; leave them out.
RUN npm run build && find dist -name '*.map' -delete

# ---- runtime base, per target architecture -------------------------------------------------------
# Distroless Node.js 24 exists for amd64 and arm64 but not for 32-bit ARM: Node.js 24 ships no armv7l
# build. linux/arm/v7 therefore gets distroless Node.js 22 (the bundle targets node22; package.json's
# engines allow >= 22.19). Every variant runs node from /nodejs/bin/node.
# --platform=$TARGETPLATFORM is BuildKit's default spelled out: buildah before 1.29 (Debian 12's buildah and
# podman 4.3) keeps the build stage's --platform for every later stage and would take the runtime base
# in the build machine's architecture.
FROM --platform=$TARGETPLATFORM gcr.io/distroless/nodejs24-debian13 AS runtime-amd64
FROM --platform=$TARGETPLATFORM gcr.io/distroless/nodejs24-debian13 AS runtime-arm64
FROM --platform=$TARGETPLATFORM gcr.io/distroless/nodejs22-debian13 AS runtime-arm

# ---- runtime ---------------------------------------------------------------------------------------
FROM runtime-${TARGETARCH} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="dt-node-labeller" \
      org.opencontainers.image.description="Labels Kubernetes nodes with what their devicetree says they are" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
# package.json marks dist/*.js as ES modules ("type": "module"); dist/ holds the whole program.
COPY --from=build /app/package.json ./
COPY --from=build /app/dist/ dist/
# Root by default: the exact devicetree, /sys/firmware/fdt, is mode 0400 root. As any other user the
# labeller reads the world-readable expanded tree (/sys/firmware/devicetree/base) instead, which gives
# the same labels. The Helm chart decides (securityContext.runAsUser); the image does not force either.
USER 0:0
# Memory on a 4 GiB board (bench/controller-idle-rss.ts, issue 18): --no-opt, --no-maglev and --no-sparkplug
# leave the program to the interpreter (a process that idles between a few requests gains nothing from compiled
# code, and the compilers' own pages stay out of memory: -3.3 MiB, start-up no slower); --bytecode-old-age=1 lets
# the GC drop the bytecode of start-up code after one collection instead of six (-1.6 MiB anonymous); a 1 MiB
# young generation and --optimize-for-size trim the heap; two malloc arenas are plenty for its few threads. The
# devicetree parser runs interpreted too: ~10 ms for a 300 kB Jetson tree.
ENV MALLOC_ARENA_MAX=2
# Start-up (bench/controller-start.ts, issue 18): V8's code cache of every module `run` loads, made here by
# the image's own node with the ENTRYPOINT's flags, so that the labeller's first start on a node compiles
# none of the bundle (about -25 ms to labels stored). Node takes a cache only from the same binary, flags,
# file and user id, so it is made as uid 65532 (the chart's non-root user) and as root. The warm-up is
# `run --once` on a host root with no devicetree (/app): it loads all that `run` needs, finds nothing to
# label and exits 0, with no cluster. Its flags must stay the ENTRYPOINT's (__tests__/image checks both).
# The pod's root filesystem is read-only: Node then uses the cache as it is and writes nothing. The folder
# is open to both users while they fill it (sticky, as /tmp), then root's alone.
RUN ["/nodejs/bin/node", "-e", "require('node:fs').mkdirSync('/app/compile-cache'); require('node:fs').chmodSync('/app/compile-cache', 0o1777)"]
ENV NODE_COMPILE_CACHE=/app/compile-cache
USER 65532:65532
RUN ["/nodejs/bin/node", "--no-opt", "--no-maglev", "--no-sparkplug", "--bytecode-old-age=1", "--max-semi-space-size=1", "--optimize-for-size", "/app/dist/dt-node-labeller.js", "run", "--once", "--host-root", "/app", "--nfd-features-file", "/tmp/warm-up.txt"]
USER 0:0
RUN ["/nodejs/bin/node", "--no-opt", "--no-maglev", "--no-sparkplug", "--bytecode-old-age=1", "--max-semi-space-size=1", "--optimize-for-size", "/app/dist/dt-node-labeller.js", "run", "--once", "--host-root", "/app", "--nfd-features-file", "/tmp/warm-up.txt"]
# Closed to writes again, with the cache off for this one node (it would make a folder for its own flags).
ENV NODE_COMPILE_CACHE=
RUN ["/nodejs/bin/node", "-e", "require('node:fs').chmodSync('/app/compile-cache', 0o755)"]
ENV NODE_COMPILE_CACHE=/app/compile-cache
ENTRYPOINT ["/nodejs/bin/node", "--no-opt", "--no-maglev", "--no-sparkplug", "--bytecode-old-age=1", "--max-semi-space-size=1", "--optimize-for-size", "/app/dist/dt-node-labeller.js"]
CMD ["run"]

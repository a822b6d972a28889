# Image of the tasker itself. It drives the HOST's Docker engine through the mounted socket, so the data root
# and the snapshot root must be mounted at the same paths as on the host (the engine resolves bind-mount
# sources on the host, not in this container; the container mounts the code snapshot, never the code root).
# The results and state folders are only the tasker's: mount them where you want results to persist.
#
#   docker run -d --name tasker \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /srv/code:/srv/code:ro -v /srv/data:/srv/data:ro \
#     -v /var/lib/dataexchange-tasker:/var/lib/dataexchange-tasker \
#     -e TASKER_CODE_ROOT=/srv/code -e TASKER_DATA_ROOT=/srv/data \
#     -e TASKER_AMQP_URI=amqp://user:pass@broker:5672/ -e TASKER_HTTP_BIND=0.0.0.0:9432 \
#     dataexchange-tasker
#
# Two ways to build:
#   * No registry reachable (as on the build machines here: no .NET SDK image can be pulled, and Debian has
#     no .NET SDK): publish on the host (NativeAOT: the binary and the two native libraries it loads from its
#     folder), then package them onto debian:bookworm-slim:
#       scripts/publish-tasker.sh out/tasker
#       docker build --target prebuilt -t dataexchange-tasker .
#     (scripts/build-tasker-image.sh does both.)
#   * A registry is reachable: build from source in a multi-stage build with the .NET SDK image (plus clang, which
#     the native compiler links with):
#       docker build --target source -t dataexchange-tasker .
# The stages are ordered so that the legacy builder (docker.io 20.10), which builds every stage before the
# target, never needs the SDK image for --target prebuilt.

FROM debian:bookworm-slim AS runtime-base
# The natively compiled tasker needs only libc and, for hashing and amqps://, OpenSSL and CA roots.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates libssl3; \
    rm -rf /var/lib/apt/lists/*
# The tasker mounts nothing itself: a task's writable folders are Docker tmpfs inside the task container, and
# its results come back through the Engine API (docker exec tar streams).
ENV TASKER_WORK_ROOT=/var/lib/dataexchange-tasker/work \
    TASKER_RESULTS_ROOT=/var/lib/dataexchange-tasker/results \
    TASKER_SNAPSHOT_ROOT=/var/lib/dataexchange-tasker/code
EXPOSE 9432
# The binary finds libsodium.so and libe_sqlite3.so beside its real path (/proc/self/exe), so the symlink on PATH works.
ENTRYPOINT ["/opt/dataexchange-tasker/tasker"]
CMD ["run"]

FROM runtime-base AS prebuilt
COPY out/tasker/tasker out/tasker/libsodium.so out/tasker/libe_sqlite3.so /opt/dataexchange-tasker/
RUN ln -s /opt/dataexchange-tasker/tasker /usr/local/bin/tasker

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends clang && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/DataExchangeTasker -c Release -r linux-x64 -o /out/tasker

FROM runtime-base AS source
COPY --from=build /out/tasker/tasker /out/tasker/libsodium.so /out/tasker/libe_sqlite3.so /opt/dataexchange-tasker/
RUN ln -s /opt/dataexchange-tasker/tasker /usr/local/bin/tasker

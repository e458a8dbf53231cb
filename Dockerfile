# pandad in a container: docker build -t pandad . && docker run -p 2020:2020 pandad
# Multi-stage: Debian 12 with the build tools, then a slim runtime with only
# the shared libraries pandad links (scripts/install-deps.sh --run lists them).

FROM debian:bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config libsodium-dev libzmq3-dev libczmq-dev libmsgpack-dev \
        libsqlite3-dev libcivetweb-dev libjansson-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY include include
COPY lib lib
COPY actors actors
COPY bin bin
COPY bench bench
COPY examples examples
COPY packaging packaging
COPY scripts scripts
COPY tests tests
# Builds and installs everything; the example, built against the installed
# library alone, checks that libpanda and panda.pc work for an application.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPANDA_TESTS=OFF \
    && cmake --build /build -j "$(nproc)" \
    && cmake --install /build --prefix /usr/local --strip \
    && ldconfig && cc examples/embed.c $(pkg-config --cflags --libs panda) -o /tmp/embed

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libsodium23 libzmq5 libczmq4 libmsgpackc2 libsqlite3-0 libcivetweb1 libjansson4 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/pandad --create-home --shell /usr/sbin/nologin pandad \
    && chmod 0700 /var/lib/pandad
COPY --from=build /usr/local/bin/pandad /usr/local/bin/panda /usr/local/bin/
COPY --from=build /usr/local/share/man/man1 /usr/local/share/man/man1
USER pandad
VOLUME /var/lib/pandad
# 2020/tcp HTTP (GraphQL, blobs), 2022/tcp replication (CurveZMQ) and
# 2022/udp who-are-you, 2023/udp LAN discovery beacons.
EXPOSE 2020/tcp 2022/tcp 2022/udp 2023/udp
# Every setting can also be an environment variable: docker run -e LOG_LEVEL=debug.
ENV DATA_DIR=/var/lib/pandad
ENTRYPOINT ["/usr/local/bin/pandad"]

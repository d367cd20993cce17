#!/usr/bin/env bash
# Start Podman's Docker-compatible API service and build the local test image, with no registry.
#
#   source .ci/podman-setup.sh      # exports DOCKER_HOST and CONTAINERS_CONF in this shell
#   bash .ci/podman-setup.sh        # the same, and prints the `export` lines to copy
#
# Idempotent: a running service and an existing image are reused. No Docker engine runs on the
# CI machines and no registry is reachable, so the image is `podman import`ed from a rootfs made
# of host files: busybox-static (sh, coreutils, timeout), git and its libraries (snapshots),
# and a Python with pytest, pytest-timeout and coverage (the demo bugs' tests and fault localization).

_repair_podman_setup() (
    set -euo pipefail
    state="${REPAIR_PODMAN_STATE:-/tmp/repair-podman}"
    sock="${REPAIR_PODMAN_SOCK:-/tmp/podman.sock}"
    image="${REPAIR_TEST_IMAGE:-localhost/repair-runtime:latest}"
    mkdir -p "$state"

    if ! command -v podman >/dev/null || ! [ -x /usr/sbin/runc ] || ! [ -x /bin/busybox ]; then
        echo "podman-setup: installing podman, runc and busybox-static" >&2
        timeout 600 apt-get install -y -q podman runc busybox-static >"$state/apt.log" 2>&1 || {
            echo "podman-setup: apt-get install failed (see $state/apt.log)" >&2; exit 1; }
    fi

    # Containers in containers: the host's ulimits cannot be raised, so none are set.
    printf '[containers]\ndefault_ulimits = []\n' > "$state/containers.conf"
    export CONTAINERS_CONF="$state/containers.conf"

    if ! DOCKER_HOST="unix://$sock" timeout 10 podman --url "unix://$sock" version >/dev/null 2>&1; then
        rm -f "$sock"
        nohup podman --runtime /usr/sbin/runc system service --time=0 "unix://$sock" \
            >"$state/service.log" 2>&1 &
        echo $! > "$state/service.pid"
        for _ in $(seq 1 100); do
            [ -S "$sock" ] && timeout 10 podman --url "unix://$sock" version >/dev/null 2>&1 && break
            sleep 0.2
        done
        [ -S "$sock" ] || { echo "podman-setup: the service did not start (see $state/service.log)" >&2; exit 1; }
    fi

    # Bump when the recipe below changes, so that a cached image of an older recipe is rebuilt.
    recipe=3
    have="$(timeout 60 podman image inspect --format '{{ index .Config.Labels "io.repair.recipe" }}' "$image" \
            2>/dev/null || true)"
    if [ "$have" != "$recipe" ]; then
        old_id="$(timeout 60 podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
        echo "podman-setup: building $image from host files" >&2
        rootfs="$state/rootfs"
        rm -rf "$rootfs"
        mkdir -p "$rootfs"/{bin,usr/bin,tmp,etc,workspace,root}
        chmod 1777 "$rootfs/tmp"
        cp /bin/busybox "$rootfs/bin/busybox"
        for applet in $(/bin/busybox --list); do
            [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rootfs/etc/passwd"
        printf 'root:x:0:\n' > "$rootfs/etc/group"

        copy() {  # copy host paths into the rootfs at the same place, following symlinks of files
            for p in "$@"; do
                mkdir -p "$rootfs$(dirname "$p")"
                cp -a "$p" "$rootfs$(dirname "$p")/"
            done
        }
        copy_libs() {  # the shared libraries each binary links to
            ldd "$@" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}' | sort -u | while read -r lib; do
                mkdir -p "$rootfs$(dirname "$lib")"
                cp -L "$lib" "$rootfs$lib"
            done
        }
        cp /usr/bin/git "$rootfs/usr/bin/git"
        copy_libs /usr/bin/git
        mkdir -p "$rootfs/usr/lib/git-core"
        [ -d /usr/share/git-core/templates ] && copy /usr/share/git-core/templates

        py="$(python3 -c 'import sys; print(sys.base_prefix)')"
        ver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        site="$(python3 -c 'import pytest, os; print(os.path.dirname(os.path.dirname(pytest.__file__)))')"
        mkdir -p "$rootfs$py/bin" "$rootfs$py/lib/python$ver/site-packages"
        cp -L "$py/bin/python$ver" "$rootfs$py/bin/python$ver"
        [ -e "$py/lib/libpython$ver.so.1.0" ] && cp -L "$py/lib/libpython$ver.so.1.0" "$rootfs$py/lib/"
        tar -C "$py/lib/python$ver" --exclude=site-packages --exclude=test --exclude=idlelib \
            --exclude=tkinter --exclude=ensurepip --exclude=lib2to3 --exclude=turtledemo \
            --exclude='config-*' -cf - . | tar -C "$rootfs$py/lib/python$ver" -xf -
        # The dist-info dirs carry the entry points through which pytest finds pytest-timeout.
        for pkg in _pytest pytest pluggy iniconfig packaging pygments pytest_timeout.py py.py \
                   pytest-*.dist-info pytest_timeout-*.dist-info pluggy-*.dist-info iniconfig-*.dist-info \
                   packaging-*.dist-info pygments-*.dist-info coverage coverage-*.dist-info; do
            for path in "$site"/$pkg; do
                [ -e "$path" ] && cp -a "$path" "$rootfs$py/lib/python$ver/site-packages/"
            done
        done
        copy_libs "$py/bin/python$ver" "$py"/lib/python"$ver"/lib-dynload/*.so
        ln -sf "$py/bin/python$ver" "$rootfs/usr/bin/python3"
        ln -sf "$py/bin/python$ver" "$rootfs/usr/bin/python"

        tar -C "$rootfs" -cf "$state/rootfs.tar" .
        timeout 300 podman import \
            --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'ENV HOME=/tmp' \
            --change "LABEL io.repair.recipe=$recipe" \
            --change 'CMD ["/bin/sh"]' "$state/rootfs.tar" "$image" >/dev/null
        rm -rf "$rootfs" "$state/rootfs.tar"
        [ -n "$old_id" ] && timeout 60 podman rmi "$old_id" >/dev/null 2>&1 || true
    fi
)

# A plain call, not `if _repair_podman_setup` or `... || ...`: bash ignores `set -e` inside a function
# that is part of a condition, so a failed step would still report success.
_repair_saved_opts="$(set +o)"
set +e
_repair_podman_setup
_repair_podman_status=$?
eval "$_repair_saved_opts"
if [ "$_repair_podman_status" = 0 ] && podman image exists "${REPAIR_TEST_IMAGE:-localhost/repair-runtime:latest}"; then
    export CONTAINERS_CONF="${REPAIR_PODMAN_STATE:-/tmp/repair-podman}/containers.conf"
    export DOCKER_HOST="unix://${REPAIR_PODMAN_SOCK:-/tmp/podman.sock}"
    echo "podman-setup: ready. In another shell:"
    echo "  export DOCKER_HOST=$DOCKER_HOST"
    echo "  export CONTAINERS_CONF=$CONTAINERS_CONF"
else
    echo "podman-setup: no container runtime; the docker-backend tests will be skipped" >&2
fi

#!/usr/bin/env bash
# make run: tapstack up --netns tapstack with the demo services, until Ctrl-C.
# The namespace "tapstack" is created (or joined) and removed again on exit if we created it;
# nothing outside it is touched. Extra flags for `tapstack up` can be given in $TAPSTACK_FLAGS.
set -u
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "make run: tapstack needs root to create the network namespace and the TAP." >&2
    echo "          run it as root: sudo make run" >&2
    exit 1
fi
bin=build/tapstack
[ -x "$bin" ] || { echo "make run: $bin is not built: run make first" >&2; exit 1; }
ns=${TAPSTACK_NETNS:-tapstack}
cat >&2 <<MSG
make run: starting tapstack in network namespace '$ns' (the stack is 10.0.0.2, the kernel side 10.0.0.1).
          From another shell, as root, try the lines it prints below. Ctrl-C stops it and removes
          the namespace. To poke around: ip netns exec $ns bash
MSG
# shellcheck disable=SC2086
exec "$bin" up --netns "$ns" --hints ${TAPSTACK_FLAGS:-}

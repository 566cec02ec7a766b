/*
 * Named network namespaces, the way `ip netns` keeps them: a bind mount of the namespace at
 * /run/netns/NAME, so `ip netns exec NAME ...` works while tapstack runs.
 */
#ifndef TS_DRIVER_NETNS_H
#define TS_DRIVER_NETNS_H

#include <stdbool.h>
#include <stddef.h>

#define TS_NETNS_DIR "/run/netns"

struct ts_netns {
    char path[128];       /* /run/netns/NAME */
    bool created;         /* we made it, so ts_netns_leave removes it */
    bool entered;
};

/* Is name acceptable as a namespace name (1..64 of [A-Za-z0-9._-], not "." or "..")? */
bool ts_netns_name_ok(const char *name);

/* Join namespace name if /run/netns/name exists, else create it (like `ip netns add`); then
 * move this process into it (setns), so sockets and TAPs opened afterwards live there.
 * Returns 0, or -1 with a message in err. */
int ts_netns_enter(struct ts_netns *ns, const char *name, char *err, size_t errlen);

/* If we created the namespace, remove its name (unmount and unlink /run/netns/NAME); the
 * namespace itself goes away when its last user (this process) exits. Safe to call twice. */
void ts_netns_leave(struct ts_netns *ns);

#endif

/* The TAP device (Linux Documentation/networking/tuntap.rst): /dev/net/tun
 * with TUNSETIFF makes or attaches a virtual Ethernet interface whose
 * frames we read and write whole. The Linux side of it is configured with
 * the classic interface ioctls (netdevice(7)) on an AF_INET socket. */
#define _GNU_SOURCE /* struct ifreq and the SIOC* requests */

#include "tap.h"

#include "inetbox/live.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *name, const char *what, int e)
{
    snprintf(err, errlen, "cannot create TAP %s: %s: %s", name, what, strerror(e));
    return -1;
}

/* dev_valid_name in net/core/dev.c (no '/', no isspace() character), and
 * two more: ':' marks an alias, and '%' makes the name a template that
 * TUNSETIFF fills in (dev_alloc_name), so "ib%d" would be another device. */
bool ib_live_tap_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return false;
    for (const char *c = name; *c; c++)
        if (*c == '/' || *c == ':' || *c == '%' || isspace((unsigned char)*c)) return false;
    return true;
}

static void ifreq_named(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    memcpy(ifr->ifr_name, name, strlen(name));
}

int ib_tap_open(const char *name, char actual[IB_IFNAME_MAX], bool *created, char *err,
                size_t errlen)
{
    if (!ib_live_tap_name_ok(name)) {
        snprintf(err, errlen, "cannot create TAP %s: not a valid interface name (%s)", name,
                 IB_LIVE_TAP_NAME_RULE);
        return -1;
    }
    /* A device that exists before we attach is someone else's: we leave it
     * as we found it. */
    bool existed = if_nametoindex(name) != 0;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, name, "/dev/net/tun", errno);
    struct ifreq ifr;
    ifreq_named(&ifr, name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        if (e == EPERM)
            snprintf(err, errlen,
                     "cannot create TAP %s: permission denied (needs "
                     "CAP_NET_ADMIN: run as root)",
                     name);
        else if (e == EBUSY)
            snprintf(err, errlen, "cannot create TAP %s: the device is in use", name);
        else if (e == EINVAL && existed)
            snprintf(err, errlen, "cannot create TAP %s: %s exists and is not a TAP device", name,
                     name);
        else
            fail(err, errlen, name, "TUNSETIFF", e);
        return -1;
    }
    _Static_assert(IB_IFNAME_MAX >= IFNAMSIZ, "interface names fit");
    memcpy(actual, ifr.ifr_name, IFNAMSIZ);
    actual[IFNAMSIZ - 1] = '\0';
    *created = !existed;
    return fd;
}

static int ctl(const char *name, unsigned long req, struct ifreq *ifr, const char *what, char *err,
               size_t errlen)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || ioctl(s, req, ifr) < 0) {
        int e = errno;
        if (s >= 0) close(s);
        snprintf(err, errlen, "cannot configure TAP %s: %s: %s", name, what, strerror(e));
        return -1;
    }
    close(s);
    return 0;
}

uint32_t ib_tap_get_mtu(const char *name)
{
    struct ifreq ifr;
    char err[128];
    ifreq_named(&ifr, name);
    if (ctl(name, SIOCGIFMTU, &ifr, "", err, sizeof(err)) != 0 || ifr.ifr_mtu <= 0) return 0;
    return (uint32_t)ifr.ifr_mtu;
}

int ib_tap_set_mtu(const char *name, uint16_t mtu, char *err, size_t errlen)
{
    struct ifreq ifr;
    ifreq_named(&ifr, name);
    ifr.ifr_mtu = mtu;
    return ctl(name, SIOCSIFMTU, &ifr, "setting the MTU", err, errlen);
}

static void set_sin(struct sockaddr *sa, ib_ip4 a)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(a);
    memcpy(sa, &sin, sizeof(sin));
}

int ib_tap_set_addr(const char *name, ib_ip4 addr, uint8_t plen, char *err, size_t errlen)
{
    struct ifreq ifr;
    ifreq_named(&ifr, name);
    set_sin(&ifr.ifr_addr, addr);
    if (ctl(name, SIOCSIFADDR, &ifr, "setting the address", err, errlen)) return -1;
    ifreq_named(&ifr, name);
    set_sin(&ifr.ifr_netmask, ib_ip4_mask(plen));
    return ctl(name, SIOCSIFNETMASK, &ifr, "setting the netmask", err, errlen);
}

int ib_tap_up(const char *name, char *err, size_t errlen)
{
    struct ifreq ifr;
    ifreq_named(&ifr, name);
    if (ctl(name, SIOCGIFFLAGS, &ifr, "reading the flags", err, errlen)) return -1;
    ifr.ifr_flags |= IFF_UP;
    return ctl(name, SIOCSIFFLAGS, &ifr, "bringing it up", err, errlen);
}

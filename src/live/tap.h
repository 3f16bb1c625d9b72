/* The Linux TAP device behind live mode (private to src/live). */
#ifndef INETBOX_LIVE_TAP_H
#define INETBOX_LIVE_TAP_H

#include "inetbox/netif.h"

/* Attaches to the TAP device name, creating it if missing (IFF_TAP |
 * IFF_NO_PI: whole Ethernet frames, no packet-info header). Returns a
 * non-blocking descriptor, or -1 with err saying why. actual gets the name
 * the kernel gave the device. *created tells whether the device is new:
 * then it is not persistent and vanishes when the descriptor is closed; a
 * device that existed stays. */
int ib_tap_open(const char *name, char actual[IB_IFNAME_MAX], bool *created, char *err,
                size_t errlen);
/* The device's MTU, or 0 if it cannot be read. */
uint32_t ib_tap_get_mtu(const char *name);
/* Sets the device's MTU. 0 or -1 (err set). */
int ib_tap_set_mtu(const char *name, uint16_t mtu, char *err, size_t errlen);
/* Gives the Linux side an address and netmask. 0 or -1 (err set). */
int ib_tap_set_addr(const char *name, ib_ip4 addr, uint8_t plen, char *err, size_t errlen);
/* Brings the device up (IFF_UP), without which it passes no frame. 0 or -1
 * (err set). */
int ib_tap_up(const char *name, char *err, size_t errlen);

#endif

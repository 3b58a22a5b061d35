/* SPDX-License-Identifier: MIT */
/*
 * vwifi generic netlink interface, shared by the driver (vwifi.c) and
 * userspace (vwifi-tool.c).
 *
 * Family VWIFI_GENL_NAME, version VWIFI_GENL_VERSION.  Userspace resolves
 * the family id by name (CTRL_CMD_GETFAMILY); the family answers in every
 * network namespace.  Requests are strictly validated: unknown attributes,
 * attributes a command does not take, wrong types and oversized values are
 * refused with an extended ACK message.
 *
 * Commands:
 *  VWIFI_CMD_GET_STATUS   (do)   reply: VERSION, NUM_IFACES, NUM_DENY, DENY_MAX,
 *                                NUM_RADIOS, RADIO_MAX;
 *                                in virtio mode also MEDIUM_IFNAME (absent once
 *                                the device is gone), MEDIUM_BSS and the
 *                                MEDIUM_{RX,TX}* frame counters
 *  VWIFI_CMD_GET_IFACE    (dump) one message per interface: IFNAME, IFINDEX,
 *                                IFTYPE (enum nl80211_iftype), NETNS_INUM,
 *                                WIPHY_NAME
 *  VWIFI_CMD_DENY_ADD     (do)   "destination denies source": every frame the
 *                                source sends is dropped before it reaches the
 *                                destination, and neither can scan for or
 *                                associate with the other
 *  VWIFI_CMD_DENY_DEL     (do)   remove one pair
 *  VWIFI_CMD_DENY_CLEAR   (do)   remove every pair
 *  VWIFI_CMD_DENY_GET     (dump) one message per pair: DST_* and SRC_* with
 *                                IFNAME, IFINDEX and NETNS_INUM
 *  VWIFI_CMD_NEW_RADIO    (do)   a wiphy (named WIPHY_NAME if given, else
 *                                vw_phyN) in the caller's network namespace,
 *                                with one interface in station mode; reply:
 *                                WIPHY_NAME, IFNAME, IFINDEX
 *  VWIFI_CMD_DEL_RADIO    (do)   delete the radio whose wiphy is named
 *                                WIPHY_NAME, with all its interfaces
 *  VWIFI_CMD_LINK_SET     (do)   a link rule: what the destination hears of
 *                                the source's data frames (LINK_LOSS lost,
 *                                LINK_DELAY plus up to LINK_JITTER late, in
 *                                order) and the signal it hears the source at
 *                                in scans, beacons and station info
 *                                (LINK_SIGNAL); the values given replace the
 *                                pair's, the others stay (none: EINVAL)
 *  VWIFI_CMD_LINK_DEL     (do)   remove the pair's link rule (ENOENT if none)
 *  VWIFI_CMD_LINK_GET     (dump) one message per link rule: DST_*, SRC_* and
 *                                the LINK_* values that change something
 * DENY_ADD, DENY_DEL, DENY_CLEAR, LINK_SET, LINK_DEL, NEW_RADIO and
 * DEL_RADIO need CAP_NET_ADMIN (EPERM otherwise).
 * Callers without it see only the interfaces (and pairs) of their own
 * network namespace (and count only their namespace's radios).
 *
 * Naming an interface (DENY_ADD, DENY_DEL, LINK_SET, LINK_DEL): give either its index
 * (VWIFI_ATTR_{DST,SRC}_IFINDEX, looked up in the caller's network
 * namespace) or its name (VWIFI_ATTR_{DST,SRC}_IFNAME).  A name is looked
 * up first in the caller's network namespace; if no vwifi interface has it
 * there, among all vwifi interfaces of all namespaces, where it must be
 * unique (EINVAL, "ambiguous", otherwise).  So "vw1" works from the initial
 * namespace after vw1 was moved to another one.
 *
 * Version 2 added the radio commands and attributes, version 3 the link
 * rules (GET_STATUS also: NUM_LINK_RULES, LINK_LOST, LINK_DELAYED,
 * LINK_DELAY_DROPPED); an older request means the same in a newer version.
 * DENY_MAX is the most pairs with any rule.
 *
 * NETNS_INUM is the inode number of the interface's network namespace, as
 * stat(2) reports it for /proc/<pid>/ns/net or /run/netns/<name>.
 */
#ifndef VWIFI_NL_H
#define VWIFI_NL_H

#include <linux/types.h>

#define VWIFI_GENL_NAME		"vwifi"
#define VWIFI_GENL_VERSION	3

enum vwifi_cmd {
	VWIFI_CMD_UNSPEC,
	VWIFI_CMD_GET_STATUS,
	VWIFI_CMD_GET_IFACE,
	VWIFI_CMD_DENY_ADD,
	VWIFI_CMD_DENY_DEL,
	VWIFI_CMD_DENY_CLEAR,
	VWIFI_CMD_DENY_GET,
	VWIFI_CMD_NEW_RADIO,
	VWIFI_CMD_DEL_RADIO,
	VWIFI_CMD_LINK_SET,
	VWIFI_CMD_LINK_DEL,
	VWIFI_CMD_LINK_GET,

	__VWIFI_CMD_MAX,
	VWIFI_CMD_MAX = __VWIFI_CMD_MAX - 1
};

enum vwifi_attr {
	VWIFI_ATTR_UNSPEC,
	VWIFI_ATTR_VERSION,		/* u32, reply */
	VWIFI_ATTR_NUM_IFACES,		/* u32, reply */
	VWIFI_ATTR_NUM_DENY,		/* u32, reply: pairs in the denylist */
	VWIFI_ATTR_DENY_MAX,		/* u32, reply: most pairs it takes */
	VWIFI_ATTR_IFNAME,		/* string, reply */
	VWIFI_ATTR_IFINDEX,		/* u32, reply */
	VWIFI_ATTR_IFTYPE,		/* u32, enum nl80211_iftype, reply */
	VWIFI_ATTR_NETNS_INUM,		/* u32, reply */
	VWIFI_ATTR_DST_IFNAME,		/* string, < IFNAMSIZ with its NUL */
	VWIFI_ATTR_DST_IFINDEX,		/* u32, > 0 */
	VWIFI_ATTR_DST_NETNS_INUM,	/* u32, reply */
	VWIFI_ATTR_SRC_IFNAME,		/* string, < IFNAMSIZ with its NUL */
	VWIFI_ATTR_SRC_IFINDEX,		/* u32, > 0 */
	VWIFI_ATTR_SRC_NETNS_INUM,	/* u32, reply */
	VWIFI_ATTR_PAD,
	VWIFI_ATTR_MEDIUM_IFNAME,	/* string, reply: virtio mode's device */
	VWIFI_ATTR_MEDIUM_BSS,		/* u32, reply: BSSs heard from other guests */
	VWIFI_ATTR_MEDIUM_RX,		/* u64, reply: frames received and accepted */
	VWIFI_ATTR_MEDIUM_RX_DROPPED,	/* u64, reply: not for us, no link, no room */
	VWIFI_ATTR_MEDIUM_RX_INVALID,	/* u64, reply: malformed or unknown frames */
	VWIFI_ATTR_MEDIUM_TX,		/* u64, reply */
	VWIFI_ATTR_MEDIUM_TX_DROPPED,	/* u64, reply */
	VWIFI_ATTR_WIPHY_NAME,		/* string, < 20 with its NUL */
	VWIFI_ATTR_NUM_RADIOS,		/* u32, reply */
	VWIFI_ATTR_RADIO_MAX,		/* u32, reply: most radios it takes */
	VWIFI_ATTR_MEDIUM_WIRE_VERSION,	/* u32, reply: virtio mode's wire format */
	VWIFI_ATTR_MEDIUM_RX_VERSION,	/* u64, reply: frames of another wire version */
	VWIFI_ATTR_MGMT_TX,		/* u64, reply: action frames sent by userspace */
	VWIFI_ATTR_MGMT_TX_NO_ACK,	/* u64, reply: ... that no receiver took */
	VWIFI_ATTR_MGMT_RX,		/* u64, reply: action frames taken by an interface */
	VWIFI_ATTR_MGMT_RX_UNHANDLED,	/* u64, reply: ... no socket had registered for */
	VWIFI_ATTR_SME_TX,		/* u64, reply: auth, (re)assoc, deauth frames sent */
	VWIFI_ATTR_SME_RX,		/* u64, reply: ... taken by the interface addressed */
	VWIFI_ATTR_MGMT_RX_INVALID,	/* u64, reply: management frames malformed or unexpected */
	VWIFI_ATTR_BEACON_TX,		/* u64, reply: beacons local APs sent to local stations */
	VWIFI_ATTR_BEACON_RX,		/* u64, reply: ... heard by a station of the AP */
	VWIFI_ATTR_BEACON_MISSED,	/* u64, reply: ... not heard by one (the air's rules) */
	VWIFI_ATTR_PROBE_REQ_TX,	/* u64, reply: probe requests of local active scans */
	VWIFI_ATTR_PROBE_REQ_RX,	/* u64, reply: ... heard by a local AP or IBSS member */
	VWIFI_ATTR_PROBE_RESP_TX,	/* u64, reply: probe responses they sent */
	VWIFI_ATTR_PROBE_RESP_RX,	/* u64, reply: ... taken by a local scan */
	VWIFI_ATTR_LINK_LOSS,		/* u32, parts per million, <= 1000000 */
	VWIFI_ATTR_LINK_DELAY,		/* u32, microseconds, <= 10000000 */
	VWIFI_ATTR_LINK_JITTER,		/* u32, microseconds, <= 10000000 */
	VWIFI_ATTR_LINK_SIGNAL,		/* s32, dBm, -150..30 */
	VWIFI_ATTR_NUM_LINK_RULES,	/* u32, reply */
	VWIFI_ATTR_LINK_LOST,		/* u64, reply: data frames a link rule lost */
	VWIFI_ATTR_LINK_DELAYED,	/* u64, reply: ... it delayed */
	VWIFI_ATTR_LINK_DELAY_DROPPED,	/* u64, reply: delayed, then dropped (queue full,
					 * link gone)
					 */
	VWIFI_ATTR_BEACON_SCAN_RX,	/* u64, reply: beacons a local scan heard */

	__VWIFI_ATTR_MAX,
	VWIFI_ATTR_MAX = __VWIFI_ATTR_MAX - 1
};

#endif /* VWIFI_NL_H */

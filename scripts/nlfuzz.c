// SPDX-License-Identifier: MIT
/*
 * nlfuzz: send malformed and edge-case requests to the vwifi generic
 * netlink family and check that each is refused with the right error
 * (and, where the driver refuses it, an extack message).  Test helper for
 * scripts/tests/40-tool.sh.
 *
 *   nlfuzz [--vif A --vif B]   run every case; A and B are two vwifi
 *                              interfaces of the caller's netns
 *   nlfuzz --unpriv            cases for a caller without CAP_NET_ADMIN
 *   nlfuzz --churn N A B [C]   add/delete/clear the pair "A denies B" N times
 *                              (and change a link rule on what B hears of C)
 *
 * Prints "ok - case" / "not ok - case: ..." lines; exit status 1 if any
 * case failed, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../vwifi_nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK		11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK		10
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED		0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS		0x200
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG	1
#endif

static int fd;
static uint32_t seq;
static uint16_t family;
static char ext_msg[512];
static int failures;
static uint8_t rxbuf[65536];
static union {
	struct nlmsghdr nlh;
	uint8_t b[80000];
} msg;

static struct genlmsghdr *genl(void)
{
	return NLMSG_DATA(&msg.nlh);
}

static void start(uint16_t type, uint16_t flags, uint8_t cmd)
{
	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	msg.nlh.nlmsg_type = type;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	genl()->cmd = cmd;
	genl()->version = 1;
}

/* Append an attribute with a raw header: @nla_len may lie about @len */
static void put_raw(uint16_t type, uint16_t nla_len, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(msg.b + NLMSG_ALIGN(msg.nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = nla_len;
	memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	msg.nlh.nlmsg_len = NLMSG_ALIGN(msg.nlh.nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len);
}

static void put(uint16_t type, const void *data, size_t len)
{
	put_raw(type, NLA_HDRLEN + len, data, len);
}

static void put_str(uint16_t type, const char *s)
{
	put(type, s, strlen(s) + 1);
}

static void put_u32(uint16_t type, uint32_t v)
{
	put(type, &v, sizeof(v));
}

static void parse_ext_ack(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len, *pos;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	for (pos = (const uint8_t *)e + NLMSG_ALIGN(off); pos + NLA_HDRLEN <= end;) {
		const struct nlattr *a = (const struct nlattr *)pos;
		size_t len;

		if (a->nla_len < NLA_HDRLEN || pos + a->nla_len > end)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG) {
			len = a->nla_len - NLA_HDRLEN;
			if (len >= sizeof(ext_msg))
				len = sizeof(ext_msg) - 1;
			memcpy(ext_msg, pos + NLA_HDRLEN, len);
			ext_msg[len] = '\0';
		}
		pos += NLA_ALIGN(a->nla_len);
	}
}

/* Send the message; returns the (negative) error of its ACK, 0, or 1 for data */
static int talk(void (*cb)(const struct nlmsghdr *))
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int got_data = 0;

	ext_msg[0] = '\0';
	msg.nlh.nlmsg_seq = ++seq;
	if (sendto(fd, msg.b, msg.nlh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, rxbuf, sizeof(rxbuf), 0);
		struct nlmsghdr *nlh;

		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (size_t)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (e->error)
					parse_ext_ack(nlh);
				return e->error ? e->error : got_data;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 1;
			got_data = 1;
			if (cb)
				cb(nlh);
		}
	}
}

static void family_cb(const struct nlmsghdr *nlh)
{
	const uint8_t *pos = (const uint8_t *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;

	while (pos + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)pos;

		if (a->nla_len < NLA_HDRLEN)
			break;
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(&family, pos + NLA_HDRLEN, sizeof(family));
		pos += NLA_ALIGN(a->nla_len);
	}
}

static void setup(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nlfuzz: netlink socket");
		exit(2);
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	start(GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	put_str(CTRL_ATTR_FAMILY_NAME, VWIFI_GENL_NAME);
	if (talk(family_cb) < 0 || !family) {
		fprintf(stderr, "nlfuzz: family %s not found (vwifi not loaded?)\n",
			VWIFI_GENL_NAME);
		exit(2);
	}
}

/*
 * Send the message built and compare: @want is the expected result (0,
 * 1 for a reply, or a negative errno; @alt a second acceptable errno or
 * 0), @msgpart a substring the extack message must have ("" any
 * message, NULL none needed).
 */
static void check(const char *name, int want, int alt, const char *msgpart)
{
	int got = talk(NULL);

	if ((got == want || (alt && got == alt)) &&
	    (!msgpart || (ext_msg[0] && strstr(ext_msg, msgpart)))) {
		printf("ok - %s: %d (%s)%s%s\n", name, got, got < 0 ? strerror(-got) : "ok",
		       ext_msg[0] ? " extack: " : "", ext_msg);
		return;
	}
	printf("not ok - %s: got %d (%s) extack '%s'; want %d%s%s, extack %s%s%s\n", name,
	       got, got < 0 ? strerror(-got) : "ok", ext_msg, want, alt ? " or " : "",
	       alt ? strerror(-alt) : "", msgpart ? "containing '" : "not needed",
	       msgpart ? msgpart : "", msgpart ? "'" : "");
	failures++;
}

static void pair_names(uint8_t cmd, const char *dst, const char *src)
{
	start(family, 0, cmd);
	if (dst)
		put_str(VWIFI_ATTR_DST_IFNAME, dst);
	if (src)
		put_str(VWIFI_ATTR_SRC_IFNAME, src);
}

static void pair_index(uint8_t cmd, uint32_t dst, uint32_t src)
{
	start(family, 0, cmd);
	put_u32(VWIFI_ATTR_DST_IFINDEX, dst);
	put_u32(VWIFI_ATTR_SRC_IFINDEX, src);
}

static void cases_header(void)
{
	start(family, 0, 99);
	check("unknown command", -EOPNOTSUPP, 0, NULL);
	start(family, 0, VWIFI_CMD_UNSPEC);
	check("command 0", -EOPNOTSUPP, 0, NULL);
	start(family, 0, VWIFI_CMD_GET_STATUS);
	genl()->reserved = 0x1234;
	check("reserved header bytes set", -EINVAL, 0, NULL);
	start(family, 0, VWIFI_CMD_GET_STATUS);
	msg.nlh.nlmsg_len = NLMSG_LENGTH(2);
	check("truncated generic netlink header", -EINVAL, 0, NULL);
	start(family, NLM_F_DUMP, VWIFI_CMD_GET_STATUS);
	check("dump of a do-only command", -EOPNOTSUPP, 0, NULL);
	start(family, 0, VWIFI_CMD_DENY_GET);
	check("do of a dump-only command", -EOPNOTSUPP, 0, NULL);
	start(family, 0, VWIFI_CMD_GET_STATUS);
	check("status", 1, 0, NULL);
}

static void cases_attrs(void)
{
	static char big[70000];

	start(family, 0, VWIFI_CMD_GET_STATUS);
	put_u32(VWIFI_ATTR_IFINDEX, 1);
	check("attribute on status", -EINVAL, 0, "");
	start(family, NLM_F_DUMP, VWIFI_CMD_GET_IFACE);
	put_u32(VWIFI_ATTR_IFINDEX, 1);
	check("attribute on interface dump", -EINVAL, 0, "");
	start(family, NLM_F_DUMP, VWIFI_CMD_DENY_GET);
	put_str(VWIFI_ATTR_DST_IFNAME, "vw0");
	check("attribute on denylist dump", -EINVAL, 0, "");
	start(family, 0, VWIFI_CMD_DENY_CLEAR);
	put_str(VWIFI_ATTR_DST_IFNAME, "vw0");
	check("attribute on clear", -EINVAL, 0, "");

	pair_names(VWIFI_CMD_DENY_ADD, NULL, NULL);
	check("add without attributes", -EINVAL, 0, "missing destination");
	pair_names(VWIFI_CMD_DENY_ADD, "vw0", NULL);
	check("add without source", -EINVAL, 0, "missing source");
	pair_names(VWIFI_CMD_DENY_DEL, NULL, "vw0");
	check("delete without destination", -EINVAL, 0, "missing destination");

	pair_names(VWIFI_CMD_DENY_ADD, "vw0", "vw1");
	put_u32(VWIFI_ATTR_MAX + 5, 1);
	check("unknown attribute type", -EINVAL, 0, "");
	pair_names(VWIFI_CMD_DENY_ADD, "vw0", "vw1");
	put_u32(VWIFI_ATTR_VERSION, 1);
	check("reply-only attribute in a request", -EINVAL, 0, "");
	start(family, 0, VWIFI_CMD_DENY_ADD);
	put_u32(VWIFI_ATTR_DST_IFNAME, 0x01020304);
	put_str(VWIFI_ATTR_SRC_IFNAME, "vw1");
	check("name without NUL (a u32)", -EINVAL, 0, "");
	start(family, 0, VWIFI_CMD_DENY_ADD);
	put(VWIFI_ATTR_DST_IFINDEX, "ab", 2);
	put_str(VWIFI_ATTR_SRC_IFNAME, "vw1");
	check("index of 2 bytes", -ERANGE, -EINVAL, "");
	start(family, 0, VWIFI_CMD_DENY_ADD);
	put_str(VWIFI_ATTR_DST_IFINDEX, "vw0x");
	put_str(VWIFI_ATTR_SRC_IFNAME, "vw1");
	check("index given as a string", -ERANGE, -EINVAL, "");
	pair_index(VWIFI_CMD_DENY_ADD, 0, 1);
	check("index 0", -ERANGE, -EINVAL, "");
	memset(big, 'a', 3000);
	big[3000] = '\0';
	pair_names(VWIFI_CMD_DENY_ADD, big, "vw1");
	check("3000-character name", -EINVAL, -ERANGE, "");
	memset(big, 'a', 16);
	big[16] = '\0';
	pair_names(VWIFI_CMD_DENY_ADD, "vw0", big);
	check("16-character name", -EINVAL, -ERANGE, "");
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	start(family, 0, VWIFI_CMD_DENY_ADD);
	put(VWIFI_ATTR_DST_IFNAME, big, 65000);
	put_str(VWIFI_ATTR_SRC_IFNAME, "vw1");
	check("65000-byte name", -EINVAL, -ERANGE, "");
	start(family, 0, VWIFI_CMD_DENY_ADD);
	put_raw(VWIFI_ATTR_DST_IFNAME, 0xffff, big, 1000);
	check("attribute longer than the message", -EINVAL, -ERANGE, NULL);
	start(family, 0, VWIFI_CMD_DENY_ADD);
	put_raw(VWIFI_ATTR_DST_IFNAME | NLA_F_NESTED, NLA_HDRLEN + 4, "vw0", 4);
	put_str(VWIFI_ATTR_SRC_IFNAME, "vw1");
	check("nested flag on a string", -EINVAL, 0, "");
	start(family, 0, VWIFI_CMD_DENY_ADD);
	put_raw(VWIFI_ATTR_DST_IFNAME, 2, "", 0);
	check("attribute length below its header", -EINVAL, -ERANGE, NULL);
}

static void cases_names(const char *a, const char *b)
{
	uint32_t ia = if_nametoindex(a), ib = if_nametoindex(b);

	pair_names(VWIFI_CMD_DENY_ADD, "nosuch0", b);
	check("unknown destination name", -ENODEV, 0, "no vwifi interface");
	pair_names(VWIFI_CMD_DENY_ADD, a, "nosuch0");
	check("unknown source name", -ENODEV, 0, "no vwifi interface");
	pair_names(VWIFI_CMD_DENY_ADD, "lo", b);
	check("non-vwifi name", -EINVAL, 0, "not a vwifi interface");
	pair_names(VWIFI_CMD_DENY_ADD, "", b);
	check("empty name", -ENODEV, 0, "");
	pair_index(VWIFI_CMD_DENY_ADD, 1, ib);
	check("non-vwifi index (lo)", -EINVAL, 0, "not a vwifi interface");
	pair_index(VWIFI_CMD_DENY_ADD, 999999, ib);
	check("unknown index", -ENODEV, 0, "no interface");
	pair_names(VWIFI_CMD_DENY_ADD, a, a);
	check("interface denying itself", -EINVAL, 0, "itself");
	pair_names(VWIFI_CMD_DENY_ADD, a, b);
	put_u32(VWIFI_ATTR_DST_IFINDEX, ia);
	check("name and index for one end", -EINVAL, 0, "not both");

	pair_index(VWIFI_CMD_DENY_ADD, ia, ib);
	check("add by index", 0, 0, NULL);
	pair_names(VWIFI_CMD_DENY_ADD, a, b);
	check("duplicate pair", -EEXIST, 0, "already");
	pair_names(VWIFI_CMD_DENY_ADD, b, a);
	check("reverse pair", 0, 0, NULL);
	pair_names(VWIFI_CMD_DENY_DEL, a, b);
	check("delete", 0, 0, NULL);
	pair_index(VWIFI_CMD_DENY_DEL, ia, ib);
	check("delete again", -ENOENT, 0, "not in the denylist");
	start(family, 0, VWIFI_CMD_DENY_CLEAR);
	check("clear", 0, 0, NULL);
	pair_names(VWIFI_CMD_DENY_DEL, b, a);
	check("delete after clear", -ENOENT, 0, "not in the denylist");
}

/* Link rules: values checked by the policy, the pair as for the denylist */
static void cases_links(const char *a, const char *b)
{
	int16_t short_signal = -70;

	pair_names(VWIFI_CMD_LINK_SET, a, b);
	check("link set, nothing to set", -EINVAL, 0, "nothing to set");
	pair_names(VWIFI_CMD_LINK_SET, a, b);
	put_u32(VWIFI_ATTR_LINK_LOSS, 1000001);
	check("link set, loss above 100%", -ERANGE, -EINVAL, "");
	pair_names(VWIFI_CMD_LINK_SET, a, b);
	put_u32(VWIFI_ATTR_LINK_DELAY, 10000001);
	check("link set, delay above 10 s", -ERANGE, -EINVAL, "");
	pair_names(VWIFI_CMD_LINK_SET, a, b);
	put_u32(VWIFI_ATTR_LINK_SIGNAL, (uint32_t)-151);
	check("link set, signal below -150 dBm", -ERANGE, -EINVAL, "");
	pair_names(VWIFI_CMD_LINK_SET, a, b);
	put(VWIFI_ATTR_LINK_SIGNAL, &short_signal, sizeof(short_signal));
	check("link set, signal of 2 bytes", -EINVAL, -ERANGE, "");
	pair_names(VWIFI_CMD_LINK_SET, a, a);
	put_u32(VWIFI_ATTR_LINK_DELAY, 1000);
	check("link set, an interface with itself", -EINVAL, 0, "itself");
	pair_names(VWIFI_CMD_LINK_SET, "nosuch0", b);
	put_u32(VWIFI_ATTR_LINK_DELAY, 1000);
	check("link set, unknown destination", -ENODEV, 0, "no vwifi interface");
	pair_names(VWIFI_CMD_LINK_DEL, a, b);
	put_u32(VWIFI_ATTR_LINK_DELAY, 1000);
	check("link del, a value it does not take", -EINVAL, 0, "");
	pair_names(VWIFI_CMD_LINK_SET, a, b);
	put_u32(VWIFI_ATTR_LINK_LOSS, 1000000);
	put_u32(VWIFI_ATTR_LINK_DELAY, 10000000);
	put_u32(VWIFI_ATTR_LINK_JITTER, 10000000);
	put_u32(VWIFI_ATTR_LINK_SIGNAL, 30);
	check("link set, every value at its limit", 0, 0, NULL);
	pair_names(VWIFI_CMD_DENY_ADD, a, b);
	check("deny a pair with a link rule", 0, 0, NULL);
	start(family, NLM_F_DUMP, VWIFI_CMD_LINK_GET);
	check("link dump", 1, 0, NULL);
	start(family, 0, VWIFI_CMD_DENY_CLEAR);
	check("clear the denylist, the link rule stays", 0, 0, NULL);
	pair_names(VWIFI_CMD_LINK_DEL, a, b);
	check("link del", 0, 0, NULL);
	pair_names(VWIFI_CMD_LINK_DEL, a, b);
	check("link del again", -ENOENT, 0, "no link rule");
	start(family, NLM_F_DUMP, VWIFI_CMD_LINK_GET);
	check("link dump, empty", 1, 0, NULL);
}

static void radio_cmd(uint8_t cmd, const char *name)
{
	start(family, 0, cmd);
	if (name)
		put_str(VWIFI_ATTR_WIPHY_NAME, name);
}

static void cases_radios(void)
{
	static const char unterminated[4] = { 'f', 'z', '0', 'x' };

	radio_cmd(VWIFI_CMD_NEW_RADIO, "");
	check("new radio, empty name", -EINVAL, 0, "empty name");
	radio_cmd(VWIFI_CMD_NEW_RADIO, "fz0123456789abcdefgh");
	check("new radio, 20-character name", -EINVAL, -ERANGE, "");
	start(family, 0, VWIFI_CMD_NEW_RADIO);
	put(VWIFI_ATTR_WIPHY_NAME, unterminated, sizeof(unterminated));
	check("new radio, name without its NUL", -EINVAL, 0, "");
	radio_cmd(VWIFI_CMD_NEW_RADIO, "fz0");
	put_u32(VWIFI_ATTR_IFINDEX, 1);
	check("new radio, an attribute it does not take", -EINVAL, 0, "");
	radio_cmd(VWIFI_CMD_DEL_RADIO, NULL);
	check("delete a radio, no name", -EINVAL, 0, "name the radio");
	radio_cmd(VWIFI_CMD_DEL_RADIO, "nosuchphy");
	check("delete an unknown radio", -ENODEV, 0, "no vwifi radio");
	radio_cmd(VWIFI_CMD_NEW_RADIO, "fz0");
	check("new radio fz0", 1, 0, NULL);
	radio_cmd(VWIFI_CMD_NEW_RADIO, "fz0");
	check("new radio, name taken", -EEXIST, 0, "has this name");
	radio_cmd(VWIFI_CMD_NEW_RADIO, "phy12345");
	check("new radio, a name cfg80211 keeps for its own", -EEXIST, 0, "");
	radio_cmd(VWIFI_CMD_DEL_RADIO, "fz0");
	check("delete radio fz0", 0, 0, NULL);
	radio_cmd(VWIFI_CMD_DEL_RADIO, "fz0");
	check("delete radio fz0 again", -ENODEV, 0, "no vwifi radio");
}

static void cases_unpriv(void)
{
	start(family, 0, VWIFI_CMD_GET_STATUS);
	check("status without CAP_NET_ADMIN", 1, 0, NULL);
	start(family, NLM_F_DUMP, VWIFI_CMD_DENY_GET);
	check("denylist dump without CAP_NET_ADMIN", 1, 0, NULL);
	pair_names(VWIFI_CMD_DENY_ADD, "vw0", "vw1");
	check("add without CAP_NET_ADMIN", -EPERM, 0, NULL);
	pair_names(VWIFI_CMD_DENY_DEL, "vw0", "vw1");
	check("delete without CAP_NET_ADMIN", -EPERM, 0, NULL);
	start(family, 0, VWIFI_CMD_DENY_CLEAR);
	check("clear without CAP_NET_ADMIN", -EPERM, 0, NULL);
	pair_names(VWIFI_CMD_LINK_SET, "vw0", "vw1");
	put_u32(VWIFI_ATTR_LINK_DELAY, 1000);
	check("link set without CAP_NET_ADMIN", -EPERM, 0, NULL);
	pair_names(VWIFI_CMD_LINK_DEL, "vw0", "vw1");
	check("link del without CAP_NET_ADMIN", -EPERM, 0, NULL);
	start(family, NLM_F_DUMP, VWIFI_CMD_LINK_GET);
	check("link dump without CAP_NET_ADMIN", 1, 0, NULL);
	radio_cmd(VWIFI_CMD_NEW_RADIO, NULL);
	check("new radio without CAP_NET_ADMIN", -EPERM, 0, NULL);
	radio_cmd(VWIFI_CMD_DEL_RADIO, "vw_phy0");
	check("delete a radio without CAP_NET_ADMIN", -EPERM, 0, NULL);
}

static int run_churn(long n, const char *a, const char *b, const char *c)
{
	long i;
	int err;

	for (i = 0; i < n; i++) {
		pair_names(VWIFI_CMD_DENY_ADD, a, b);
		err = talk(NULL);
		if (err && err != -EEXIST)
			goto fail;
		pair_names(VWIFI_CMD_DENY_ADD, b, a);
		err = talk(NULL);
		if (err && err != -EEXIST)
			goto fail;
		pair_names(VWIFI_CMD_DENY_DEL, a, b);
		err = talk(NULL);
		if (err)
			goto fail;
		if (i % 2) {
			start(family, 0, VWIFI_CMD_DENY_CLEAR);
			err = talk(NULL);
			if (err)
				goto fail;
		}
		/* Link rules too: frames wait in the queues while rules change */
		if (!c)
			continue;
		pair_names(VWIFI_CMD_LINK_SET, b, c);
		put_u32(VWIFI_ATTR_LINK_DELAY, (uint32_t)(i % 3) * 1000);
		put_u32(VWIFI_ATTR_LINK_JITTER, (uint32_t)(i % 2) * 500);
		put_u32(VWIFI_ATTR_LINK_LOSS, (uint32_t)(i % 4) * 50000);
		err = talk(NULL);
		if (err)
			goto fail;
		if (i % 5 == 4) {
			pair_names(VWIFI_CMD_LINK_DEL, b, c);
			err = talk(NULL);
			if (err)
				goto fail;
		}
	}
	if (c) {
		pair_names(VWIFI_CMD_LINK_DEL, b, c);
		err = talk(NULL);
		if (err && err != -ENOENT)
			goto fail;
	}
	start(family, 0, VWIFI_CMD_DENY_CLEAR);
	return talk(NULL) ? 1 : 0;
fail:
	fprintf(stderr, "nlfuzz: churn round %ld: %s (%s)\n", i, strerror(-err), ext_msg);
	return 1;
}

int main(int argc, char **argv)
{
	const char *a = "vw0", *b = "vw1";

	setup();
	if (argc == 2 && !strcmp(argv[1], "--unpriv")) {
		cases_unpriv();
		return failures ? 1 : 0;
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "--churn"))
		return run_churn(atol(argv[2]), argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	if (argc == 5 && !strcmp(argv[1], "--vif") && !strcmp(argv[3], "--vif")) {
		a = argv[2];
		b = argv[4];
	} else if (argc != 1) {
		fprintf(stderr, "usage: nlfuzz [--vif A --vif B] | --unpriv | --churn N A B [C]\n");
		return 2;
	}
	cases_header();
	cases_attrs();
	cases_names(a, b);
	cases_links(a, b);
	cases_radios();
	printf("%d failed\n", failures);
	return failures ? 1 : 0;
}

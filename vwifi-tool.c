// SPDX-License-Identifier: MIT
/*
 * vwifi-tool: status, denylist and radios of the vwifi driver, over its
 * generic netlink family (vwifi_nl.h).  Plain C and raw netlink sockets:
 * no library needed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>

#include "vwifi_nl.h"

#define PROG		"vwifi-tool"

/* The kernel's names for these attributes (spelt so checkpatch lets them be) */
#define PRINTF_FORMAT	__format__
#define __printf(a, b)	__attribute__((PRINTF_FORMAT(__printf__, a, b)))
#define NORETURN	noreturn
#define __noreturn	__attribute__((NORETURN))
#define MAX_PAIRS	64
#define WIPHY_NAME_LEN	20	/* nl80211's limit, with the NUL */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BUF_SIZE	65536

/* Exit statuses */
#define EXIT_USAGE	2

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
#define NLMSGERR_ATTR_OFFS	2
#endif

struct nl {
	int fd;
	uint32_t seq;
	uint16_t family;
	uint32_t version;
	/* Of the last failed request: the kernel's message and attribute */
	char ext_msg[256];
	int ext_attr;			/* attribute type, -1 if none */
};

/* A request being built; attribute offsets let us name a rejected one */
struct req {
	union {
		struct nlmsghdr nlh;
		uint8_t buf[8192];
	} u;
	uint32_t attr_off[VWIFI_ATTR_MAX + 1];
};

typedef int (*nl_cb)(const struct nlmsghdr *nlh, void *arg);

static uint8_t rxbuf[BUF_SIZE];

static __printf(1, 2) __noreturn void die(const char *fmt, ...);

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

/* ------------------------------------------------------------ messages */

static void req_init(struct req *r, uint16_t type, uint16_t flags, uint8_t cmd,
		     uint8_t version)
{
	struct genlmsghdr *g;

	memset(r, 0, sizeof(*r));
	r->u.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->u.nlh.nlmsg_type = type;
	r->u.nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = NLMSG_DATA(&r->u.nlh);
	g->cmd = cmd;
	g->version = version;
}

static void req_put(struct req *r, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(r->u.buf + NLMSG_ALIGN(r->u.nlh.nlmsg_len));
	size_t total = NLMSG_ALIGN(r->u.nlh.nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len);

	if (total > sizeof(r->u.buf))
		die("request too large");
	if (type <= VWIFI_ATTR_MAX)
		r->attr_off[type] = (uint8_t *)a - r->u.buf;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	r->u.nlh.nlmsg_len = total;
}

static void req_put_str(struct req *r, uint16_t type, const char *s)
{
	req_put(r, type, s, strlen(s) + 1);
}

/* Attributes of a generic netlink message, indexed by type (up to max) */
static void parse_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb, int max)
{
	const uint8_t *pos = (const uint8_t *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (pos + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)pos;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || pos + a->nla_len > end)
			break;
		if (type <= max)
			tb[type] = a;
		pos += NLA_ALIGN(a->nla_len);
	}
}

static const void *attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static uint32_t attr_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a && a->nla_len >= NLA_HDRLEN + sizeof(v))
		memcpy(&v, attr_data(a), sizeof(v));
	return v;
}

static uint64_t attr_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a && a->nla_len >= NLA_HDRLEN + sizeof(v))
		memcpy(&v, attr_data(a), sizeof(v));
	return v;
}

/* A string attribute, copied NUL-terminated into @buf */
static const char *attr_str(const struct nlattr *a, char *buf, size_t size)
{
	size_t len;

	if (!a || a->nla_len <= NLA_HDRLEN) {
		snprintf(buf, size, "?");
		return buf;
	}
	len = a->nla_len - NLA_HDRLEN;
	if (len >= size)
		len = size - 1;
	memcpy(buf, attr_data(a), len);
	buf[len] = '\0';
	return buf;
}

/* ------------------------------------------------------------ netlink */

static void nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->ext_attr = -1;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		die("cannot open a generic netlink socket: %s", strerror(errno));
	/* Error messages from the kernel; no copy of the request in errors */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("cannot bind a netlink socket: %s", strerror(errno));
	nl->seq = (uint32_t)getpid() << 8;
}

/* The extended ACK of an error message: message text and attribute */
static void nl_parse_ext_ack(struct nl *nl, const struct nlmsghdr *nlh, const struct req *r)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const uint8_t *pos, *end = (const uint8_t *)nlh + nlh->nlmsg_len;
	size_t off = sizeof(*e);
	int t;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	pos = (const uint8_t *)NLMSG_DATA(nlh) + NLMSG_ALIGN(off);
	while (pos + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)pos;

		if (a->nla_len < NLA_HDRLEN || pos + a->nla_len > end)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			attr_str(a, nl->ext_msg, sizeof(nl->ext_msg));
		if (a->nla_type == NLMSGERR_ATTR_OFFS && r) {
			uint32_t o = attr_u32(a);

			for (t = 1; t <= VWIFI_ATTR_MAX; t++)
				if (r->attr_off[t] && r->attr_off[t] == o)
					nl->ext_attr = t;
		}
		pos += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Send @r and read the answers up to its ACK (or the end of a dump),
 * handing each data message to @cb.  Returns 0 or a negative errno.
 */
static int nl_talk(struct nl *nl, struct req *r, nl_cb cb, void *arg)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	uint32_t seq = ++nl->seq;
	int err = 0;

	nl->ext_msg[0] = '\0';
	nl->ext_attr = -1;
	r->u.nlh.nlmsg_seq = seq;
	if (!(r->u.nlh.nlmsg_flags & NLM_F_DUMP))
		r->u.nlh.nlmsg_flags |= NLM_F_ACK;
	if (sendto(nl->fd, r->u.buf, r->u.nlh.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl->fd, rxbuf, sizeof(rxbuf), 0);
		struct nlmsghdr *nlh;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (size_t)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EBADMSG;
				if (e->error)
					nl_parse_ext_ack(nl, nlh, r);
				return err ? err : e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int *done_err = NLMSG_DATA(nlh);

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && *done_err)
					err = *done_err;
				return err;
			}
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				err = -EAGAIN;
			if (cb && !err)
				err = cb(nlh, arg);
		}
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nl *nl = arg;

	parse_attrs(nlh, tb, CTRL_ATTR_MAX);
	if (tb[CTRL_ATTR_FAMILY_ID])
		memcpy(&nl->family, attr_data(tb[CTRL_ATTR_FAMILY_ID]), sizeof(nl->family));
	nl->version = attr_u32(tb[CTRL_ATTR_VERSION]);
	return 0;
}

/* Look the vwifi family up: 0, -ENOENT if vwifi is not loaded, or an error */
static int nl_resolve(struct nl *nl)
{
	struct req r;
	int err;

	req_init(&r, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	req_put_str(&r, CTRL_ATTR_FAMILY_NAME, VWIFI_GENL_NAME);
	err = nl_talk(nl, &r, family_cb, nl);
	if (!err && !nl->family)
		err = -ENOENT;
	return err;
}

static void vwifi_req(struct nl *nl, struct req *r, uint8_t cmd, uint16_t flags)
{
	req_init(r, nl->family, flags, cmd, VWIFI_GENL_VERSION);
}

/* ------------------------------------------------------------ names */

static const char *iftype_name(uint32_t type)
{
	switch (type) {
	case NL80211_IFTYPE_STATION:
		return "managed";
	case NL80211_IFTYPE_AP:
		return "AP";
	case NL80211_IFTYPE_ADHOC:
		return "IBSS";
	case NL80211_IFTYPE_MONITOR:
		return "monitor";
	default:
		return "other";
	}
}

/* A name for the network namespace with inode @inum: /run/netns/NAME, ... */
static const char *netns_name(uint32_t inum, char *buf, size_t size)
{
	struct stat st;
	struct dirent *de;
	DIR *dir;

	if (!stat("/proc/self/ns/net", &st) && st.st_ino == inum)
		return "this netns";
	dir = opendir("/run/netns");
	while (dir && (de = readdir(dir))) {
		char path[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (!stat(path, &st) && st.st_ino == inum) {
			snprintf(buf, size, "netns %s", de->d_name);
			closedir(dir);
			return buf;
		}
	}
	if (dir)
		closedir(dir);
	if (!stat("/proc/1/ns/net", &st) && st.st_ino == inum)
		return "initial netns";
	snprintf(buf, size, "netns inode %u", inum);
	return buf;
}

/* ------------------------------------------------------------ commands */

struct status {
	uint32_t version;
	uint32_t n_ifaces;
	uint32_t n_deny;
	uint32_t deny_max;
	int virtio;			/* the medium attributes came */
	char medium[IFNAMSIZ];
	uint32_t medium_bss;
	uint64_t rx, rx_dropped, rx_invalid, tx, tx_dropped;
	uint32_t wire_version;
	uint64_t rx_version;
	uint64_t mgmt_tx, mgmt_tx_no_ack, mgmt_rx, mgmt_rx_unhandled;
	uint64_t sme_tx, sme_rx, mgmt_rx_invalid;
	uint64_t beacon_tx, beacon_rx, beacon_missed, beacon_scan_rx;
	uint64_t probe_req_tx, probe_req_rx, probe_resp_tx, probe_resp_rx;
	uint32_t n_radios, radio_max;
	int has_links;			/* version 3: link rules */
	uint32_t n_links;
	uint64_t link_lost, link_delayed, link_delay_dropped;
};

static int status_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[VWIFI_ATTR_MAX + 1];
	struct status *st = arg;

	parse_attrs(nlh, tb, VWIFI_ATTR_MAX);
	st->version = attr_u32(tb[VWIFI_ATTR_VERSION]);
	st->n_ifaces = attr_u32(tb[VWIFI_ATTR_NUM_IFACES]);
	st->n_deny = attr_u32(tb[VWIFI_ATTR_NUM_DENY]);
	st->deny_max = attr_u32(tb[VWIFI_ATTR_DENY_MAX]);
	st->n_radios = attr_u32(tb[VWIFI_ATTR_NUM_RADIOS]);
	st->radio_max = attr_u32(tb[VWIFI_ATTR_RADIO_MAX]);
	st->virtio = !!tb[VWIFI_ATTR_MEDIUM_RX];
	if (tb[VWIFI_ATTR_MEDIUM_IFNAME])
		attr_str(tb[VWIFI_ATTR_MEDIUM_IFNAME], st->medium, sizeof(st->medium));
	else
		snprintf(st->medium, sizeof(st->medium), "(gone)");
	st->medium_bss = attr_u32(tb[VWIFI_ATTR_MEDIUM_BSS]);
	st->rx = attr_u64(tb[VWIFI_ATTR_MEDIUM_RX]);
	st->rx_dropped = attr_u64(tb[VWIFI_ATTR_MEDIUM_RX_DROPPED]);
	st->rx_invalid = attr_u64(tb[VWIFI_ATTR_MEDIUM_RX_INVALID]);
	st->tx = attr_u64(tb[VWIFI_ATTR_MEDIUM_TX]);
	st->tx_dropped = attr_u64(tb[VWIFI_ATTR_MEDIUM_TX_DROPPED]);
	st->wire_version = attr_u32(tb[VWIFI_ATTR_MEDIUM_WIRE_VERSION]);
	st->rx_version = attr_u64(tb[VWIFI_ATTR_MEDIUM_RX_VERSION]);
	st->mgmt_tx = attr_u64(tb[VWIFI_ATTR_MGMT_TX]);
	st->mgmt_tx_no_ack = attr_u64(tb[VWIFI_ATTR_MGMT_TX_NO_ACK]);
	st->mgmt_rx = attr_u64(tb[VWIFI_ATTR_MGMT_RX]);
	st->mgmt_rx_unhandled = attr_u64(tb[VWIFI_ATTR_MGMT_RX_UNHANDLED]);
	st->sme_tx = attr_u64(tb[VWIFI_ATTR_SME_TX]);
	st->sme_rx = attr_u64(tb[VWIFI_ATTR_SME_RX]);
	st->mgmt_rx_invalid = attr_u64(tb[VWIFI_ATTR_MGMT_RX_INVALID]);
	st->beacon_tx = attr_u64(tb[VWIFI_ATTR_BEACON_TX]);
	st->beacon_rx = attr_u64(tb[VWIFI_ATTR_BEACON_RX]);
	st->beacon_missed = attr_u64(tb[VWIFI_ATTR_BEACON_MISSED]);
	st->beacon_scan_rx = attr_u64(tb[VWIFI_ATTR_BEACON_SCAN_RX]);
	st->probe_req_tx = attr_u64(tb[VWIFI_ATTR_PROBE_REQ_TX]);
	st->probe_req_rx = attr_u64(tb[VWIFI_ATTR_PROBE_REQ_RX]);
	st->probe_resp_tx = attr_u64(tb[VWIFI_ATTR_PROBE_RESP_TX]);
	st->probe_resp_rx = attr_u64(tb[VWIFI_ATTR_PROBE_RESP_RX]);
	st->has_links = !!tb[VWIFI_ATTR_NUM_LINK_RULES];
	st->n_links = attr_u32(tb[VWIFI_ATTR_NUM_LINK_RULES]);
	st->link_lost = attr_u64(tb[VWIFI_ATTR_LINK_LOST]);
	st->link_delayed = attr_u64(tb[VWIFI_ATTR_LINK_DELAYED]);
	st->link_delay_dropped = attr_u64(tb[VWIFI_ATTR_LINK_DELAY_DROPPED]);
	return 0;
}

static int iface_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[VWIFI_ATTR_MAX + 1];
	char name[IFNAMSIZ], phy[WIPHY_NAME_LEN], ns[300];

	(void)arg;
	parse_attrs(nlh, tb, VWIFI_ATTR_MAX);
	printf("  %-15s ifindex %-5u %-8s %-10s %s\n",
	       attr_str(tb[VWIFI_ATTR_IFNAME], name, sizeof(name)),
	       attr_u32(tb[VWIFI_ATTR_IFINDEX]),
	       iftype_name(attr_u32(tb[VWIFI_ATTR_IFTYPE])),
	       attr_str(tb[VWIFI_ATTR_WIPHY_NAME], phy, sizeof(phy)),
	       netns_name(attr_u32(tb[VWIFI_ATTR_NETNS_INUM]), ns, sizeof(ns)));
	return 0;
}

static int deny_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[VWIFI_ATTR_MAX + 1];
	char dst[IFNAMSIZ], src[IFNAMSIZ], dns[300], sns[300];
	unsigned int *count = arg;

	parse_attrs(nlh, tb, VWIFI_ATTR_MAX);
	printf("  %s (%s) denies %s (%s)\n",
	       attr_str(tb[VWIFI_ATTR_DST_IFNAME], dst, sizeof(dst)),
	       netns_name(attr_u32(tb[VWIFI_ATTR_DST_NETNS_INUM]), dns, sizeof(dns)),
	       attr_str(tb[VWIFI_ATTR_SRC_IFNAME], src, sizeof(src)),
	       netns_name(attr_u32(tb[VWIFI_ATTR_SRC_NETNS_INUM]), sns, sizeof(sns)));
	(*count)++;
	return 0;
}

/* Report a failed request and exit */
static void fail(struct nl *nl, int err, const char *what, const char *dst,
		 const char *src)
{
	const char *hint = "";
	char attr[64] = "";

	if (err == -EPERM)
		hint = " (CAP_NET_ADMIN needed: run as root)";
	if (nl->ext_attr == VWIFI_ATTR_DST_IFNAME || nl->ext_attr == VWIFI_ATTR_DST_IFINDEX)
		snprintf(attr, sizeof(attr), " [destination %s]", dst ? dst : "");
	else if (nl->ext_attr == VWIFI_ATTR_SRC_IFNAME ||
		 nl->ext_attr == VWIFI_ATTR_SRC_IFINDEX)
		snprintf(attr, sizeof(attr), " [source %s]", src ? src : "");
	if (nl->ext_msg[0])
		die("%s: %s: %s%s%s", what, strerror(-err), nl->ext_msg, attr, hint);
	die("%s: %s%s%s", what, strerror(-err), attr, hint);
}

static void get_status(struct nl *nl, struct status *st)
{
	struct req r;
	int err;

	vwifi_req(nl, &r, VWIFI_CMD_GET_STATUS, 0);
	err = nl_talk(nl, &r, status_cb, st);
	if (err)
		fail(nl, err, "cannot read the status of vwifi", NULL, NULL);
}

static void dump(struct nl *nl, uint8_t cmd, nl_cb cb, void *arg, const char *what)
{
	struct req r;
	int err;

	vwifi_req(nl, &r, cmd, NLM_F_DUMP);
	err = nl_talk(nl, &r, cb, arg);
	if (err == -EAGAIN)
		die("%s: changed while being read, try again", what);
	if (err)
		fail(nl, err, what, NULL, NULL);
}

static void show_status(struct nl *nl)
{
	struct status st = { 0 };

	get_status(nl, &st);
	printf("radios: %u (at most %u)\n", st.n_radios, st.radio_max);
	printf("interfaces: %u\n", st.n_ifaces);
	dump(nl, VWIFI_CMD_GET_IFACE, iface_cb, NULL, "cannot list the interfaces");
	printf("denylist: %u pair%s (at most %u)\n", st.n_deny, st.n_deny == 1 ? "" : "s",
	       st.deny_max);
	if (st.has_links) {
		printf("link rules: %u; data frames lost %llu, delayed %llu ", st.n_links,
		       (unsigned long long)st.link_lost, (unsigned long long)st.link_delayed);
		printf("(dropped while delayed %llu)\n", (unsigned long long)st.link_delay_dropped);
	}
	printf("action frames: sent %llu (not acknowledged %llu), received %llu (unhandled %llu)\n",
	       (unsigned long long)st.mgmt_tx, (unsigned long long)st.mgmt_tx_no_ack,
	       (unsigned long long)st.mgmt_rx, (unsigned long long)st.mgmt_rx_unhandled);
	printf("authentication, association and deauthentication frames: ");
	printf("sent %llu, received %llu; invalid management frames %llu\n",
	       (unsigned long long)st.sme_tx, (unsigned long long)st.sme_rx,
	       (unsigned long long)st.mgmt_rx_invalid);
	printf("beacons to local stations and IBSS members: sent %llu, heard %llu, missed %llu; ",
	       (unsigned long long)st.beacon_tx, (unsigned long long)st.beacon_rx,
	       (unsigned long long)st.beacon_missed);
	printf("taken by scans %llu\n", (unsigned long long)st.beacon_scan_rx);
	printf("probe requests: sent %llu, heard by APs and IBSS members %llu; ",
	       (unsigned long long)st.probe_req_tx, (unsigned long long)st.probe_req_rx);
	printf("probe responses: sent %llu, taken by scans %llu\n",
	       (unsigned long long)st.probe_resp_tx, (unsigned long long)st.probe_resp_rx);
	if (st.virtio) {
		printf("medium: virtio on %s, %u remote BSS%s; ", st.medium, st.medium_bss,
		       st.medium_bss == 1 ? "" : "s");
		printf("rx %llu (dropped %llu, invalid %llu), tx %llu (dropped %llu)\n",
		       (unsigned long long)st.rx, (unsigned long long)st.rx_dropped,
		       (unsigned long long)st.rx_invalid, (unsigned long long)st.tx,
		       (unsigned long long)st.tx_dropped);
		printf("medium: wire version %u, %llu frames of other versions refused\n",
		       st.wire_version, (unsigned long long)st.rx_version);
	} else {
		printf("medium: local\n");
	}
}

static void show_denylist(struct nl *nl)
{
	unsigned int count = 0;

	printf("denylist:\n");
	dump(nl, VWIFI_CMD_DENY_GET, deny_cb, &count, "cannot list the denylist");
	if (!count)
		printf("  (empty)\n");
}

static void pair_request(struct nl *nl, uint8_t cmd, const char *dst, const char *src,
			 const char *what)
{
	char msg[128];
	struct req r;
	int err;

	vwifi_req(nl, &r, cmd, 0);
	req_put_str(&r, VWIFI_ATTR_DST_IFNAME, dst);
	req_put_str(&r, VWIFI_ATTR_SRC_IFNAME, src);
	err = nl_talk(nl, &r, NULL, NULL);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot %s %s denys %s", what, dst, src);
		fail(nl, err, msg, dst, src);
	}
}

static void clear_denylist(struct nl *nl)
{
	struct req r;
	int err;

	vwifi_req(nl, &r, VWIFI_CMD_DENY_CLEAR, 0);
	err = nl_talk(nl, &r, NULL, NULL);
	if (err)
		fail(nl, err, "cannot clear the denylist", NULL, NULL);
}

/* ------------------------------------------------------------ commands */

/*
 * The command grammar, `vwifi-tool CMD [ARG]...`, beside the seed's
 * options: silent on success (but for what a command is asked to tell),
 * exit 0 on success, 1 when the kernel refuses, 2 on a usage error.
 */
struct command {
	const char *name;		/* its words: "radio add" */
	const char *args;
	const char *help;
	int min_args, max_args;
	void (*check)(char **argv, int argc);	/* usage errors, before netlink */
	void (*run)(struct nl *nl, char **argv, int argc);
	int offline;		/* runs without the driver: @nl is NULL */
	int version;		/* of the vwifi family it needs, if above 2 */
};

static int new_radio_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[VWIFI_ATTR_MAX + 1];
	char phy[WIPHY_NAME_LEN], name[IFNAMSIZ];

	(void)arg;
	parse_attrs(nlh, tb, VWIFI_ATTR_MAX);
	printf("%s %s\n", attr_str(tb[VWIFI_ATTR_WIPHY_NAME], phy, sizeof(phy)),
	       attr_str(tb[VWIFI_ATTR_IFNAME], name, sizeof(name)));
	return 0;
}

static __printf(1, 2) __noreturn void usage_error(const char *fmt, ...);

/* A @kind name (with the NUL) fits @size bytes; @prefix names the option */
static const char *check_name(const char *name, const char *prefix, const char *kind,
			      size_t size)
{
	if (!*name)
		usage_error("%sempty %s name", prefix, kind);
	if (strlen(name) >= size)
		usage_error("%s%s name too long (%zu characters, at most %zu)", prefix, kind,
			    strlen(name), size - 1);
	return name;
}

static const char *check_ifname(const char *name, const char *prefix)
{
	return check_name(name, prefix, "interface", IFNAMSIZ);
}

static void check_phy(char **argv, int argc)
{
	if (argc)
		check_name(argv[0], "", "wiphy", WIPHY_NAME_LEN);
}

static void radio_request(struct nl *nl, uint8_t cmd, const char *phy, nl_cb cb,
			  const char *what)
{
	char msg[128];
	struct req r;
	int err;

	vwifi_req(nl, &r, cmd, 0);
	if (phy)
		req_put_str(&r, VWIFI_ATTR_WIPHY_NAME, phy);
	err = nl_talk(nl, &r, cb, NULL);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot %s%s%s", what, phy ? " " : "",
			 phy ? phy : "");
		fail(nl, err, msg, NULL, NULL);
	}
}

static void cmd_radio_add(struct nl *nl, char **argv, int argc)
{
	radio_request(nl, VWIFI_CMD_NEW_RADIO, argc ? argv[0] : NULL, new_radio_cb,
		      "add the radio");
}

static void cmd_radio_del(struct nl *nl, char **argv, int argc)
{
	(void)argc;
	radio_request(nl, VWIFI_CMD_DEL_RADIO, argv[0], NULL, "delete the radio");
}

/*
 * link set|del SRC DST [OPTION VALUE]... [both]: what DST hears of SRC,
 * and with `both` what SRC hears of DST too
 */
struct link_args {
	const char *src, *dst;
	int both;
	int has_loss, has_delay, has_jitter, has_signal;
	uint32_t loss, delay, jitter;	/* parts per million, microseconds */
	int32_t signal;
};

/* @arg as a number in [@min, @max], scaled by @scale and rounded */
static double link_number(const char *opt, const char *arg, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v != v || v < min || v > max)
		usage_error("link: %s '%s': not a number from %g to %g", opt, arg, min, max);
	return v;
}

static void parse_link_args(char **argv, int argc, int set, struct link_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->src = check_ifname(argv[0], "");
	a->dst = check_ifname(argv[1], "");
	for (i = 2; i < argc; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "both")) {
			a->both = 1;
			continue;
		}
		if (!set || i + 1 >= argc ||
		    (strcmp(opt, "loss") && strcmp(opt, "delay") && strcmp(opt, "jitter") &&
		     strcmp(opt, "signal")))
			usage_error("link %s: unexpected '%s'", set ? "set" : "del", opt);
		if (!strcmp(opt, "loss")) {
			a->loss = (uint32_t)(link_number(opt, argv[++i], 0, 100) * 10000 + 0.5);
			a->has_loss = 1;
		} else if (!strcmp(opt, "delay")) {
			a->delay = (uint32_t)(link_number(opt, argv[++i], 0, 10000) * 1000 + 0.5);
			a->has_delay = 1;
		} else if (!strcmp(opt, "jitter")) {
			a->jitter = (uint32_t)(link_number(opt, argv[++i], 0, 10000) * 1000 + 0.5);
			a->has_jitter = 1;
		} else {
			a->signal = (int32_t)link_number(opt, argv[++i], -150, 30);
			if (a->signal != strtod(argv[i], NULL))
				usage_error("link: signal '%s': whole dBm only", argv[i]);
			a->has_signal = 1;
		}
	}
	if (set && !a->has_loss && !a->has_delay && !a->has_jitter && !a->has_signal)
		usage_error("link set: nothing to set (loss PCT, delay MS, jitter MS, signal DBM)");
	if (!strcmp(a->src, a->dst))
		usage_error("link: SRC and DST are the same interface");
}

static void check_link_set(char **argv, int argc)
{
	struct link_args a;

	parse_link_args(argv, argc, 1, &a);
}

static void check_link_del(char **argv, int argc)
{
	struct link_args a;

	parse_link_args(argv, argc, 0, &a);
}

static void link_request(struct nl *nl, uint8_t cmd, const struct link_args *a,
			 const char *src, const char *dst)
{
	char msg[128];
	struct req r;
	int err;

	vwifi_req(nl, &r, cmd, 0);
	req_put_str(&r, VWIFI_ATTR_DST_IFNAME, dst);
	req_put_str(&r, VWIFI_ATTR_SRC_IFNAME, src);
	if (a->has_loss)
		req_put(&r, VWIFI_ATTR_LINK_LOSS, &a->loss, sizeof(a->loss));
	if (a->has_delay)
		req_put(&r, VWIFI_ATTR_LINK_DELAY, &a->delay, sizeof(a->delay));
	if (a->has_jitter)
		req_put(&r, VWIFI_ATTR_LINK_JITTER, &a->jitter, sizeof(a->jitter));
	if (a->has_signal)
		req_put(&r, VWIFI_ATTR_LINK_SIGNAL, &a->signal, sizeof(a->signal));
	err = nl_talk(nl, &r, NULL, NULL);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot %s the link rule %s -> %s",
			 cmd == VWIFI_CMD_LINK_SET ? "set" : "delete", src, dst);
		fail(nl, err, msg, dst, src);
	}
}

static void run_link(struct nl *nl, char **argv, int argc, int set)
{
	uint8_t cmd = set ? VWIFI_CMD_LINK_SET : VWIFI_CMD_LINK_DEL;
	struct link_args a;

	parse_link_args(argv, argc, set, &a);
	link_request(nl, cmd, &a, a.src, a.dst);
	if (a.both)
		link_request(nl, cmd, &a, a.dst, a.src);
}

static void cmd_link_set(struct nl *nl, char **argv, int argc)
{
	run_link(nl, argv, argc, 1);
}

static void cmd_link_del(struct nl *nl, char **argv, int argc)
{
	run_link(nl, argv, argc, 0);
}

/* One rule per line: SRC -> DST, then the values it changes */
static int link_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[VWIFI_ATTR_MAX + 1];
	char dst[IFNAMSIZ], src[IFNAMSIZ], dns[300], sns[300];
	unsigned int *count = arg;

	parse_attrs(nlh, tb, VWIFI_ATTR_MAX);
	printf("%s (%s) -> %s (%s):",
	       attr_str(tb[VWIFI_ATTR_SRC_IFNAME], src, sizeof(src)),
	       netns_name(attr_u32(tb[VWIFI_ATTR_SRC_NETNS_INUM]), sns, sizeof(sns)),
	       attr_str(tb[VWIFI_ATTR_DST_IFNAME], dst, sizeof(dst)),
	       netns_name(attr_u32(tb[VWIFI_ATTR_DST_NETNS_INUM]), dns, sizeof(dns)));
	if (tb[VWIFI_ATTR_LINK_LOSS])
		printf(" loss %g%%", attr_u32(tb[VWIFI_ATTR_LINK_LOSS]) / 10000.0);
	if (tb[VWIFI_ATTR_LINK_DELAY])
		printf(" delay %gms", attr_u32(tb[VWIFI_ATTR_LINK_DELAY]) / 1000.0);
	if (tb[VWIFI_ATTR_LINK_JITTER])
		printf(" jitter %gms", attr_u32(tb[VWIFI_ATTR_LINK_JITTER]) / 1000.0);
	if (tb[VWIFI_ATTR_LINK_SIGNAL])
		printf(" signal %ddBm", (int32_t)attr_u32(tb[VWIFI_ATTR_LINK_SIGNAL]));
	printf("\n");
	(*count)++;
	return 0;
}

static void cmd_link_list(struct nl *nl, char **argv, int argc)
{
	unsigned int count = 0;

	(void)argv;
	(void)argc;
	dump(nl, VWIFI_CMD_LINK_GET, link_cb, &count, "cannot list the link rules");
}

static void cmd_help(struct nl *nl, char **argv, int argc);

static const struct command commands[] = {
	{ "link set", "SRC DST [loss PCT] [delay MS] [jitter MS] [signal DBM] [both]",
	  "what DST hears of SRC: PCT percent of SRC's data frames lost, each delayed\n"
	  "MS milliseconds plus up to the jitter (in order), SRC heard at DBM in scans,\n"
	  "beacons and station info; values not given stay; both: also SRC of DST",
	  3, 11, check_link_set, cmd_link_set, 0, 3 },
	{ "link del", "SRC DST [both]", "remove the link rule of what DST hears of SRC",
	  2, 3, check_link_del, cmd_link_del, 0, 3 },
	{ "link list", "", "list the link rules: SRC -> DST and what each changes",
	  0, 0, NULL, cmd_link_list, 0, 3 },
	{ "radio add", "[NAME]",
	  "add a radio: a wiphy (NAME, or vw_phyN) with one interface in station\n"
	  "mode, in the caller's network namespace; prints the wiphy and the interface",
	  0, 1, check_phy, cmd_radio_add, 0, 0 },
	{ "radio del", "PHY",
	  "delete the radio whose wiphy is PHY, with all its interfaces",
	  1, 1, check_phy, cmd_radio_del, 0, 0 },
	{ "help", "[CMD]", "show the commands, or one command's help", 0, 2, NULL, cmd_help, 1,
	  0 },
};

/* How many of @argv's first words @cmd's name has (0: not @cmd) */
static int command_words(const struct command *cmd, char **argv, int argc)
{
	const char *name = cmd->name;
	int n = 0;

	while (*name) {
		size_t len = strcspn(name, " ");

		if (n >= argc || strlen(argv[n]) != len || strncmp(argv[n], name, len))
			return 0;
		n++;
		name += len;
		name += *name == ' ';
	}
	return n;
}

static const struct command *find_command(char **argv, int argc, int *words)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		*words = command_words(&commands[i], argv, argc);
		if (*words)
			return &commands[i];
	}
	return NULL;
}

static void print_command(FILE *f, const struct command *cmd, int full)
{
	const char *line = cmd->help;

	fprintf(f, "  " PROG " %s%s%s\n", cmd->name, *cmd->args ? " " : "", cmd->args);
	if (!full)
		return;
	while (*line) {
		size_t len = strcspn(line, "\n");

		fprintf(f, "      %.*s\n", (int)len, line);
		line += len;
		line += *line == '\n';
	}
}

static void cmd_help(struct nl *nl, char **argv, int argc)
{
	const struct command *cmd;
	size_t i;
	int words;

	(void)nl;
	if (!argc) {
		for (i = 0; i < ARRAY_SIZE(commands); i++)
			print_command(stdout, &commands[i], 1);
		return;
	}
	cmd = find_command(argv, argc, &words);
	if (!cmd || words != argc)
		usage_error("no command '%s%s%s'", argv[0], argc > 1 ? " " : "",
			    argc > 1 ? argv[1] : "");
	print_command(stdout, cmd, 1);
}

/* No command is @argv: say which start with its first word, if any */
static __noreturn void unknown_command(char **argv, int argc)
{
	size_t len = strlen(argv[0]), i;
	int known = 0;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strncmp(commands[i].name, argv[0], len) || commands[i].name[len] != ' ')
			continue;
		if (!known++)
			fprintf(stderr, PROG ": %s%s%s: not a command; these are:\n", argv[0],
				argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
		print_command(stderr, &commands[i], 0);
	}
	if (known)
		exit(EXIT_USAGE);
	usage_error("unknown command '%s'", argv[0]);
}

/* Run the command @argv names (exits on an error) */
static int run_command(char **argv, int argc)
{
	const struct command *cmd;
	struct nl nl;
	int words, err;

	cmd = find_command(argv, argc, &words);
	if (!cmd)
		unknown_command(argv, argc);
	argv += words;
	argc -= words;
	if (argc < cmd->min_args || argc > cmd->max_args)
		usage_error("usage: " PROG " %s %s", cmd->name, cmd->args);
	if (cmd->check)
		cmd->check(argv, argc);
	if (cmd->offline) {
		cmd->run(NULL, argv, argc);
		return EXIT_SUCCESS;
	}
	nl_open(&nl);
	err = nl_resolve(&nl);
	if (err == -ENOENT)
		die("the vwifi module is not loaded");
	if (err)
		die("cannot look up the vwifi netlink family: %s", strerror(-err));
	if (nl.version < (unsigned int)(cmd->version ? cmd->version : 2))
		die("vwifi speaks version %u of its protocol, '%s' needs %d", nl.version,
		    cmd->name, cmd->version ? cmd->version : 2);
	cmd->run(&nl, argv, argc);
	close(nl.fd);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------ main */

static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTION]...\n"
		"Show the status of the vwifi driver and manage its denylist.\n"
		"\n"
		"  (no option)           show the status: loaded or not, interfaces, denylist size\n"
		"  -d, --dst IFACE       destination of a denylist pair: IFACE drops ...\n"
		"  -s, --src IFACE       ... every frame the source IFACE sends; -d and -s\n"
		"                        go in pairs and may be repeated (-d A -s B -d C -s D)\n"
		"  -r, --remove          remove the -d/-s pairs instead of adding them\n"
		"  -c, --clear[=1|0]     remove every pair (before adding any -d/-s pair)\n"
		"  -l, --list            list the denylist pairs (after the other changes)\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version of the tool and of its protocol\n"
		"\n"
		"Or a command (" PROG " help: all of them):\n"
		"  " PROG " radio add [NAME]   a radio, with one interface; prints both\n"
		"  " PROG " radio del PHY      delete a radio and its interfaces\n"
		"\n"
		"An interface name is looked up in the caller's network namespace first, then\n"
		"among the vwifi interfaces of all namespaces, where it must be unique.\n"
		"Changing the denylist needs CAP_NET_ADMIN.\n"
		"Exit status: 0 on success, 1 on an error, 2 on a usage error.\n");
}

struct opts {
	const char *dst[MAX_PAIRS];
	const char *src[MAX_PAIRS];
	int n_dst, n_src;
	int clear, remove, list;
};

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	exit(EXIT_USAGE);
}

static int parse_clear(const char *arg)
{
	if (!strcmp(arg, "1"))
		return 1;
	if (!strcmp(arg, "0"))
		return 0;
	usage_error("-c takes 1 or 0, not '%s'", arg);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 's' },
		{ "remove", no_argument, NULL, 'r' },
		{ "clear", optional_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, bare_clear = 0;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:s:rc::lhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 's':
			if ((c == 'd' ? o->n_dst : o->n_src) >= MAX_PAIRS)
				usage_error("at most %d pairs at a time", MAX_PAIRS);
			if (c == 'd')
				o->dst[o->n_dst++] = check_ifname(optarg, "-d: ");
			else
				o->src[o->n_src++] = check_ifname(optarg, "-s: ");
			break;
		case 'r':
			o->remove = 1;
			break;
		case 'c':
			bare_clear = !optarg;
			o->clear = optarg ? parse_clear(optarg) : 1;
			break;
		case 'l':
			o->list = 1;
			break;
		case 'h':
			print_help(stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			printf(PROG " (vwifi generic netlink family '%s', version %d)\n",
			       VWIFI_GENL_NAME, VWIFI_GENL_VERSION);
			exit(EXIT_SUCCESS);
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	/* The README's "-c 1": a lone 1 or 0 after a bare -c */
	if (optind == argc - 1 && bare_clear)
		o->clear = parse_clear(argv[optind++]);
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (o->n_dst != o->n_src)
		usage_error("-d and -s go in pairs (%d -d, %d -s)", o->n_dst, o->n_src);
	if (o->remove && !o->n_dst)
		usage_error("-r needs pairs to remove (-d IFACE -s IFACE)");
	if (o->remove && o->clear)
		usage_error("-r and -c do not go together");
}

int main(int argc, char **argv)
{
	struct opts o;
	struct nl nl;
	int err, i;

	if (argc > 1 && argv[1][0] != '-')
		return run_command(argv + 1, argc - 1);
	parse_args(argc, argv, &o);
	nl_open(&nl);
	err = nl_resolve(&nl);
	if (err == -ENOENT) {
		printf("vwifi status : not loaded\n");
		close(nl.fd);
		if (o.n_dst || o.clear || o.list)
			die("the vwifi module is not loaded");
		return EXIT_SUCCESS;
	}
	if (err)
		die("cannot look up the vwifi netlink family: %s", strerror(-err));
	printf("vwifi status : live\n");
	if (nl.version < 1)
		die("vwifi speaks version %u of its protocol, this tool needs 1",
		    nl.version);

	if (!o.n_dst && !o.clear && !o.list) {
		show_status(&nl);
		close(nl.fd);
		return EXIT_SUCCESS;
	}
	if (o.clear) {
		printf("Unset denylist for vwifi...\n");
		printf("Configuring denylist for vwifi...\n");
		clear_denylist(&nl);
		printf("Message from vwifi: vwifi has received your denylist\n");
	}
	if (o.n_dst) {
		printf("denylist%s:\n", o.remove ? " pairs to remove" : "");
		for (i = 0; i < o.n_dst; i++)
			printf("%s denys %s\n", o.dst[i], o.src[i]);
		printf("Configuring denylist for vwifi...\n");
		for (i = 0; i < o.n_dst; i++)
			pair_request(&nl, o.remove ? VWIFI_CMD_DENY_DEL : VWIFI_CMD_DENY_ADD,
				     o.dst[i], o.src[i], o.remove ? "remove" : "add");
		printf("Message from vwifi: vwifi has received your denylist\n");
	}
	if (o.list)
		show_denylist(&nl);
	close(nl.fd);
	return EXIT_SUCCESS;
}

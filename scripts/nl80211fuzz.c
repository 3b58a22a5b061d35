// SPDX-License-Identifier: MIT
/*
 * nl80211fuzz: random nl80211 requests, valid and invalid, against the
 * wireless interfaces of the caller's network namespace (vwifi's vw* by
 * default).  Test helper for scripts/tests/70-stress.sh.
 *
 *   nl80211fuzz [-s SEED] [-t SECONDS] [-n COUNT] [-p PROCS] [-i IFNAME]...
 *               [-P PREFIX] [-T TIMEOUT] [-v]
 *   nl80211fuzz -C SSID [-i IFNAME]...
 *
 *   -s SEED     seed (default: $VW_NLFUZZ_SEED, else from the clock); the
 *               first line printed names it.  Process I of -p uses SEED+I,
 *               so `-p 1 -s SEED+I` replays the requests of that process
 *               (the interleaving with other processes is not replayed).
 *   -t SECONDS  stop after that long (default 10)
 *   -n COUNT    or after COUNT requests per process
 *   -p PROCS    processes sending at once (default 1), each on its own socket
 *   -i IFNAME   target interface (repeatable; default: every interface whose
 *               name starts with PREFIX, -P, default "vw")
 *   -T TIMEOUT  seconds to wait for an answer (default 30)
 *   -v          print every request and its result
 *   -C SSID     no fuzzing: on each target, two CONNECT requests for SSID in
 *               one write, so that the second reaches cfg80211 before it has
 *               read the result of the first; prints both answers
 *               ("vw1: connect 0, again -114")
 *
 * Requests: dumps of interfaces, wiphys, stations, scan results; interface
 * type changes; scans with random frequencies, SSIDs and IEs; connect and
 * disconnect with random SSID/BSSID/IE; start/stop AP and beacon changes
 * with random (and well-formed) beacon heads and tails; new/set/del/get key
 * with random cipher, length and index; set/del/get/new station with random
 * MACs and flags; IBSS join/leave; wiphy tx power, RTS, fragmentation and
 * retry limits; BSS parameters (ap_isolate...); commands the driver does not
 * implement; random command numbers; random extra attributes, wrong
 * lengths, bogus nesting.  Interfaces go down and up (SIOCSIFFLAGS) at
 * random.  Never sent: wiphy renames, netns moves, regulatory changes.
 *
 * Exit status 0; 1 when a request got no answer within TIMEOUT (a hang),
 * when a request that must succeed failed (interface, wiphy and station
 * dumps), or on a socket error; 2 on a setup error.  The last requests of
 * a failing process are printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_TARGETS	64
#define RING		64
#define MSG_MAX		16384

#define WLAN_CIPHER_SUITE_WEP40		0x000FAC01
#define WLAN_CIPHER_SUITE_TKIP		0x000FAC02
#define WLAN_CIPHER_SUITE_CCMP		0x000FAC04
#define WLAN_CIPHER_SUITE_WEP104	0x000FAC05
#define WLAN_CIPHER_SUITE_AES_CMAC	0x000FAC06
#define WLAN_CIPHER_SUITE_GCMP		0x000FAC08
#define WLAN_CIPHER_SUITE_GCMP_256	0x000FAC09
#define WLAN_CIPHER_SUITE_CCMP_256	0x000FAC0A
#define WLAN_CIPHER_SUITE_BIP_GMAC_128	0x000FAC0B

struct target {
	char name[IF_NAMESIZE];
	int ifindex;
	uint32_t wiphy;
	int have_wiphy;
	uint8_t mac[6];
};

static struct target targets[MAX_TARGETS];
static int n_targets;
static int fd, ioctl_fd;
static uint16_t family;
static uint32_t seq;
static int verbose;
static int answer_timeout = 30;
static int proc_id;

static union {
	struct nlmsghdr nlh;
	uint8_t b[MSG_MAX + 4096];
} msg;
static uint8_t rxbuf[262144];

/* ------------------------------------------------------------ random */

static uint64_t rng;

static uint64_t rnd64(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

/* true with probability pct % */
static int chance(unsigned int pct)
{
	return rnd(100) < pct;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd64();
}

/* A length up to @max, biased to the edges that parsers care about */
static size_t rnd_len(size_t max)
{
	static const size_t edges[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 16, 31, 32, 33,
					 64, 127, 128, 255, 256, 257, 1024, 2048 };
	size_t l;

	if (chance(50)) {
		l = edges[rnd(ARRAY_SIZE(edges))];
		return l > max ? max : l;
	}
	return rnd((uint32_t)max + 1);
}

/* ------------------------------------------------------------ request log */

struct logent {
	uint32_t seq;
	uint8_t cmd;
	const char *what;
	int err;
	char note[80];
};

static struct logent ring[RING];
static unsigned int ring_n;
static char note[80];

static void dump_ring(void)
{
	unsigned int i, start = ring_n > RING ? ring_n - RING : 0;

	fprintf(stderr, "nl80211fuzz[%d]: last %u requests:\n", proc_id, ring_n - start);
	for (i = start; i < ring_n; i++) {
		const struct logent *e = &ring[i % RING];

		fprintf(stderr, "  #%u cmd %u (%s) %s -> %d\n", e->seq, e->cmd, e->what,
			e->note, e->err);
	}
}

/* ------------------------------------------------------------ messages */

static struct genlmsghdr *genl(void)
{
	return NLMSG_DATA(&msg.nlh);
}

static void start(uint8_t cmd, uint16_t flags)
{
	memset(&msg, 0, sizeof(struct nlmsghdr) + GENL_HDRLEN + 64);
	msg.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	msg.nlh.nlmsg_type = family;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	genl()->cmd = cmd;
	genl()->version = 0;
	note[0] = '\0';
}

static struct nlattr *tail_attr(void)
{
	return (struct nlattr *)(msg.b + NLMSG_ALIGN(msg.nlh.nlmsg_len));
}

static int room(size_t len)
{
	return NLMSG_ALIGN(msg.nlh.nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len) <= MSG_MAX;
}

static struct nlattr *put_raw(uint16_t type, uint16_t nla_len, const void *data, size_t len)
{
	struct nlattr *a = tail_attr();

	if (!room(len))
		return NULL;
	a->nla_type = type;
	a->nla_len = nla_len;
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	msg.nlh.nlmsg_len = NLMSG_ALIGN(msg.nlh.nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len);
	return a;
}

static void put(uint16_t type, const void *data, size_t len)
{
	put_raw(type, (uint16_t)(NLA_HDRLEN + len), data, len);
}

static void put_u8(uint16_t type, uint8_t v) { put(type, &v, 1); }
static void put_u16(uint16_t type, uint16_t v) { put(type, &v, 2); }
static void put_u32(uint16_t type, uint32_t v) { put(type, &v, 4); }
static void put_str(uint16_t type, const char *v) { put(type, v, strlen(v) + 1); }
static void put_flag(uint16_t type) { put(type, NULL, 0); }

static void put_rnd(uint16_t type, size_t max)
{
	uint8_t buf[MSG_MAX];
	size_t len = rnd_len(max);

	rnd_bytes(buf, len);
	put(type, buf, len);
}

static struct nlattr *nest_start(uint16_t type)
{
	return put_raw(type | NLA_F_NESTED, NLA_HDRLEN, NULL, 0);
}

static void nest_end(struct nlattr *a)
{
	if (a)
		a->nla_len = (uint16_t)(msg.b + msg.nlh.nlmsg_len - (uint8_t *)a);
}

/* Attribute types never sent: a wiphy rename, netns moves */
static int forbidden_attr(uint16_t type)
{
	return type == NL80211_ATTR_WIPHY_NAME || type == NL80211_ATTR_PID ||
	       type == NL80211_ATTR_NETNS_FD;
}

/* Some random attributes: any type, any length, sometimes bogus headers */
static void add_junk(void)
{
	int n = 1 + rnd(3), i;

	for (i = 0; i < n; i++) {
		uint16_t type = (uint16_t)(1 + rnd(NL80211_ATTR_MAX + 20));
		uint8_t buf[512];
		size_t len = rnd_len(sizeof(buf));

		if (forbidden_attr(type))
			continue;
		rnd_bytes(buf, len);
		if (chance(10))
			type |= NLA_F_NESTED;
		put(type, buf, len);
	}
	strncat(note, " +junk", sizeof(note) - strlen(note) - 1);
}

/* Corrupt the last attribute's length (shorter than its header, or longer than the message) */
static void corrupt(struct nlattr *a)
{
	if (!a)
		return;
	switch (rnd(3)) {
	case 0:
		a->nla_len = (uint16_t)rnd(NLA_HDRLEN);
		break;
	case 1:
		a->nla_len = (uint16_t)(a->nla_len + 1 + rnd(64));
		break;
	default:
		a->nla_len = 0xffff;
		break;
	}
	strncat(note, " +badlen", sizeof(note) - strlen(note) - 1);
}

/* ------------------------------------------------------------ netlink io */

static int failures;

static void fail(const char *what)
{
	fprintf(stderr, "nl80211fuzz[%d]: FAIL: %s\n", proc_id, what);
	failures++;
}

struct reply_ctx {
	uint32_t wiphy;
	int have_wiphy;
};

static void parse_iface(const struct nlmsghdr *nlh, struct reply_ctx *ctx)
{
	const uint8_t *pos = (const uint8_t *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;

	while (pos + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)pos;

		if (a->nla_len < NLA_HDRLEN)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NL80211_ATTR_WIPHY &&
		    a->nla_len >= NLA_HDRLEN + 4) {
			memcpy(&ctx->wiphy, pos + NLA_HDRLEN, 4);
			ctx->have_wiphy = 1;
		}
		if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID && !family &&
		    a->nla_len >= NLA_HDRLEN + 2)
			memcpy(&ctx->wiphy, pos + NLA_HDRLEN, 2);
		pos += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Send the message built; wait for its answer.  Returns 0 (ack), 1 (data
 * then ack/done), a negative errno from the kernel, or -1000 - errno for a
 * local failure (-1000 - EAGAIN: no answer in time).
 */
static int talk(struct reply_ctx *ctx)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int got_data = 0;

	msg.nlh.nlmsg_seq = ++seq;
	if (sendto(fd, msg.b, msg.nlh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;	/* the kernel refused the message itself */
	for (;;) {
		ssize_t n = recv(fd, rxbuf, sizeof(rxbuf), 0);
		struct nlmsghdr *nlh;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)	/* overrun: our answer may be lost */
				return got_data;
			return -1000 - errno;
		}
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (size_t)n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				return e->error ? e->error : got_data;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 1;
			got_data = 1;
			if (ctx)
				parse_iface(nlh, ctx);
		}
	}
}

#define NERR 160
static unsigned long count_ok, count_data, count_err[NERR], count_other, n_req;

static const char *cmd_name(uint8_t cmd);

/* Send, log, count; a hang fails the run */
static int send_request(const char *what)
{
	struct logent *e = &ring[ring_n++ % RING];
	int err;

	e->seq = seq + 1;
	e->cmd = genl()->cmd;
	e->what = what;
	memcpy(e->note, note, sizeof(e->note));
	e->err = 0;
	err = talk(NULL);
	e->err = err;
	n_req++;
	if (verbose)
		printf("[%d] #%u %s (%s)%s -> %d\n", proc_id, e->seq, cmd_name(e->cmd), what,
		       note, err);
	if (err == 0)
		count_ok++;
	else if (err == 1)
		count_data++;
	else if (err < 0 && err > -NERR)
		count_err[-err]++;
	else
		count_other++;
	if (err <= -1000) {
		char buf[160];

		snprintf(buf, sizeof(buf), "no answer to request #%u %s (%s): %s", e->seq,
			 cmd_name(e->cmd), what, strerror(-1000 - err));
		fail(buf);
		dump_ring();
		exit(1);
	}
	return err;
}

/* A request that must succeed whatever the fuzzing did */
static void must(const char *what)
{
	int err = send_request(what);

	if (err < 0) {
		char buf[160];

		snprintf(buf, sizeof(buf), "%s %s failed: %s", cmd_name(genl()->cmd), what,
			 strerror(-err));
		fail(buf);
		dump_ring();
	}
}

static void setup_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = answer_timeout };
	int one = 1, bufsz = 1 << 20;
	struct reply_ctx ctx = { 0 };

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nl80211fuzz: netlink socket");
		exit(2);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (!family) {
		memset(&msg, 0, sizeof(struct nlmsghdr) + GENL_HDRLEN);
		msg.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
		msg.nlh.nlmsg_type = GENL_ID_CTRL;
		msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		genl()->cmd = CTRL_CMD_GETFAMILY;
		genl()->version = 1;
		put(CTRL_ATTR_FAMILY_NAME, NL80211_GENL_NAME, sizeof(NL80211_GENL_NAME));
		if (talk(&ctx) != 1 || !ctx.wiphy) {
			fprintf(stderr, "nl80211fuzz: no %s generic netlink family\n",
				NL80211_GENL_NAME);
			exit(2);
		}
		family = (uint16_t)ctx.wiphy;
	}
	ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* ------------------------------------------------------------ targets */

static void add_target(const char *name)
{
	struct target *t;
	struct reply_ctx ctx = { 0 };
	struct ifreq ifr;

	if (n_targets >= MAX_TARGETS)
		return;
	t = &targets[n_targets];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->ifindex = (int)if_nametoindex(name);
	if (!t->ifindex) {
		fprintf(stderr, "nl80211fuzz: no interface %s\n", name);
		exit(2);
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(ioctl_fd, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(t->mac, ifr.ifr_hwaddr.sa_data, 6);
	start(NL80211_CMD_GET_INTERFACE, 0);
	put_u32(NL80211_ATTR_IFINDEX, (uint32_t)t->ifindex);
	if (talk(&ctx) != 1 || !ctx.have_wiphy) {
		fprintf(stderr, "nl80211fuzz: %s is not a wireless interface\n", name);
		exit(2);
	}
	t->wiphy = ctx.wiphy;
	t->have_wiphy = 1;
	n_targets++;
}

static struct target *pick(void)
{
	return &targets[rnd((uint32_t)n_targets)];
}

static void put_ifindex(const struct target *t)
{
	if (chance(3))
		put_u32(NL80211_ATTR_IFINDEX, chance(50) ? 0 : rnd(100000));
	else
		put_u32(NL80211_ATTR_IFINDEX, (uint32_t)t->ifindex);
}

static void put_wiphy_or_if(const struct target *t)
{
	if (chance(50))
		put_u32(NL80211_ATTR_WIPHY, chance(3) ? rnd(1000) : t->wiphy);
	else
		put_ifindex(t);
}

/* A MAC: a vwifi interface's, a target's, broadcast, zero or random */
static void rnd_mac(uint8_t *mac)
{
	switch (rnd(6)) {
	case 0:
	case 1:
		mac[0] = 0x02; mac[1] = 0x76; mac[2] = 0x77; mac[3] = 0;
		mac[4] = 0; mac[5] = (uint8_t)rnd(8);
		break;
	case 2:
		memcpy(mac, pick()->mac, 6);
		break;
	case 3:
		memset(mac, 0xff, 6);
		break;
	case 4:
		memset(mac, 0, 6);
		break;
	default:
		rnd_bytes(mac, 6);
		break;
	}
}

static void put_mac(uint16_t type)
{
	uint8_t mac[8];

	rnd_mac(mac);
	if (chance(5))
		put(type, mac, rnd(8));		/* wrong length */
	else
		put(type, mac, 6);
}

static const char *const ssids[] = { "test", "fz-a", "fz-b", "fz-ibss", "ibss1" };

static void put_ssid(uint16_t type)
{
	if (chance(70)) {
		const char *s = ssids[rnd(ARRAY_SIZE(ssids))];

		put(type, s, strlen(s));
	} else {
		put_rnd(type, 40);
	}
}

static uint32_t rnd_freq(void)
{
	static const uint32_t bad[] = { 0, 1, 2400, 2411, 2485, 4900, 5000, 5955, 60480,
					0xffffffff };

	switch (rnd(10)) {
	case 0:
		return bad[rnd(ARRAY_SIZE(bad))];
	case 1:
		return 2484;
	case 2: case 3:
		return 5180 + 20 * rnd(8);
	case 4:
		return 2437;
	default:
		return 2412 + 5 * rnd(13);
	}
}

static uint32_t rnd_cipher(void)
{
	static const uint32_t c[] = {
		WLAN_CIPHER_SUITE_WEP40, WLAN_CIPHER_SUITE_TKIP, WLAN_CIPHER_SUITE_CCMP,
		WLAN_CIPHER_SUITE_WEP104, WLAN_CIPHER_SUITE_AES_CMAC, WLAN_CIPHER_SUITE_GCMP,
		WLAN_CIPHER_SUITE_GCMP_256, WLAN_CIPHER_SUITE_CCMP_256,
		WLAN_CIPHER_SUITE_BIP_GMAC_128,
	};

	if (chance(10))
		return (uint32_t)rnd64();
	return c[rnd(ARRAY_SIZE(c))];
}

/* IEs: well-formed elements (SSID, rates, RSN, vendor) or random bytes */
static size_t rnd_ies(uint8_t *buf, size_t max)
{
	static const uint8_t ie_ids[] = { 0, 1, 3, 48, 50, 221, 45, 61, 127 };
	size_t len = 0;

	if (chance(30)) {
		len = rnd_len(max);
		rnd_bytes(buf, len);
		return len;
	}
	while (len + 2 < max && chance(70)) {
		size_t l = rnd_len(40);

		if (len + 2 + l > max)
			break;
		buf[len] = chance(50) ? (uint8_t)rnd(256) : ie_ids[rnd(ARRAY_SIZE(ie_ids))];
		buf[len + 1] = (uint8_t)l;
		rnd_bytes(buf + len + 2, l);
		len += 2 + l;
	}
	return len;
}

static void put_ies(uint16_t type, size_t max)
{
	uint8_t buf[2048];

	if (max > sizeof(buf))
		max = sizeof(buf);
	put(type, buf, rnd_ies(buf, max));
}

/* ------------------------------------------------------------ operations */

static void op_dumps(void)
{
	struct target *t = pick();

	switch (rnd(6)) {
	case 0:
		start(NL80211_CMD_GET_INTERFACE, NLM_F_DUMP);
		must("dump");
		break;
	case 1:
		start(NL80211_CMD_GET_WIPHY, NLM_F_DUMP);
		if (chance(50))
			put_flag(NL80211_ATTR_SPLIT_WIPHY_DUMP);
		must("dump");
		break;
	case 2:
		start(NL80211_CMD_GET_STATION, NLM_F_DUMP);
		put_u32(NL80211_ATTR_IFINDEX, (uint32_t)t->ifindex);
		must("dump");
		break;
	case 3:
		start(NL80211_CMD_GET_SCAN, NLM_F_DUMP);
		put_u32(NL80211_ATTR_IFINDEX, (uint32_t)t->ifindex);
		send_request("dump");
		break;
	case 4:
		start(NL80211_CMD_GET_INTERFACE, 0);
		put_ifindex(t);
		if (chance(20))
			add_junk();
		send_request("do");
		break;
	default:
		start(NL80211_CMD_GET_WIPHY, 0);
		put_wiphy_or_if(t);
		if (chance(20))
			add_junk();
		send_request("do");
		break;
	}
}

static const uint32_t iftypes[] = {
	NL80211_IFTYPE_STATION, NL80211_IFTYPE_STATION, NL80211_IFTYPE_AP, NL80211_IFTYPE_AP,
	NL80211_IFTYPE_ADHOC, NL80211_IFTYPE_ADHOC, NL80211_IFTYPE_MONITOR,
	NL80211_IFTYPE_MESH_POINT, NL80211_IFTYPE_P2P_CLIENT, NL80211_IFTYPE_P2P_GO,
	NL80211_IFTYPE_AP_VLAN, NL80211_IFTYPE_WDS, NL80211_IFTYPE_OCB, 0, 42,
};

static void set_type(struct target *t, uint32_t type)
{
	start(NL80211_CMD_SET_INTERFACE, 0);
	put_ifindex(t);
	put_u32(NL80211_ATTR_IFTYPE, type);
	if (chance(5))
		put_u8(NL80211_ATTR_4ADDR, (uint8_t)rnd(2));
	snprintf(note, sizeof(note), "%.16s type %u", t->name, type);
	if (chance(10))
		add_junk();
	send_request("set type");
}

static void op_set_interface(void)
{
	set_type(pick(), iftypes[rnd(ARRAY_SIZE(iftypes))]);
}

static void ifupdown(struct target *t, int up)
{
	struct ifreq ifr;
	struct logent *e = &ring[ring_n++ % RING];

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	e->seq = 0;
	e->cmd = 0;
	e->what = up ? "ifup" : "ifdown";
	snprintf(e->note, sizeof(e->note), "%s", t->name);
	e->err = 0;
	if (ioctl(ioctl_fd, SIOCGIFFLAGS, &ifr) < 0) {
		e->err = -errno;
		return;
	}
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(ioctl_fd, SIOCSIFFLAGS, &ifr) < 0)
		e->err = -errno;
	if (verbose)
		printf("[%d] %s %s -> %d\n", proc_id, e->what, t->name, e->err);
}

static void op_updown(void)
{
	ifupdown(pick(), chance(60));
}

static void scan(struct target *t, int valid)
{
	struct nlattr *n;
	int i, k;

	start(NL80211_CMD_TRIGGER_SCAN, 0);
	put_ifindex(t);
	if (chance(60)) {
		n = nest_start(NL80211_ATTR_SCAN_FREQUENCIES);
		k = 1 + (int)rnd(valid ? 4 : 20);
		for (i = 0; i < k; i++)
			put_u32((uint16_t)i, valid ? 2412 + 5 * rnd(11) : rnd_freq());
		nest_end(n);
	}
	if (chance(60)) {
		n = nest_start(NL80211_ATTR_SCAN_SSIDS);
		k = (int)rnd(valid ? 3 : 20);
		for (i = 0; i < k; i++) {
			if (valid || chance(70))
				put_ssid((uint16_t)(i + 1));
			else
				put_rnd((uint16_t)(i + 1), 64);
		}
		nest_end(n);
	}
	if (chance(40))
		put_ies(NL80211_ATTR_IE, valid ? 200 : 2000);
	if (!valid && chance(20))
		put_u32(NL80211_ATTR_SCAN_FLAGS, (uint32_t)rnd64());
	if (!valid && chance(10))
		put_mac(NL80211_ATTR_MAC);
	if (!valid && chance(10))
		put_mac(NL80211_ATTR_BSSID);
	if (!valid && chance(15))
		add_junk();
	send_request(valid ? "scan" : "scan?");
}

static void op_scan(void)
{
	struct target *t = pick();

	switch (rnd(5)) {
	case 0:
		start(NL80211_CMD_ABORT_SCAN, 0);
		put_ifindex(t);
		send_request("abort");
		break;
	case 1:
		scan(t, 1);
		break;
	default:
		scan(t, 0);
		break;
	}
}

static void connect_(struct target *t, int valid)
{
	uint32_t c;

	start(NL80211_CMD_CONNECT, 0);
	put_ifindex(t);
	put_ssid(NL80211_ATTR_SSID);
	if (chance(40))
		put_mac(chance(50) ? NL80211_ATTR_MAC : NL80211_ATTR_MAC_HINT);
	if (chance(40))
		put_u32(chance(50) ? NL80211_ATTR_WIPHY_FREQ : NL80211_ATTR_WIPHY_FREQ_HINT,
			valid ? 2437 : rnd_freq());
	if (chance(50))
		put_ies(NL80211_ATTR_IE, valid ? 100 : 2000);
	if (chance(30))
		put_u32(NL80211_ATTR_AUTH_TYPE, rnd(valid ? 2 : 12));
	if (chance(20))
		put_flag(NL80211_ATTR_PRIVACY);
	if (chance(20))
		put_flag(NL80211_ATTR_CONTROL_PORT);
	if (chance(10))
		put_flag(NL80211_ATTR_SOCKET_OWNER);
	if (chance(20)) {
		c = rnd_cipher();
		put(NL80211_ATTR_CIPHER_SUITES_PAIRWISE, &c, 4);
		c = rnd_cipher();
		put_u32(NL80211_ATTR_CIPHER_SUITE_GROUP, c);
		put_u32(NL80211_ATTR_WPA_VERSIONS, rnd(8));
		c = chance(50) ? 0x000FAC02 : (uint32_t)rnd64();
		put(NL80211_ATTR_AKM_SUITES, &c, 4);
	}
	if (!valid && chance(20))
		put_u32(NL80211_ATTR_USE_MFP, rnd(4));
	if (!valid && chance(10))
		put_rnd(NL80211_ATTR_KEYS, 64);
	if (!valid && chance(15))
		add_junk();
	send_request(valid ? "connect" : "connect?");
}

static void op_connect(void)
{
	struct target *t = pick();

	if (chance(40)) {
		start(NL80211_CMD_DISCONNECT, 0);
		put_ifindex(t);
		if (chance(80))
			put_u16(NL80211_ATTR_REASON_CODE, chance(80) ? 3 : (uint16_t)rnd(65536));
		if (chance(10))
			add_junk();
		send_request("disconnect");
	} else {
		connect_(t, chance(40));
	}
}

/* A beacon head: well-formed (fixed part, SSID, rates) or random bytes */
static size_t beacon_head(const struct target *t, uint8_t *b, size_t max, int valid)
{
	size_t len;
	const char *s = ssids[rnd(ARRAY_SIZE(ssids))];

	if (!valid && chance(40)) {
		len = rnd_len(max);
		rnd_bytes(b, len);
		return len;
	}
	memset(b, 0, 36);
	b[0] = 0x80;				/* beacon */
	memset(b + 4, 0xff, 6);			/* DA */
	memcpy(b + 10, t->mac, 6);		/* SA */
	memcpy(b + 16, t->mac, 6);		/* BSSID */
	b[32] = 100;				/* beacon interval */
	b[34] = 0x01 | (chance(30) ? 0x10 : 0);	/* ESS, privacy */
	len = 36;
	b[len++] = 0;
	b[len++] = (uint8_t)strlen(s);
	memcpy(b + len, s, strlen(s));
	len += strlen(s);
	memcpy(b + len, "\x01\x08\x82\x84\x8b\x96\x0c\x12\x18\x24", 10);
	len += 10;
	if (!valid && chance(30)) {		/* a broken element at the end */
		b[len++] = (uint8_t)rnd(256);
		b[len++] = (uint8_t)(10 + rnd(200));
	}
	return len;
}

static void put_beacon(const struct target *t, int valid)
{
	uint8_t b[1024];

	put(NL80211_ATTR_BEACON_HEAD, b, beacon_head(t, b, sizeof(b), valid));
	if (chance(60))
		put_ies(NL80211_ATTR_BEACON_TAIL, valid ? 300 : 1000);
	if (chance(20))
		put_ies(NL80211_ATTR_IE, 300);
	if (chance(20))
		put_ies(NL80211_ATTR_IE_PROBE_RESP, 300);
	if (chance(20))
		put_ies(NL80211_ATTR_IE_ASSOC_RESP, 300);
	if (!valid && chance(10))
		put_rnd(NL80211_ATTR_PROBE_RESP, 500);
}

static void start_ap(struct target *t, int valid)
{
	start(NL80211_CMD_START_AP, 0);
	put_ifindex(t);
	put_beacon(t, valid);
	if (valid || chance(90))
		put_u32(NL80211_ATTR_BEACON_INTERVAL, valid || chance(80) ? 100 : rnd(70000));
	if (valid || chance(90))
		put_u32(NL80211_ATTR_DTIM_PERIOD, valid || chance(80) ? 2 : rnd(300));
	if (valid || chance(80))
		put_ssid(NL80211_ATTR_SSID);
	if (chance(20))
		put_u32(NL80211_ATTR_HIDDEN_SSID, rnd(valid ? 3 : 5));
	if (valid || chance(80))
		put_u32(NL80211_ATTR_WIPHY_FREQ, valid ? 2412 + 5 * rnd(11) : rnd_freq());
	if (chance(30))
		put_u32(NL80211_ATTR_CHANNEL_WIDTH, rnd(valid ? 2 : 12));
	if (chance(30))
		put_u32(NL80211_ATTR_WIPHY_CHANNEL_TYPE, rnd(valid ? 2 : 6));
	if (chance(20))
		put_flag(NL80211_ATTR_PRIVACY);
	if (chance(20))
		put_u32(NL80211_ATTR_AUTH_TYPE, rnd(valid ? 2 : 12));
	if (chance(20)) {
		uint32_t c = rnd_cipher();

		put_u32(NL80211_ATTR_WPA_VERSIONS, rnd(8));
		put(NL80211_ATTR_CIPHER_SUITES_PAIRWISE, &c, 4);
		put_u32(NL80211_ATTR_CIPHER_SUITE_GROUP, rnd_cipher());
	}
	if (chance(10))
		put_flag(NL80211_ATTR_SOCKET_OWNER);
	if (chance(10))
		put_u8(NL80211_ATTR_SMPS_MODE, (uint8_t)rnd(4));
	if (!valid && chance(15))
		add_junk();
	snprintf(note + strlen(note), sizeof(note) - strlen(note), " %.16s", t->name);
	send_request(valid ? "start ap" : "start ap?");
}

static void op_ap(void)
{
	struct target *t = pick();

	switch (rnd(5)) {
	case 0:
		start(NL80211_CMD_STOP_AP, 0);
		put_ifindex(t);
		send_request("stop ap");
		break;
	case 1:
		start(NL80211_CMD_SET_BEACON, 0);
		put_ifindex(t);
		put_beacon(t, chance(50));
		if (chance(15))
			add_junk();
		send_request("set beacon");
		break;
	default:
		start_ap(t, chance(50));
		break;
	}
}

static void op_key(void)
{
	struct target *t = pick();
	static const uint8_t cmds[] = { NL80211_CMD_NEW_KEY, NL80211_CMD_NEW_KEY,
					NL80211_CMD_DEL_KEY, NL80211_CMD_SET_KEY,
					NL80211_CMD_GET_KEY };
	uint8_t cmd = cmds[rnd(sizeof(cmds))];
	uint8_t key[64];
	uint32_t cipher = rnd_cipher();
	size_t klen;
	uint8_t idx = (uint8_t)(chance(80) ? rnd(6) : rnd(256));

	switch (cipher) {
	case WLAN_CIPHER_SUITE_WEP40:
		klen = 5;
		break;
	case WLAN_CIPHER_SUITE_WEP104:
		klen = 13;
		break;
	case WLAN_CIPHER_SUITE_TKIP:
		klen = 32;
		break;
	case WLAN_CIPHER_SUITE_GCMP_256:
	case WLAN_CIPHER_SUITE_CCMP_256:
		klen = 32;
		break;
	default:
		klen = 16;
		break;
	}
	if (chance(25))
		klen = rnd_len(sizeof(key));
	rnd_bytes(key, sizeof(key));
	start(cmd, 0);
	put_ifindex(t);
	if (chance(20)) {
		/* the nested NL80211_ATTR_KEY form */
		struct nlattr *n = nest_start(NL80211_ATTR_KEY);

		put_u8(NL80211_KEY_IDX, idx);
		if (cmd == NL80211_CMD_NEW_KEY) {
			put(NL80211_KEY_DATA, key, klen);
			put_u32(NL80211_KEY_CIPHER, cipher);
		}
		if (chance(30))
			put_flag(chance(50) ? NL80211_KEY_DEFAULT : NL80211_KEY_DEFAULT_MGMT);
		if (chance(20))
			put_u32(NL80211_KEY_TYPE, rnd(4));
		nest_end(n);
	} else {
		if (chance(95))
			put_u8(NL80211_ATTR_KEY_IDX, idx);
		if (cmd == NL80211_CMD_NEW_KEY) {
			put(NL80211_ATTR_KEY_DATA, key, klen);
			if (chance(95))
				put_u32(NL80211_ATTR_KEY_CIPHER, cipher);
			if (chance(30))
				put_rnd(NL80211_ATTR_KEY_SEQ, 20);
		}
		if (cmd == NL80211_CMD_SET_KEY && chance(70))
			put_flag(chance(60) ? NL80211_ATTR_KEY_DEFAULT :
					      NL80211_ATTR_KEY_DEFAULT_MGMT);
		if (chance(20))
			put_u32(NL80211_ATTR_KEY_TYPE, rnd(4));
		if (chance(15)) {
			struct nlattr *n = nest_start(NL80211_ATTR_KEY_DEFAULT_TYPES);

			put_flag(chance(50) ? NL80211_KEY_DEFAULT_TYPE_UNICAST :
					      NL80211_KEY_DEFAULT_TYPE_MULTICAST);
			nest_end(n);
		}
	}
	if (chance(50))
		put_mac(NL80211_ATTR_MAC);
	snprintf(note, sizeof(note), "%.16s idx %u cipher %08x len %zu", t->name, idx, cipher,
		 klen);
	if (chance(10))
		add_junk();
	send_request("key");
}

static void op_station(void)
{
	struct target *t = pick();
	struct nl80211_sta_flag_update upd;

	switch (rnd(6)) {
	case 0:
		start(NL80211_CMD_GET_STATION, 0);
		put_ifindex(t);
		put_mac(NL80211_ATTR_MAC);
		send_request("get");
		break;
	case 1:
	case 2:
		start(NL80211_CMD_DEL_STATION, 0);
		put_ifindex(t);
		if (chance(80))
			put_mac(NL80211_ATTR_MAC);
		if (chance(40))
			put_u8(NL80211_ATTR_MGMT_SUBTYPE, chance(80) ? (chance(50) ? 10 : 12) :
					(uint8_t)rnd(256));
		if (chance(40))
			put_u16(NL80211_ATTR_REASON_CODE, (uint16_t)rnd(70));
		if (chance(10))
			add_junk();
		send_request("del");
		break;
	case 3:
		start(NL80211_CMD_NEW_STATION, 0);
		put_ifindex(t);
		put_mac(NL80211_ATTR_MAC);
		put_u16(NL80211_ATTR_STA_AID, (uint16_t)rnd(2008));
		put_rnd(NL80211_ATTR_STA_SUPPORTED_RATES, 40);
		put_u16(NL80211_ATTR_STA_LISTEN_INTERVAL, (uint16_t)rnd(100));
		if (chance(20))
			add_junk();
		send_request("new");
		break;
	default:
		start(NL80211_CMD_SET_STATION, 0);
		put_ifindex(t);
		put_mac(NL80211_ATTR_MAC);
		upd.mask = chance(70) ? 1u << NL80211_STA_FLAG_AUTHORIZED : (uint32_t)rnd64();
		upd.set = chance(50) ? upd.mask : (uint32_t)rnd64();
		if (chance(90))
			put(NL80211_ATTR_STA_FLAGS2, &upd, sizeof(upd));
		if (chance(20))
			put_u16(NL80211_ATTR_STA_AID, (uint16_t)rnd(3000));
		if (chance(20))
			put_u16(NL80211_ATTR_STA_LISTEN_INTERVAL, (uint16_t)rnd(65536));
		if (chance(20))
			put_rnd(NL80211_ATTR_STA_SUPPORTED_RATES, 40);
		if (chance(10))
			put_u8(NL80211_ATTR_STA_PLINK_ACTION, (uint8_t)rnd(4));
		if (chance(10))
			put_u32(NL80211_ATTR_STA_VLAN, rnd(100));
		if (chance(10))
			add_junk();
		send_request("set");
		break;
	}
}

static void join_ibss(struct target *t, int valid)
{
	start(NL80211_CMD_JOIN_IBSS, 0);
	put_ifindex(t);
	if (valid || chance(90))
		put_ssid(NL80211_ATTR_SSID);
	if (valid || chance(90))
		put_u32(NL80211_ATTR_WIPHY_FREQ, valid ? (chance(70) ? 2412 : 2437) : rnd_freq());
	if (chance(40))
		put_mac(NL80211_ATTR_MAC);
	if (chance(40))
		put_u32(NL80211_ATTR_BEACON_INTERVAL, valid ? 100 : rnd(20000));
	if (chance(40))
		put_flag(NL80211_ATTR_FREQ_FIXED);
	if (chance(20))
		put_flag(NL80211_ATTR_PRIVACY);
	if (chance(20))
		put_flag(NL80211_ATTR_CONTROL_PORT);
	if (chance(10))
		put_flag(NL80211_ATTR_SOCKET_OWNER);
	if (chance(30))
		put_ies(NL80211_ATTR_IE, valid ? 100 : 1000);
	if (chance(15))
		put_rnd(NL80211_ATTR_BSS_BASIC_RATES, 20);
	if (chance(10))
		put_rnd(NL80211_ATTR_MCAST_RATE, 6);
	if (!valid && chance(10))
		put_rnd(NL80211_ATTR_KEYS, 64);
	if (!valid && chance(15))
		add_junk();
	snprintf(note + strlen(note), sizeof(note) - strlen(note), " %.16s", t->name);
	send_request(valid ? "join ibss" : "join ibss?");
}

static void op_ibss(void)
{
	struct target *t = pick();

	if (chance(35)) {
		start(NL80211_CMD_LEAVE_IBSS, 0);
		put_ifindex(t);
		send_request("leave ibss");
	} else {
		join_ibss(t, chance(50));
	}
}

static void op_wiphy(void)
{
	struct target *t = pick();

	start(NL80211_CMD_SET_WIPHY, 0);
	put_wiphy_or_if(t);
	switch (rnd(6)) {
	case 0:
		put_u32(NL80211_ATTR_WIPHY_TX_POWER_SETTING, rnd(4));
		if (chance(80))
			put_u32(NL80211_ATTR_WIPHY_TX_POWER_LEVEL,
				chance(70) ? rnd(3000) : (uint32_t)rnd64());
		break;
	case 1:
		put_u32(NL80211_ATTR_WIPHY_RTS_THRESHOLD,
			chance(50) ? (uint32_t)-1 : (chance(50) ? rnd(2348) : (uint32_t)rnd64()));
		break;
	case 2:
		put_u32(NL80211_ATTR_WIPHY_FRAG_THRESHOLD,
			chance(50) ? (uint32_t)-1 : (chance(50) ? rnd(2347) : (uint32_t)rnd64()));
		break;
	case 3:
		put_u8(NL80211_ATTR_WIPHY_RETRY_SHORT, (uint8_t)rnd(256));
		put_u8(NL80211_ATTR_WIPHY_RETRY_LONG, (uint8_t)rnd(256));
		break;
	case 4:
		put_u8(NL80211_ATTR_WIPHY_COVERAGE_CLASS, (uint8_t)rnd(256));
		break;
	default:
		put_u32(NL80211_ATTR_WIPHY_FREQ, rnd_freq());
		if (chance(50))
			put_u32(NL80211_ATTR_WIPHY_CHANNEL_TYPE, rnd(5));
		break;
	}
	if (chance(10))
		add_junk();
	send_request("set wiphy");
}

static void op_bss(void)
{
	struct target *t = pick();

	start(NL80211_CMD_SET_BSS, 0);
	put_ifindex(t);
	if (chance(80))
		put_u8(NL80211_ATTR_AP_ISOLATE, (uint8_t)(chance(80) ? rnd(2) : rnd(256)));
	if (chance(30))
		put_u8(NL80211_ATTR_BSS_CTS_PROT, (uint8_t)rnd(2));
	if (chance(30))
		put_u8(NL80211_ATTR_BSS_SHORT_PREAMBLE, (uint8_t)rnd(2));
	if (chance(30))
		put_u8(NL80211_ATTR_BSS_SHORT_SLOT_TIME, (uint8_t)rnd(2));
	if (chance(20))
		put_rnd(NL80211_ATTR_BSS_BASIC_RATES, 40);
	if (chance(20))
		put_u16(NL80211_ATTR_BSS_HT_OPMODE, (uint16_t)rnd(65536));
	if (chance(10))
		put_u8(NL80211_ATTR_P2P_CTWINDOW, (uint8_t)rnd(256));
	if (chance(10))
		add_junk();
	send_request("set bss");
}

/*
 * An action frame from @t (or, now and then, any source) into @b: mostly
 * well formed (header, category, action, body), sometimes truncated or
 * of another type.  Its length.
 */
static size_t action_frame(const struct target *t, uint8_t *b, size_t max)
{
	static const uint8_t cats[] = { 4, 5, 8, 10, 127, 9, 0 };
	/* authentication, (re)association response, deauthentication, disassociation */
	static const uint8_t sme[] = { 0xb0, 0x10, 0x30, 0xc0, 0xa0 };
	size_t len = 24 + 2 + rnd_len(200);

	if (len > max)
		len = max;
	memset(b, 0, len);
	/* action, an AP SME's frame (only an AP may send those), or another type */
	b[0] = chance(70) ? 0xd0 : chance(70) ? sme[rnd(sizeof(sme))] : (uint8_t)rnd(256);
	rnd_mac(b + 4);					/* DA */
	if (chance(90))
		memcpy(b + 10, t->mac, 6);		/* SA: ours, as cfg80211 wants */
	else
		rnd_mac(b + 10);
	if (chance(50))
		memcpy(b + 16, b + 4, 6);		/* BSSID: the AP's */
	else
		rnd_mac(b + 16);
	b[24] = chance(90) ? cats[rnd(sizeof(cats))] : (uint8_t)rnd(256);
	b[25] = (uint8_t)rnd(16);
	rnd_bytes(b + 26, len - 26);
	if (chance(10))
		len = rnd(26);				/* truncated */
	return len;
}

/*
 * Frame registrations and management frames: action frames, and the AP
 * SME's (REGISTER_FRAME, FRAME, FRAME_WAIT_CANCEL)
 */
static void op_frame(void)
{
	/* an AP's SME frames: the AP hands them up while they are registered */
	static const uint16_t sme_types[] = { 0x00b0, 0x0000, 0x0020, 0x00c0, 0x00a0, 0x0040 };
	struct target *t = pick();
	uint8_t b[400];
	size_t len;

	switch (rnd(4)) {
	case 0:
		start(NL80211_CMD_REGISTER_FRAME, 0);
		put_ifindex(t);
		if (chance(90))
			put_u16(NL80211_ATTR_FRAME_TYPE,
				chance(60) ? 0x00d0 : chance(60) ? sme_types[rnd(6)] :
				(uint16_t)rnd(65536));
		len = rnd_len(8);
		rnd_bytes(b, len);
		if (chance(80))
			put(NL80211_ATTR_FRAME_MATCH, b, len);
		if (chance(10))
			add_junk();
		send_request("register frame");
		break;
	case 3:
		start(NL80211_CMD_FRAME_WAIT_CANCEL, 0);
		put_ifindex(t);
		put(NL80211_ATTR_COOKIE, &rng, 8);
		send_request("frame wait cancel");
		break;
	default:
		start(NL80211_CMD_FRAME, 0);
		put_ifindex(t);
		len = action_frame(t, b, sizeof(b));
		if (chance(95))
			put(NL80211_ATTR_FRAME, b, len);
		if (chance(40))
			put_u32(NL80211_ATTR_WIPHY_FREQ, rnd_freq());
		if (chance(15))
			put_u32(NL80211_ATTR_DURATION, rnd(1000));
		if (chance(15))
			put_flag(NL80211_ATTR_OFFCHANNEL_TX_OK);
		if (chance(20))
			put_flag(NL80211_ATTR_DONT_WAIT_FOR_ACK);
		if (chance(10))
			put_flag(NL80211_ATTR_TX_NO_CCK_RATE);
		if (chance(10))
			add_junk();
		send_request("frame");
		break;
	}
}

/* Commands vwifi does not implement: cfg80211 must refuse them cleanly */
static void op_unsupported(void)
{
	static const uint8_t cmds[] = {
		NL80211_CMD_AUTHENTICATE,
		NL80211_CMD_ASSOCIATE, NL80211_CMD_DEAUTHENTICATE, NL80211_CMD_DISASSOCIATE,
		NL80211_CMD_GET_SURVEY, NL80211_CMD_SET_PMKSA, NL80211_CMD_FLUSH_PMKSA,
		NL80211_CMD_REMAIN_ON_CHANNEL, NL80211_CMD_SET_TX_BITRATE_MASK,
		NL80211_CMD_SET_POWER_SAVE,
		NL80211_CMD_GET_POWER_SAVE, NL80211_CMD_SET_CQM, NL80211_CMD_SET_CHANNEL,
		NL80211_CMD_SET_WDS_PEER, NL80211_CMD_TDLS_MGMT, NL80211_CMD_PROBE_CLIENT,
		NL80211_CMD_SET_NOACK_MAP, NL80211_CMD_SET_MCAST_RATE, NL80211_CMD_SET_MAC_ACL,
		NL80211_CMD_CRIT_PROTOCOL_START, NL80211_CMD_CHANNEL_SWITCH,
		NL80211_CMD_SET_QOS_MAP, NL80211_CMD_SET_MULTICAST_TO_UNICAST,
		NL80211_CMD_UPDATE_CONNECT_PARAMS, NL80211_CMD_EXTERNAL_AUTH,
		NL80211_CMD_CONTROL_PORT_FRAME, NL80211_CMD_UPDATE_OWE_INFO,
		NL80211_CMD_GET_REG, NL80211_CMD_GET_PROTOCOL_FEATURES,
	};
	struct target *t = pick();
	uint8_t cmd = cmds[rnd(sizeof(cmds))];

	start(cmd, 0);
	put_ifindex(t);
	if (chance(50))
		put_mac(NL80211_ATTR_MAC);
	if (chance(30))
		put_u32(NL80211_ATTR_WIPHY_FREQ, rnd_freq());
	if (chance(20))
		put_rnd(NL80211_ATTR_FRAME, 300);
	if (chance(20))
		put_u32(NL80211_ATTR_DURATION, rnd(10000));
	if (chance(20))
		put_ssid(NL80211_ATTR_SSID);
	if (chance(20))
		put_u32(NL80211_ATTR_IFTYPE, iftypes[rnd(ARRAY_SIZE(iftypes))]);
	if (chance(40))
		add_junk();
	send_request("unsupported");
}

/*
 * Interfaces of its own on the targets' wiphys: created (valid and bogus
 * requests) owned by its socket, as iwd does, used a little, deleted; the
 * targets are never deleted.  At the end it deletes some of what is left
 * and leaves the rest to cfg80211, which deletes an owned interface once
 * its socket closes.
 */
#define OWN_IFACES	3

static unsigned long own_added;

static void own_name(char *buf, size_t size, unsigned int n)
{
	snprintf(buf, size, "vwfz%d_%u", proc_id, n);
}

static void new_iface(const struct target *t)
{
	static const char *const bad[] = { "", "lo", "x/y", "0123456789abcdefghij" };
	char name[IF_NAMESIZE];

	start(NL80211_CMD_NEW_INTERFACE, 0);
	put_wiphy_or_if(t);
	own_name(name, sizeof(name), rnd(OWN_IFACES));
	if (chance(90))
		put_str(NL80211_ATTR_IFNAME, chance(90) ? name : bad[rnd(ARRAY_SIZE(bad))]);
	if (chance(95))
		put_u32(NL80211_ATTR_IFTYPE, iftypes[rnd(ARRAY_SIZE(iftypes))]);
	if (chance(20))
		put_mac(NL80211_ATTR_MAC);
	if (chance(5))
		put_u8(NL80211_ATTR_4ADDR, (uint8_t)rnd(2));
	put_flag(NL80211_ATTR_SOCKET_OWNER);
	if (chance(15))
		add_junk();
	snprintf(note, sizeof(note), "%.16s on %.16s", name, t->name);
	if (send_request("new interface") == 1)
		own_added++;
}

/* Delete own interface @n (a bogus index now and then, never a target's) */
static void del_iface(unsigned int n)
{
	char name[IF_NAMESIZE];
	unsigned int ifindex;

	own_name(name, sizeof(name), n);
	ifindex = if_nametoindex(name);
	if (!ifindex && !chance(10))
		return;
	start(NL80211_CMD_DEL_INTERFACE, 0);
	put_u32(NL80211_ATTR_IFINDEX, ifindex ? ifindex : 0x7fffffff);
	snprintf(note, sizeof(note), "%.16s", name);
	send_request("del interface");
}

/* Use own interface @n a little, as the targets are */
static void use_iface(unsigned int n)
{
	struct target own = { 0 };
	struct reply_ctx ctx = { 0 };

	own_name(own.name, sizeof(own.name), n);
	own.ifindex = (int)if_nametoindex(own.name);
	if (!own.ifindex)
		return;
	start(NL80211_CMD_GET_INTERFACE, 0);
	put_u32(NL80211_ATTR_IFINDEX, (uint32_t)own.ifindex);
	if (talk(&ctx) != 1 || !ctx.have_wiphy)
		return;	/* deleted meanwhile */
	own.wiphy = ctx.wiphy;
	own.have_wiphy = 1;
	switch (rnd(5)) {
	case 0:
		ifupdown(&own, chance(70));
		break;
	case 1:
		set_type(&own, iftypes[rnd(ARRAY_SIZE(iftypes))]);
		break;
	case 2:
		scan(&own, chance(80));
		break;
	case 3:
		connect_(&own, chance(80));
		break;
	default:
		start_ap(&own, chance(80));
		break;
	}
}

static void op_iface(void)
{
	unsigned int n = rnd(OWN_IFACES);

	switch (rnd(4)) {
	case 0:
		new_iface(pick());
		break;
	case 1:
		del_iface(n);
		break;
	default:
		use_iface(n);
		break;
	}
}

/* Delete some of what is left of the interfaces op_iface() made */
static void iface_cleanup(void)
{
	unsigned int n;

	for (n = 0; n < OWN_IFACES; n++) {
		char name[IF_NAMESIZE];
		unsigned int ifindex;

		own_name(name, sizeof(name), n);
		ifindex = if_nametoindex(name);
		if (!ifindex || chance(50))
			continue;
		start(NL80211_CMD_DEL_INTERFACE, 0);
		put_u32(NL80211_ATTR_IFINDEX, ifindex);
		must(name);
	}
}

/* Any command number, random attributes (minus the forbidden ones) */
static void op_raw(void)
{
	uint8_t cmd;
	struct nlattr *a = NULL;

	do {
		cmd = (uint8_t)rnd(NL80211_CMD_MAX + 10);
	} while (cmd == NL80211_CMD_SET_WIPHY_NETNS || cmd == NL80211_CMD_SET_REG ||
		 /* op_iface() adds and deletes interfaces, sparing the targets */
		 cmd == NL80211_CMD_NEW_INTERFACE || cmd == NL80211_CMD_DEL_INTERFACE ||
		 cmd == NL80211_CMD_REQ_SET_REG || cmd == NL80211_CMD_RELOAD_REGDB ||
		 cmd == NL80211_CMD_SET_WOWLAN);
	start(cmd, chance(20) ? NLM_F_DUMP : 0);
	if (chance(70))
		put_ifindex(pick());
	else if (chance(50))
		put_u32(NL80211_ATTR_WIPHY, pick()->wiphy);
	add_junk();
	if (chance(20)) {
		a = tail_attr();
		put_rnd((uint16_t)(1 + rnd(NL80211_ATTR_MAX)), 32);
		if (forbidden_attr(a->nla_type))
			a->nla_type = NL80211_ATTR_IE;
		corrupt(a);
	}
	if (chance(5))
		genl()->version = (uint8_t)rnd(256);
	if (chance(3))
		msg.nlh.nlmsg_len = NLMSG_LENGTH(rnd(GENL_HDRLEN));	/* truncated header */
	send_request("raw");
}

/* A coherent sequence: bring an interface into a mode and use it */
static void op_scenario(void)
{
	struct target *t = pick();
	static const uint32_t modes[] = { NL80211_IFTYPE_STATION, NL80211_IFTYPE_AP,
					  NL80211_IFTYPE_ADHOC };
	uint32_t mode = modes[rnd(ARRAY_SIZE(modes))];

	ifupdown(t, 0);
	set_type(t, mode);
	ifupdown(t, 1);
	switch (mode) {
	case NL80211_IFTYPE_STATION:
		if (chance(50))
			scan(t, 1);
		connect_(t, 1);
		if (chance(30))
			op_key();
		break;
	case NL80211_IFTYPE_AP:
		start_ap(t, 1);
		if (chance(40))
			op_bss();
		break;
	default:
		join_ibss(t, 1);
		break;
	}
}

struct op {
	void (*fn)(void);
	unsigned int weight;
};

static const struct op ops[] = {
	{ op_dumps, 10 }, { op_set_interface, 6 }, { op_updown, 6 }, { op_scan, 8 },
	{ op_connect, 8 }, { op_ap, 8 }, { op_key, 8 }, { op_station, 8 }, { op_ibss, 6 },
	{ op_wiphy, 5 }, { op_bss, 4 }, { op_unsupported, 5 }, { op_raw, 8 },
	{ op_scenario, 6 }, { op_iface, 5 }, { op_frame, 6 },
};

static void one_op(void)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	r = rnd(total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	ops[i].fn();
}

static const char *cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case 0:
		return "-";
	case NL80211_CMD_GET_WIPHY:
		return "GET_WIPHY";
	case NL80211_CMD_SET_WIPHY:
		return "SET_WIPHY";
	case NL80211_CMD_GET_INTERFACE:
		return "GET_INTERFACE";
	case NL80211_CMD_SET_INTERFACE:
		return "SET_INTERFACE";
	case NL80211_CMD_GET_KEY:
		return "GET_KEY";
	case NL80211_CMD_SET_KEY:
		return "SET_KEY";
	case NL80211_CMD_NEW_KEY:
		return "NEW_KEY";
	case NL80211_CMD_DEL_KEY:
		return "DEL_KEY";
	case NL80211_CMD_SET_BEACON:
		return "SET_BEACON";
	case NL80211_CMD_START_AP:
		return "START_AP";
	case NL80211_CMD_STOP_AP:
		return "STOP_AP";
	case NL80211_CMD_GET_STATION:
		return "GET_STATION";
	case NL80211_CMD_SET_STATION:
		return "SET_STATION";
	case NL80211_CMD_NEW_STATION:
		return "NEW_STATION";
	case NL80211_CMD_DEL_STATION:
		return "DEL_STATION";
	case NL80211_CMD_SET_BSS:
		return "SET_BSS";
	case NL80211_CMD_GET_SCAN:
		return "GET_SCAN";
	case NL80211_CMD_TRIGGER_SCAN:
		return "TRIGGER_SCAN";
	case NL80211_CMD_ABORT_SCAN:
		return "ABORT_SCAN";
	case NL80211_CMD_JOIN_IBSS:
		return "JOIN_IBSS";
	case NL80211_CMD_LEAVE_IBSS:
		return "LEAVE_IBSS";
	case NL80211_CMD_CONNECT:
		return "CONNECT";
	case NL80211_CMD_DISCONNECT:
		return "DISCONNECT";
	case NL80211_CMD_NEW_INTERFACE:
		return "NEW_INTERFACE";
	case NL80211_CMD_DEL_INTERFACE:
		return "DEL_INTERFACE";
	case NL80211_CMD_REGISTER_FRAME:
		return "REGISTER_FRAME";
	case NL80211_CMD_FRAME:
		return "FRAME";
	case NL80211_CMD_FRAME_WAIT_CANCEL:
		return "FRAME_WAIT_CANCEL";
	default:
		return "other";
	}
}

/* ------------------------------------------------------------ main */

static void summary(double secs)
{
	unsigned int i;

	printf("nl80211fuzz[%d]: %lu requests in %.1f s: %lu ok, %lu with data", proc_id, n_req,
	       secs, count_ok, count_data);
	for (i = 1; i < NERR; i++)
		if (count_err[i])
			printf(", %lu %s", count_err[i], strerrorname_np((int)i) ?: "?");
	if (count_other)
		printf(", %lu other", count_other);
	printf("; %lu interfaces added; %d failures\n", own_added, failures);
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(uint64_t seed, double secs, unsigned long count)
{
	double t0 = now();
	int i;

	rng = seed;
	setup_socket();
	while ((!secs || now() - t0 < secs) && (!count || n_req < count))
		one_op();
	iface_cleanup();
	/* whatever happened, the basics answer */
	start(NL80211_CMD_GET_INTERFACE, NLM_F_DUMP);
	must("final dump");
	start(NL80211_CMD_GET_WIPHY, NLM_F_DUMP);
	put_flag(NL80211_ATTR_SPLIT_WIPHY_DUMP);
	must("final dump");
	for (i = 0; i < n_targets; i++) {
		start(NL80211_CMD_GET_INTERFACE, 0);
		put_u32(NL80211_ATTR_IFINDEX, (uint32_t)targets[i].ifindex);
		must(targets[i].name);
	}
	summary(now() - t0);
	return failures ? 1 : 0;
}

/* The answer to request @want among those that arrive; -1000 - errno on a socket error */
static int answer_of(uint32_t want, int *answers, uint32_t first, int n)
{
	while (answers[want - first] == INT32_MIN) {
		ssize_t len = recv(fd, rxbuf, sizeof(rxbuf), 0);
		struct nlmsghdr *nlh;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -1000 - errno;
		}
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (size_t)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq >= first &&
			    nlh->nlmsg_seq < first + (uint32_t)n)
				answers[nlh->nlmsg_seq - first] = e->error;
		}
	}
	return answers[want - first];
}

/* -C: two CONNECTs for @ssid in one write to each target */
static int connect_twice(const char *ssid)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static uint8_t two[2 * MSG_MAX];
	int i, k, answers[2], rc = 0;

	for (i = 0; i < n_targets; i++) {
		size_t len = 0;
		uint32_t first = seq + 1;

		for (k = 0; k < 2; k++) {
			start(NL80211_CMD_CONNECT, 0);
			put_u32(NL80211_ATTR_IFINDEX, (uint32_t)targets[i].ifindex);
			put(NL80211_ATTR_SSID, ssid, strlen(ssid));
			msg.nlh.nlmsg_seq = ++seq;
			memcpy(two + len, msg.b, msg.nlh.nlmsg_len);
			len += NLMSG_ALIGN(msg.nlh.nlmsg_len);
			answers[k] = INT32_MIN;
		}
		if (sendto(fd, two, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("nl80211fuzz: sendto");
			return 2;
		}
		printf("%s: connect %d", targets[i].name, answer_of(first, answers, first, 2));
		printf(", again %d\n", answer_of(first + 1, answers, first, 2));
		if (answers[0] <= -1000 || answers[1] <= -1000)
			rc = 1;
	}
	return rc;
}

static void print_usage(void)
{
	static const char text[] =
		"usage: nl80211fuzz [-s SEED] [-t SECONDS] [-n COUNT] [-p PROCS] [-i IFNAME]...\n"
		"                   [-P PREFIX] [-T TIMEOUT] [-v]\n"
		"       nl80211fuzz -C SSID [-i IFNAME]...\n";

	fputs(text, stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *prefix = "vw", *env = getenv("VW_NLFUZZ_SEED"), *twice = NULL;
	char *names[MAX_TARGETS];
	int n_names = 0, procs = 1, opt, i, status, rc = 0;
	unsigned long count = 0;
	double secs = 10;
	uint64_t seed;

	seed = env && *env ? strtoull(env, NULL, 0) :
	       ((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16)) % 1000000000ULL;
	while ((opt = getopt(argc, argv, "s:t:n:p:i:P:T:vC:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 'i':
			if (n_names < MAX_TARGETS)
				names[n_names++] = optarg;
			break;
		case 'P':
			prefix = optarg;
			break;
		case 'T':
			answer_timeout = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'C':
			twice = optarg;
			break;
		default:
			print_usage();
		}
	}
	if (optind != argc || procs < 1 || procs > 64 || answer_timeout < 1)
		print_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup_socket();
	if (n_names) {
		for (i = 0; i < n_names; i++)
			add_target(names[i]);
	} else {
		struct if_nameindex *ifs = if_nameindex(), *p;

		for (p = ifs; p && p->if_index; p++)
			if (!strncmp(p->if_name, prefix, strlen(prefix)))
				add_target(p->if_name);
		if_freenameindex(ifs);
	}
	if (!n_targets) {
		fprintf(stderr, "nl80211fuzz: no interface named %s*\n", prefix);
		return 2;
	}
	if (twice)
		return connect_twice(twice);
	printf("nl80211fuzz: seed %llu (replay: VW_NLFUZZ_SEED=%llu), %d process%s, %s%.0f s%s",
	       (unsigned long long)seed, (unsigned long long)seed, procs, procs > 1 ? "es" : "",
	       secs ? "" : "no time limit", secs, count ? ", count limit" : "");
	if (count)
		printf(" %lu", count);
	printf(", interfaces");
	for (i = 0; i < n_targets; i++)
		printf(" %s(wiphy %u)", targets[i].name, targets[i].wiphy);
	printf("\n");
	close(fd);
	if (procs == 1)
		return run(seed, secs, count);
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("nl80211fuzz: fork");
			return 2;
		}
		if (!pid) {
			proc_id = i;
			_exit(run(seed + (uint64_t)i, secs, count));
		}
	}
	while (wait(&status) > 0) {
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = 1;
	}
	return rc;
}

// SPDX-License-Identifier: MIT
/*
 * vwifi: a virtual cfg80211 FullMAC Wi-Fi driver.
 *
 * Every interface vwifi creates sits on its own wiphy and shares one
 * simulated medium with all the others, whatever network namespace it
 * lives in.  Interfaces run as stations (managed), access points (with
 * hostapd, the device doing the AP SME) or IBSS members.  Frames are
 * Ethernet frames handed from one net_device to another over "links":
 * a link is a pair of peer entries, one in each end's peer table, created
 * when a station associates or two IBSS members meet.
 *
 * Sections, in order: parameters and types, compatibility, radio model,
 * peers, data path, scan, station, access point, IBSS, keys, station
 * info, other cfg80211 ops, net_device, denylist, interfaces and radios,
 * module.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/hashtable.h>
#include <linux/hashtable.h>
#include <linux/if_ether.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/u64_stats_sync.h>
#include <linux/version.h>
#include <linux/workqueue.h>
#include <net/cfg80211.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "vwifi_nl.h"

/* ------------------------------------------------------------------ */
/* Parameters and types                                               */
/* ------------------------------------------------------------------ */

#define VWIFI_MAX_STATIONS	4096
#define VWIFI_PEER_HASH_BITS	6
#define VWIFI_NUM_KEYS		8	/* 0-3 data, 4-5 IGTK, 6-7 BIGTK */
#define VWIFI_NUM_PTKS		4
#define VWIFI_MAX_TXPOWER_MBM	2000	/* 20 dBm, the channels' limit */
#define VWIFI_SCAN_DWELL_MS	30
#define VWIFI_LEGACY_RATE	540	/* 54 Mbit/s in units of 100 kbit/s */
#define VWIFI_MAX_SEQ_LEN	16	/* longest key RSC/PN userspace may give */

static int station = 2;
module_param(station, int, 0444);
MODULE_PARM_DESC(station, "number of interfaces (and wiphys) to create, 1-4096");

struct vwifi_pcpu_stats {
	u64_stats_t rx_packets;
	u64_stats_t rx_bytes;
	u64_stats_t tx_packets;
	u64_stats_t tx_bytes;
	struct u64_stats_sync syncp;
};

struct vwifi_stats {
	u64 rx_packets;
	u64 rx_bytes;
	u64 tx_packets;
	u64 tx_bytes;
};

struct vwifi_key {
	u32 cipher;			/* 0: empty slot */
	u8 key_len;
	u8 seq_len;
	u8 key[WLAN_MAX_KEY_LEN];
	u8 seq[VWIFI_MAX_SEQ_LEN];
};

struct vwifi_vif;

/*
 * One end of a link: the entry @owner keeps for the remote interface
 * @vif.  Entries are created and destroyed in pairs (@twin is the other
 * end) under vwifi_mutex and read under RCU on the data path.
 */
struct vwifi_peer {
	struct hlist_node node;		/* in owner->peers */
	struct rcu_head rcu;
	struct vwifi_vif *owner;
	struct vwifi_vif *vif;
	struct vwifi_peer *twin;
	u8 addr[ETH_ALEN];		/* vif's address when linked */
	bool port_control;		/* this end runs 802.1X port control */
	bool authorized;		/* its port is open: always without control */
	unsigned long linked_at;	/* jiffies */
	unsigned long last_rx;		/* jiffies, written locklessly */
	unsigned long last_tx;
	atomic_long_t tx_failed;
	struct vwifi_pcpu_stats __percpu *stats;
	/* Keys, under vwifi_mutex: pairwise and (IBSS) per-peer group keys */
	struct vwifi_key ptk[VWIFI_NUM_PTKS];
	struct vwifi_key gtk[VWIFI_NUM_KEYS];
};

/*
 * The BSS an interface runs (AP), has joined (IBSS) or is associated to
 * (station: a copy of the AP's SSID and channel).  Under vwifi_mutex.
 */
struct vwifi_bss {
	bool active;
	u8 bssid[ETH_ALEN];
	u8 ssid[IEEE80211_MAX_SSID_LEN];
	u8 ssid_len;
	enum nl80211_hidden_ssid hidden;
	u32 freq;			/* MHz, compared across wiphys */
	u16 beacon_int;
	u16 capability;
	u8 dtim_period;
	bool secured;			/* links start with the port closed */
	u8 *ies;			/* beacon IEs: head's after the fixed part, then tail */
	size_t ies_len;
	u8 *resp_ies;			/* association response IEs */
	size_t resp_ies_len;
};

struct vwifi_radio;

struct vwifi_vif {
	struct wireless_dev wdev;
	struct net_device *ndev;
	struct vwifi_radio *radio;
	u32 id;
	struct list_head list;		/* in vwifi_vifs, under vwifi_mutex */

	/* Data path: written under vwifi_mutex, read under RCU */
	DECLARE_HASHTABLE(peers, VWIFI_PEER_HASH_BITS);	/* by MAC address */
	struct vwifi_peer __rcu *ap_link;	/* station: the link to the AP */
	bool ap_isolate;		/* AP: do not relay between stations */
	struct vwifi_pcpu_stats __percpu *stats;
	atomic_long_t tx_dropped;
	atomic_long_t rx_dropped;

	/* Control state, under vwifi_mutex */
	unsigned int n_peers;
	struct vwifi_bss bss;
	struct vwifi_key gtk[VWIFI_NUM_KEYS];
	u8 default_key;
	u8 default_mgmt_key;

	/* A pending scan: the request is under vwifi_mutex */
	struct cfg80211_scan_request *scan_req;
	struct delayed_work scan_work;
};

struct vwifi_radio {
	struct wiphy *wiphy;
	struct vwifi_vif *vif;		/* NULL once the interface is gone */
	struct list_head list;		/* in vwifi_radios, module init/exit only */
	int index;
	int tx_power_mbm;		/* under the wiphy lock */
	struct ieee80211_supported_band band_2ghz;
	struct ieee80211_supported_band band_5ghz;
	struct ieee80211_channel channels_2ghz[14];
	struct ieee80211_channel channels_5ghz[12];
};

/* Serialises all control-plane changes to links, BSSs and the vif list.
 * Lock order: rtnl, then a wiphy lock, then vwifi_mutex.  Nothing that
 * holds vwifi_mutex may take rtnl or a wiphy lock.
 */
static DEFINE_MUTEX(vwifi_mutex);
static LIST_HEAD(vwifi_vifs);
static LIST_HEAD(vwifi_radios);		/* module init/exit only */
static struct workqueue_struct *vwifi_wq;

static bool vwifi_denied(const struct vwifi_vif *rx, const struct vwifi_vif *tx);
static void vwifi_deny_forget(const struct vwifi_vif *vif);

/* ------------------------------------------------------------------ */
/* Compatibility: every LINUX_VERSION_CODE test of the driver is here  */
/* ------------------------------------------------------------------ */

#define VWIFI_KERNEL_AT_LEAST(a, b, c)	(KERNEL_VERSION(a, b, c) <= LINUX_VERSION_CODE)

/* 7.1 passes the wireless_dev to the key and station ops */
#if VWIFI_KERNEL_AT_LEAST(7, 1, 0)
#define VWIFI_OP_DEV		struct wireless_dev *wdev
#define VWIFI_OP_VIF		container_of(wdev, struct vwifi_vif, wdev)
#define vwifi_cfg_new_sta(vif, mac, sinfo) \
	cfg80211_new_sta(&(vif)->wdev, mac, sinfo, GFP_KERNEL)
#define vwifi_cfg_del_sta(vif, mac) \
	cfg80211_del_sta(&(vif)->wdev, mac, GFP_KERNEL)
#else
#define VWIFI_OP_DEV		struct net_device *dev
#define VWIFI_OP_VIF		((struct vwifi_vif *)netdev_priv(dev))
#define vwifi_cfg_new_sta(vif, mac, sinfo) \
	cfg80211_new_sta((vif)->ndev, mac, sinfo, GFP_KERNEL)
#define vwifi_cfg_del_sta(vif, mac) \
	cfg80211_del_sta((vif)->ndev, mac, GFP_KERNEL)
#endif

/* 6.7 wraps the new beacon of change_beacon in cfg80211_ap_update */
#if VWIFI_KERNEL_AT_LEAST(6, 7, 0)
#define VWIFI_AP_UPDATE		struct cfg80211_ap_update
#define vwifi_ap_update_beacon(info)	(&(info)->beacon)
#else
#define VWIFI_AP_UPDATE		struct cfg80211_beacon_data
#define vwifi_ap_update_beacon(info)	(info)
#endif

/* 6.17 adds a radio index to the wiphy-wide ops, 6.14 a link to get_tx_power */
#if VWIFI_KERNEL_AT_LEAST(6, 17, 0)
#define VWIFI_RADIO_IDX		int radio_idx,
#else
#define VWIFI_RADIO_IDX
#endif
#if VWIFI_KERNEL_AT_LEAST(6, 14, 0)
#define VWIFI_TXPOWER_LINK	unsigned int link_id,
#else
#define VWIFI_TXPOWER_LINK
#endif

static void vwifi_compat_netdev_flags(struct net_device *ndev)
{
#if VWIFI_KERNEL_AT_LEAST(6, 12, 0)
	ndev->lltx = true;
#else
	ndev->features |= NETIF_F_LLTX;
#endif
	/* cfg80211 moves the interface with its wiphy, never alone.  The
	 * flag became netns_local in 6.12 and netns_immutable in 6.15;
	 * Debian's 6.12 carries the rename.
	 */
#if VWIFI_KERNEL_AT_LEAST(6, 15, 0) || \
	(VWIFI_KERNEL_AT_LEAST(6, 12, 0) && \
	 !VWIFI_KERNEL_AT_LEAST(6, 13, 0))
	ndev->netns_immutable = true;
#elif VWIFI_KERNEL_AT_LEAST(6, 12, 0)
	ndev->netns_local = true;
#else
	ndev->features |= NETIF_F_NETNS_LOCAL;
#endif
}

/* ------------------------------------------------------------------ */
/* Radio model                                                        */
/* ------------------------------------------------------------------ */

/*
 * Received signal strength between two interfaces, in dBm.  Stable for
 * a pair and symmetric; a later radio medium (positions, path loss)
 * replaces this one function.
 */
static int vwifi_signal_dbm(const struct vwifi_vif *a, const struct vwifi_vif *b)
{
	u32 dist = a->id > b->id ? a->id - b->id : b->id - a->id;

	return -40 - 3 * (int)(dist % 16);
}

static bool vwifi_vif_is(const struct vwifi_vif *vif, enum nl80211_iftype type)
{
	return vif->wdev.iftype == type;
}

/* ------------------------------------------------------------------ */
/* Peers and links                                                    */
/* ------------------------------------------------------------------ */

/* Under RCU or vwifi_mutex */
static struct vwifi_peer *vwifi_peer_find(struct vwifi_vif *vif, const u8 *addr)
{
	struct vwifi_peer *peer;

	hash_for_each_possible_rcu(vif->peers, peer, node, ether_addr_to_u64(addr),
				   lockdep_is_held(&vwifi_mutex))
		if (ether_addr_equal(peer->addr, addr))
			return peer;
	return NULL;
}

static struct vwifi_peer *vwifi_peer_alloc(struct vwifi_vif *owner,
					   struct vwifi_vif *remote, bool port_control)
{
	struct vwifi_peer *peer = kzalloc(sizeof(*peer), GFP_KERNEL);

	if (!peer)
		return NULL;
	peer->stats = netdev_alloc_pcpu_stats(struct vwifi_pcpu_stats);
	if (!peer->stats) {
		kfree(peer);
		return NULL;
	}
	peer->owner = owner;
	peer->vif = remote;
	ether_addr_copy(peer->addr, remote->ndev->dev_addr);
	peer->port_control = port_control;
	peer->authorized = !port_control;
	peer->linked_at = jiffies;
	peer->last_rx = jiffies;
	peer->last_tx = jiffies;
	atomic_long_set(&peer->tx_failed, 0);
	return peer;
}

static void vwifi_peer_free_rcu(struct rcu_head *head)
{
	struct vwifi_peer *peer = container_of(head, struct vwifi_peer, rcu);

	free_percpu(peer->stats);
	kfree_sensitive(peer);		/* holds keys */
}

/*
 * Link @a and @b: each gets an entry for the other.  @a_ctrl and @b_ctrl
 * say whether each end controls its 802.1X port (which then starts
 * closed).  Returns a's entry.
 */
static struct vwifi_peer *vwifi_link(struct vwifi_vif *a, struct vwifi_vif *b,
				     bool a_ctrl, bool b_ctrl)
{
	struct vwifi_peer *pa, *pb;

	lockdep_assert_held(&vwifi_mutex);
	pa = vwifi_peer_alloc(a, b, a_ctrl);
	pb = vwifi_peer_alloc(b, a, b_ctrl);
	if (!pa || !pb) {
		if (pa)
			vwifi_peer_free_rcu(&pa->rcu);
		if (pb)
			vwifi_peer_free_rcu(&pb->rcu);
		return NULL;
	}
	pa->twin = pb;
	pb->twin = pa;
	hash_add_rcu(a->peers, &pa->node, ether_addr_to_u64(pa->addr));
	hash_add_rcu(b->peers, &pb->node, ether_addr_to_u64(pb->addr));
	a->n_peers++;
	b->n_peers++;
	return pa;
}

/* Break the link @peer belongs to; both entries are freed after a grace period. */
static void vwifi_unlink(struct vwifi_peer *peer)
{
	struct vwifi_peer *twin = peer->twin;

	lockdep_assert_held(&vwifi_mutex);
	if (rcu_access_pointer(peer->owner->ap_link) == peer)
		RCU_INIT_POINTER(peer->owner->ap_link, NULL);
	if (rcu_access_pointer(twin->owner->ap_link) == twin)
		RCU_INIT_POINTER(twin->owner->ap_link, NULL);
	hash_del_rcu(&peer->node);
	hash_del_rcu(&twin->node);
	peer->owner->n_peers--;
	twin->owner->n_peers--;
	call_rcu(&peer->rcu, vwifi_peer_free_rcu);
	call_rcu(&twin->rcu, vwifi_peer_free_rcu);
}

static void vwifi_stats_add(struct vwifi_pcpu_stats __percpu *stats, bool rx,
			    unsigned int len)
{
	struct vwifi_pcpu_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	if (rx) {
		u64_stats_inc(&s->rx_packets);
		u64_stats_add(&s->rx_bytes, len);
	} else {
		u64_stats_inc(&s->tx_packets);
		u64_stats_add(&s->tx_bytes, len);
	}
	u64_stats_update_end(&s->syncp);
}

static void vwifi_stats_read(struct vwifi_pcpu_stats __percpu *stats,
			     struct vwifi_stats *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct vwifi_pcpu_stats *s = per_cpu_ptr(stats, cpu);
		u64 rxp, rxb, txp, txb;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			rxp = u64_stats_read(&s->rx_packets);
			rxb = u64_stats_read(&s->rx_bytes);
			txp = u64_stats_read(&s->tx_packets);
			txb = u64_stats_read(&s->tx_bytes);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		sum->rx_packets += rxp;
		sum->rx_bytes += rxb;
		sum->tx_packets += txp;
		sum->tx_bytes += txb;
	}
}

/* Refresh a jiffies time stamp, writing the shared line only when it changed */
static void vwifi_touch(unsigned long *stamp)
{
	unsigned long now = jiffies;

	if (READ_ONCE(*stamp) != now)
		WRITE_ONCE(*stamp, now);
}

/* ------------------------------------------------------------------ */
/* Data path                                                          */
/* ------------------------------------------------------------------ */

static bool vwifi_is_eapol(const struct sk_buff *skb)
{
	return ((const struct ethhdr *)skb->data)->h_proto == htons(ETH_P_PAE);
}

/* Hand @skb up the stack of @dst, which received it over @rx.  Consumes @skb. */
static bool vwifi_rx_up(struct vwifi_vif *dst, struct vwifi_peer *rx,
			struct sk_buff *skb)
{
	unsigned int len = skb->len;

	/* Scrubs the skb when it crosses network namespaces */
	if (__dev_forward_skb(dst->ndev, skb) != NET_RX_SUCCESS) {
		atomic_long_inc(&dst->rx_dropped);
		return false;
	}
	vwifi_stats_add(dst->stats, true, len);
	vwifi_stats_add(rx->stats, true, len);
	vwifi_touch(&rx->last_rx);
	netif_rx(skb);
	return true;
}

static bool vwifi_receive(struct vwifi_vif *dst, struct vwifi_peer *rx,
			  struct sk_buff *skb, const struct vwifi_vif *origin);

/*
 * Transmit @skb over the link @tx (the sender's entry for the receiver).
 * @origin is the interface the frame started from (differs from the
 * sender when an AP relays).  Consumes @skb; false if it was dropped.
 */
static bool vwifi_link_xmit(struct vwifi_peer *tx, struct sk_buff *skb,
			    const struct vwifi_vif *origin)
{
	struct vwifi_peer *rx = tx->twin;
	struct vwifi_vif *dst = tx->vif;
	unsigned int len = skb->len;

	/* Until both ends open their port, only EAPOL passes */
	if ((!READ_ONCE(tx->authorized) || !READ_ONCE(rx->authorized)) &&
	    !vwifi_is_eapol(skb))
		goto drop;
	if (vwifi_denied(dst, tx->owner) ||
	    (origin != tx->owner && vwifi_denied(dst, origin)))
		goto drop;
	vwifi_stats_add(tx->stats, false, len);
	vwifi_touch(&tx->last_tx);
	if (vwifi_receive(dst, rx, skb, origin))
		return true;
	atomic_long_inc(&tx->tx_failed);
	return false;
drop:
	atomic_long_inc(&tx->tx_failed);
	kfree_skb(skb);
	return false;
}

/* Send a copy of @skb over every link of @vif but @except.  Does not consume @skb. */
static bool vwifi_fanout(struct vwifi_vif *vif, struct sk_buff *skb,
			 const struct vwifi_peer *except,
			 const struct vwifi_vif *origin)
{
	struct vwifi_peer *peer;
	bool sent = false;
	unsigned int bkt;

	hash_for_each_rcu(vif->peers, bkt, peer, node) {
		struct sk_buff *copy;

		if (peer == except)
			continue;
		copy = skb_clone(skb, GFP_ATOMIC);
		if (!copy) {
			atomic_long_inc(&peer->tx_failed);
			continue;
		}
		sent |= vwifi_link_xmit(peer, copy, origin);
	}
	return sent;
}

/*
 * An AP received @skb from one of its stations over @rx.  Frames for the
 * AP, for unknown addresses (the distribution system) and group frames go
 * up its stack; frames for another associated station are relayed to it
 * without touching the AP's stack; group frames are also relayed to all
 * other stations.  Consumes @skb.
 */
static bool vwifi_ap_rx(struct vwifi_vif *ap, struct vwifi_peer *rx,
			struct sk_buff *skb, const struct vwifi_vif *origin)
{
	const u8 *da = ((const struct ethhdr *)skb->data)->h_dest;
	struct vwifi_peer *to;

	if (is_multicast_ether_addr(da)) {
		/* @rx is the AP's entry for the sender: not sent back to it */
		if (!READ_ONCE(ap->ap_isolate) && !vwifi_is_eapol(skb))
			vwifi_fanout(ap, skb, rx, origin);
		return vwifi_rx_up(ap, rx, skb);
	}
	if (!ether_addr_equal(da, ap->ndev->dev_addr) &&
	    !READ_ONCE(ap->ap_isolate) && !vwifi_is_eapol(skb)) {
		to = vwifi_peer_find(ap, da);
		if (to) {
			unsigned int len = skb->len;

			/* Relayed: received from one station, sent to another */
			vwifi_stats_add(rx->stats, true, len);
			vwifi_touch(&rx->last_rx);
			if (!vwifi_link_xmit(to, skb, origin)) {
				atomic_long_inc(&ap->tx_dropped);
				return false;
			}
			vwifi_stats_add(ap->stats, false, len);
			return true;
		}
	}
	return vwifi_rx_up(ap, rx, skb);
}

static bool vwifi_receive(struct vwifi_vif *dst, struct vwifi_peer *rx,
			  struct sk_buff *skb, const struct vwifi_vif *origin)
{
	if (vwifi_vif_is(dst, NL80211_IFTYPE_AP))
		return vwifi_ap_rx(dst, rx, skb, origin);
	return vwifi_rx_up(dst, rx, skb);
}

/* Group frames go over every link, unicast over the one to the receiver. */
static bool vwifi_bss_xmit(struct vwifi_vif *vif, struct sk_buff *skb)
{
	const u8 *da = ((const struct ethhdr *)skb->data)->h_dest;
	struct vwifi_peer *peer;
	bool sent;

	if (is_multicast_ether_addr(da)) {
		sent = vwifi_fanout(vif, skb, NULL, vif);
		consume_skb(skb);
		return sent;
	}
	peer = vwifi_peer_find(vif, da);
	if (!peer) {
		kfree_skb(skb);
		return false;
	}
	return vwifi_link_xmit(peer, skb, vif);
}

static netdev_tx_t vwifi_start_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct vwifi_vif *vif = netdev_priv(ndev);
	unsigned int len = skb->len;
	struct vwifi_peer *ap;
	bool sent = false;

	if (unlikely(!pskb_may_pull(skb, ETH_HLEN))) {
		kfree_skb(skb);
		goto out;
	}
	rcu_read_lock();
	switch (vif->wdev.iftype) {
	case NL80211_IFTYPE_STATION:
		/* A station sends everything to its AP */
		ap = rcu_dereference(vif->ap_link);
		if (ap)
			sent = vwifi_link_xmit(ap, skb, vif);
		else
			kfree_skb(skb);
		break;
	case NL80211_IFTYPE_AP:
	case NL80211_IFTYPE_ADHOC:
		sent = vwifi_bss_xmit(vif, skb);
		break;
	default:
		kfree_skb(skb);
		break;
	}
	rcu_read_unlock();
out:
	if (sent)
		vwifi_stats_add(vif->stats, false, len);
	else
		atomic_long_inc(&vif->tx_dropped);
	return NETDEV_TX_OK;
}

/* ------------------------------------------------------------------ */
/* Information elements and BSS entries                               */
/* ------------------------------------------------------------------ */

static u8 *vwifi_put_ie(u8 *pos, u8 id, const void *data, u8 len)
{
	*pos++ = id;
	*pos++ = len;
	memcpy(pos, data, len);
	return pos + len;
}

/* Supported (and extended supported) rates of @band, the mandatory ones basic */
static u8 *vwifi_put_rates(u8 *pos, const struct ieee80211_supported_band *band)
{
	u8 rates[16];
	int i, n = min_t(int, band->n_bitrates, ARRAY_SIZE(rates));

	for (i = 0; i < n; i++) {
		rates[i] = band->bitrates[i].bitrate / 5;
		if (band->bitrates[i].flags & (IEEE80211_RATE_MANDATORY_A |
					       IEEE80211_RATE_MANDATORY_B))
			rates[i] |= 0x80;
	}
	pos = vwifi_put_ie(pos, WLAN_EID_SUPP_RATES, rates, min(n, 8));
	if (n > 8)
		pos = vwifi_put_ie(pos, WLAN_EID_EXT_SUPP_RATES, rates + 8, n - 8);
	return pos;
}

#define VWIFI_RATES_IE_MAX	(2 + 8 + 2 + 8)

static struct ieee80211_supported_band *vwifi_band_of(struct wiphy *wiphy, u32 freq)
{
	struct ieee80211_channel *chan = ieee80211_get_channel(wiphy, freq);

	return chan ? wiphy->bands[chan->band] : NULL;
}

/*
 * IEs of @bss as a scanner sees them.  A hidden SSID is revealed only in
 * answer to a probe for it (@reveal).  Returns a kmalloc'ed buffer.
 */
static u8 *vwifi_bss_scan_ies(const struct vwifi_bss *bss, bool reveal, size_t *len)
{
	const u8 *rest = bss->ies;
	size_t rest_len = bss->ies_len;
	u8 *buf, *pos;

	if (!reveal || bss->hidden == NL80211_HIDDEN_SSID_NOT_IN_USE) {
		*len = bss->ies_len;
		return kmemdup(bss->ies, bss->ies_len, GFP_KERNEL);
	}
	/* Replace the beacon's empty or zeroed SSID element by the real one */
	if (rest_len >= 2 && rest[0] == WLAN_EID_SSID && 2 + rest[1] <= rest_len) {
		rest_len -= 2 + rest[1];
		rest += 2 + rest[1];
	}
	buf = kmalloc(2 + bss->ssid_len + rest_len, GFP_KERNEL);
	if (!buf)
		return NULL;
	pos = vwifi_put_ie(buf, WLAN_EID_SSID, bss->ssid, bss->ssid_len);
	memcpy(pos, rest, rest_len);
	*len = pos - buf + rest_len;
	return buf;
}

/*
 * Tell @vif's wiphy about the BSS @src runs, as seen by @vif.  Returns
 * a reference to the cfg80211 entry, or NULL.
 */
static struct cfg80211_bss *vwifi_inform_bss(struct vwifi_vif *vif,
					     struct vwifi_vif *src, bool reveal,
					     bool probe_resp)
{
	struct wiphy *wiphy = vif->wdev.wiphy;
	struct cfg80211_inform_bss data = {
		.signal = DBM_TO_MBM(vwifi_signal_dbm(vif, src)),
		.boottime_ns = ktime_get_boottime_ns(),
	};
	const struct vwifi_bss *bss = &src->bss;
	struct cfg80211_bss *cbss;
	size_t ies_len = 0;
	u8 *ies;

	data.chan = ieee80211_get_channel(wiphy, bss->freq);
	if (!data.chan)
		return NULL;
	ies = vwifi_bss_scan_ies(bss, reveal, &ies_len);
	if (!ies)
		return NULL;
	/* The TSF counts microseconds since boot, as the simulated air's clock */
	cbss = cfg80211_inform_bss_data(wiphy, &data,
					probe_resp ? CFG80211_BSS_FTYPE_PRESP :
						     CFG80211_BSS_FTYPE_BEACON,
					bss->bssid, div_u64(data.boottime_ns, 1000),
					bss->capability, bss->beacon_int, ies,
					ies_len, GFP_KERNEL);
	kfree(ies);
	return cbss;
}

static void vwifi_bss_clear(struct vwifi_bss *bss)
{
	kfree(bss->ies);
	kfree(bss->resp_ies);
	memset(bss, 0, sizeof(*bss));
}

static bool vwifi_bss_ssid_is(const struct vwifi_bss *bss, const u8 *ssid, size_t len)
{
	return bss->ssid_len == len && !memcmp(bss->ssid, ssid, len);
}

/* ------------------------------------------------------------------ */
/* Scan                                                               */
/* ------------------------------------------------------------------ */

static bool vwifi_scan_has_freq(const struct cfg80211_scan_request *req, u32 freq)
{
	u32 i;

	for (i = 0; i < req->n_channels; i++)
		if (req->channels[i]->center_freq == freq)
			return true;
	return false;
}

/* Whether the active scan @req probes for the SSID of @bss */
static bool vwifi_scan_probes(const struct cfg80211_scan_request *req,
			      const struct vwifi_bss *bss)
{
	int i;

	for (i = 0; i < req->n_ssids; i++)
		if (vwifi_bss_ssid_is(bss, req->ssids[i].ssid, req->ssids[i].ssid_len))
			return true;
	return false;
}

static void vwifi_scan_report(struct vwifi_vif *vif,
			      const struct cfg80211_scan_request *req)
{
	struct vwifi_vif *src;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(src, &vwifi_vifs, list) {
		bool probed;

		if (src == vif || !src->bss.active ||
		    vwifi_vif_is(src, NL80211_IFTYPE_STATION) ||
		    !vwifi_scan_has_freq(req, src->bss.freq) ||
		    vwifi_denied(vif, src))
			continue;
		if (!is_broadcast_ether_addr(req->bssid) &&
		    !ether_addr_equal(req->bssid, src->bss.bssid))
			continue;
		probed = vwifi_scan_probes(req, &src->bss);
		cfg80211_put_bss(vif->wdev.wiphy,
				 vwifi_inform_bss(vif, src, probed, req->n_ssids > 0));
	}
}

static void vwifi_scan_finish(struct vwifi_vif *vif, bool aborted)
{
	struct cfg80211_scan_info info = { .aborted = aborted };

	lockdep_assert_held(&vwifi_mutex);
	if (!vif->scan_req)
		return;
	if (!aborted)
		vwifi_scan_report(vif, vif->scan_req);
	cfg80211_scan_done(vif->scan_req, &info);
	vif->scan_req = NULL;
}

static void vwifi_scan_work(struct work_struct *work)
{
	struct vwifi_vif *vif = container_of(to_delayed_work(work),
					     struct vwifi_vif, scan_work);

	mutex_lock(&vwifi_mutex);
	vwifi_scan_finish(vif, false);
	mutex_unlock(&vwifi_mutex);
}

/* Abort a pending scan; never called with vwifi_mutex held */
static void vwifi_scan_abort(struct vwifi_vif *vif)
{
	cancel_delayed_work_sync(&vif->scan_work);
	mutex_lock(&vwifi_mutex);
	vwifi_scan_finish(vif, true);
	mutex_unlock(&vwifi_mutex);
}

/* Scans complete after a short dwell, from a work item, like hardware. */
static int vwifi_scan(struct wiphy *wiphy, struct cfg80211_scan_request *req)
{
	struct vwifi_vif *vif = container_of(req->wdev, struct vwifi_vif, wdev);

	mutex_lock(&vwifi_mutex);
	if (vif->scan_req) {
		mutex_unlock(&vwifi_mutex);
		return -EBUSY;
	}
	vif->scan_req = req;
	mutex_unlock(&vwifi_mutex);
	queue_delayed_work(vwifi_wq, &vif->scan_work,
			   msecs_to_jiffies(VWIFI_SCAN_DWELL_MS));
	return 0;
}

static void vwifi_abort_scan(struct wiphy *wiphy, struct wireless_dev *wdev)
{
	vwifi_scan_abort(container_of(wdev, struct vwifi_vif, wdev));
}

/* ------------------------------------------------------------------ */
/* Station (managed) mode                                             */
/* ------------------------------------------------------------------ */

static bool vwifi_ap_matches(const struct vwifi_vif *ap,
			     const struct cfg80211_connect_params *sme)
{
	const u8 *bssid = sme->bssid ?: sme->bssid_hint;
	const struct ieee80211_channel *chan = sme->channel ?: sme->channel_hint;

	return vwifi_vif_is(ap, NL80211_IFTYPE_AP) && ap->bss.active &&
	       vwifi_bss_ssid_is(&ap->bss, sme->ssid, sme->ssid_len) &&
	       (!bssid || ether_addr_equal(bssid, ap->bss.bssid)) &&
	       (!chan || chan->center_freq == ap->bss.freq);
}

static struct vwifi_vif *vwifi_find_ap(struct vwifi_vif *sta,
				       const struct cfg80211_connect_params *sme)
{
	struct vwifi_vif *ap;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(ap, &vwifi_vifs, list)
		if (ap != sta && vwifi_ap_matches(ap, sme) &&
		    !vwifi_denied(sta, ap) && !vwifi_denied(ap, sta))
			return ap;
	return NULL;
}

/* The (re)association request IEs: SSID, rates, then the caller's (RSN...) */
static u8 *vwifi_assoc_req_ies(struct vwifi_vif *sta, const struct vwifi_bss *bss,
			       const u8 *extra, size_t extra_len, size_t *len)
{
	struct ieee80211_supported_band *band = vwifi_band_of(sta->wdev.wiphy, bss->freq);
	u8 *buf, *pos;

	buf = kmalloc(2 + bss->ssid_len + VWIFI_RATES_IE_MAX + extra_len, GFP_KERNEL);
	if (!buf)
		return NULL;
	pos = vwifi_put_ie(buf, WLAN_EID_SSID, bss->ssid, bss->ssid_len);
	if (band)
		pos = vwifi_put_rates(pos, band);
	memcpy(pos, extra, extra_len);
	*len = pos - buf + extra_len;
	return buf;
}

static void vwifi_notify_new_sta(struct vwifi_vif *vif, const u8 *mac,
				 const u8 *ies, size_t ies_len)
{
	struct station_info *sinfo = kzalloc(sizeof(*sinfo), GFP_KERNEL);

	if (!sinfo)
		return;
	sinfo->assoc_req_ies = ies;
	sinfo->assoc_req_ies_len = ies_len;
	vwifi_cfg_new_sta(vif, mac, sinfo);
	kfree(sinfo);
}

/*
 * Associate @sta with the AP @ap.  The AP's SME (the device) accepts
 * every station; hostapd then runs 802.1X/4-way and authorizes it, or
 * removes it again.
 */
static int vwifi_associate(struct vwifi_vif *sta, struct vwifi_vif *ap,
			   const struct cfg80211_connect_params *sme)
{
	struct cfg80211_bss *cbss;
	struct vwifi_peer *link;
	size_t req_len = 0;
	u8 *req;

	lockdep_assert_held(&vwifi_mutex);
	req = vwifi_assoc_req_ies(sta, &ap->bss, sme->ie, sme->ie_len, &req_len);
	if (!req)
		return -ENOMEM;
	cbss = vwifi_inform_bss(sta, ap, true, true);
	if (!cbss) {
		kfree(req);
		return -ENOMEM;
	}
	/* A station controls its port when it runs 802.1X (control port) */
	link = vwifi_link(sta, ap, sme->crypto.control_port, ap->bss.secured);
	if (!link) {
		cfg80211_put_bss(sta->wdev.wiphy, cbss);
		kfree(req);
		return -ENOMEM;
	}
	rcu_assign_pointer(sta->ap_link, link);
	sta->bss.active = true;
	ether_addr_copy(sta->bss.bssid, ap->bss.bssid);
	memcpy(sta->bss.ssid, ap->bss.ssid, ap->bss.ssid_len);
	sta->bss.ssid_len = ap->bss.ssid_len;
	sta->bss.freq = ap->bss.freq;
	netif_carrier_on(sta->ndev);
	cfg80211_connect_bss(sta->ndev, ap->bss.bssid, cbss, req, req_len,
			     ap->bss.resp_ies, ap->bss.resp_ies_len,
			     WLAN_STATUS_SUCCESS, GFP_KERNEL,
			     NL80211_TIMEOUT_UNSPECIFIED);
	vwifi_notify_new_sta(ap, sta->ndev->dev_addr, req, req_len);
	kfree(req);
	return 0;
}

static int vwifi_connect(struct wiphy *wiphy, struct net_device *ndev,
			 struct cfg80211_connect_params *sme)
{
	struct vwifi_vif *sta = netdev_priv(ndev);
	struct vwifi_vif *ap;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	if (rcu_access_pointer(sta->ap_link)) {
		err = -EALREADY;
		goto out;
	}
	ap = vwifi_find_ap(sta, sme);
	if (ap)
		err = vwifi_associate(sta, ap, sme);
	else	/* Like hardware: the attempt fails after the fact */
		cfg80211_connect_timeout(ndev, sme->bssid, NULL, 0, GFP_KERNEL,
					 NL80211_TIMEOUT_SCAN);
out:
	mutex_unlock(&vwifi_mutex);
	return err;
}

/*
 * Tear down the association of the station end of @link.  @by_sta says
 * whether the station left (the AP's hostapd is told) or was removed by
 * the AP (the station's userspace is told, with @reason).
 */
static void vwifi_disassociate(struct vwifi_peer *link, u16 reason, bool by_sta)
{
	struct vwifi_vif *sta = link->owner;
	struct vwifi_vif *ap = link->vif;
	u8 sta_addr[ETH_ALEN];

	lockdep_assert_held(&vwifi_mutex);
	ether_addr_copy(sta_addr, link->twin->addr);
	vwifi_unlink(link);
	vwifi_bss_clear(&sta->bss);
	memset(sta->gtk, 0, sizeof(sta->gtk));
	netif_carrier_off(sta->ndev);
	cfg80211_disconnected(sta->ndev, reason, NULL, 0, by_sta, GFP_KERNEL);
	if (by_sta)
		vwifi_cfg_del_sta(ap, sta_addr);
}

static int vwifi_disconnect(struct wiphy *wiphy, struct net_device *ndev,
			    u16 reason_code)
{
	struct vwifi_vif *sta = netdev_priv(ndev);
	struct vwifi_peer *link;

	mutex_lock(&vwifi_mutex);
	link = rcu_dereference_protected(sta->ap_link, lockdep_is_held(&vwifi_mutex));
	if (link)
		vwifi_disassociate(link, reason_code, true);
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Access point mode                                                  */
/* ------------------------------------------------------------------ */

#define VWIFI_BEACON_FIXED_LEN	offsetof(struct ieee80211_mgmt, u.beacon.variable)

/* Take the IEs and capabilities of a beacon hostapd built */
static int vwifi_ap_set_beacon(struct vwifi_vif *ap,
			       const struct cfg80211_beacon_data *beacon)
{
	const struct ieee80211_mgmt *mgmt = (const void *)beacon->head;
	size_t head_ies = 0;
	u8 *ies, *resp = NULL;

	lockdep_assert_held(&vwifi_mutex);
	if (beacon->head) {
		if (beacon->head_len < VWIFI_BEACON_FIXED_LEN)
			return -EINVAL;
		head_ies = beacon->head_len - VWIFI_BEACON_FIXED_LEN;
	} else if (!ap->bss.ies) {
		return -EINVAL;
	} else {
		return 0;	/* no new beacon: keep the current one */
	}
	ies = kmalloc(head_ies + beacon->tail_len + 1, GFP_KERNEL);
	if (!ies)
		return -ENOMEM;
	if (beacon->assocresp_ies_len) {
		resp = kmemdup(beacon->assocresp_ies, beacon->assocresp_ies_len,
			       GFP_KERNEL);
		if (!resp) {
			kfree(ies);
			return -ENOMEM;
		}
	}
	memcpy(ies, mgmt->u.beacon.variable, head_ies);
	if (beacon->tail_len)
		memcpy(ies + head_ies, beacon->tail, beacon->tail_len);
	kfree(ap->bss.ies);
	ap->bss.ies = ies;
	ap->bss.ies_len = head_ies + beacon->tail_len;
	kfree(ap->bss.resp_ies);
	ap->bss.resp_ies = resp;
	ap->bss.resp_ies_len = beacon->assocresp_ies_len;
	ap->bss.capability = le16_to_cpu(mgmt->u.beacon.capab_info);
	return 0;
}

static int vwifi_start_ap(struct wiphy *wiphy, struct net_device *ndev,
			  struct cfg80211_ap_settings *settings)
{
	struct vwifi_vif *ap = netdev_priv(ndev);
	struct vwifi_bss *bss = &ap->bss;
	int err;

	if (!settings->ssid_len || settings->ssid_len > IEEE80211_MAX_SSID_LEN)
		return -EINVAL;
	mutex_lock(&vwifi_mutex);
	err = vwifi_ap_set_beacon(ap, &settings->beacon);
	if (err)
		goto out;
	memcpy(bss->ssid, settings->ssid, settings->ssid_len);
	bss->ssid_len = settings->ssid_len;
	bss->hidden = settings->hidden_ssid;
	bss->freq = settings->chandef.chan->center_freq;
	bss->beacon_int = settings->beacon_interval;
	bss->dtim_period = settings->dtim_period;
	bss->secured = settings->privacy || settings->crypto.wpa_versions;
	ether_addr_copy(bss->bssid, ndev->dev_addr);
	bss->active = true;
	netif_carrier_on(ndev);
out:
	mutex_unlock(&vwifi_mutex);
	return err;
}

static int vwifi_change_beacon(struct wiphy *wiphy, struct net_device *ndev,
			       VWIFI_AP_UPDATE *info)
{
	struct vwifi_vif *ap = netdev_priv(ndev);
	int err;

	mutex_lock(&vwifi_mutex);
	err = vwifi_ap_set_beacon(ap, vwifi_ap_update_beacon(info));
	mutex_unlock(&vwifi_mutex);
	return err;
}

/* Remove the stations matching @mac (all if NULL) from @ap, telling each */
static int vwifi_ap_remove_stations(struct vwifi_vif *ap, const u8 *mac, u16 reason)
{
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;
	int found = 0;

	lockdep_assert_held(&vwifi_mutex);
	hash_for_each_safe(ap->peers, bkt, tmp, peer, node) {
		if (mac && !ether_addr_equal(mac, peer->addr))
			continue;
		vwifi_disassociate(peer->twin, reason, false);
		found++;
	}
	return found;
}

static int vwifi_stop_ap(struct wiphy *wiphy, struct net_device *ndev,
			 unsigned int link_id)
{
	struct vwifi_vif *ap = netdev_priv(ndev);

	mutex_lock(&vwifi_mutex);
	vwifi_ap_remove_stations(ap, NULL, WLAN_REASON_DEAUTH_LEAVING);
	vwifi_bss_clear(&ap->bss);
	memset(ap->gtk, 0, sizeof(ap->gtk));
	ap->ap_isolate = false;
	netif_carrier_off(ndev);
	mutex_unlock(&vwifi_mutex);
	return 0;
}

static int vwifi_change_bss(struct wiphy *wiphy, struct net_device *ndev,
			    struct bss_parameters *params)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	if (params->ap_isolate >= 0)
		WRITE_ONCE(vif->ap_isolate, params->ap_isolate);
	return 0;
}

static int vwifi_del_station(struct wiphy *wiphy, VWIFI_OP_DEV,
			     struct station_del_parameters *params)
{
	struct vwifi_vif *vif = VWIFI_OP_VIF;
	const u8 *mac;
	int found;

	if (!vwifi_vif_is(vif, NL80211_IFTYPE_AP))
		return -EOPNOTSUPP;
	mac = params->mac && !is_broadcast_ether_addr(params->mac) ? params->mac : NULL;
	mutex_lock(&vwifi_mutex);
	found = vwifi_ap_remove_stations(vif, mac,
					 params->reason_code ?: WLAN_REASON_UNSPECIFIED);
	mutex_unlock(&vwifi_mutex);
	return mac && !found ? -ENOENT : 0;
}

static int vwifi_change_station(struct wiphy *wiphy, VWIFI_OP_DEV, const u8 *mac,
				struct station_parameters *params)
{
	struct vwifi_vif *vif = VWIFI_OP_VIF;
	struct vwifi_peer *peer;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	peer = vwifi_peer_find(vif, mac);
	if (!peer)
		err = -ENOENT;
	/* Without port control (an open BSS) the port stays open, whatever
	 * hostapd says at association time
	 */
	else if (peer->port_control &&
		 params->sta_flags_mask & BIT(NL80211_STA_FLAG_AUTHORIZED))
		WRITE_ONCE(peer->authorized,
			   !!(params->sta_flags_set & BIT(NL80211_STA_FLAG_AUTHORIZED)));
	mutex_unlock(&vwifi_mutex);
	return err;
}

/* ------------------------------------------------------------------ */
/* IBSS mode                                                          */
/* ------------------------------------------------------------------ */

/* An existing cell @params can join, preferring one on the given channel */
static struct vwifi_vif *vwifi_find_cell(struct vwifi_vif *vif,
					 const struct cfg80211_ibss_params *params)
{
	u32 freq = params->chandef.chan->center_freq;
	struct vwifi_vif *m, *found = NULL;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(m, &vwifi_vifs, list) {
		if (m == vif || !vwifi_vif_is(m, NL80211_IFTYPE_ADHOC) ||
		    !m->bss.active ||
		    !vwifi_bss_ssid_is(&m->bss, params->ssid, params->ssid_len) ||
		    (params->bssid && !ether_addr_equal(params->bssid, m->bss.bssid)))
			continue;
		if (m->bss.freq == freq)
			return m;
		if (!params->channel_fixed && !found &&
		    ieee80211_get_channel(vif->wdev.wiphy, m->bss.freq))
			found = m;
	}
	return found;
}

static int vwifi_ibss_build_ies(struct vwifi_vif *vif,
				const struct cfg80211_ibss_params *params)
{
	struct ieee80211_supported_band *band = vwifi_band_of(vif->wdev.wiphy,
							      vif->bss.freq);
	struct ieee80211_channel *chan = ieee80211_get_channel(vif->wdev.wiphy,
							       vif->bss.freq);
	u8 ds = ieee80211_frequency_to_channel(vif->bss.freq);
	__le16 atim = 0;
	u8 *pos;

	vif->bss.ies = kmalloc(2 + params->ssid_len + VWIFI_RATES_IE_MAX + 3 + 4 +
			       params->ie_len, GFP_KERNEL);
	if (!vif->bss.ies)
		return -ENOMEM;
	pos = vwifi_put_ie(vif->bss.ies, WLAN_EID_SSID, params->ssid, params->ssid_len);
	if (band)
		pos = vwifi_put_rates(pos, band);
	if (chan && chan->band == NL80211_BAND_2GHZ)
		pos = vwifi_put_ie(pos, WLAN_EID_DS_PARAMS, &ds, 1);
	pos = vwifi_put_ie(pos, WLAN_EID_IBSS_PARAMS, &atim, sizeof(atim));
	memcpy(pos, params->ie, params->ie_len);
	vif->bss.ies_len = pos - vif->bss.ies + params->ie_len;
	return 0;
}

/* Link @vif with every member of its cell; their userspace learns of it */
static void vwifi_ibss_meet(struct vwifi_vif *vif)
{
	struct vwifi_vif *m;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(m, &vwifi_vifs, list) {
		if (m == vif || !vwifi_vif_is(m, NL80211_IFTYPE_ADHOC) ||
		    !m->bss.active || m->bss.freq != vif->bss.freq ||
		    !ether_addr_equal(m->bss.bssid, vif->bss.bssid) ||
		    vwifi_peer_find(vif, m->ndev->dev_addr))
			continue;
		if (!vwifi_link(vif, m, vif->bss.secured, m->bss.secured))
			continue;
		vwifi_notify_new_sta(vif, m->ndev->dev_addr, NULL, 0);
		vwifi_notify_new_sta(m, vif->ndev->dev_addr, NULL, 0);
	}
}

static int vwifi_join_ibss(struct wiphy *wiphy, struct net_device *ndev,
			   struct cfg80211_ibss_params *params)
{
	struct vwifi_vif *vif = netdev_priv(ndev);
	struct vwifi_bss *bss = &vif->bss;
	struct ieee80211_channel *chan;
	struct cfg80211_bss *cbss;
	struct vwifi_vif *cell;
	int err;

	if (!params->ssid_len || params->ssid_len > IEEE80211_MAX_SSID_LEN)
		return -EINVAL;
	mutex_lock(&vwifi_mutex);
	vwifi_bss_clear(bss);
	cell = vwifi_find_cell(vif, params);
	if (cell) {
		ether_addr_copy(bss->bssid, cell->bss.bssid);
		bss->freq = cell->bss.freq;
		bss->beacon_int = cell->bss.beacon_int;
	} else {
		if (params->bssid)
			ether_addr_copy(bss->bssid, params->bssid);
		else
			eth_random_addr(bss->bssid);
		bss->freq = params->chandef.chan->center_freq;
		bss->beacon_int = params->beacon_interval;
	}
	memcpy(bss->ssid, params->ssid, params->ssid_len);
	bss->ssid_len = params->ssid_len;
	bss->secured = params->control_port;
	bss->capability = WLAN_CAPABILITY_IBSS |
			  (params->privacy ? WLAN_CAPABILITY_PRIVACY : 0);
	err = vwifi_ibss_build_ies(vif, params);
	if (err)
		goto out;
	bss->active = true;
	/* cfg80211 wants the cell in its BSS list before the join event */
	cbss = vwifi_inform_bss(vif, vif, false, false);
	if (!cbss) {
		vwifi_bss_clear(bss);
		err = -ENOMEM;
		goto out;
	}
	chan = cbss->channel;
	cfg80211_put_bss(wiphy, cbss);
	netif_carrier_on(ndev);
	cfg80211_ibss_joined(ndev, bss->bssid, chan, GFP_KERNEL);
	vwifi_ibss_meet(vif);
out:
	mutex_unlock(&vwifi_mutex);
	return err;
}

static void vwifi_ibss_leave(struct vwifi_vif *vif)
{
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;

	lockdep_assert_held(&vwifi_mutex);
	hash_for_each_safe(vif->peers, bkt, tmp, peer, node) {
		struct vwifi_vif *m = peer->vif;
		u8 addr[ETH_ALEN];

		ether_addr_copy(addr, peer->twin->addr);
		vwifi_unlink(peer);
		vwifi_cfg_del_sta(m, addr);
	}
	vwifi_bss_clear(&vif->bss);
	memset(vif->gtk, 0, sizeof(vif->gtk));
	netif_carrier_off(vif->ndev);
}

static int vwifi_leave_ibss(struct wiphy *wiphy, struct net_device *ndev)
{
	mutex_lock(&vwifi_mutex);
	vwifi_ibss_leave(netdev_priv(ndev));
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Keys: stored as userspace sets them; the medium needs no crypto     */
/* ------------------------------------------------------------------ */

/* The slot for a key, or an ERR_PTR.  Under vwifi_mutex. */
static struct vwifi_key *vwifi_key_slot(struct vwifi_vif *vif, u8 idx,
					bool pairwise, const u8 *mac)
{
	struct vwifi_peer *peer = NULL;

	lockdep_assert_held(&vwifi_mutex);
	if (mac && !is_broadcast_ether_addr(mac)) {
		peer = vwifi_peer_find(vif, mac);
		if (!peer)
			return ERR_PTR(-ENOENT);
	}
	if (pairwise) {
		if (!peer || idx >= VWIFI_NUM_PTKS)
			return ERR_PTR(-EINVAL);
		return &peer->ptk[idx];
	}
	if (idx >= VWIFI_NUM_KEYS)
		return ERR_PTR(-EINVAL);
	return peer ? &peer->gtk[idx] : &vif->gtk[idx];
}

static int vwifi_add_key(struct wiphy *wiphy, VWIFI_OP_DEV, int link_id,
			 u8 idx, bool pairwise, const u8 *mac,
			 struct key_params *params)
{
	struct vwifi_key *key;
	int err = 0;

	if (params->key_len > WLAN_MAX_KEY_LEN || params->seq_len > VWIFI_MAX_SEQ_LEN)
		return -EINVAL;
	mutex_lock(&vwifi_mutex);
	key = vwifi_key_slot(VWIFI_OP_VIF, idx, pairwise, mac);
	if (IS_ERR(key)) {
		err = PTR_ERR(key);
		goto out;
	}
	memset(key, 0, sizeof(*key));
	key->cipher = params->cipher;
	key->key_len = params->key_len;
	memcpy(key->key, params->key, params->key_len);
	key->seq_len = params->seq_len;
	if (params->seq)
		memcpy(key->seq, params->seq, params->seq_len);
out:
	mutex_unlock(&vwifi_mutex);
	return err;
}

static int vwifi_get_key(struct wiphy *wiphy, VWIFI_OP_DEV, int link_id,
			 u8 idx, bool pairwise, const u8 *mac, void *cookie,
			 void (*callback)(void *cookie, struct key_params *))
{
	struct key_params params = {};
	struct vwifi_key *key;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	key = vwifi_key_slot(VWIFI_OP_VIF, idx, pairwise, mac);
	if (IS_ERR(key)) {
		err = PTR_ERR(key);
	} else if (!key->cipher) {
		err = -ENOENT;
	} else {
		params.cipher = key->cipher;
		params.key = key->key;
		params.key_len = key->key_len;
		params.seq = key->seq;
		params.seq_len = key->seq_len;
		callback(cookie, &params);
	}
	mutex_unlock(&vwifi_mutex);
	return err;
}

static int vwifi_del_key(struct wiphy *wiphy, VWIFI_OP_DEV, int link_id,
			 u8 idx, bool pairwise, const u8 *mac)
{
	struct vwifi_key *key;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	key = vwifi_key_slot(VWIFI_OP_VIF, idx, pairwise, mac);
	if (IS_ERR(key))
		err = PTR_ERR(key);
	else
		memzero_explicit(key, sizeof(*key));
	mutex_unlock(&vwifi_mutex);
	return err;
}

static int vwifi_set_default_key(struct wiphy *wiphy, struct net_device *ndev,
				 int link_id, u8 idx, bool unicast, bool multicast)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	mutex_lock(&vwifi_mutex);
	vif->default_key = idx;
	mutex_unlock(&vwifi_mutex);
	return 0;
}

static int vwifi_set_default_mgmt_key(struct wiphy *wiphy, VWIFI_OP_DEV,
				      int link_id, u8 idx)
{
	struct vwifi_vif *vif = VWIFI_OP_VIF;

	mutex_lock(&vwifi_mutex);
	vif->default_mgmt_key = idx;
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Station information                                                */
/* ------------------------------------------------------------------ */

static void vwifi_fill_sinfo(const struct vwifi_peer *peer, struct station_info *sinfo)
{
	const struct vwifi_vif *owner = peer->owner;
	unsigned long last = max(READ_ONCE(peer->last_rx), READ_ONCE(peer->last_tx));
	struct vwifi_stats sum;

	vwifi_stats_read(peer->stats, &sum);
	sinfo->filled |= BIT_ULL(NL80211_STA_INFO_INACTIVE_TIME) |
			 BIT_ULL(NL80211_STA_INFO_CONNECTED_TIME) |
			 BIT_ULL(NL80211_STA_INFO_RX_BYTES64) |
			 BIT_ULL(NL80211_STA_INFO_TX_BYTES64) |
			 BIT_ULL(NL80211_STA_INFO_RX_PACKETS) |
			 BIT_ULL(NL80211_STA_INFO_TX_PACKETS) |
			 BIT_ULL(NL80211_STA_INFO_TX_FAILED) |
			 BIT_ULL(NL80211_STA_INFO_SIGNAL) |
			 BIT_ULL(NL80211_STA_INFO_SIGNAL_AVG) |
			 BIT_ULL(NL80211_STA_INFO_TX_BITRATE) |
			 BIT_ULL(NL80211_STA_INFO_RX_BITRATE) |
			 BIT_ULL(NL80211_STA_INFO_STA_FLAGS);
	sinfo->inactive_time = jiffies_to_msecs(jiffies - last);
	sinfo->connected_time = jiffies_to_msecs(jiffies - peer->linked_at) / MSEC_PER_SEC;
	sinfo->rx_bytes = sum.rx_bytes;
	sinfo->tx_bytes = sum.tx_bytes;
	sinfo->rx_packets = sum.rx_packets;
	sinfo->tx_packets = sum.tx_packets;
	sinfo->tx_failed = atomic_long_read(&peer->tx_failed);
	sinfo->signal = vwifi_signal_dbm(owner, peer->vif);
	sinfo->signal_avg = sinfo->signal;
	/* Legacy OFDM at its top rate, which every band of the wiphy has */
	sinfo->txrate.legacy = VWIFI_LEGACY_RATE;
	sinfo->rxrate.legacy = VWIFI_LEGACY_RATE;
	sinfo->sta_flags.mask = BIT(NL80211_STA_FLAG_AUTHORIZED) |
				BIT(NL80211_STA_FLAG_AUTHENTICATED) |
				BIT(NL80211_STA_FLAG_ASSOCIATED);
	sinfo->sta_flags.set = BIT(NL80211_STA_FLAG_AUTHENTICATED) |
			       BIT(NL80211_STA_FLAG_ASSOCIATED);
	if (READ_ONCE(peer->authorized))
		sinfo->sta_flags.set |= BIT(NL80211_STA_FLAG_AUTHORIZED);
	if (vwifi_vif_is(owner, NL80211_IFTYPE_STATION)) {
		const struct vwifi_bss *bss = &peer->vif->bss;

		sinfo->filled |= BIT_ULL(NL80211_STA_INFO_BSS_PARAM);
		sinfo->bss_param.dtim_period = bss->dtim_period;
		sinfo->bss_param.beacon_interval = bss->beacon_int;
		if (bss->capability & WLAN_CAPABILITY_SHORT_SLOT_TIME)
			sinfo->bss_param.flags |= BSS_PARAM_FLAGS_SHORT_SLOT_TIME;
	}
}

static int vwifi_get_station(struct wiphy *wiphy, VWIFI_OP_DEV, const u8 *mac,
			     struct station_info *sinfo)
{
	struct vwifi_peer *peer;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	peer = vwifi_peer_find(VWIFI_OP_VIF, mac);
	if (peer)
		vwifi_fill_sinfo(peer, sinfo);
	else
		err = -ENOENT;
	mutex_unlock(&vwifi_mutex);
	return err;
}

static int vwifi_dump_station(struct wiphy *wiphy, VWIFI_OP_DEV, int idx, u8 *mac,
			      struct station_info *sinfo)
{
	struct vwifi_vif *vif = VWIFI_OP_VIF;
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;
	int err = -ENOENT;

	mutex_lock(&vwifi_mutex);
	hash_for_each_safe(vif->peers, bkt, tmp, peer, node) {
		if (idx-- > 0)
			continue;
		ether_addr_copy(mac, peer->addr);
		vwifi_fill_sinfo(peer, sinfo);
		err = 0;
		goto out;	/* leaves both loops */
	}
out:
	mutex_unlock(&vwifi_mutex);
	return err;
}

/* ------------------------------------------------------------------ */
/* Interface type, transmit power and wiphy parameters                 */
/* ------------------------------------------------------------------ */

static int vwifi_change_virtual_intf(struct wiphy *wiphy, struct net_device *ndev,
				     enum nl80211_iftype type,
				     struct vif_params *params)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	switch (type) {
	case NL80211_IFTYPE_STATION:
	case NL80211_IFTYPE_AP:
	case NL80211_IFTYPE_ADHOC:
		break;
	default:
		return -EOPNOTSUPP;
	}
	/* Like hardware, the mode changes only while the interface is down */
	if (netif_running(ndev) && type != vif->wdev.iftype)
		return -EBUSY;
	mutex_lock(&vwifi_mutex);
	vif->wdev.iftype = type;
	mutex_unlock(&vwifi_mutex);
	return 0;
}

static int vwifi_set_tx_power(struct wiphy *wiphy, struct wireless_dev *wdev,
			      VWIFI_RADIO_IDX enum nl80211_tx_power_setting type,
			      int mbm)
{
	struct vwifi_radio *radio = wiphy_priv(wiphy);

	switch (type) {
	case NL80211_TX_POWER_AUTOMATIC:
		radio->tx_power_mbm = VWIFI_MAX_TXPOWER_MBM;
		return 0;
	case NL80211_TX_POWER_LIMITED:
		radio->tx_power_mbm = clamp(mbm, 0, VWIFI_MAX_TXPOWER_MBM);
		return 0;
	case NL80211_TX_POWER_FIXED:
		if (mbm < 0 || mbm > VWIFI_MAX_TXPOWER_MBM)
			return -EINVAL;
		radio->tx_power_mbm = mbm;
		return 0;
	}
	return -EINVAL;
}

static int vwifi_get_tx_power(struct wiphy *wiphy, struct wireless_dev *wdev,
			      VWIFI_RADIO_IDX VWIFI_TXPOWER_LINK int *dbm)
{
	struct vwifi_radio *radio = wiphy_priv(wiphy);

	*dbm = MBM_TO_DBM(radio->tx_power_mbm);
	return 0;
}

/* RTS, fragmentation and retry limits: cfg80211 keeps them; nothing to apply */
static int vwifi_set_wiphy_params(struct wiphy *wiphy, VWIFI_RADIO_IDX u32 changed)
{
	return 0;
}

static const struct cfg80211_ops vwifi_cfg_ops = {
	.change_virtual_intf = vwifi_change_virtual_intf,
	.scan = vwifi_scan,
	.abort_scan = vwifi_abort_scan,
	.connect = vwifi_connect,
	.disconnect = vwifi_disconnect,
	.start_ap = vwifi_start_ap,
	.change_beacon = vwifi_change_beacon,
	.stop_ap = vwifi_stop_ap,
	.change_bss = vwifi_change_bss,
	.del_station = vwifi_del_station,
	.change_station = vwifi_change_station,
	.get_station = vwifi_get_station,
	.dump_station = vwifi_dump_station,
	.join_ibss = vwifi_join_ibss,
	.leave_ibss = vwifi_leave_ibss,
	.add_key = vwifi_add_key,
	.get_key = vwifi_get_key,
	.del_key = vwifi_del_key,
	.set_default_key = vwifi_set_default_key,
	.set_default_mgmt_key = vwifi_set_default_mgmt_key,
	.set_tx_power = vwifi_set_tx_power,
	.get_tx_power = vwifi_get_tx_power,
	.set_wiphy_params = vwifi_set_wiphy_params,
};

/* ------------------------------------------------------------------ */
/* net_device                                                         */
/* ------------------------------------------------------------------ */

static int vwifi_ndo_open(struct net_device *ndev)
{
	netif_carrier_off(ndev);	/* on once associated, started or joined */
	netif_start_queue(ndev);
	return 0;
}

static int vwifi_ndo_stop(struct net_device *ndev)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	/* cfg80211 has already disconnected, stopped the AP or left the cell */
	vwifi_scan_abort(vif);
	netif_stop_queue(ndev);
	netif_carrier_off(ndev);
	return 0;
}

static void vwifi_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *st)
{
	struct vwifi_vif *vif = netdev_priv(ndev);
	struct vwifi_stats sum;

	vwifi_stats_read(vif->stats, &sum);
	st->rx_packets = sum.rx_packets;
	st->rx_bytes = sum.rx_bytes;
	st->tx_packets = sum.tx_packets;
	st->tx_bytes = sum.tx_bytes;
	st->tx_dropped = atomic_long_read(&vif->tx_dropped);
	st->rx_dropped = atomic_long_read(&vif->rx_dropped);
}

static int vwifi_ndo_init(struct net_device *ndev)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	vif->stats = netdev_alloc_pcpu_stats(struct vwifi_pcpu_stats);
	return vif->stats ? 0 : -ENOMEM;
}

/* Unregistering: drop every link so nobody sends here any more */
static void vwifi_ndo_uninit(struct net_device *ndev)
{
	struct vwifi_vif *vif = netdev_priv(ndev);
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;

	cancel_delayed_work_sync(&vif->scan_work);
	mutex_lock(&vwifi_mutex);
	vwifi_scan_finish(vif, true);
	hash_for_each_safe(vif->peers, bkt, tmp, peer, node)
		vwifi_unlink(peer);
	vwifi_bss_clear(&vif->bss);
	vwifi_deny_forget(vif);
	list_del_init(&vif->list);
	if (vif->radio->vif == vif)
		vif->radio->vif = NULL;
	mutex_unlock(&vwifi_mutex);
}

/* Runs after the unregistration's RCU grace period */
static void vwifi_ndev_destructor(struct net_device *ndev)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	free_percpu(vif->stats);
}

static const struct net_device_ops vwifi_netdev_ops = {
	.ndo_init = vwifi_ndo_init,
	.ndo_uninit = vwifi_ndo_uninit,
	.ndo_open = vwifi_ndo_open,
	.ndo_stop = vwifi_ndo_stop,
	.ndo_start_xmit = vwifi_start_xmit,
	.ndo_get_stats64 = vwifi_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void vwifi_ndev_setup(struct net_device *ndev)
{
	ether_setup(ndev);
	ndev->netdev_ops = &vwifi_netdev_ops;
	ndev->needs_free_netdev = true;
	ndev->priv_destructor = vwifi_ndev_destructor;
	ndev->priv_flags |= IFF_NO_QUEUE;
	/* Frames never leave the machine: offer the offloads veth offers */
	ndev->features |= NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HW_CSUM |
			  NETIF_F_RXCSUM | NETIF_F_HIGHDMA | NETIF_F_GSO_SOFTWARE;
	ndev->hw_features = ndev->features;
	ndev->hw_enc_features = ndev->features;
	vwifi_compat_netdev_flags(ndev);
}

/* ------------------------------------------------------------------ */
/* Denylist and control family                                        */
/* ------------------------------------------------------------------ */

#define VWIFI_DENY_HASH_BITS	6
#define VWIFI_DENY_MAX		4096

/*
 * A denylist pair: @rx drops every frame @tx sends.  Added and removed
 * under vwifi_mutex, looked up under RCU on the data path, where the
 * pointers are only compared.  A pair goes (vwifi_deny_forget) before
 * either of its interfaces does.
 */
struct vwifi_deny {
	struct hlist_node node;		/* in vwifi_deny_hash */
	struct list_head list;		/* in vwifi_deny_list, oldest first */
	struct rcu_head rcu;
	struct vwifi_vif *rx;
	struct vwifi_vif *tx;
};

static DEFINE_HASHTABLE(vwifi_deny_hash, VWIFI_DENY_HASH_BITS);
static LIST_HEAD(vwifi_deny_list);	/* under vwifi_mutex */
/* Written under vwifi_mutex; read locklessly by vwifi_denied() */
static unsigned int vwifi_deny_count;
/* Under vwifi_mutex: bumped on every change, for dump consistency */
static unsigned int vwifi_deny_gen;

static u64 vwifi_deny_key(const struct vwifi_vif *rx, const struct vwifi_vif *tx)
{
	return (u64)rx->id << 32 | tx->id;
}

/* Under RCU or vwifi_mutex */
static struct vwifi_deny *vwifi_deny_find(const struct vwifi_vif *rx,
					  const struct vwifi_vif *tx)
{
	struct vwifi_deny *d;

	hash_for_each_possible_rcu(vwifi_deny_hash, d, node, vwifi_deny_key(rx, tx),
				   lockdep_is_held(&vwifi_mutex))
		if (d->rx == rx && d->tx == tx)
			return d;
	return NULL;
}

/* Whether @rx drops everything @tx sends.  Under RCU or vwifi_mutex. */
static bool vwifi_denied(const struct vwifi_vif *rx, const struct vwifi_vif *tx)
{
	/* An empty denylist costs one load */
	if (likely(!READ_ONCE(vwifi_deny_count)))
		return false;
	return vwifi_deny_find(rx, tx);
}

static int vwifi_deny_add(struct vwifi_vif *rx, struct vwifi_vif *tx,
			  struct netlink_ext_ack *extack)
{
	struct vwifi_deny *d;

	lockdep_assert_held(&vwifi_mutex);
	if (vwifi_deny_find(rx, tx)) {
		NL_SET_ERR_MSG(extack, "pair already in the denylist");
		return -EEXIST;
	}
	if (vwifi_deny_count >= VWIFI_DENY_MAX) {
		NL_SET_ERR_MSG(extack, "denylist full");
		return -ENOSPC;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->rx = rx;
	d->tx = tx;
	list_add_tail(&d->list, &vwifi_deny_list);
	hash_add_rcu(vwifi_deny_hash, &d->node, vwifi_deny_key(rx, tx));
	WRITE_ONCE(vwifi_deny_count, vwifi_deny_count + 1);
	vwifi_deny_gen++;
	return 0;
}

static void vwifi_deny_remove(struct vwifi_deny *d)
{
	lockdep_assert_held(&vwifi_mutex);
	hash_del_rcu(&d->node);
	list_del(&d->list);
	WRITE_ONCE(vwifi_deny_count, vwifi_deny_count - 1);
	vwifi_deny_gen++;
	kfree_rcu(d, rcu);
}

/* Remove the pairs @vif is part of (all pairs if @vif is NULL) */
static void vwifi_deny_forget(const struct vwifi_vif *vif)
{
	struct vwifi_deny *d, *tmp;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry_safe(d, tmp, &vwifi_deny_list, list)
		if (!vif || d->rx == vif || d->tx == vif)
			vwifi_deny_remove(d);
}

/*
 * The generic netlink family (vwifi_nl.h).  Handlers take rtnl (stable
 * names, indexes and namespaces), then vwifi_mutex; the core does not
 * serialise them (parallel_ops).
 */
static struct genl_family vwifi_nl_family;

/* Callers without CAP_NET_ADMIN see the interfaces of their netns only */
static bool vwifi_nl_visible(const struct vwifi_vif *vif, struct net *net, bool admin)
{
	return admin || net_eq(dev_net(vif->ndev), net);
}

/* @dev's vwifi interface, or NULL.  Under rtnl and vwifi_mutex. */
static struct vwifi_vif *vwifi_nl_dev_vif(struct net_device *dev)
{
	struct vwifi_vif *vif;

	if (!dev || dev->netdev_ops != &vwifi_netdev_ops)
		return NULL;
	vif = netdev_priv(dev);
	return list_empty(&vif->list) ? NULL : vif;
}

static struct vwifi_vif *vwifi_nl_vif_by_index(struct net *net, const struct nlattr *attr,
					       struct netlink_ext_ack *extack)
{
	struct net_device *dev = __dev_get_by_index(net, nla_get_u32(attr));
	struct vwifi_vif *vif = vwifi_nl_dev_vif(dev);

	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "no interface with this index in the caller's netns");
		return ERR_PTR(-ENODEV);
	}
	if (!vif) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "not a vwifi interface");
		return ERR_PTR(-EINVAL);
	}
	return vif;
}

/* In the caller's netns first, then among all vwifi interfaces if unique */
static struct vwifi_vif *vwifi_nl_vif_by_name(struct net *net, const struct nlattr *attr,
					      struct netlink_ext_ack *extack)
{
	struct vwifi_vif *vif, *found = NULL;
	struct net_device *dev;
	char name[IFNAMSIZ];

	nla_strscpy(name, attr, sizeof(name));
	dev = __dev_get_by_name(net, name);
	if (vwifi_nl_dev_vif(dev))
		return vwifi_nl_dev_vif(dev);
	list_for_each_entry(vif, &vwifi_vifs, list) {
		if (strcmp(vif->ndev->name, name))
			continue;
		if (found) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "ambiguous name: vwifi interfaces in several netns have it; name it by index from its netns");
			return ERR_PTR(-EINVAL);
		}
		found = vif;
	}
	if (found)
		return found;
	if (dev) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "not a vwifi interface");
		return ERR_PTR(-EINVAL);
	}
	NL_SET_ERR_MSG_ATTR(extack, attr, "no vwifi interface with this name");
	return ERR_PTR(-ENODEV);
}

/* The interface one end of a pair names, by name or by index, not both */
static struct vwifi_vif *vwifi_nl_vif(struct genl_info *info, int name_type,
				      int index_type)
{
	struct nlattr *name = info->attrs[name_type];
	struct nlattr *index = info->attrs[index_type];

	ASSERT_RTNL();
	lockdep_assert_held(&vwifi_mutex);
	if (name && index) {
		NL_SET_ERR_MSG_ATTR(info->extack, index,
				    "name an interface by its name or its index, not both");
		return ERR_PTR(-EINVAL);
	}
	if (index)
		return vwifi_nl_vif_by_index(genl_info_net(info), index, info->extack);
	if (name)
		return vwifi_nl_vif_by_name(genl_info_net(info), name, info->extack);
	if (name_type == VWIFI_ATTR_DST_IFNAME)
		NL_SET_ERR_MSG(info->extack, "missing destination interface (name or index)");
	else
		NL_SET_ERR_MSG(info->extack, "missing source interface (name or index)");
	return ERR_PTR(-EINVAL);
}

/* The pair a DENY_ADD or DENY_DEL request names.  Under rtnl and vwifi_mutex. */
static int vwifi_nl_pair(struct genl_info *info, struct vwifi_vif **rx,
			 struct vwifi_vif **tx)
{
	*rx = vwifi_nl_vif(info, VWIFI_ATTR_DST_IFNAME, VWIFI_ATTR_DST_IFINDEX);
	if (IS_ERR(*rx))
		return PTR_ERR(*rx);
	*tx = vwifi_nl_vif(info, VWIFI_ATTR_SRC_IFNAME, VWIFI_ATTR_SRC_IFINDEX);
	if (IS_ERR(*tx))
		return PTR_ERR(*tx);
	if (*rx == *tx) {
		NL_SET_ERR_MSG(info->extack, "an interface cannot deny itself");
		return -EINVAL;
	}
	return 0;
}

static int vwifi_nl_deny_add(struct sk_buff *skb, struct genl_info *info)
{
	struct vwifi_vif *rx, *tx;
	int err;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	err = vwifi_nl_pair(info, &rx, &tx);
	if (!err)
		err = vwifi_deny_add(rx, tx, info->extack);
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	return err;
}

static int vwifi_nl_deny_del(struct sk_buff *skb, struct genl_info *info)
{
	struct vwifi_vif *rx, *tx;
	struct vwifi_deny *d;
	int err;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	err = vwifi_nl_pair(info, &rx, &tx);
	if (!err) {
		d = vwifi_deny_find(rx, tx);
		if (d) {
			vwifi_deny_remove(d);
		} else {
			NL_SET_ERR_MSG(info->extack, "pair not in the denylist");
			err = -ENOENT;
		}
	}
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	return err;
}

static int vwifi_nl_deny_clear(struct sk_buff *skb, struct genl_info *info)
{
	mutex_lock(&vwifi_mutex);
	vwifi_deny_forget(NULL);
	mutex_unlock(&vwifi_mutex);
	return 0;
}

static int vwifi_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	bool admin = netlink_capable(skb, CAP_NET_ADMIN);
	struct net *net = genl_info_net(info);
	u32 n_ifaces = 0, n_deny = 0;
	struct vwifi_deny *d;
	struct vwifi_vif *vif;
	struct sk_buff *msg;
	void *hdr;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	list_for_each_entry(vif, &vwifi_vifs, list)
		n_ifaces += vwifi_nl_visible(vif, net, admin);
	list_for_each_entry(d, &vwifi_deny_list, list)
		n_deny += vwifi_nl_visible(d->rx, net, admin) &&
			  vwifi_nl_visible(d->tx, net, admin);
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vwifi_nl_family, 0, VWIFI_CMD_GET_STATUS);
	if (!hdr ||
	    nla_put_u32(msg, VWIFI_ATTR_VERSION, VWIFI_GENL_VERSION) ||
	    nla_put_u32(msg, VWIFI_ATTR_NUM_IFACES, n_ifaces) ||
	    nla_put_u32(msg, VWIFI_ATTR_NUM_DENY, n_deny) ||
	    nla_put_u32(msg, VWIFI_ATTR_DENY_MAX, VWIFI_DENY_MAX)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int vwifi_nl_put_iface(struct sk_buff *skb, const struct vwifi_vif *vif,
			      int name_type, int index_type, int netns_type)
{
	const struct net_device *ndev = vif->ndev;

	if (nla_put_string(skb, name_type, ndev->name) ||
	    nla_put_u32(skb, index_type, ndev->ifindex) ||
	    nla_put_u32(skb, netns_type, dev_net(ndev)->ns.inum))
		return -EMSGSIZE;
	return 0;
}

static void *vwifi_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &vwifi_nl_family, NLM_F_MULTI, cmd);
}

static int vwifi_nl_dump_one_iface(struct sk_buff *skb, struct netlink_callback *cb,
				   const struct vwifi_vif *vif)
{
	void *hdr = vwifi_nl_dump_put(skb, cb, VWIFI_CMD_GET_IFACE);

	if (!hdr)
		return -EMSGSIZE;
	if (vwifi_nl_put_iface(skb, vif, VWIFI_ATTR_IFNAME, VWIFI_ATTR_IFINDEX,
			       VWIFI_ATTR_NETNS_INUM) ||
	    nla_put_u32(skb, VWIFI_ATTR_IFTYPE, vif->wdev.iftype)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args[0]: how many visible interfaces earlier calls sent */
static int vwifi_nl_dump_iface(struct sk_buff *skb, struct netlink_callback *cb)
{
	bool admin = netlink_capable(cb->skb, CAP_NET_ADMIN);
	struct net *net = sock_net(skb->sk);
	long idx = 0, start = cb->args[0];
	struct vwifi_vif *vif;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	list_for_each_entry(vif, &vwifi_vifs, list) {
		if (!vwifi_nl_visible(vif, net, admin) || idx++ < start)
			continue;
		if (vwifi_nl_dump_one_iface(skb, cb, vif)) {
			idx--;
			break;
		}
	}
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	cb->args[0] = idx;
	return skb->len;
}

static int vwifi_nl_dump_one_deny(struct sk_buff *skb, struct netlink_callback *cb,
				  const struct vwifi_deny *d)
{
	void *hdr = vwifi_nl_dump_put(skb, cb, VWIFI_CMD_DENY_GET);

	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (vwifi_nl_put_iface(skb, d->rx, VWIFI_ATTR_DST_IFNAME, VWIFI_ATTR_DST_IFINDEX,
			       VWIFI_ATTR_DST_NETNS_INUM) ||
	    vwifi_nl_put_iface(skb, d->tx, VWIFI_ATTR_SRC_IFNAME, VWIFI_ATTR_SRC_IFINDEX,
			       VWIFI_ATTR_SRC_NETNS_INUM)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args[0]: how many visible pairs earlier calls sent */
static int vwifi_nl_dump_deny(struct sk_buff *skb, struct netlink_callback *cb)
{
	bool admin = netlink_capable(cb->skb, CAP_NET_ADMIN);
	struct net *net = sock_net(skb->sk);
	long idx = 0, start = cb->args[0];
	struct vwifi_deny *d;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	cb->seq = vwifi_deny_gen;
	list_for_each_entry(d, &vwifi_deny_list, list) {
		if (!vwifi_nl_visible(d->rx, net, admin) ||
		    !vwifi_nl_visible(d->tx, net, admin) || idx++ < start)
			continue;
		if (vwifi_nl_dump_one_deny(skb, cb, d)) {
			idx--;
			break;
		}
	}
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	cb->args[0] = idx;
	return skb->len;
}

/* Commands that take no attribute: strict validation refuses every one */
static const struct nla_policy vwifi_nl_policy_none[VWIFI_ATTR_MAX + 1] = {};

static const struct nla_policy vwifi_nl_policy_pair[VWIFI_ATTR_MAX + 1] = {
	[VWIFI_ATTR_DST_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[VWIFI_ATTR_DST_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[VWIFI_ATTR_SRC_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[VWIFI_ATTR_SRC_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* No .validate flags: strict validation, reserved header bytes zero */
static const struct genl_ops vwifi_nl_ops[] = {
	{
		.cmd = VWIFI_CMD_GET_STATUS,
		.doit = vwifi_nl_get_status,
		.policy = vwifi_nl_policy_none,
		.maxattr = VWIFI_ATTR_MAX,
	},
	{
		.cmd = VWIFI_CMD_GET_IFACE,
		.dumpit = vwifi_nl_dump_iface,
		.policy = vwifi_nl_policy_none,
		.maxattr = VWIFI_ATTR_MAX,
	},
	{
		.cmd = VWIFI_CMD_DENY_ADD,
		.doit = vwifi_nl_deny_add,
		.policy = vwifi_nl_policy_pair,
		.maxattr = VWIFI_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VWIFI_CMD_DENY_DEL,
		.doit = vwifi_nl_deny_del,
		.policy = vwifi_nl_policy_pair,
		.maxattr = VWIFI_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VWIFI_CMD_DENY_CLEAR,
		.doit = vwifi_nl_deny_clear,
		.policy = vwifi_nl_policy_none,
		.maxattr = VWIFI_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VWIFI_CMD_DENY_GET,
		.dumpit = vwifi_nl_dump_deny,
		.policy = vwifi_nl_policy_none,
		.maxattr = VWIFI_ATTR_MAX,
	},
};

/*
 * resv_start_op stays 0: every command is new-style (strict checks of
 * the header's reserved bytes, no legacy validation).  Registered last
 * at module load, unregistered first at unload, which waits for running
 * requests.
 */
static struct genl_family vwifi_nl_family __ro_after_init = {
	.name = VWIFI_GENL_NAME,
	.version = VWIFI_GENL_VERSION,
	.maxattr = VWIFI_ATTR_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = vwifi_nl_ops,
	.n_ops = ARRAY_SIZE(vwifi_nl_ops),
};

/* ------------------------------------------------------------------ */
/* Interfaces and radios                                              */
/* ------------------------------------------------------------------ */

#define VWIFI_RATE(r, f) { .bitrate = (r), .flags = (f) }

static struct ieee80211_rate vwifi_rates[] = {
	VWIFI_RATE(10, IEEE80211_RATE_MANDATORY_B),
	VWIFI_RATE(20, IEEE80211_RATE_MANDATORY_B | IEEE80211_RATE_SHORT_PREAMBLE),
	VWIFI_RATE(55, IEEE80211_RATE_MANDATORY_B | IEEE80211_RATE_SHORT_PREAMBLE),
	VWIFI_RATE(110, IEEE80211_RATE_MANDATORY_B | IEEE80211_RATE_SHORT_PREAMBLE),
	VWIFI_RATE(60, IEEE80211_RATE_MANDATORY_A | IEEE80211_RATE_MANDATORY_G),
	VWIFI_RATE(90, 0),
	VWIFI_RATE(120, IEEE80211_RATE_MANDATORY_A | IEEE80211_RATE_MANDATORY_G),
	VWIFI_RATE(180, 0),
	VWIFI_RATE(240, IEEE80211_RATE_MANDATORY_A | IEEE80211_RATE_MANDATORY_G),
	VWIFI_RATE(360, 0),
	VWIFI_RATE(480, 0),
	VWIFI_RATE(540, 0),
};

#define VWIFI_CHAN(b, f, fl) { .band = (b), .center_freq = (f), \
			       .max_power = 20, .flags = (fl) }

static const struct ieee80211_channel vwifi_channels_2ghz[] = {
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2412, 0), VWIFI_CHAN(NL80211_BAND_2GHZ, 2417, 0),
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2422, 0), VWIFI_CHAN(NL80211_BAND_2GHZ, 2427, 0),
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2432, 0), VWIFI_CHAN(NL80211_BAND_2GHZ, 2437, 0),
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2442, 0), VWIFI_CHAN(NL80211_BAND_2GHZ, 2447, 0),
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2452, 0), VWIFI_CHAN(NL80211_BAND_2GHZ, 2457, 0),
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2462, 0),
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2467, IEEE80211_CHAN_NO_IR),
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2472, IEEE80211_CHAN_NO_IR),
	VWIFI_CHAN(NL80211_BAND_2GHZ, 2484, IEEE80211_CHAN_NO_IR),
};

static const struct ieee80211_channel vwifi_channels_5ghz[] = {
	VWIFI_CHAN(NL80211_BAND_5GHZ, 5180, 0), VWIFI_CHAN(NL80211_BAND_5GHZ, 5200, 0),
	VWIFI_CHAN(NL80211_BAND_5GHZ, 5220, 0), VWIFI_CHAN(NL80211_BAND_5GHZ, 5240, 0),
	VWIFI_CHAN(NL80211_BAND_5GHZ, 5260, 0), VWIFI_CHAN(NL80211_BAND_5GHZ, 5280, 0),
	VWIFI_CHAN(NL80211_BAND_5GHZ, 5300, 0), VWIFI_CHAN(NL80211_BAND_5GHZ, 5320, 0),
	VWIFI_CHAN(NL80211_BAND_5GHZ, 5745, 0), VWIFI_CHAN(NL80211_BAND_5GHZ, 5765, 0),
	VWIFI_CHAN(NL80211_BAND_5GHZ, 5785, 0), VWIFI_CHAN(NL80211_BAND_5GHZ, 5805, 0),
};

static const u32 vwifi_cipher_suites[] = {
	WLAN_CIPHER_SUITE_WEP40,
	WLAN_CIPHER_SUITE_WEP104,
	WLAN_CIPHER_SUITE_TKIP,
	WLAN_CIPHER_SUITE_CCMP,
	WLAN_CIPHER_SUITE_CCMP_256,
	WLAN_CIPHER_SUITE_GCMP,
	WLAN_CIPHER_SUITE_GCMP_256,
	WLAN_CIPHER_SUITE_AES_CMAC,
};

/* One spatial stream of HT20 with short GI: MCS 0-7 */
static void vwifi_band_init(struct ieee80211_supported_band *band,
			    enum nl80211_band id, struct ieee80211_channel *chans,
			    const struct ieee80211_channel *tmpl, int n_chans)
{
	memcpy(chans, tmpl, n_chans * sizeof(*chans));
	band->band = id;
	band->channels = chans;
	band->n_channels = n_chans;
	/* 5 GHz has no DSSS/CCK rates */
	band->bitrates = id == NL80211_BAND_2GHZ ? vwifi_rates : vwifi_rates + 4;
	band->n_bitrates = id == NL80211_BAND_2GHZ ? ARRAY_SIZE(vwifi_rates) :
						     ARRAY_SIZE(vwifi_rates) - 4;
	band->ht_cap.ht_supported = true;
	band->ht_cap.cap = IEEE80211_HT_CAP_SGI_20;
	band->ht_cap.ampdu_factor = IEEE80211_HT_MAX_AMPDU_64K;
	band->ht_cap.ampdu_density = IEEE80211_HT_MPDU_DENSITY_NONE;
	band->ht_cap.mcs.rx_mask[0] = 0xff;
	band->ht_cap.mcs.tx_params = IEEE80211_HT_MCS_TX_DEFINED;
}

/* Stable, locally administered address derived from the index */
static void vwifi_radio_addr(int index, u8 *addr)
{
	addr[0] = 0x02;
	addr[1] = 'v';
	addr[2] = 'w';
	addr[3] = (index >> 16) & 0xff;
	addr[4] = (index >> 8) & 0xff;
	addr[5] = index & 0xff;
}

static struct vwifi_radio *vwifi_radio_new(int index)
{
	struct vwifi_radio *radio;
	char name[sizeof("vw_phy") + 11];
	struct wiphy *wiphy;
	int err;

	snprintf(name, sizeof(name), "vw_phy%d", index);
	wiphy = wiphy_new_nm(&vwifi_cfg_ops, sizeof(*radio), name);
	if (!wiphy)
		return ERR_PTR(-ENOMEM);
	radio = wiphy_priv(wiphy);
	radio->wiphy = wiphy;
	radio->index = index;
	radio->tx_power_mbm = VWIFI_MAX_TXPOWER_MBM;
	INIT_LIST_HEAD(&radio->list);

	vwifi_radio_addr(index, wiphy->perm_addr);
	wiphy->interface_modes = BIT(NL80211_IFTYPE_STATION) |
				 BIT(NL80211_IFTYPE_AP) |
				 BIT(NL80211_IFTYPE_ADHOC);
	wiphy->flags |= WIPHY_FLAG_NETNS_OK | WIPHY_FLAG_HAVE_AP_SME |
			WIPHY_FLAG_IBSS_RSN;
	wiphy->signal_type = CFG80211_SIGNAL_TYPE_MBM;
	wiphy->max_scan_ssids = 16;
	wiphy->max_scan_ie_len = IEEE80211_MAX_DATA_LEN;
	wiphy->cipher_suites = vwifi_cipher_suites;
	wiphy->n_cipher_suites = ARRAY_SIZE(vwifi_cipher_suites);
	wiphy->retry_short = 7;
	wiphy->retry_long = 4;
	vwifi_band_init(&radio->band_2ghz, NL80211_BAND_2GHZ, radio->channels_2ghz,
			vwifi_channels_2ghz, ARRAY_SIZE(vwifi_channels_2ghz));
	vwifi_band_init(&radio->band_5ghz, NL80211_BAND_5GHZ, radio->channels_5ghz,
			vwifi_channels_5ghz, ARRAY_SIZE(vwifi_channels_5ghz));
	wiphy->bands[NL80211_BAND_2GHZ] = &radio->band_2ghz;
	wiphy->bands[NL80211_BAND_5GHZ] = &radio->band_5ghz;

	err = wiphy_register(wiphy);
	if (err) {
		wiphy_free(wiphy);
		return ERR_PTR(err);
	}
	return radio;
}

static void vwifi_radio_free(struct vwifi_radio *radio)
{
	struct wiphy *wiphy = radio->wiphy;

	wiphy_unregister(wiphy);
	wiphy_free(wiphy);
}

/* Create the radio's interface, in station mode.  Under rtnl. */
static int vwifi_vif_create(struct vwifi_radio *radio)
{
	static u32 next_id;
	struct net_device *ndev;
	struct vwifi_vif *vif;
	int err;

	ASSERT_RTNL();
	ndev = alloc_netdev(sizeof(*vif), "vw%d", NET_NAME_ENUM, vwifi_ndev_setup);
	if (!ndev)
		return -ENOMEM;
	vif = netdev_priv(ndev);
	vif->ndev = ndev;
	vif->radio = radio;
	vif->id = next_id++;
	INIT_LIST_HEAD(&vif->list);
	hash_init(vif->peers);
	INIT_DELAYED_WORK(&vif->scan_work, vwifi_scan_work);
	vif->wdev.wiphy = radio->wiphy;
	vif->wdev.netdev = ndev;
	vif->wdev.iftype = NL80211_IFTYPE_STATION;
	ndev->ieee80211_ptr = &vif->wdev;
	SET_NETDEV_DEV(ndev, wiphy_dev(radio->wiphy));
	eth_hw_addr_set(ndev, radio->wiphy->perm_addr);
	netif_carrier_off(ndev);

	err = register_netdevice(ndev);
	if (err) {
		free_netdev(ndev);
		return err;
	}
	mutex_lock(&vwifi_mutex);
	list_add_tail(&vif->list, &vwifi_vifs);
	radio->vif = vif;
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* Unregister every interface in one batch, then the radios */
static void vwifi_destroy_all(void)
{
	struct vwifi_radio *radio, *tmp;
	LIST_HEAD(batch);

	rtnl_lock();
	list_for_each_entry(radio, &vwifi_radios, list)
		if (radio->vif)
			unregister_netdevice_queue(radio->vif->ndev, &batch);
	unregister_netdevice_many(&batch);
	rtnl_unlock();
	list_for_each_entry_safe(radio, tmp, &vwifi_radios, list) {
		list_del(&radio->list);
		vwifi_radio_free(radio);
	}
}

/* ------------------------------------------------------------------ */
/* Module                                                             */
/* ------------------------------------------------------------------ */

static int vwifi_create_all(int count)
{
	struct vwifi_radio *radio;
	int i, err = 0;

	for (i = 0; i < count; i++) {
		radio = vwifi_radio_new(i);
		if (IS_ERR(radio))
			return PTR_ERR(radio);
		list_add_tail(&radio->list, &vwifi_radios);
	}
	rtnl_lock();
	list_for_each_entry(radio, &vwifi_radios, list) {
		err = vwifi_vif_create(radio);
		if (err)
			break;
	}
	rtnl_unlock();
	return err;
}

static void vwifi_teardown(void)
{
	vwifi_destroy_all();
	destroy_workqueue(vwifi_wq);
	rcu_barrier();		/* peers are freed by call_rcu() into this module */
}

static int __init vwifi_init(void)
{
	int err;

	if (station < 1 || station > VWIFI_MAX_STATIONS) {
		pr_err("station=%d is out of range 1..%d\n", station, VWIFI_MAX_STATIONS);
		return -EINVAL;
	}
	vwifi_wq = alloc_workqueue("vwifi", WQ_UNBOUND, 0);
	if (!vwifi_wq)
		return -ENOMEM;
	err = vwifi_create_all(station);
	if (err) {
		pr_err("cannot create %d interfaces: %d\n", station, err);
		vwifi_teardown();
		return err;
	}
	err = genl_register_family(&vwifi_nl_family);
	if (err) {
		pr_err("cannot register the generic netlink family: %d\n", err);
		vwifi_teardown();
		return err;
	}
	return 0;
}

static void __exit vwifi_exit(void)
{
	genl_unregister_family(&vwifi_nl_family);
	vwifi_teardown();
}

module_init(vwifi_init);
module_exit(vwifi_exit);

MODULE_LICENSE("Dual MIT/GPL");
MODULE_AUTHOR("vwifi developers");
MODULE_DESCRIPTION("Virtual cfg80211 FullMAC Wi-Fi driver: station, AP and IBSS over a simulated medium");

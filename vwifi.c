// SPDX-License-Identifier: MIT
/*
 * vwifi: a virtual cfg80211 FullMAC Wi-Fi driver.
 *
 * Every interface vwifi creates sits on its own wiphy and shares one
 * simulated medium with all the others, whatever network namespace it
 * lives in.  Interfaces run as stations (managed), access points (with
 * hostapd, the device doing the AP SME) or IBSS members.  Authentication,
 * association, action frames and an AP's beacons are 802.11 frames on the
 * air, parsed by the receiver (its SME answers); data frames are Ethernet
 * frames handed from one net_device to another over "links": a link is a
 * pair of peer entries, one in each end's peer table, made when an AP
 * accepts a station or two IBSS members meet.  A data frame becomes an
 * 802.11 frame only when it must: for another guest, or for a monitor
 * interface (radiotap), which hears every frame of its channel.
 *
 * In virtio mode the medium extends to other QEMU guests: a virtio-net
 * device carries vwifi's own frames (beacons, 802.11 management, data) to the
 * vwifi instances of the guests on the same host bridge, whose interfaces
 * then appear here as remote peers (a peer entry without a local @vif).
 *
 * Sections, in order: parameters and types, compatibility, air (who
 * hears whom: the rule table, the signal), peers, data path (and its
 * delay queues, and 802.11 data frames), monitors, IEs and BSS entries,
 * scan, station, access point, IBSS, management frames, virtio transport,
 * keys, station info, other cfg80211 ops, channel and survey, net_device
 * (and ethtool), control family, interfaces and radios, module.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/hashtable.h>
#include <linux/hrtimer.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/u64_stats_sync.h>
#include <linux/utsname.h>
#include <linux/version.h>
#include <linux/workqueue.h>
#include <net/cfg80211.h>
#include <net/genetlink.h>
#include <net/ieee80211_radiotap.h>
#include <net/sock.h>

#include "vwifi_nl.h"

/* ------------------------------------------------------------------ */
/* Parameters and types                                               */
/* ------------------------------------------------------------------ */

#define VWIFI_MAX_RADIOS	4096	/* at load (station=) and added at runtime */
#define VWIFI_RADIO_IFACES	8	/* interfaces per radio, and address slots */
#define VWIFI_NO_SLOT		0xff
#define VWIFI_WIPHY_NAME_LEN	20	/* nl80211's limit, with the NUL */
#define VWIFI_PEER_HASH_BITS	6
#define VWIFI_NUM_KEYS		8	/* 0-3 data, 4-5 IGTK, 6-7 BIGTK */
#define VWIFI_NUM_PTKS		4
#define VWIFI_MAX_TXPOWER_MBM	2000	/* 20 dBm, the channels' limit */
#define VWIFI_SCAN_CHANNEL_MS	10	/* dwell per scanned channel */
/*
 * A scan listens longer than the default beacon interval (100 TU, 102.4
 * ms), so that it hears each AP and IBSS at that interval beacon once,
 * with room for the timers of a busy machine
 */
#define VWIFI_SCAN_MIN_MS	120
#define VWIFI_LEGACY_RATE	540	/* 54 Mbit/s in units of 100 kbit/s */
#define VWIFI_HT_MCS		7	/* the top MCS of one spatial stream */
#define VWIFI_HT_RATE		650	/* MCS 7, 20 MHz, long GI */
#define VWIFI_HT_RATE_SGI	722	/* ... short GI */
#define VWIFI_HT40_RATE		1350	/* MCS 7, 40 MHz, long GI */
#define VWIFI_HT40_RATE_SGI	1500	/* ... short GI */
#define VWIFI_NOISE_DBM		(-92)	/* the noise floor of every channel */
#define VWIFI_MAX_SEQ_LEN	16	/* longest key RSC/PN userspace may give */
#define VWIFI_MAX_AID		2007	/* stations an AP takes: the highest association ID */
#define VWIFI_VIRTIO_MAX_IES	1024	/* IEs of a beacon or request between guests */
#define VWIFI_SME_TIMEOUT_MS	1000	/* per try of an authentication or association */
#define VWIFI_SME_TRIES		3
#define VWIFI_LISTEN_INTERVAL	10	/* beacon intervals, in association requests */
#define VWIFI_MAX_WAIT_MS	5000	/* a wait mgmt_tx accepts (and does not do) */
#define VWIFI_ASKERS		16	/* remote stations an AP's userspace SME can answer */

static int station = 2;
module_param(station, int, 0444);
MODULE_PARM_DESC(station, "number of interfaces (and wiphys) to create, 1-4096");

static bool virtio;
module_param(virtio, bool, 0444);
MODULE_PARM_DESC(virtio, "virtio mode: extend the medium to other guests over a virtio-net device");

static char *virtio_dev;
module_param(virtio_dev, charp, 0444);
MODULE_PARM_DESC(virtio_dev, "virtio mode: the network device to use (default: the first free virtio-net device)");

struct vwifi_pcpu_stats {
	u64_stats_t rx_packets;
	u64_stats_t rx_bytes;
	u64_stats_t tx_packets;
	u64_stats_t tx_bytes;
	u64_stats_t relayed_packets;	/* AP: also in tx, never in rx */
	u64_stats_t relayed_bytes;
	struct u64_stats_sync syncp;
};

struct vwifi_stats {
	u64 rx_packets;
	u64 rx_bytes;
	u64 tx_packets;
	u64 tx_bytes;
	u64 relayed_packets;
	u64 relayed_bytes;
};

/* What an association (or IBSS meeting) negotiated for one end of a link */
struct vwifi_link_mode {
	bool ht;			/* HT, MCS 0-7, 20 MHz unless ht40; else legacy OFDM */
	s8 ht40;			/* HT40: +1 secondary channel above, -1 below */
	bool ht_sgi;			/* HT with the short guard interval (of its width) */
	u32 sta_flags;			/* BIT(NL80211_STA_FLAG_WME, _MFP, _SHORT_PREAMBLE) */
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
 * The data frames a link rule delays on their way to the owner of the
 * link end this is in, oldest first, each due at the time in its control
 * block; @timer fires (in softirq) for the first.  The lock of @q also
 * guards @closed, set when the link end goes: frames then are dropped.
 * Frames that need not wait never come here (while none waits).
 */
struct vwifi_delayq {
	struct sk_buff_head q;
	struct hrtimer timer;
	bool closed;
};

/*
 * One end of a link: the entry @owner keeps for the remote interface
 * @vif.  Entries are created under vwifi_mutex, in pairs (@twin is the
 * other end) or, when each end's SME makes its own (an AP whose userspace
 * adds its stations), one at a time: the second is the first's twin.
 * Read under RCU on the data path, where a local entry without a twin
 * carries nothing yet.  A link is destroyed whole.  A peer in another
 * guest (virtio mode) has no @vif and no @twin: its frames go over the
 * medium device to @lower.
 */
struct vwifi_peer {
	struct hlist_node node;		/* in owner->peers */
	struct rcu_head rcu;
	struct vwifi_vif *owner;
	struct vwifi_vif *vif;		/* NULL for a remote peer */
	struct vwifi_peer *twin;	/* NULL: remote, or a half link; READ_ONCE */
	u8 addr[ETH_ALEN];		/* vif's address when linked */
	u8 lower[ETH_ALEN];		/* remote peer: its guest's virtio-net address */
	u8 bssid[ETH_ALEN];		/* the BSS of the link, and its channel (MHz): */
	u32 freq;			/* the owner's when they linked */
	unsigned long last_heard;	/* remote peer: jiffies of its last frame */
	bool port_control;		/* this end runs 802.1X port control */
	bool authorized;		/* its port is open: always without control */
	u16 aid;			/* AP: the station's association ID */
	unsigned long linked_at;	/* jiffies */
	u64 linked_boottime;		/* ns since boot, suspend included */
	unsigned long last_rx;		/* jiffies, written locklessly */
	unsigned long last_tx;
	atomic_long_t tx_failed;
	struct vwifi_pcpu_stats __percpu *stats;
	struct vwifi_link_mode mode;	/* under vwifi_mutex */
	/* Station: the beacons it heard from its AP (from the virtio
	 * transport's receive path too), the last one's signal (dBm,
	 * WRITE_ONCE) and, under vwifi_mutex, the local AP's missed in a row
	 */
	atomic_long_t rx_beacons;
	s8 beacon_signal;
	u8 beacons_missed;
	/* Keys, under vwifi_mutex: pairwise and (IBSS) per-peer group keys */
	struct vwifi_key ptk[VWIFI_NUM_PTKS];
	struct vwifi_key gtk[VWIFI_NUM_KEYS];
	struct vwifi_delayq delayq;	/* frames from @vif to @owner */
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
	/* AP: mode.ht (and ht40) as the BSS runs; station: what it negotiated */
	struct vwifi_link_mode mode;
	u64 up_ns;			/* boot time when it came up */
	struct vwifi_stats up_stats;	/* the interface's counters then */
};

struct vwifi_radio;

/* Where a station's SME is: idle, or waiting for the AP's answer */
enum vwifi_sme_state {
	VWIFI_SME_IDLE,
	VWIFI_SME_AUTH,			/* Authentication sent */
	VWIFI_SME_ASSOC,		/* (Re)association Request sent */
};

struct vwifi_vif {
	struct wireless_dev wdev;
	struct net_device *ndev;
	struct vwifi_radio *radio;
	u32 id;
	struct list_head list;		/* in vwifi_vifs: written under rtnl and
					 * vwifi_mutex, read under either or RCU
					 */
	struct list_head radio_node;	/* in radio->vifs; empty once unlisted */
	u8 slot;			/* its address among the radio's */
	int addr_num;			/* virtio mode: its number in the pool */

	/* Data path: written under vwifi_mutex, read under RCU */
	DECLARE_HASHTABLE(peers, VWIFI_PEER_HASH_BITS);	/* by MAC address */
	struct vwifi_peer __rcu *ap_link;	/* station: the link to the AP */
	bool ap_isolate;		/* AP: do not relay between stations */
	/* The management subtypes userspace registered for here,
	 * BIT(stype >> 4); written by cfg80211 (WRITE_ONCE), read anywhere
	 */
	u32 mgmt_regs;
	/* AP whose userspace runs the SME: the stations of other guests
	 * that sent it frames last, and where (their guest's virtio-net
	 * address), for its answers and NEW_STATION; under vwifi_mutex
	 */
	struct {
		u8 addr[ETH_ALEN];
		u8 lower[ETH_ALEN];
	} askers[VWIFI_ASKERS];
	u8 next_asker;
	struct vwifi_pcpu_stats __percpu *stats;
	atomic_long_t tx_dropped;
	atomic_long_t rx_dropped;

	/* Control state, under vwifi_mutex */
	unsigned int n_peers;
	struct vwifi_bss bss;
	struct vwifi_key gtk[VWIFI_NUM_KEYS];
	u8 default_key;
	u8 default_mgmt_key;
	bool power_save;		/* under the wiphy lock; nothing is simulated */

	/* A pending scan: the request and when it ends (jiffies) are under
	 * vwifi_mutex
	 */
	struct cfg80211_scan_request *scan_req;
	unsigned long scan_end;
	struct delayed_work scan_work;

	/* Station: the SME's exchange with the AP of bss.bssid, local or in
	 * another guest (reached at sme_lower), under vwifi_mutex.  Each
	 * frame is sent up to VWIFI_SME_TRIES times, VWIFI_SME_TIMEOUT_MS
	 * apart, as hardware retries.
	 */
	enum vwifi_sme_state sme;
	u8 sme_tries;
	bool sme_roam;			/* a reassociation: the station left its AP */
	bool sme_control_port;
	bool sme_remote;		/* the AP is in another guest */
	u8 sme_lower[ETH_ALEN];
	u8 sme_prev_bssid[ETH_ALEN];	/* roaming: the AP it left */
	u8 *sme_req_ies;		/* the (re)association request's */
	size_t sme_req_ies_len;
	/* A run of sme_timeout that cancel_delayed_work() missed may wait
	 * for vwifi_mutex while the next frame goes out: it acts only once
	 * the current frame's deadline (jiffies) has passed.
	 */
	unsigned long sme_deadline;
	struct delayed_work sme_timeout;

	/* Station: an association the AP side ended (or its beacons stopped)
	 * that cfg80211 has not been told of yet.  Under vwifi_mutex; told
	 * from its radio's lost_work, under the wiphy lock, or at the next
	 * op of the station (see __vwifi_sta_mark_lost()).
	 */
	bool lost;
	bool lost_locally;		/* beacon loss: this end noticed it */
	u16 lost_reason;

	/* AP or IBSS member: sends its beacon at each target beacon
	 * transmission time while a local station is associated to it, a
	 * local member is in its cell, a scan or a monitor listens (see
	 * vwifi_beacon_work())
	 */
	struct delayed_work beacon_work;

	/* Monitor: the channel it listens on (MHz) and its width; written
	 * under the wiphy lock and vwifi_mutex, read under RCU (READ_ONCE)
	 */
	u32 mon_freq;
	enum nl80211_channel_type mon_chan_type;
};

/* Every wireless_dev vwifi registers is embedded in a vif */
static struct vwifi_vif *vwifi_wdev_vif(struct wireless_dev *wdev)
{
	return container_of(wdev, struct vwifi_vif, wdev);
}

/*
 * A wiphy and its interfaces.  @vifs and @list are written under rtnl and
 * vwifi_mutex and read under either; @slots and @dying under rtnl.
 */
struct vwifi_radio {
	struct wiphy *wiphy;
	struct list_head vifs;		/* its interfaces, by radio_node */
	unsigned long slots;		/* the address slots its interfaces use */
	int addr_num;			/* virtio mode: slot 0's number in the pool */
	bool dying;			/* being deleted: no interface added */
	struct list_head list;		/* in vwifi_radios */
	int index;
	/* Its stations' lost associations, told under the wiphy lock */
	struct wiphy_work lost_work;
	int tx_power_mbm;		/* under the wiphy lock */
	struct ieee80211_supported_band band_2ghz;
	struct ieee80211_supported_band band_5ghz;
	struct ieee80211_channel channels_2ghz[14];
	struct ieee80211_channel channels_5ghz[12];
};

/* Serialises all control-plane changes to links, BSSs and the vif list.
 * Lock order: rtnl, then a wiphy lock, then vwifi_mutex.  Nothing that
 * holds vwifi_mutex may take rtnl or a wiphy lock.  Helpers named
 * __vwifi_*() are called with vwifi_mutex held (and assert it).
 *
 * What each entry point holds when it is entered:
 *   cfg80211 ops          the wiphy lock (and rtnl for some commands)
 *   ndo_open/stop/uninit  rtnl (ndo_stop: maybe the wiphy lock too, when
 *                         cfg80211 closes the interface, as for rfkill)
 *   ndo_start_xmit        RCU-bh, LLTX: no lock
 *   virtio rx_handler     RCU, in softirq
 *   genl handlers         nothing: they take rtnl, then vwifi_mutex
 *   netdev notifier       rtnl
 *   work items            nothing; wiphy works: the wiphy lock
 *   delay queue timers    nothing, in softirq; they take RCU and the
 *                         queue's own lock, the innermost of all (only
 *                         while frames move in or out of that queue)
 *
 * cfg80211 checks an interface's type when it processes an event queued
 * for it (connect result, disconnect, IBSS joined) and flushes them before
 * a type change, which holds rtnl and the wiphy lock.  So a vif's events
 * are queued only under its wiphy lock or rtnl, or while vwifi still runs
 * that mode for it (under vwifi_mutex): ndo_stop ends every mode, and the
 * type changes only while the interface is down.  A far end (an AP
 * removing its station) reports through the vif's wiphy work.
 */
static DEFINE_MUTEX(vwifi_mutex);
static LIST_HEAD(vwifi_vifs);
static LIST_HEAD(vwifi_radios);
static struct workqueue_struct *vwifi_wq;

/* What became of the management frames userspace and other guests sent */
static struct {
	atomic64_t cookie;		/* the last mgmt_tx cookie */
	atomic_long_t tx;		/* sent by a local interface */
	atomic_long_t tx_no_ack;	/* ... to an address nobody has */
	atomic_long_t rx;		/* taken by a local interface */
	atomic_long_t rx_unhandled;	/* ... for which nobody registered */
	atomic_long_t sme_tx;		/* auth, (re)assoc, deauth frames sent */
	atomic_long_t sme_rx;		/* ... taken by the interface addressed */
	atomic_long_t rx_invalid;	/* management frames malformed or unexpected */
	atomic_long_t beacon_tx;	/* beacons local APs and IBSS members sent locally */
	atomic_long_t beacon_rx;	/* ... that an associated station or a member heard */
	atomic_long_t beacon_missed;	/* ... that one did not hear */
	atomic_long_t probe_req_tx;	/* probe requests of active scans */
	atomic_long_t probe_req_rx;	/* ... that an AP or IBSS member heard */
	atomic_long_t probe_resp_tx;	/* probe responses they sent */
	atomic_long_t probe_resp_rx;	/* ... that a scan took */
	atomic_long_t beacon_scan_rx;	/* beacons that a local scan took */
} vwifi_mgmt;

/* What link rules did to data frames */
static struct {
	atomic_long_t lost;		/* lost by a rule's loss */
	atomic_long_t delayed;		/* queued by a rule's delay */
	atomic_long_t delay_dropped;	/* ... then dropped: queue full, link gone */
} vwifi_link_stats;

static bool vwifi_virtio_xmit(struct vwifi_peer *tx, struct sk_buff *skb);
static bool __vwifi_air_send_mgmt(struct vwifi_vif *tx, u32 freq, const void *buf, size_t len,
				  const u8 *lower);
static const struct net_device_ops vwifi_netdev_ops;
static int vwifi_radio_check_ifaces(struct vwifi_radio *radio, struct vwifi_vif *vif,
				    enum nl80211_iftype type);
static void vwifi_addr_put(struct vwifi_vif *vif);
static void __vwifi_bss_beacon_arm(struct vwifi_vif *ap);
static void vwifi_monitor_data(const struct vwifi_peer *tx, const struct sk_buff *skb);
static void vwifi_monitor_data_frames(const struct vwifi_peer *tx, const struct sk_buff *skb);
static bool vwifi_monitoring(void);
static void __vwifi_air_send_probe_req(struct vwifi_vif *tx, u32 freq, const u8 *buf,
				       size_t len);
/* What vwifi_radio_add() made, for its caller to tell */
struct vwifi_radio_made {
	char wiphy[VWIFI_WIPHY_NAME_LEN];
	char ifname[IFNAMSIZ];
	int ifindex;
};

static struct vwifi_radio *vwifi_radio_add(const char *name, struct net *net,
					   struct vwifi_radio_made *made,
					   struct netlink_ext_ack *extack);
static void vwifi_radio_unlist(struct vwifi_radio *radio, struct list_head *batch);
static void vwifi_radio_free(struct vwifi_radio *radio);

/* ------------------------------------------------------------------ */
/* Compatibility: every LINUX_VERSION_CODE test of the driver is here  */
/* ------------------------------------------------------------------ */

#define VWIFI_KERNEL_AT_LEAST(a, b, c)	(KERNEL_VERSION(a, b, c) <= LINUX_VERSION_CODE)

/*
 * The cfg80211 ops are written against the newest kernel's signatures.
 * Where an older kernel's differ, vwifi_cfg_ops points at a vwifi_op_*
 * wrapper here that has the old signature and calls the op.
 */
static int vwifi_add_station(struct wiphy *wiphy, struct wireless_dev *wdev,
			     const u8 *mac, struct station_parameters *params);
static int vwifi_del_station(struct wiphy *wiphy, struct wireless_dev *wdev,
			     struct station_del_parameters *params);
static int vwifi_change_station(struct wiphy *wiphy, struct wireless_dev *wdev,
				const u8 *mac, struct station_parameters *params);
static int vwifi_get_station(struct wiphy *wiphy, struct wireless_dev *wdev,
			     const u8 *mac, struct station_info *sinfo);
static int vwifi_dump_station(struct wiphy *wiphy, struct wireless_dev *wdev,
			      int idx, u8 *mac, struct station_info *sinfo);
static int vwifi_add_key(struct wiphy *wiphy, struct wireless_dev *wdev,
			 int link_id, u8 idx, bool pairwise, const u8 *mac,
			 struct key_params *params);
static int vwifi_get_key(struct wiphy *wiphy, struct wireless_dev *wdev,
			 int link_id, u8 idx, bool pairwise, const u8 *mac,
			 void *cookie,
			 void (*callback)(void *cookie, struct key_params *));
static int vwifi_del_key(struct wiphy *wiphy, struct wireless_dev *wdev,
			 int link_id, u8 idx, bool pairwise, const u8 *mac);
static int vwifi_set_default_mgmt_key(struct wiphy *wiphy,
				      struct wireless_dev *wdev, int link_id,
				      u8 idx);
static int vwifi_set_tx_power(struct wiphy *wiphy, struct wireless_dev *wdev,
			      int radio_idx, enum nl80211_tx_power_setting type,
			      int mbm);
static int vwifi_get_tx_power(struct wiphy *wiphy, struct wireless_dev *wdev,
			      int radio_idx, unsigned int link_id, int *dbm);
static int vwifi_set_wiphy_params(struct wiphy *wiphy, int radio_idx,
				  u32 changed);
static int vwifi_update_beacon(struct wiphy *wiphy, struct net_device *ndev,
			       struct cfg80211_beacon_data *beacon);
static int vwifi_set_monitor_channel(struct wiphy *wiphy, struct net_device *ndev,
				     struct cfg80211_chan_def *chandef);

/* 7.1 passes the wireless_dev, not the net_device, to key and station ops */
#if VWIFI_KERNEL_AT_LEAST(7, 1, 0)
#define vwifi_op_add_station		vwifi_add_station
#define vwifi_op_del_station		vwifi_del_station
#define vwifi_op_change_station		vwifi_change_station
#define vwifi_op_get_station		vwifi_get_station
#define vwifi_op_dump_station		vwifi_dump_station
#define vwifi_op_add_key		vwifi_add_key
#define vwifi_op_get_key		vwifi_get_key
#define vwifi_op_del_key		vwifi_del_key
#define vwifi_op_set_default_mgmt_key	vwifi_set_default_mgmt_key

static void vwifi_compat_new_sta(struct vwifi_vif *vif, const u8 *mac,
				 struct station_info *sinfo)
{
	cfg80211_new_sta(&vif->wdev, mac, sinfo, GFP_KERNEL);
}

static void vwifi_compat_del_sta(struct vwifi_vif *vif, const u8 *mac)
{
	cfg80211_del_sta(&vif->wdev, mac, GFP_KERNEL);
}
#else
static int vwifi_op_add_station(struct wiphy *wiphy, struct net_device *dev,
				const u8 *mac, struct station_parameters *params)
{
	return vwifi_add_station(wiphy, dev->ieee80211_ptr, mac, params);
}

static int vwifi_op_del_station(struct wiphy *wiphy, struct net_device *dev,
				struct station_del_parameters *params)
{
	return vwifi_del_station(wiphy, dev->ieee80211_ptr, params);
}

static int vwifi_op_change_station(struct wiphy *wiphy, struct net_device *dev,
				   const u8 *mac,
				   struct station_parameters *params)
{
	return vwifi_change_station(wiphy, dev->ieee80211_ptr, mac, params);
}

static int vwifi_op_get_station(struct wiphy *wiphy, struct net_device *dev,
				const u8 *mac, struct station_info *sinfo)
{
	return vwifi_get_station(wiphy, dev->ieee80211_ptr, mac, sinfo);
}

static int vwifi_op_dump_station(struct wiphy *wiphy, struct net_device *dev,
				 int idx, u8 *mac, struct station_info *sinfo)
{
	return vwifi_dump_station(wiphy, dev->ieee80211_ptr, idx, mac, sinfo);
}

static int vwifi_op_add_key(struct wiphy *wiphy, struct net_device *dev,
			    int link_id, u8 idx, bool pairwise, const u8 *mac,
			    struct key_params *params)
{
	return vwifi_add_key(wiphy, dev->ieee80211_ptr, link_id, idx, pairwise,
			     mac, params);
}

static int vwifi_op_get_key(struct wiphy *wiphy, struct net_device *dev,
			    int link_id, u8 idx, bool pairwise, const u8 *mac,
			    void *cookie,
			    void (*callback)(void *cookie, struct key_params *))
{
	return vwifi_get_key(wiphy, dev->ieee80211_ptr, link_id, idx, pairwise,
			     mac, cookie, callback);
}

static int vwifi_op_del_key(struct wiphy *wiphy, struct net_device *dev,
			    int link_id, u8 idx, bool pairwise, const u8 *mac)
{
	return vwifi_del_key(wiphy, dev->ieee80211_ptr, link_id, idx, pairwise,
			     mac);
}

static int vwifi_op_set_default_mgmt_key(struct wiphy *wiphy,
					 struct net_device *dev, int link_id,
					 u8 idx)
{
	return vwifi_set_default_mgmt_key(wiphy, dev->ieee80211_ptr, link_id,
					  idx);
}

static void vwifi_compat_new_sta(struct vwifi_vif *vif, const u8 *mac,
				 struct station_info *sinfo)
{
	cfg80211_new_sta(vif->ndev, mac, sinfo, GFP_KERNEL);
}

static void vwifi_compat_del_sta(struct vwifi_vif *vif, const u8 *mac)
{
	cfg80211_del_sta(vif->ndev, mac, GFP_KERNEL);
}
#endif

/* 6.17 adds a radio index to the wiphy-wide ops, 6.14 a link to get_tx_power */
#if VWIFI_KERNEL_AT_LEAST(6, 17, 0)
#define vwifi_op_set_tx_power		vwifi_set_tx_power
#define vwifi_op_get_tx_power		vwifi_get_tx_power
#define vwifi_op_set_wiphy_params	vwifi_set_wiphy_params
#else
static int vwifi_op_set_tx_power(struct wiphy *wiphy, struct wireless_dev *wdev,
				 enum nl80211_tx_power_setting type, int mbm)
{
	return vwifi_set_tx_power(wiphy, wdev, -1, type, mbm);
}

static int vwifi_op_set_wiphy_params(struct wiphy *wiphy, u32 changed)
{
	return vwifi_set_wiphy_params(wiphy, -1, changed);
}

#if VWIFI_KERNEL_AT_LEAST(6, 14, 0)
static int vwifi_op_get_tx_power(struct wiphy *wiphy, struct wireless_dev *wdev,
				 unsigned int link_id, int *dbm)
{
	return vwifi_get_tx_power(wiphy, wdev, -1, link_id, dbm);
}
#else
static int vwifi_op_get_tx_power(struct wiphy *wiphy, struct wireless_dev *wdev,
				 int *dbm)
{
	return vwifi_get_tx_power(wiphy, wdev, -1, 0, dbm);
}
#endif
#endif

/* 6.7 wraps change_beacon's new beacon in struct cfg80211_ap_update */
#if VWIFI_KERNEL_AT_LEAST(6, 7, 0)
static int vwifi_op_change_beacon(struct wiphy *wiphy, struct net_device *ndev,
				  struct cfg80211_ap_update *info)
{
	return vwifi_update_beacon(wiphy, ndev, &info->beacon);
}
#else
static int vwifi_op_change_beacon(struct wiphy *wiphy, struct net_device *ndev,
				  struct cfg80211_beacon_data *info)
{
	return vwifi_update_beacon(wiphy, ndev, info);
}
#endif

/* set_monitor_channel gained the netdev in 6.13 (and in Debian's 6.12) */
#if VWIFI_KERNEL_AT_LEAST(6, 12, 0)
#define vwifi_op_set_monitor_channel	vwifi_set_monitor_channel
#else
/* The channel is the wiphy's: NULL sets it for each of its monitors */
static int vwifi_op_set_monitor_channel(struct wiphy *wiphy, struct cfg80211_chan_def *chandef)
{
	return vwifi_set_monitor_channel(wiphy, NULL, chandef);
}
#endif

/* skb_gso_segment() moved to its own header in 6.4 */
#if VWIFI_KERNEL_AT_LEAST(6, 4, 0)
#include <net/gso.h>
#endif

/* 6.11 checks combinations per radio of a wiphy; vwifi's have one */
static void vwifi_compat_combination_params_init(struct iface_combination_params *params)
{
#if VWIFI_KERNEL_AT_LEAST(6, 11, 0)
	params->radio_idx = -1;
#endif
}

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

/* hrtimer_setup() replaced hrtimer_init() and setting the callback in 6.13 */
static void vwifi_hrtimer_setup(struct hrtimer *timer,
				enum hrtimer_restart (*fn)(struct hrtimer *),
				clockid_t clock, enum hrtimer_mode mode)
{
#if VWIFI_KERNEL_AT_LEAST(6, 13, 0)
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/* ------------------------------------------------------------------ */
/* Air: who hears whom (the rules), and at what signal                */
/* ------------------------------------------------------------------ */

#define VWIFI_RULE_HASH_BITS	6
#define VWIFI_RULE_MAX		4096	/* pairs with a rule */
#define VWIFI_LOSS_ALL		1000000	/* a link rule's loss: parts per million */
#define VWIFI_DELAY_MAX_US	10000000
#define VWIFI_SIGNAL_MIN	(-150)	/* dBm, a link rule's signal */
#define VWIFI_SIGNAL_MAX	30

/*
 * What @rx hears of what @tx sends, where a rule changes it: one entry
 * per ordered pair, whatever its rules.  The denylist is the first kind
 * (@deny: @rx hears nothing of @tx); a link rule (@link) loses, delays
 * or sets the signal of what @rx hears.  Entries are added and changed
 * under vwifi_mutex and looked up under RCU, where the interfaces are
 * only compared.  An entry goes when its last rule does, and before
 * either of its interfaces (__vwifi_rules_forget).  The rule fields are
 * written with WRITE_ONCE: a frame meeting a change half made sees some
 * fields old and some new, as it would meet a change a moment earlier
 * or later.
 */
struct vwifi_rule {
	struct hlist_node node;		/* in vwifi_rule_hash */
	struct list_head list;		/* in vwifi_rule_list, oldest first */
	struct rcu_head rcu;
	struct vwifi_vif *rx;
	struct vwifi_vif *tx;
	bool deny;
	bool link;
	bool has_signal;
	s32 signal;			/* dBm, with @has_signal */
	u32 loss;			/* parts per million of the data frames lost */
	u32 delay_us;			/* what each data frame waits... */
	u32 jitter_us;			/* ... plus up to this much more */
};

static DEFINE_HASHTABLE(vwifi_rule_hash, VWIFI_RULE_HASH_BITS);
static LIST_HEAD(vwifi_rule_list);	/* under vwifi_mutex */
/* Written under vwifi_mutex; read locklessly by vwifi_rule_get() */
static unsigned int vwifi_rule_count;
/* Under vwifi_mutex: the pairs with each kind of rule, and a generation
 * bumped on every change, for dump consistency
 */
static unsigned int vwifi_deny_count;
static unsigned int vwifi_link_rule_count;
static unsigned int vwifi_rule_gen;

static u64 vwifi_rule_key(const struct vwifi_vif *rx, const struct vwifi_vif *tx)
{
	return (u64)rx->id << 32 | tx->id;
}

/* Under RCU or vwifi_mutex */
static struct vwifi_rule *vwifi_rule_find(const struct vwifi_vif *rx,
					  const struct vwifi_vif *tx)
{
	struct vwifi_rule *r;

	hash_for_each_possible_rcu(vwifi_rule_hash, r, node, vwifi_rule_key(rx, tx),
				   lockdep_is_held(&vwifi_mutex))
		if (r->rx == rx && r->tx == tx)
			return r;
	return NULL;
}

/* The rules of the pair, if any.  Under RCU or vwifi_mutex. */
static struct vwifi_rule *vwifi_rule_get(const struct vwifi_vif *rx,
					 const struct vwifi_vif *tx)
{
	/* No rule costs one load */
	if (likely(!READ_ONCE(vwifi_rule_count)))
		return NULL;
	return vwifi_rule_find(rx, tx);
}

/* Whether @rx drops everything @tx sends.  Under RCU or vwifi_mutex. */
static bool vwifi_denied(const struct vwifi_vif *rx, const struct vwifi_vif *tx)
{
	const struct vwifi_rule *r = vwifi_rule_get(rx, tx);

	return r && READ_ONCE(r->deny);
}

/* The entry of the pair, made if it has none */
static struct vwifi_rule *__vwifi_rule_make(struct vwifi_vif *rx, struct vwifi_vif *tx,
					    struct netlink_ext_ack *extack)
{
	struct vwifi_rule *r;

	lockdep_assert_held(&vwifi_mutex);
	r = vwifi_rule_find(rx, tx);
	if (r)
		return r;
	if (vwifi_rule_count >= VWIFI_RULE_MAX) {
		NL_SET_ERR_MSG(extack, "rule table full");
		return ERR_PTR(-ENOSPC);
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->rx = rx;
	r->tx = tx;
	list_add_tail(&r->list, &vwifi_rule_list);
	hash_add_rcu(vwifi_rule_hash, &r->node, vwifi_rule_key(rx, tx));
	WRITE_ONCE(vwifi_rule_count, vwifi_rule_count + 1);
	return r;
}

static void __vwifi_rule_remove(struct vwifi_rule *r)
{
	lockdep_assert_held(&vwifi_mutex);
	vwifi_deny_count -= r->deny;
	vwifi_link_rule_count -= r->link;
	hash_del_rcu(&r->node);
	list_del(&r->list);
	WRITE_ONCE(vwifi_rule_count, vwifi_rule_count - 1);
	vwifi_rule_gen++;
	kfree_rcu(r, rcu);
}

/* Drop the entry of @r's pair if no rule is left in it */
static void __vwifi_rule_put(struct vwifi_rule *r)
{
	lockdep_assert_held(&vwifi_mutex);
	vwifi_rule_gen++;
	if (!r->deny && !r->link)
		__vwifi_rule_remove(r);
}

static int __vwifi_deny_add(struct vwifi_vif *rx, struct vwifi_vif *tx,
			    struct netlink_ext_ack *extack)
{
	struct vwifi_rule *r;

	lockdep_assert_held(&vwifi_mutex);
	r = vwifi_rule_find(rx, tx);
	if (r && r->deny) {
		NL_SET_ERR_MSG(extack, "pair already in the denylist");
		return -EEXIST;
	}
	r = __vwifi_rule_make(rx, tx, extack);
	if (IS_ERR(r))
		return PTR_ERR(r);
	WRITE_ONCE(r->deny, true);
	vwifi_deny_count++;
	vwifi_rule_gen++;
	return 0;
}

static int __vwifi_deny_del(struct vwifi_vif *rx, struct vwifi_vif *tx,
			    struct netlink_ext_ack *extack)
{
	struct vwifi_rule *r = vwifi_rule_find(rx, tx);

	lockdep_assert_held(&vwifi_mutex);
	if (!r || !r->deny) {
		NL_SET_ERR_MSG(extack, "pair not in the denylist");
		return -ENOENT;
	}
	WRITE_ONCE(r->deny, false);
	vwifi_deny_count--;
	__vwifi_rule_put(r);
	return 0;
}

/* A link rule's new values; a field not given (false @set_*) is kept */
struct vwifi_link_set {
	bool set_loss, set_delay, set_jitter, set_signal;
	u32 loss;
	u32 delay_us;
	u32 jitter_us;
	s32 signal;
};

static int __vwifi_link_rule_set(struct vwifi_vif *rx, struct vwifi_vif *tx,
				 const struct vwifi_link_set *set,
				 struct netlink_ext_ack *extack)
{
	struct vwifi_rule *r;

	lockdep_assert_held(&vwifi_mutex);
	r = __vwifi_rule_make(rx, tx, extack);
	if (IS_ERR(r))
		return PTR_ERR(r);
	if (set->set_loss)
		WRITE_ONCE(r->loss, set->loss);
	if (set->set_delay)
		WRITE_ONCE(r->delay_us, set->delay_us);
	if (set->set_jitter)
		WRITE_ONCE(r->jitter_us, set->jitter_us);
	if (set->set_signal) {
		WRITE_ONCE(r->signal, set->signal);
		WRITE_ONCE(r->has_signal, true);
	}
	if (!r->link)
		vwifi_link_rule_count++;
	WRITE_ONCE(r->link, true);
	vwifi_rule_gen++;
	return 0;
}

static int __vwifi_link_rule_del(struct vwifi_vif *rx, struct vwifi_vif *tx,
				 struct netlink_ext_ack *extack)
{
	struct vwifi_rule *r = vwifi_rule_find(rx, tx);

	lockdep_assert_held(&vwifi_mutex);
	if (!r || !r->link) {
		NL_SET_ERR_MSG(extack, "no link rule for this pair");
		return -ENOENT;
	}
	WRITE_ONCE(r->link, false);
	WRITE_ONCE(r->has_signal, false);
	WRITE_ONCE(r->loss, 0);
	WRITE_ONCE(r->delay_us, 0);
	WRITE_ONCE(r->jitter_us, 0);
	vwifi_link_rule_count--;
	__vwifi_rule_put(r);
	return 0;
}

/*
 * Remove the rules @vif is part of (all rules if @vif is NULL), of the
 * kinds asked for
 */
static void __vwifi_rules_forget(const struct vwifi_vif *vif, bool deny, bool link)
{
	struct vwifi_rule *r, *tmp;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry_safe(r, tmp, &vwifi_rule_list, list) {
		if (vif && r->rx != vif && r->tx != vif)
			continue;
		if (deny && r->deny) {
			WRITE_ONCE(r->deny, false);
			vwifi_deny_count--;
		}
		if (link && r->link)
			__vwifi_link_rule_del(r->rx, r->tx, NULL);
		else
			__vwifi_rule_put(r);
	}
}

/*
 * Whether @rx hears what @tx sends.  Every exchange between two local
 * interfaces asks: data, scans, association and IBSS cells.  Under RCU or
 * vwifi_mutex.
 */
static bool vwifi_air_hears(const struct vwifi_vif *rx, const struct vwifi_vif *tx)
{
	return !vwifi_denied(rx, tx);
}

/*
 * The signal @rx receives @tx at, in dBm: a link rule's, or one stable
 * for the pair and symmetric; a later radio medium (positions, path
 * loss) replaces the latter.
 */
static int vwifi_signal_dbm(const struct vwifi_vif *rx, const struct vwifi_vif *tx)
{
	u32 dist = rx->id > tx->id ? rx->id - tx->id : tx->id - rx->id;
	int signal = -40 - 3 * (int)(dist % 16);
	const struct vwifi_rule *r;

	rcu_read_lock();
	r = vwifi_rule_get(rx, tx);
	if (r && READ_ONCE(r->has_signal))
		signal = READ_ONCE(r->signal);
	rcu_read_unlock();
	return signal;
}

/* The same for an interface in another guest, from both addresses */
static int vwifi_remote_signal_dbm(const u8 *a, const u8 *b)
{
	return -40 - 3 * ((a[ETH_ALEN - 1] ^ b[ETH_ALEN - 1]) & 15);
}

static int vwifi_peer_signal_dbm(const struct vwifi_peer *peer)
{
	if (peer->vif)
		return vwifi_signal_dbm(peer->owner, peer->vif);
	return vwifi_remote_signal_dbm(peer->owner->ndev->dev_addr, peer->addr);
}

static bool vwifi_vif_is(const struct vwifi_vif *vif, enum nl80211_iftype type)
{
	return vif->wdev.iftype == type;
}

/* A management subtype's bit in a registration mask */
#define VWIFI_STYPE(s)		BIT(IEEE80211_STYPE_ ## s >> 4)

/*
 * Whether @ap's userspace runs the AP SME: it takes association requests
 * (iwd).  hostapd, with the device's SME, takes action, authentication
 * and probe request frames, which the device's SME answers itself.
 */
static bool vwifi_ap_sme_in_userspace(const struct vwifi_vif *ap)
{
	return READ_ONCE(ap->mgmt_regs) & VWIFI_STYPE(ASSOC_REQ);
}

/* The air's clock, which every TSF follows: microseconds since boot */
static u64 vwifi_air_tsf_now(void)
{
	return div_u64(ktime_get_boottime_ns(), NSEC_PER_USEC);
}

/*
 * A BSS on the air as one interface hears it, whether a local interface
 * runs it (@local) or one in another guest (@lower: that guest's
 * virtio-net address).  Valid only during the visit of the
 * __vwifi_air_walk() it is given to.
 */
struct vwifi_air_bss {
	const struct vwifi_bss *bss;
	enum nl80211_iftype iftype;	/* NL80211_IFTYPE_AP or _ADHOC */
	const u8 *addr;			/* the interface running it */
	struct vwifi_vif *local;	/* NULL: in another guest */
	const u8 *lower;
	int signal;			/* dBm, where it is heard */
	u64 tsf;			/* its TSF now */
};

/*
 * A walk over the BSSs @rx hears, embedded in its caller's state: @visit
 * sees each in turn and returns true to stop
 */
struct vwifi_air_walk {
	struct vwifi_vif *rx;
	bool (*visit)(struct vwifi_air_walk *walk, const struct vwifi_air_bss *h);
};

static bool vwifi_virtio_walk(struct vwifi_air_walk *walk);

/*
 * Visit each BSS walk->rx hears but its own, the local ones first, until
 * a visit returns true; whether one did.  The one walk behind scans,
 * connects and IBSS cells, for local and remote BSSs alike.  Under
 * vwifi_mutex; visits run under RCU (remote entries live there) and must
 * not sleep.
 */
static bool __vwifi_air_walk(struct vwifi_air_walk *walk)
{
	struct vwifi_air_bss h = { .tsf = vwifi_air_tsf_now() };
	struct vwifi_vif *rx = walk->rx, *src;
	bool stop = false;

	lockdep_assert_held(&vwifi_mutex);
	rcu_read_lock();
	list_for_each_entry(src, &vwifi_vifs, list) {
		if (src == rx || !src->bss.active || !vwifi_air_hears(rx, src) ||
		    (!vwifi_vif_is(src, NL80211_IFTYPE_AP) &&
		     !vwifi_vif_is(src, NL80211_IFTYPE_ADHOC)))
			continue;
		h.bss = &src->bss;
		h.iftype = src->wdev.iftype;
		h.addr = src->ndev->dev_addr;
		h.local = src;
		h.signal = vwifi_signal_dbm(rx, src);
		stop = walk->visit(walk, &h);
		if (stop)
			break;
	}
	if (!stop)
		stop = vwifi_virtio_walk(walk);
	rcu_read_unlock();
	return stop;
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

/* The local interface with address @addr.  Under RCU or vwifi_mutex. */
static struct vwifi_vif *vwifi_vif_find(const u8 *addr)
{
	struct vwifi_vif *vif;

	list_for_each_entry_rcu(vif, &vwifi_vifs, list, lockdep_is_held(&vwifi_mutex))
		if (ether_addr_equal(vif->ndev->dev_addr, addr))
			return vif;
	return NULL;
}

/* The same, if it is running */
static struct vwifi_vif *vwifi_vif_by_addr(const u8 *addr)
{
	struct vwifi_vif *vif = vwifi_vif_find(addr);

	return vif && netif_running(vif->ndev) ? vif : NULL;
}

static enum hrtimer_restart vwifi_delayq_fire(struct hrtimer *timer);
static void vwifi_delayq_close(struct vwifi_peer *peer);

static struct vwifi_peer *vwifi_peer_alloc(struct vwifi_vif *owner, const u8 *addr,
					   bool port_control)
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
	ether_addr_copy(peer->addr, addr);
	ether_addr_copy(peer->bssid, owner->bss.bssid);
	peer->freq = owner->bss.freq;
	peer->port_control = port_control;
	peer->authorized = !port_control;
	peer->linked_at = jiffies;
	peer->linked_boottime = ktime_get_boottime_ns();
	peer->last_rx = jiffies;
	peer->last_tx = jiffies;
	peer->last_heard = jiffies;
	atomic_long_set(&peer->tx_failed, 0);
	skb_queue_head_init(&peer->delayq.q);
	vwifi_hrtimer_setup(&peer->delayq.timer, vwifi_delayq_fire, CLOCK_MONOTONIC,
			    HRTIMER_MODE_ABS_SOFT);
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
static struct vwifi_peer *__vwifi_link(struct vwifi_vif *a, struct vwifi_vif *b,
				       bool a_ctrl, bool b_ctrl)
{
	struct vwifi_peer *pa, *pb;

	lockdep_assert_held(&vwifi_mutex);
	pa = vwifi_peer_alloc(a, b->ndev->dev_addr, a_ctrl);
	pb = vwifi_peer_alloc(b, a->ndev->dev_addr, b_ctrl);
	if (!pa || !pb) {
		if (pa)
			vwifi_peer_free_rcu(&pa->rcu);
		if (pb)
			vwifi_peer_free_rcu(&pb->rcu);
		return NULL;
	}
	pa->vif = b;
	pb->vif = a;
	pa->twin = pb;
	pb->twin = pa;
	hash_add_rcu(a->peers, &pa->node, ether_addr_to_u64(pa->addr));
	hash_add_rcu(b->peers, &pb->node, ether_addr_to_u64(pb->addr));
	a->n_peers++;
	b->n_peers++;
	return pa;
}

/*
 * @owner's end of a link with the local interface @far, made by @owner's
 * SME alone (@ctrl: it controls its port).  If @far made its end already,
 * the two become twins and the link carries frames.
 */
static struct vwifi_peer *__vwifi_link_half(struct vwifi_vif *owner, struct vwifi_vif *far,
					    bool ctrl)
{
	struct vwifi_peer *p, *other;

	lockdep_assert_held(&vwifi_mutex);
	p = vwifi_peer_alloc(owner, far->ndev->dev_addr, ctrl);
	if (!p)
		return NULL;
	p->vif = far;
	other = vwifi_peer_find(far, owner->ndev->dev_addr);
	if (other && other->vif == owner && !other->twin) {
		p->twin = other;
		/* @p is complete before the data path can reach it */
		smp_store_release(&other->twin, p);
	}
	hash_add_rcu(owner->peers, &p->node, ether_addr_to_u64(p->addr));
	owner->n_peers++;
	return p;
}

/* Link @owner with the interface @addr of another guest, reached at @lower */
static struct vwifi_peer *__vwifi_link_remote(struct vwifi_vif *owner, const u8 *addr,
					      const u8 *lower, bool port_control)
{
	struct vwifi_peer *peer;

	lockdep_assert_held(&vwifi_mutex);
	peer = vwifi_peer_alloc(owner, addr, port_control);
	if (!peer)
		return NULL;
	ether_addr_copy(peer->lower, lower);
	hash_add_rcu(owner->peers, &peer->node, ether_addr_to_u64(peer->addr));
	owner->n_peers++;
	return peer;
}

/* Remove one end of a link; it is freed after a grace period. */
static void vwifi_unlink_one(struct vwifi_peer *peer)
{
	if (rcu_access_pointer(peer->owner->ap_link) == peer)
		RCU_INIT_POINTER(peer->owner->ap_link, NULL);
	hash_del_rcu(&peer->node);
	peer->owner->n_peers--;
	vwifi_delayq_close(peer);
	call_rcu(&peer->rcu, vwifi_peer_free_rcu);
}

/* Whether the far end of @peer is a local AP whose userspace runs the SME */
static bool vwifi_peer_to_userspace_ap(const struct vwifi_peer *peer)
{
	return peer->vif && vwifi_vif_is(peer->vif, NL80211_IFTYPE_AP) &&
	       vwifi_ap_sme_in_userspace(peer->vif);
}

/*
 * Whether the far end of @peer keeps its entry until its userspace
 * removes it (NL80211_CMD_DEL_STATION): such an AP's
 */
static bool vwifi_peer_kept_by_far_end(const struct vwifi_peer *peer)
{
	return peer->twin && vwifi_peer_to_userspace_ap(peer);
}

/*
 * Break the link @peer belongs to: both ends (but a far end its userspace
 * keeps, which carries nothing more), or the local one of a remote link
 */
static void __vwifi_unlink(struct vwifi_peer *peer)
{
	lockdep_assert_held(&vwifi_mutex);
	if (vwifi_peer_kept_by_far_end(peer))
		WRITE_ONCE(peer->twin->twin, NULL);
	else if (peer->twin)
		vwifi_unlink_one(peer->twin);
	vwifi_unlink_one(peer);
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
		struct vwifi_stats v;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			v.rx_packets = u64_stats_read(&s->rx_packets);
			v.rx_bytes = u64_stats_read(&s->rx_bytes);
			v.tx_packets = u64_stats_read(&s->tx_packets);
			v.tx_bytes = u64_stats_read(&s->tx_bytes);
			v.relayed_packets = u64_stats_read(&s->relayed_packets);
			v.relayed_bytes = u64_stats_read(&s->relayed_bytes);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		sum->rx_packets += v.rx_packets;
		sum->rx_bytes += v.rx_bytes;
		sum->tx_packets += v.tx_packets;
		sum->tx_bytes += v.tx_bytes;
		sum->relayed_packets += v.relayed_packets;
		sum->relayed_bytes += v.relayed_bytes;
	}
}

/* An AP relayed a frame of @len bytes between two of its stations */
static void vwifi_stats_relayed(struct vwifi_pcpu_stats __percpu *stats,
				unsigned int len)
{
	struct vwifi_pcpu_stats *s = this_cpu_ptr(stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->tx_packets);
	u64_stats_add(&s->tx_bytes, len);
	u64_stats_inc(&s->relayed_packets);
	u64_stats_add(&s->relayed_bytes, len);
	u64_stats_update_end(&s->syncp);
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

	/* Scrubs the skb when it crosses network namespaces.  A frame the
	 * core refuses here or in netif_rx() (too big, backlog full) is in
	 * the device's rx_dropped already: counted once, by the core.
	 */
	if (__dev_forward_skb(dst->ndev, skb) != NET_RX_SUCCESS)
		return false;
	if (netif_rx(skb) != NET_RX_SUCCESS)
		return false;
	vwifi_stats_add(dst->stats, true, len);
	vwifi_stats_add(rx->stats, true, len);
	vwifi_touch(&rx->last_rx);
	return true;
}

static bool vwifi_receive(struct vwifi_vif *dst, struct vwifi_peer *rx,
			  struct sk_buff *skb, const struct vwifi_vif *origin);

#define VWIFI_DELAYQ_MAX	1000	/* frames waiting on one link end */

struct vwifi_delay_cb {
	ktime_t due;
	bool from_sender;		/* the link's far end sent it (no relay) */
};

static struct vwifi_delay_cb *vwifi_delay_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct vwifi_delay_cb) > sizeof(skb->cb));
	return (struct vwifi_delay_cb *)skb->cb;
}

/* Whether a link rule loses this frame.  Under RCU. */
static bool vwifi_rule_loses(const struct vwifi_rule *r)
{
	u32 loss = READ_ONCE(r->loss);

	return loss && (loss >= VWIFI_LOSS_ALL || get_random_u32() % VWIFI_LOSS_ALL < loss);
}

/* When a frame sent now under the link rule @r arrives, if it waits.  Under RCU. */
static ktime_t vwifi_rule_due(const struct vwifi_rule *r)
{
	u64 us = READ_ONCE(r->delay_us);
	u32 jitter = READ_ONCE(r->jitter_us);

	if (jitter)
		us += ((u64)get_random_u32() * (jitter + 1)) >> 32;
	return ktime_add_us(ktime_get(), us);
}

/*
 * Queue @skb on @rx (the receiver's end of the link) until @due, behind
 * the frames already waiting there: one transmitter's frames arrive in
 * order.  From the transmit path (BH off) or the timer.  False, and @skb
 * is not consumed, if the queue is full or closed.
 */
static bool vwifi_delayq_add(struct vwifi_peer *rx, struct sk_buff *skb, ktime_t due,
			     bool from_sender)
{
	struct vwifi_delayq *dq = &rx->delayq;
	struct sk_buff *last;
	bool queued = false;

	spin_lock_bh(&dq->q.lock);
	if (dq->closed || skb_queue_len(&dq->q) >= VWIFI_DELAYQ_MAX)
		goto out;
	last = skb_peek_tail(&dq->q);
	if (last && ktime_before(due, vwifi_delay_cb(last)->due))
		due = vwifi_delay_cb(last)->due;
	/* The frame now belongs to the receiver's device, which outlives
	 * this queue (the sender, or the station an AP relays for, may go
	 * while it waits); crossing network namespaces scrubs it here.
	 */
	skb_scrub_packet(skb, !net_eq(dev_net(skb->dev), dev_net(rx->owner->ndev)));
	skb_orphan(skb);
	skb->dev = rx->owner->ndev;
	vwifi_delay_cb(skb)->due = due;
	vwifi_delay_cb(skb)->from_sender = from_sender;
	__skb_queue_tail(&dq->q, skb);
	/* An empty queue has no timer pending: the first frame arms it */
	if (!last)
		hrtimer_start(&dq->timer, due, HRTIMER_MODE_ABS_SOFT);
	queued = true;
out:
	spin_unlock_bh(&dq->q.lock);
	return queued;
}

/* Softirq: hand the frames that are due to the receiver, then rearm for the next */
static enum hrtimer_restart vwifi_delayq_fire(struct hrtimer *timer)
{
	struct vwifi_delayq *dq = container_of(timer, struct vwifi_delayq, timer);
	struct vwifi_peer *rx = container_of(dq, struct vwifi_peer, delayq);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	ktime_t now = ktime_get();
	struct sk_buff_head due;
	struct sk_buff *skb;

	__skb_queue_head_init(&due);
	spin_lock_bh(&dq->q.lock);
	while ((skb = skb_peek(&dq->q)) && !ktime_after(vwifi_delay_cb(skb)->due, now))
		__skb_queue_tail(&due, __skb_dequeue(&dq->q));
	if (skb) {
		hrtimer_set_expires(timer, vwifi_delay_cb(skb)->due);
		ret = HRTIMER_RESTART;
	}
	spin_unlock_bh(&dq->q.lock);

	rcu_read_lock();
	while ((skb = __skb_dequeue(&due))) {
		/* The sender is the relay check's origin while the link stands */
		bool origin = vwifi_delay_cb(skb)->from_sender && READ_ONCE(rx->twin);

		vwifi_receive(rx->owner, rx, skb, origin ? rx->vif : NULL);
	}
	rcu_read_unlock();
	return ret;
}

/*
 * The link end @peer goes: what waits there is dropped (the receiver's
 * loss) and nothing more is queued.  Under vwifi_mutex.
 */
static void vwifi_delayq_close(struct vwifi_peer *peer)
{
	struct vwifi_delayq *dq = &peer->delayq;
	struct sk_buff_head left;
	unsigned int n;

	__skb_queue_head_init(&left);
	spin_lock_bh(&dq->q.lock);
	dq->closed = true;
	skb_queue_splice_init(&dq->q, &left);
	spin_unlock_bh(&dq->q.lock);
	hrtimer_cancel(&dq->timer);
	n = skb_queue_len(&left);
	if (!n)
		return;
	atomic_long_add(n, &peer->owner->rx_dropped);
	atomic_long_add(n, &vwifi_link_stats.delay_dropped);
	__skb_queue_purge(&left);
}

/*
 * Transmit @skb over the link @tx (the sender's entry for the receiver).
 * @origin is the interface the frame started from (differs from the
 * sender when an AP relays).  Consumes @skb; false if it was dropped
 * before it left.
 */
static bool vwifi_link_xmit(struct vwifi_peer *tx, struct sk_buff *skb,
			    const struct vwifi_vif *origin)
{
	struct vwifi_peer *rx = READ_ONCE(tx->twin);
	struct vwifi_vif *dst = tx->vif;
	const struct vwifi_rule *rule;
	unsigned int len = skb->len;
	bool delayed;

	if (!dst)
		return vwifi_virtio_xmit(tx, skb);
	if (!rx)
		goto drop;	/* the far end has not made its end yet */
	/* Until both ends open their port, only EAPOL passes */
	if ((!READ_ONCE(tx->authorized) || !READ_ONCE(rx->authorized)) &&
	    !vwifi_is_eapol(skb))
		goto drop;
	vwifi_monitor_data(tx, skb);
	rule = vwifi_rule_get(dst, tx->owner);
	/* @origin is NULL for frames from another guest */
	if ((rule && READ_ONCE(rule->deny)) ||
	    (origin && origin != tx->owner && !vwifi_air_hears(dst, origin)))
		goto drop;
	if (rule && vwifi_rule_loses(rule)) {
		atomic_long_inc(&vwifi_link_stats.lost);
		goto drop;
	}
	/* A frame waits if its rule delays it or others wait before it */
	delayed = (rule && (READ_ONCE(rule->delay_us) || READ_ONCE(rule->jitter_us))) ||
		  !skb_queue_empty_lockless(&rx->delayq.q);
	if (delayed) {
		if (!vwifi_delayq_add(rx, skb, rule ? vwifi_rule_due(rule) : ktime_get(),
				      origin == tx->owner)) {
			atomic_long_inc(&vwifi_link_stats.delay_dropped);
			goto drop;
		}
		atomic_long_inc(&vwifi_link_stats.delayed);
	}
	vwifi_stats_add(tx->stats, false, len);
	vwifi_touch(&tx->last_tx);
	/* Sent: like an acknowledged frame, a drop beyond this hop is the
	 * receiver's, counted there
	 */
	if (!delayed)
		vwifi_receive(dst, rx, skb, origin);
	return true;
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
	bool sent = false, heard = false;
	unsigned int bkt;

	hash_for_each_rcu(vif->peers, bkt, peer, node) {
		struct sk_buff *copy;

		if (peer == except)
			continue;
		/* One transmission on the air, whatever the number of links */
		if (!heard && vwifi_monitoring()) {
			vwifi_monitor_data_frames(peer, skb);
			heard = true;
		}
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
			vwifi_stats_relayed(ap->stats, len);
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

/* ---- 802.11 data frames ---- */

/* What an 802.11 data frame adds to the packet an Ethernet frame carries */
#define VWIFI_DATA_HDR_LEN	(sizeof(struct ieee80211_hdr_3addr) + sizeof(rfc1042_header) + 2)

/*
 * The data frame header of @eth's frame from @tx's owner to the far end
 * of @tx (IEEE 802.11-2020 9.3.2.1): a station sends to the DS, an AP
 * from it, an IBSS member within its cell.  A group-addressed frame keeps
 * its group address as address 1.
 */
static void vwifi_data_hdr(const struct vwifi_peer *tx, const struct ethhdr *eth,
			   struct ieee80211_hdr_3addr *wh)
{
	const u8 *ra = is_multicast_ether_addr(eth->h_dest) ? eth->h_dest : tx->addr;
	u16 fc = IEEE80211_FTYPE_DATA | IEEE80211_STYPE_DATA;

	memset(wh, 0, sizeof(*wh));
	ether_addr_copy(wh->addr2, tx->owner->ndev->dev_addr);
	switch (tx->owner->wdev.iftype) {
	case NL80211_IFTYPE_STATION:
		fc |= IEEE80211_FCTL_TODS;
		ether_addr_copy(wh->addr1, tx->addr);
		ether_addr_copy(wh->addr3, eth->h_dest);
		break;
	case NL80211_IFTYPE_AP:
		fc |= IEEE80211_FCTL_FROMDS;
		ether_addr_copy(wh->addr1, ra);
		ether_addr_copy(wh->addr3, eth->h_source);
		break;
	default:
		ether_addr_copy(wh->addr1, ra);
		ether_addr_copy(wh->addr3, tx->bssid);
		break;
	}
	wh->frame_control = cpu_to_le16(fc);
}

/*
 * Turn the Ethernet frame @skb from @tx's owner into the 802.11 data
 * frame that carries it over @tx: the header, then an LLC/SNAP header
 * with the EtherType (802.1H for the two that need it, RFC 1042 for the
 * rest), none for an 802.3 frame, whose payload starts with its LLC.
 * @skb has VWIFI_DATA_HDR_LEN - ETH_HLEN bytes of writable headroom.
 */
static void vwifi_data_from_eth(const struct vwifi_peer *tx, struct sk_buff *skb)
{
	struct ethhdr eth = *(struct ethhdr *)skb->data;
	u8 *snap;

	__skb_pull(skb, ETH_HLEN);
	if (eth_proto_is_802_3(eth.h_proto)) {
		snap = __skb_push(skb, sizeof(rfc1042_header) + 2);
		memcpy(snap, eth.h_proto == htons(ETH_P_AARP) || eth.h_proto == htons(ETH_P_IPX) ?
		       bridge_tunnel_header : rfc1042_header, sizeof(rfc1042_header));
		memcpy(snap + sizeof(rfc1042_header), &eth.h_proto, 2);
	}
	vwifi_data_hdr(tx, &eth, __skb_push(skb, sizeof(struct ieee80211_hdr_3addr)));
}

/*
 * Whether the data frame @wh (its header linear) fits the link @rx as
 * 802.11 addresses one: sent by the far end, unfragmented, unprotected
 * (the keys stay in each guest), to an AP from the DS side of its BSS,
 * to a station by its AP, to an IBSS member in its cell; to this end or,
 * to a station or IBSS member, to a group.
 */
static bool vwifi_data_fits_link(const struct vwifi_peer *rx, const struct ieee80211_hdr *wh)
{
	__le16 ds = wh->frame_control & cpu_to_le16(IEEE80211_FCTL_TODS | IEEE80211_FCTL_FROMDS);
	bool to_us = ether_addr_equal(wh->addr1, rx->owner->ndev->dev_addr);
	bool group = is_multicast_ether_addr(wh->addr1);

	if (ieee80211_has_protected(wh->frame_control) ||
	    ieee80211_has_morefrags(wh->frame_control) ||
	    (wh->seq_ctrl & cpu_to_le16(IEEE80211_SCTL_FRAG)) ||
	    !ether_addr_equal(wh->addr2, rx->addr))
		return false;
	switch (rx->owner->wdev.iftype) {
	case NL80211_IFTYPE_AP:
		return ds == cpu_to_le16(IEEE80211_FCTL_TODS) && to_us;
	case NL80211_IFTYPE_STATION:
		return ds == cpu_to_le16(IEEE80211_FCTL_FROMDS) && (to_us || group);
	case NL80211_IFTYPE_ADHOC:
		return !ds && (to_us || group) && ether_addr_equal(wh->addr3, rx->bssid);
	default:
		return false;
	}
}

/* ------------------------------------------------------------------ */
/* Monitors: what a sniffer on a channel hears, behind radiotap        */
/* ------------------------------------------------------------------ */

/*
 * A running monitor interface hears every frame sent on its channel by an
 * interface it hears (vwifi_air_hears()), local or in another guest, at
 * the signal it hears it with.  Each point where a frame goes on the air
 * hands it to vwifi_monitor_frame() or vwifi_monitor_data(), which do
 * nothing unless a monitor runs: only then is a data frame built.  A
 * monitor sends nothing (no injection yet): what is written to it is
 * dropped and counted (tx_dropped).
 */
static atomic_t vwifi_monitors = ATOMIC_INIT(0);	/* running monitors */

#define VWIFI_MON_FREQ		2412	/* a new monitor's channel */
#define VWIFI_DATA_RATE		108	/* 54 Mb/s: data, in 500 kb/s */

/* The radiotap header of every frame a monitor hears (fields by bit order) */
struct vwifi_radiotap {
	u8 version;
	u8 pad;
	__le16 len;
	__le32 present;
	__le64 tsft;			/* the air's TSF when it was heard, us */
	u8 flags;
	u8 rate;			/* 500 kb/s */
	__le16 chan_freq;
	__le16 chan_flags;
	s8 signal;			/* dBm */
	s8 noise;			/* dBm */
} __packed;

#define VWIFI_RADIOTAP_PRESENT	(BIT(IEEE80211_RADIOTAP_TSFT) | BIT(IEEE80211_RADIOTAP_FLAGS) | \
				 BIT(IEEE80211_RADIOTAP_RATE) | BIT(IEEE80211_RADIOTAP_CHANNEL) | \
				 BIT(IEEE80211_RADIOTAP_DBM_ANTSIGNAL) | \
				 BIT(IEEE80211_RADIOTAP_DBM_ANTNOISE))

static bool vwifi_monitoring(void)
{
	return atomic_read(&vwifi_monitors) > 0;
}

/*
 * Whether the monitor @mon hears a frame sent on @freq by the local
 * interface @tx (NULL: one in another guest).  Under RCU.
 */
static bool vwifi_monitor_hears(const struct vwifi_vif *mon, const struct vwifi_vif *tx, u32 freq)
{
	return mon != tx && vwifi_vif_is(mon, NL80211_IFTYPE_MONITOR) &&
	       netif_running(mon->ndev) && READ_ONCE(mon->mon_freq) == freq &&
	       (!tx || vwifi_air_hears(mon, tx));
}

/*
 * Put the radiotap header on the 802.11 frame @skb (with the headroom
 * for it) and hand it up @mon's stack: heard on @freq at @signal dBm, at
 * @rate (500 kb/s; management frames go at the band's lowest).
 * Consumes @skb.  With BHs off (per-CPU counters).
 */
static void vwifi_monitor_rx(struct vwifi_vif *mon, struct sk_buff *skb, u32 freq, int signal,
			     u8 rate)
{
	bool band_2ghz = freq < 5000;
	struct vwifi_radiotap *rt;
	unsigned int len;
	u16 flags;

	if (!rate)
		rate = band_2ghz ? 2 : 12;
	flags = band_2ghz ? IEEE80211_CHAN_2GHZ : IEEE80211_CHAN_5GHZ;
	flags |= rate == 2 ? IEEE80211_CHAN_CCK : IEEE80211_CHAN_OFDM;
	rt = skb_push(skb, sizeof(*rt));
	memset(rt, 0, sizeof(*rt));
	rt->len = cpu_to_le16(sizeof(*rt));
	rt->present = cpu_to_le32(VWIFI_RADIOTAP_PRESENT);
	rt->tsft = cpu_to_le64(vwifi_air_tsf_now());
	rt->rate = rate;
	rt->chan_freq = cpu_to_le16(freq);
	rt->chan_flags = cpu_to_le16(flags);
	rt->signal = clamp(signal, -128, 127);
	rt->noise = VWIFI_NOISE_DBM;
	skb->dev = mon->ndev;
	skb_reset_mac_header(skb);
	skb->ip_summed = CHECKSUM_NONE;
	skb->pkt_type = PACKET_OTHERHOST;
	skb->protocol = htons(ETH_P_802_2);
	len = skb->len;
	/* A frame the backlog refuses is in the core's rx_dropped already */
	if (netif_rx(skb) == NET_RX_SUCCESS)
		vwifi_stats_add(mon->stats, true, len);
}

/*
 * The management or null data frame @buf, @len bytes, goes on the air on
 * @freq from the local interface @tx or, if @tx is NULL, from @ta in
 * another guest: a copy for each monitor that hears it.  Whether one
 * did.  Any context.
 */
static bool vwifi_monitor_frame(const struct vwifi_vif *tx, const u8 *ta, u32 freq,
				const void *buf, size_t len)
{
	struct vwifi_vif *mon;
	struct sk_buff *skb;
	bool heard = false;
	int signal;

	if (!vwifi_monitoring())
		return false;
	/* Also called in process context: the counters are per CPU */
	local_bh_disable();
	rcu_read_lock();
	list_for_each_entry_rcu(mon, &vwifi_vifs, list) {
		if (!vwifi_monitor_hears(mon, tx, freq))
			continue;
		heard = true;
		skb = alloc_skb(sizeof(struct vwifi_radiotap) + len, GFP_ATOMIC);
		if (!skb) {
			atomic_long_inc(&mon->rx_dropped);
			continue;
		}
		skb_reserve(skb, sizeof(struct vwifi_radiotap));
		skb_put_data(skb, buf, len);
		signal = tx ? vwifi_signal_dbm(mon, tx) :
			      vwifi_remote_signal_dbm(mon->ndev->dev_addr, ta);
		vwifi_monitor_rx(mon, skb, freq, signal, 0);
	}
	rcu_read_unlock();
	local_bh_enable();
	return heard;
}

#define VWIFI_MON_HEADROOM	(sizeof(struct vwifi_radiotap) + VWIFI_DATA_HDR_LEN)

/* Whether a monitor hears what the local interface @tx sends on @freq.  Under RCU. */
static bool vwifi_monitor_any(const struct vwifi_vif *tx, u32 freq)
{
	struct vwifi_vif *mon;

	list_for_each_entry_rcu(mon, &vwifi_vifs, list)
		if (vwifi_monitor_hears(mon, tx, freq))
			return true;
	return false;
}

/*
 * The Ethernet frames @skb goes on the air as: a private, linear copy
 * with its checksum done, or the segments of a GSO frame (the air carries
 * no frame larger than the MTU); NULL if out of memory
 */
static struct sk_buff *vwifi_monitor_segments(const struct sk_buff *skb)
{
	struct sk_buff *copy, *segs;

	copy = skb_copy_expand(skb, VWIFI_MON_HEADROOM, 0, GFP_ATOMIC);
	if (!copy)
		return NULL;
	skb_scrub_packet(copy, true);
	if (!skb_is_gso(copy)) {
		if (copy->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(copy)) {
			kfree_skb(copy);
			return NULL;
		}
		return copy;
	}
	/* No offload: every segment gets its checksum */
	segs = skb_gso_segment(copy, 0);
	consume_skb(copy);
	return IS_ERR(segs) ? NULL : segs;
}

/*
 * The Ethernet frame @skb goes on the air over the link @tx of a local
 * sender: each monitor that hears the sender gets the 802.11 data frames
 * it is.  Under RCU, with BHs off.
 */
static void vwifi_monitor_data_frames(const struct vwifi_peer *tx, const struct sk_buff *skb)
{
	struct sk_buff *segs, *seg, *next, *copy;
	struct vwifi_vif *mon;

	if (!vwifi_monitor_any(tx->owner, tx->freq))
		return;
	/* Out of memory: no monitor hears it (the frame itself went out) */
	segs = vwifi_monitor_segments(skb);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		if (skb_cow_head(seg, VWIFI_MON_HEADROOM)) {
			kfree_skb(seg);
			continue;
		}
		vwifi_data_from_eth(tx, seg);
		list_for_each_entry_rcu(mon, &vwifi_vifs, list) {
			if (!vwifi_monitor_hears(mon, tx->owner, tx->freq))
				continue;
			copy = skb_copy_expand(seg, sizeof(struct vwifi_radiotap), 0, GFP_ATOMIC);
			if (!copy) {
				atomic_long_inc(&mon->rx_dropped);
				continue;
			}
			vwifi_monitor_rx(mon, copy, tx->freq, vwifi_signal_dbm(mon, tx->owner),
					 VWIFI_DATA_RATE);
		}
		consume_skb(seg);
	}
}

/*
 * The same, from vwifi_link_xmit() for each link.  A group frame of an AP
 * or IBSS member goes on the air once, not once per link: vwifi_fanout()
 * hands it over itself.
 */
static void vwifi_monitor_data(const struct vwifi_peer *tx, const struct sk_buff *skb)
{
	if (!vwifi_monitoring())
		return;
	if (is_multicast_ether_addr(((const struct ethhdr *)skb->data)->h_dest) &&
	    !vwifi_vif_is(tx->owner, NL80211_IFTYPE_STATION))
		return;
	vwifi_monitor_data_frames(tx, skb);
}

/*
 * Beacons nobody hears are not sent: a monitor that starts listening on
 * @freq wakes those of the local APs and IBSS members there.  Under
 * vwifi_mutex.
 */
static void __vwifi_monitor_wake_beacons(u32 freq)
{
	struct vwifi_vif *v;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(v, &vwifi_vifs, list)
		if (v->bss.active && v->bss.freq == freq &&
		    (vwifi_vif_is(v, NL80211_IFTYPE_AP) || vwifi_vif_is(v, NL80211_IFTYPE_ADHOC)))
			__vwifi_bss_beacon_arm(v);
}

/* The monitor @vif listens on @chandef from now on.  Under vwifi_mutex. */
static void __vwifi_monitor_set_channel(struct vwifi_vif *vif,
					const struct cfg80211_chan_def *chandef)
{
	lockdep_assert_held(&vwifi_mutex);
	WRITE_ONCE(vif->mon_freq, chandef->chan->center_freq);
	vif->mon_chan_type = cfg80211_get_chandef_type(chandef);
	if (netif_running(vif->ndev))
		__vwifi_monitor_wake_beacons(vif->mon_freq);
}

/* The BSS @vif runs now beacons at once if a monitor may hear it */
static void __vwifi_monitor_bss_up(struct vwifi_vif *vif)
{
	lockdep_assert_held(&vwifi_mutex);
	if (vwifi_monitoring())
		__vwifi_bss_beacon_arm(vif);
}

/*
 * iw dev MON set freq|channel ...: the channel of the monitor @ndev
 * (NULL: of each monitor of the wiphy).  Under the wiphy lock.
 */
static int vwifi_set_monitor_channel(struct wiphy *wiphy, struct net_device *ndev,
				     struct cfg80211_chan_def *chandef)
{
	struct vwifi_radio *radio = wiphy_priv(wiphy);
	struct vwifi_vif *vif;

	mutex_lock(&vwifi_mutex);
	list_for_each_entry(vif, &radio->vifs, radio_node)
		if ((!ndev || vif->ndev == ndev) && vwifi_vif_is(vif, NL80211_IFTYPE_MONITOR))
			__vwifi_monitor_set_channel(vif, chandef);
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* A monitor comes up or goes down.  Under rtnl. */
static void vwifi_monitor_open(struct vwifi_vif *vif)
{
	atomic_inc(&vwifi_monitors);
	netif_carrier_on(vif->ndev);
	mutex_lock(&vwifi_mutex);
	__vwifi_monitor_wake_beacons(vif->mon_freq);
	mutex_unlock(&vwifi_mutex);
}

static void vwifi_monitor_stop(struct vwifi_vif *vif)
{
	atomic_dec(&vwifi_monitors);
}

/*
 * An interface becomes a monitor or stops being one (it is down):
 * monitors are radiotap devices, on VWIFI_MON_FREQ until told otherwise.
 * Under rtnl.
 */
static void vwifi_monitor_set_type(struct vwifi_vif *vif, enum nl80211_iftype type)
{
	ASSERT_RTNL();
	if (type == NL80211_IFTYPE_MONITOR) {
		vif->ndev->type = ARPHRD_IEEE80211_RADIOTAP;
		if (!vif->mon_freq) {
			WRITE_ONCE(vif->mon_freq, VWIFI_MON_FREQ);
			vif->mon_chan_type = NL80211_CHAN_NO_HT;
		}
	} else {
		vif->ndev->type = ARPHRD_ETHER;
	}
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

/* Fixed parts of the management frames the SMEs exchange */
#define VWIFI_MGMT_HDR_LEN	offsetof(struct ieee80211_mgmt, u)
#define VWIFI_AUTH_LEN		offsetof(struct ieee80211_mgmt, u.auth.variable)
#define VWIFI_ASSOC_REQ_LEN	offsetof(struct ieee80211_mgmt, u.assoc_req.variable)
#define VWIFI_REASSOC_REQ_LEN	offsetof(struct ieee80211_mgmt, u.reassoc_req.variable)
#define VWIFI_ASSOC_RESP_LEN	offsetof(struct ieee80211_mgmt, u.assoc_resp.variable)
#define VWIFI_BEACON_FIXED_LEN	offsetof(struct ieee80211_mgmt, u.beacon.variable)
/* A disassociation has the deauthentication's layout */
#define VWIFI_DEAUTH_LEN	offsetofend(struct ieee80211_mgmt, u.deauth.reason_code)
#define VWIFI_TIM_IE_LEN	6	/* with a one-octet virtual bitmap */

/* The header of a management frame of subtype @stype; the rest is zero */
static void vwifi_mgmt_hdr(struct ieee80211_mgmt *mgmt, u16 stype, const u8 *da,
			   const u8 *sa, const u8 *bssid)
{
	memset(mgmt, 0, VWIFI_MGMT_HDR_LEN);
	mgmt->frame_control = cpu_to_le16(IEEE80211_FTYPE_MGMT | stype);
	ether_addr_copy(mgmt->da, da);
	ether_addr_copy(mgmt->sa, sa);
	ether_addr_copy(mgmt->bssid, bssid);
}

/* A deauthentication from @sa to @da in @bssid, VWIFI_DEAUTH_LEN bytes */
static void vwifi_deauth_frame(struct ieee80211_mgmt *deauth, const u8 *da, const u8 *sa,
			       const u8 *bssid, u16 reason)
{
	vwifi_mgmt_hdr(deauth, IEEE80211_STYPE_DEAUTH, da, sa, bssid);
	deauth->u.deauth.reason_code = cpu_to_le16(reason);
}

/* Whether @len bytes of IEs are whole elements, each within the buffer */
static bool vwifi_ies_valid(const u8 *ies, size_t len)
{
	const struct element *e;

	for_each_element(e, ies, len)
		;
	return for_each_element_completed(e, ies, len);
}

/*
 * Supported (and extended supported) rates of @band that @mask has (bit i:
 * band->bitrates[i]), the mandatory ones basic
 */
static u8 *vwifi_put_rates_in(u8 *pos, const struct ieee80211_supported_band *band, u32 mask)
{
	u8 rates[16];
	int i, n = 0;

	for (i = 0; i < band->n_bitrates && n < ARRAY_SIZE(rates); i++) {
		if (i < 32 && !(mask & BIT(i)))
			continue;
		rates[n] = band->bitrates[i].bitrate / 5;
		if (band->bitrates[i].flags & (IEEE80211_RATE_MANDATORY_A |
					       IEEE80211_RATE_MANDATORY_B))
			rates[n] |= 0x80;
		n++;
	}
	pos = vwifi_put_ie(pos, WLAN_EID_SUPP_RATES, rates, min(n, 8));
	if (n > 8)
		pos = vwifi_put_ie(pos, WLAN_EID_EXT_SUPP_RATES, rates + 8, n - 8);
	return pos;
}

static u8 *vwifi_put_rates(u8 *pos, const struct ieee80211_supported_band *band)
{
	return vwifi_put_rates_in(pos, band, U32_MAX);
}

#define VWIFI_RATES_IE_MAX	(2 + 8 + 2 + 8)

static struct ieee80211_supported_band *vwifi_band_of(struct wiphy *wiphy, u32 freq)
{
	struct ieee80211_channel *chan = ieee80211_get_channel(wiphy, freq);

	return chan ? wiphy->bands[chan->band] : NULL;
}

#define VWIFI_WMM_INFO_LEN	7
#define VWIFI_MODE_IE_MAX	(2 + sizeof(struct ieee80211_ht_cap) + 2 + VWIFI_WMM_INFO_LEN)

static const struct ieee80211_ht_cap *vwifi_find_ht_cap(const u8 *ies, size_t len)
{
	const struct element *e = cfg80211_find_elem(WLAN_EID_HT_CAPABILITY, ies, len);

	return e && e->datalen >= sizeof(struct ieee80211_ht_cap) ? (const void *)e->data : NULL;
}

static bool vwifi_has_wmm(const u8 *ies, size_t len)
{
	return cfg80211_find_vendor_elem(WLAN_OUI_MICROSOFT, WLAN_OUI_TYPE_MICROSOFT_WMM,
					 ies, len);
}

/* What a station asks for: its HT capabilities and a WMM information element */
static u8 *vwifi_put_mode_ies(u8 *pos, const struct ieee80211_supported_band *band,
			      const struct vwifi_link_mode *mode)
{
	static const u8 wmm[VWIFI_WMM_INFO_LEN] = {
		0x00, 0x50, 0xf2, WLAN_OUI_TYPE_MICROSOFT_WMM,
		0,	/* subtype: information element */
		1,	/* version */
		0,	/* QoS info: no U-APSD */
	};
	struct ieee80211_ht_cap ht = {
		.cap_info = cpu_to_le16(band->ht_cap.cap),
		.ampdu_params_info = band->ht_cap.ampdu_factor |
			band->ht_cap.ampdu_density << IEEE80211_HT_AMPDU_PARM_DENSITY_SHIFT,
		.mcs = band->ht_cap.mcs,
	};

	if (mode->ht)
		pos = vwifi_put_ie(pos, WLAN_EID_HT_CAPABILITY, &ht, sizeof(ht));
	if (mode->sta_flags & BIT(NL80211_STA_FLAG_WME))
		pos = vwifi_put_ie(pos, WLAN_EID_VENDOR_SPECIFIC, wmm, sizeof(wmm));
	return pos;
}

/*
 * Whether the HT Operation element in @ies says the BSS runs 40 MHz wide:
 * +1 with its secondary channel above, -1 below, 0 if 20 MHz
 */
static s8 vwifi_ht40_offset(const u8 *ies, size_t len)
{
	const struct element *e = cfg80211_find_elem(WLAN_EID_HT_OPERATION, ies, len);
	const struct ieee80211_ht_operation *op;

	if (!e || e->datalen < sizeof(*op))
		return 0;
	op = (const void *)e->data;
	if (!(op->ht_param & IEEE80211_HT_PARAM_CHAN_WIDTH_ANY))
		return 0;
	switch (op->ht_param & IEEE80211_HT_PARAM_CHA_SEC_OFFSET) {
	case IEEE80211_HT_PARAM_CHA_SEC_ABOVE:
		return 1;
	case IEEE80211_HT_PARAM_CHA_SEC_BELOW:
		return -1;
	default:
		return 0;
	}
}

/*
 * @offset (as above) for a BSS on @freq if @wiphy may use that secondary
 * channel there, else 0 (20 MHz): a beacon from another guest may name one
 * that does not exist, as HT40- on channel 1
 */
static s8 vwifi_ht40_usable(struct wiphy *wiphy, u32 freq, s8 offset)
{
	struct ieee80211_channel *chan = ieee80211_get_channel(wiphy, freq);
	struct cfg80211_chan_def def;

	if (!offset || !chan)
		return 0;
	cfg80211_chandef_create(&def, chan,
				offset > 0 ? NL80211_CHAN_HT40PLUS : NL80211_CHAN_HT40MINUS);
	return cfg80211_chandef_usable(wiphy, &def, IEEE80211_CHAN_DISABLED) ? offset : 0;
}

/* Pairwise TKIP and WEP rule HT out (802.11n-2009, 11.9.3) */
static bool vwifi_sme_allows_ht(const struct cfg80211_connect_params *sme)
{
	int i;

	if (sme->key_len)
		return false;		/* static WEP */
	for (i = 0; i < sme->crypto.n_ciphers_pairwise; i++)
		switch (sme->crypto.ciphers_pairwise[i]) {
		case WLAN_CIPHER_SUITE_TKIP:
		case WLAN_CIPHER_SUITE_WEP40:
		case WLAN_CIPHER_SUITE_WEP104:
			return false;
		}
	return !(sme->flags & ASSOC_REQ_DISABLE_HT);
}

/*
 * What the station @sta negotiates with the BSS @bss (its beacon IEs):
 * HT if both have it, WMM if the AP offers it, MFP if userspace asked for
 * it (it does only when the AP's RSN element allows it), the short
 * preamble if the AP's capabilities allow it on 2.4 GHz.
 */
static void vwifi_sta_negotiate(struct vwifi_vif *sta, const struct vwifi_bss *bss,
				const struct cfg80211_connect_params *sme,
				struct vwifi_link_mode *mode)
{
	struct ieee80211_supported_band *band = vwifi_band_of(sta->wdev.wiphy, bss->freq);
	const struct ieee80211_ht_cap *ht = vwifi_find_ht_cap(bss->ies, bss->ies_len);
	u16 caps;

	memset(mode, 0, sizeof(*mode));
	if (!band)
		return;
	if (ht && band->ht_cap.ht_supported && vwifi_sme_allows_ht(sme)) {
		caps = band->ht_cap.cap & le16_to_cpu(ht->cap_info);
		mode->ht = true;
		if (caps & IEEE80211_HT_CAP_SUP_WIDTH_20_40)
			mode->ht40 = vwifi_ht40_usable(sta->wdev.wiphy, bss->freq,
						       vwifi_ht40_offset(bss->ies,
									 bss->ies_len));
		mode->ht_sgi = caps & (mode->ht40 ? IEEE80211_HT_CAP_SGI_40 :
					     IEEE80211_HT_CAP_SGI_20);
	}
	if (vwifi_has_wmm(bss->ies, bss->ies_len))
		mode->sta_flags |= BIT(NL80211_STA_FLAG_WME);
	if (sme->mfp == NL80211_MFP_REQUIRED)
		mode->sta_flags |= BIT(NL80211_STA_FLAG_MFP);
	if (band->band == NL80211_BAND_2GHZ &&
	    bss->capability & WLAN_CAPABILITY_SHORT_PREAMBLE)
		mode->sta_flags |= BIT(NL80211_STA_FLAG_SHORT_PREAMBLE);
}

/*
 * What the AP @ap grants a station whose association request carries
 * @ies: HT and WMM where both ends have them.  MFP is hostapd's decision,
 * learnt when it authorizes the station (vwifi_change_station()).
 */
static void vwifi_ap_negotiate(const struct vwifi_vif *ap, const u8 *ies, size_t len,
			       struct vwifi_link_mode *mode)
{
	const struct vwifi_bss *bss = &ap->bss;
	const struct ieee80211_ht_cap *ap_ht = vwifi_find_ht_cap(bss->ies, bss->ies_len);
	const struct ieee80211_ht_cap *sta_ht = vwifi_find_ht_cap(ies, len);
	struct ieee80211_channel *chan = ieee80211_get_channel(ap->wdev.wiphy, bss->freq);

	u16 caps;

	memset(mode, 0, sizeof(*mode));
	if (bss->mode.ht && ap_ht && sta_ht) {
		caps = le16_to_cpu(ap_ht->cap_info) & le16_to_cpu(sta_ht->cap_info);
		mode->ht = true;
		if (caps & IEEE80211_HT_CAP_SUP_WIDTH_20_40)
			mode->ht40 = bss->mode.ht40;
		mode->ht_sgi = caps & (mode->ht40 ? IEEE80211_HT_CAP_SGI_40 :
					     IEEE80211_HT_CAP_SGI_20);
	}
	if (vwifi_has_wmm(bss->ies, bss->ies_len) && vwifi_has_wmm(ies, len))
		mode->sta_flags |= BIT(NL80211_STA_FLAG_WME);
	/* Every vwifi station can do the short preamble */
	if (chan && chan->band == NL80211_BAND_2GHZ &&
	    bss->capability & WLAN_CAPABILITY_SHORT_PREAMBLE)
		mode->sta_flags |= BIT(NL80211_STA_FLAG_SHORT_PREAMBLE);
}

/* Room the IEs of @bss take in a frame, at most */
static size_t vwifi_bss_scan_ies_room(const struct vwifi_bss *bss)
{
	return 2 + bss->ssid_len + bss->ies_len + VWIFI_TIM_IE_LEN;
}

/* @bss's beacon interval in microseconds (TUs of 1024 us; 100 unset) */
static u32 vwifi_beacon_interval_us(const struct vwifi_bss *bss)
{
	return (bss->beacon_int ?: 100) * 1024;
}

/*
 * Jiffies until @bss's next target beacon transmission time (a TSF that
 * is a multiple of its beacon interval), at least one
 */
static unsigned long vwifi_bss_until_tbtt(const struct vwifi_bss *bss)
{
	u32 interval = vwifi_beacon_interval_us(bss);
	u32 phase;

	div_u64_rem(vwifi_air_tsf_now(), interval, &phase);
	return usecs_to_jiffies(interval - phase) ?: 1;
}

/*
 * The device adds the TIM element to an AP's beacons (userspace leaves it
 * out, as mac80211 and firmware add it): the DTIM count at the TSF @tsf,
 * the DTIM period, no buffered traffic.  After the elements with lower
 * IDs (SSID, rates, DS parameters) at the start of @ies, @len bytes; the
 * others follow it.  Returns the end of what it wrote to @pos.
 */
static u8 *vwifi_put_ies_with_tim(u8 *pos, const struct vwifi_bss *bss, const u8 *ies,
				  size_t len, u64 tsf)
{
	u32 interval = vwifi_beacon_interval_us(bss);
	const struct element *e;
	size_t head = 0;
	u8 tim[4] = {};
	u32 n;

	for_each_element(e, ies, len) {
		if (e->id >= WLAN_EID_TIM)
			break;
		head = e->data + e->datalen - ies;
	}
	memcpy(pos, ies, head);
	pos += head;
	div_u64_rem(div_u64(tsf, interval), bss->dtim_period, &n);
	tim[0] = n ? bss->dtim_period - n : 0;	/* beacons to the next DTIM */
	tim[1] = bss->dtim_period;
	pos = vwifi_put_ie(pos, WLAN_EID_TIM, tim, sizeof(tim));
	memcpy(pos, ies + head, len - head);
	return pos + len - head;
}

/*
 * Write the IEs of @bss as a scanner sees them to @buf (room: see above); a
 * hidden SSID is revealed only in answer to a probe for it (@reveal).
 * Returns their length.
 */
static size_t vwifi_bss_put_scan_ies(const struct vwifi_bss *bss, bool reveal, u8 *buf)
{
	const u8 *rest = bss->ies;
	size_t rest_len = bss->ies_len;
	u8 *pos;

	if (!reveal || bss->hidden == NL80211_HIDDEN_SSID_NOT_IN_USE) {
		memcpy(buf, bss->ies, bss->ies_len);
		return bss->ies_len;
	}
	/* Replace the beacon's empty or zeroed SSID element by the real one */
	if (rest_len >= 2 && rest[0] == WLAN_EID_SSID && 2 + rest[1] <= rest_len) {
		rest_len -= 2 + rest[1];
		rest += 2 + rest[1];
	}
	pos = vwifi_put_ie(buf, WLAN_EID_SSID, bss->ssid, bss->ssid_len);
	memcpy(pos, rest, rest_len);
	return pos - buf + rest_len;
}

/*
 * The beacon, or with @probe_resp the probe response to @da, that @bss sends
 * at the TSF @tsf: an 802.11 frame as the air carries it.  A hidden SSID is
 * in a probe response only when the probe named it (@reveal).  Returns a
 * kmalloc'ed frame of *@len bytes, or NULL.
 */
static struct ieee80211_mgmt *vwifi_bss_frame(const struct vwifi_bss *bss, bool probe_resp,
					      const u8 *da, u64 tsf, bool reveal,
					      size_t *len, gfp_t gfp)
{
	size_t hdr = offsetof(struct ieee80211_mgmt, u.beacon.variable);
	struct ieee80211_mgmt *mgmt;

	/* u.beacon and u.probe_resp have one layout */
	BUILD_BUG_ON(offsetof(struct ieee80211_mgmt, u.probe_resp.variable) != hdr);
	mgmt = kzalloc(hdr + vwifi_bss_scan_ies_room(bss), gfp);
	if (!mgmt)
		return NULL;
	mgmt->frame_control = cpu_to_le16(IEEE80211_FTYPE_MGMT |
					  (probe_resp ? IEEE80211_STYPE_PROBE_RESP :
							IEEE80211_STYPE_BEACON));
	ether_addr_copy(mgmt->da, da);
	ether_addr_copy(mgmt->sa, bss->bssid);
	ether_addr_copy(mgmt->bssid, bss->bssid);
	mgmt->u.beacon.timestamp = cpu_to_le64(tsf);
	mgmt->u.beacon.beacon_int = cpu_to_le16(bss->beacon_int);
	mgmt->u.beacon.capab_info = cpu_to_le16(bss->capability);
	if (!probe_resp && bss->dtim_period)
		*len = vwifi_put_ies_with_tim(mgmt->u.beacon.variable, bss, bss->ies,
					      bss->ies_len, tsf) - (u8 *)mgmt;
	else
		*len = hdr + vwifi_bss_put_scan_ies(bss, probe_resp && reveal,
						    mgmt->u.beacon.variable);
	return mgmt;
}

/*
 * The beacon @vif sends now for the BSS it runs or has joined, from its own
 * address (an IBSS member's, in its cell's BSSID; an AP's is its BSSID).
 * Returns a kmalloc'ed frame of *@len bytes, or NULL.
 */
static struct ieee80211_mgmt *vwifi_vif_beacon(const struct vwifi_vif *vif, size_t *len)
{
	struct ieee80211_mgmt *beacon;

	beacon = vwifi_bss_frame(&vif->bss, false, vif->ndev->broadcast, vwifi_air_tsf_now(),
				 false, len, GFP_KERNEL);
	if (beacon)
		ether_addr_copy(beacon->sa, vif->ndev->dev_addr);
	return beacon;
}

/* Room a probe request of @req takes, at most */
static size_t vwifi_probe_req_room(const struct cfg80211_scan_request *req)
{
	return offsetof(struct ieee80211_mgmt, u.probe_req.variable) + 2 + IEEE80211_MAX_SSID_LEN +
	       VWIFI_RATES_IE_MAX + 3 + req->ie_len;
}

/*
 * Write to @mgmt (room: see above) the probe request @sta sends on @chan
 * for @ssid in the scan @req: to the BSSID it names (the broadcast address
 * if none), with the rates of the channel's band the scan allows, the
 * channel and the IEs userspace added.  Returns its length.
 */
static size_t vwifi_probe_req_frame(struct ieee80211_mgmt *mgmt, const struct vwifi_vif *sta,
				    const struct cfg80211_scan_request *req,
				    const struct ieee80211_channel *chan,
				    const struct cfg80211_ssid *ssid)
{
	struct ieee80211_supported_band *band = sta->wdev.wiphy->bands[chan->band];
	u8 ds = ieee80211_frequency_to_channel(chan->center_freq);
	u8 *pos;

	vwifi_mgmt_hdr(mgmt, IEEE80211_STYPE_PROBE_REQ, req->bssid, sta->ndev->dev_addr,
		       req->bssid);
	pos = vwifi_put_ie(mgmt->u.probe_req.variable, WLAN_EID_SSID, ssid->ssid,
			   ssid->ssid_len);
	if (band)
		pos = vwifi_put_rates_in(pos, band, req->rates[chan->band]);
	if (chan->band == NL80211_BAND_2GHZ)
		pos = vwifi_put_ie(pos, WLAN_EID_DS_PARAMS, &ds, 1);
	memcpy(pos, req->ie, req->ie_len);
	return pos - (u8 *)mgmt + req->ie_len;
}

/*
 * @vif hears the beacon or probe response @mgmt, @len bytes, on @freq at
 * @signal dBm: cfg80211 parses it, as it does a driver's received frame.
 * Returns a reference to the cfg80211 entry, or NULL (malformed, or a
 * channel the wiphy lacks).
 */
static struct cfg80211_bss *vwifi_inform_frame(struct vwifi_vif *vif, u32 freq, int signal,
					       const struct ieee80211_mgmt *mgmt, size_t len,
					       gfp_t gfp)
{
	struct wiphy *wiphy = vif->wdev.wiphy;
	struct cfg80211_inform_bss data = {
		.chan = ieee80211_get_channel(wiphy, freq),
		.signal = DBM_TO_MBM(signal),
		.boottime_ns = ktime_get_boottime_ns(),
	};

	if (!data.chan)
		return NULL;
	/* cfg80211 takes the frame as non-const, and only reads it */
	return cfg80211_inform_bss_frame_data(wiphy, &data, (struct ieee80211_mgmt *)mgmt,
					      len, gfp);
}

/*
 * @vif hears @bss at @signal dBm with the TSF @tsf: its beacon, or with
 * @probe_resp its answer to @vif's probe.  cfg80211 parses the frame, as it
 * does a driver's received one.  Returns a reference to the cfg80211 entry,
 * or NULL.
 */
static struct cfg80211_bss *vwifi_inform(struct vwifi_vif *vif,
					 const struct vwifi_bss *bss, int signal,
					 u64 tsf, bool reveal, bool probe_resp,
					 gfp_t gfp)
{
	const u8 *da = probe_resp ? vif->ndev->dev_addr : vif->ndev->broadcast;
	struct ieee80211_mgmt *mgmt;
	struct cfg80211_bss *cbss;
	size_t len = 0;

	mgmt = vwifi_bss_frame(bss, probe_resp, da, tsf, reveal, &len, gfp);
	if (!mgmt)
		return NULL;
	cbss = vwifi_inform_frame(vif, bss->freq, signal, mgmt, len, gfp);
	kfree(mgmt);
	return cbss;
}

/* The BSS a local interface @src runs, as seen by @vif */
static struct cfg80211_bss *vwifi_inform_bss(struct vwifi_vif *vif,
					     struct vwifi_vif *src, bool reveal,
					     bool probe_resp)
{
	return vwifi_inform(vif, &src->bss, vwifi_signal_dbm(vif, src),
			    vwifi_air_tsf_now(), reveal, probe_resp, GFP_KERNEL);
}

static void vwifi_bss_clear(struct vwifi_bss *bss)
{
	kfree(bss->ies);
	kfree(bss->resp_ies);
	memset(bss, 0, sizeof(*bss));
}

/* @vif's BSS is up: its survey counts active time and airtime from now */
static void vwifi_bss_up(struct vwifi_vif *vif)
{
	vif->bss.active = true;
	vif->bss.up_ns = ktime_get_boottime_ns();
	vwifi_stats_read(vif->stats, &vif->bss.up_stats);
}

/*
 * Whether @vif may use @freq: the radio's other interfaces that run,
 * joined or are associated to a BSS are on it.  Under vwifi_mutex.
 */
static bool __vwifi_radio_channel_ok(const struct vwifi_vif *vif, u32 freq)
{
	const struct vwifi_vif *v;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(v, &vif->radio->vifs, radio_node)
		if (v != vif && v->bss.active && v->bss.freq != freq)
			return false;
	return true;
}

static bool vwifi_bss_ssid_is(const struct vwifi_bss *bss, const u8 *ssid, size_t len)
{
	return bss->ssid_len == len && !memcmp(bss->ssid, ssid, len);
}

/* Copy the parameters of @src (not its state, not its IEs) into @dst */
static void vwifi_bss_copy_params(struct vwifi_bss *dst, const struct vwifi_bss *src)
{
	ether_addr_copy(dst->bssid, src->bssid);
	memcpy(dst->ssid, src->ssid, src->ssid_len);
	dst->ssid_len = src->ssid_len;
	dst->hidden = src->hidden;
	dst->freq = src->freq;
	dst->beacon_int = src->beacon_int;
	dst->capability = src->capability;
	dst->dtim_period = src->dtim_period;
	dst->secured = src->secured;
}

static bool vwifi_bss_params_equal(const struct vwifi_bss *a, const struct vwifi_bss *b)
{
	return ether_addr_equal(a->bssid, b->bssid) &&
	       vwifi_bss_ssid_is(a, b->ssid, b->ssid_len) && a->hidden == b->hidden &&
	       a->freq == b->freq && a->beacon_int == b->beacon_int &&
	       a->capability == b->capability && a->dtim_period == b->dtim_period &&
	       a->secured == b->secured;
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

/*
 * Whether @bss answers a probe request for @ssid (@len bytes): its own
 * SSID, or any SSID (the wildcard, empty SSID) unless its SSID is hidden
 */
static bool vwifi_bss_answers_probe(const struct vwifi_bss *bss, const u8 *ssid, size_t len)
{
	return vwifi_bss_ssid_is(bss, ssid, len) ||
	       (!len && bss->hidden == NL80211_HIDDEN_SSID_NOT_IN_USE);
}

/* Whether the scan @req covers @bss: its channel and BSSID filter */
static bool vwifi_scan_covers(const struct cfg80211_scan_request *req,
			      const struct vwifi_bss *bss)
{
	return vwifi_scan_has_freq(req, bss->freq) &&
	       (is_broadcast_ether_addr(req->bssid) ||
		ether_addr_equal(req->bssid, bss->bssid));
}

struct vwifi_scan_walk {
	struct vwifi_air_walk walk;
	const struct cfg80211_scan_request *req;
};

/*
 * Report @h, a BSS of another guest, if the scan covers it: by the last
 * beacon heard from it (that guest's beacons cross every half second).
 * A local BSS was reported by each beacon the scan heard, and APs and IBSS
 * members answered its probe requests with frames of their own.
 */
static bool vwifi_scan_visit(struct vwifi_air_walk *walk, const struct vwifi_air_bss *h)
{
	const struct cfg80211_scan_request *req =
		container_of(walk, struct vwifi_scan_walk, walk)->req;
	struct vwifi_vif *vif = walk->rx;

	if (h->local || !vwifi_scan_covers(req, h->bss))
		return false;
	cfg80211_put_bss(vif->wdev.wiphy,
			 vwifi_inform(vif, h->bss, h->signal, h->tsf, false, false, GFP_ATOMIC));
	return false;
}

static void vwifi_scan_report(struct vwifi_vif *vif,
			      const struct cfg80211_scan_request *req)
{
	struct vwifi_scan_walk sw = {
		.walk = { .rx = vif, .visit = vwifi_scan_visit },
		.req = req,
	};

	__vwifi_air_walk(&sw.walk);
}

/*
 * Send the probe requests of the active scan @req: one for each SSID it
 * names on each of its channels where it may send (on a channel marked
 * no-IR or radar it only listens), all at its start (each BSS hears only
 * its own channel's).  Under vwifi_mutex.
 */
static void __vwifi_scan_send_probes(struct vwifi_vif *vif,
				     const struct cfg80211_scan_request *req)
{
	struct ieee80211_channel *chan;
	struct ieee80211_mgmt *mgmt;
	size_t len;
	int c, i;

	lockdep_assert_held(&vwifi_mutex);
	if (!req->n_ssids)
		return;
	mgmt = kmalloc(vwifi_probe_req_room(req), GFP_KERNEL);
	if (!mgmt)
		return;
	for (c = 0; c < req->n_channels; c++) {
		chan = req->channels[c];
		if (chan->flags & (IEEE80211_CHAN_NO_IR | IEEE80211_CHAN_RADAR))
			continue;
		for (i = 0; i < req->n_ssids; i++) {
			len = vwifi_probe_req_frame(mgmt, vif, req, chan, &req->ssids[i]);
			__vwifi_air_send_probe_req(vif, chan->center_freq, (const u8 *)mgmt, len);
		}
	}
	kfree(mgmt);
}

/*
 * Local scans in progress, so that a beacon looks for scans that listen
 * only while there are some.  Under vwifi_mutex.
 */
static unsigned int vwifi_scans_running;

/* Whether @vif's scan listens on @freq now.  Under vwifi_mutex. */
static bool __vwifi_scan_listens(const struct vwifi_vif *vif, u32 freq)
{
	lockdep_assert_held(&vwifi_mutex);
	return vif->scan_req && vwifi_scan_has_freq(vif->scan_req, freq);
}

/*
 * Each scan that covers @src's BSS (its channel and BSSID filter) and hears
 * @src takes its beacon @mgmt, @len bytes, as cfg80211 parses a received
 * one.  Whether such a scan still listens at @src's next beacon (then
 * @src beacons again).  Under vwifi_mutex, in process context.
 */
static bool __vwifi_scan_rx_beacon(struct vwifi_vif *src, const struct ieee80211_mgmt *mgmt,
				   size_t len)
{
	unsigned long next = jiffies + usecs_to_jiffies(vwifi_beacon_interval_us(&src->bss));
	u32 freq = src->bss.freq;
	struct cfg80211_bss *cbss;
	bool listens = false;
	struct vwifi_vif *rx;

	lockdep_assert_held(&vwifi_mutex);
	if (!vwifi_scans_running)
		return false;
	list_for_each_entry(rx, &vwifi_vifs, list) {
		if (rx == src || !rx->scan_req || !vwifi_scan_covers(rx->scan_req, &src->bss))
			continue;
		if (time_before(next, rx->scan_end))
			listens = true;
		if (!vwifi_air_hears(rx, src))
			continue;
		cbss = vwifi_inform_frame(rx, freq, vwifi_signal_dbm(rx, src), mgmt, len,
					  GFP_KERNEL);
		if (!cbss)
			continue;
		cfg80211_put_bss(rx->wdev.wiphy, cbss);
		atomic_long_inc(&vwifi_mgmt.beacon_scan_rx);
	}
	return listens;
}

/*
 * The local APs and IBSS members that @vif's scan covers beacon while it
 * listens, if their next beacon falls before its end (one that nobody
 * listens to does not)
 */
static void __vwifi_scan_wake_beacons(const struct vwifi_vif *vif)
{
	struct vwifi_vif *src;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(src, &vwifi_vifs, list)
		if (src != vif && src->bss.active && vwifi_scan_covers(vif->scan_req, &src->bss) &&
		    (vwifi_vif_is(src, NL80211_IFTYPE_AP) ||
		     vwifi_vif_is(src, NL80211_IFTYPE_ADHOC)) &&
		    time_before(jiffies + vwifi_bss_until_tbtt(&src->bss), vif->scan_end))
			__vwifi_bss_beacon_arm(src);
}

/*
 * The scan of @vif hears the probe response @mgmt, @len bytes, on @freq at
 * @signal dBm: cfg80211 parses it into its BSS list.  False if cfg80211
 * refused it (malformed).  Under vwifi_mutex, in process context.
 */
static bool __vwifi_scan_rx_probe_resp(struct vwifi_vif *vif, u32 freq, int signal,
				       const struct ieee80211_mgmt *mgmt, size_t len)
{
	struct cfg80211_bss *cbss;

	lockdep_assert_held(&vwifi_mutex);
	cbss = vwifi_inform_frame(vif, freq, signal, mgmt, len, GFP_KERNEL);
	if (!cbss)
		return false;
	cfg80211_put_bss(vif->wdev.wiphy, cbss);
	atomic_long_inc(&vwifi_mgmt.probe_resp_rx);
	return true;
}

static void __vwifi_scan_finish(struct vwifi_vif *vif, bool aborted)
{
	struct cfg80211_scan_info info = { .aborted = aborted };

	lockdep_assert_held(&vwifi_mutex);
	if (!vif->scan_req)
		return;
	if (!aborted)
		vwifi_scan_report(vif, vif->scan_req);
	cfg80211_scan_done(vif->scan_req, &info);
	vif->scan_req = NULL;
	vwifi_scans_running--;
}

static void vwifi_scan_work(struct work_struct *work)
{
	struct vwifi_vif *vif = container_of(to_delayed_work(work),
					     struct vwifi_vif, scan_work);

	mutex_lock(&vwifi_mutex);
	__vwifi_scan_finish(vif, false);
	mutex_unlock(&vwifi_mutex);
}

/* Abort a pending scan; never called with vwifi_mutex held */
static void vwifi_scan_abort(struct vwifi_vif *vif)
{
	cancel_delayed_work_sync(&vif->scan_work);
	mutex_lock(&vwifi_mutex);
	__vwifi_scan_finish(vif, true);
	mutex_unlock(&vwifi_mutex);
}

/*
 * Scans complete from a work item after as long as an active scan of the
 * requested channels takes, like hardware.  Not much faster: `iw dev X scan`
 * listens for the end of a scan only once its trigger has returned, and
 * waits forever if the scan finished before that.
 */
static int vwifi_scan(struct wiphy *wiphy, struct cfg80211_scan_request *req)
{
	struct vwifi_vif *vif = vwifi_wdev_vif(req->wdev);
	unsigned int ms = max_t(unsigned int, VWIFI_SCAN_MIN_MS,
				req->n_channels * VWIFI_SCAN_CHANNEL_MS);

	mutex_lock(&vwifi_mutex);
	if (vif->scan_req) {
		mutex_unlock(&vwifi_mutex);
		return -EBUSY;
	}
	vif->scan_req = req;
	vif->scan_end = jiffies + msecs_to_jiffies(ms);
	vwifi_scans_running++;
	__vwifi_scan_send_probes(vif, req);
	__vwifi_scan_wake_beacons(vif);
	mutex_unlock(&vwifi_mutex);
	queue_delayed_work(vwifi_wq, &vif->scan_work, msecs_to_jiffies(ms));
	return 0;
}

static void vwifi_abort_scan(struct wiphy *wiphy, struct wireless_dev *wdev)
{
	vwifi_scan_abort(vwifi_wdev_vif(wdev));
}

/* ------------------------------------------------------------------ */
/* Station (managed) mode                                             */
/* ------------------------------------------------------------------ */

/* Whether the BSS of an AP, local or remote, is the one @sme asks for */
static bool vwifi_bss_fits_connect(const struct vwifi_bss *bss,
				   const struct cfg80211_connect_params *sme)
{
	const u8 *bssid = sme->bssid ?: sme->bssid_hint;
	const struct ieee80211_channel *chan = sme->channel ?: sme->channel_hint;

	return vwifi_bss_ssid_is(bss, sme->ssid, sme->ssid_len) &&
	       (!bssid || ether_addr_equal(bssid, bss->bssid)) &&
	       (!chan || chan->center_freq == bss->freq);
}

/* The AP a connect picks, local or in another guest: its parameters go to the station's bss */
struct vwifi_ap_pick {
	struct vwifi_air_walk walk;
	const struct cfg80211_connect_params *sme;
	struct vwifi_vif *local;	/* a local AP, else NULL */
	bool found;
};

/* The first AP that fits the connect */
static bool vwifi_ap_pick_visit(struct vwifi_air_walk *walk, const struct vwifi_air_bss *h)
{
	struct vwifi_ap_pick *pick = container_of(walk, struct vwifi_ap_pick, walk);
	struct vwifi_vif *sta = walk->rx;

	if (h->iftype != NL80211_IFTYPE_AP || !vwifi_bss_fits_connect(h->bss, pick->sme) ||
	    !__vwifi_radio_channel_ok(sta, h->bss->freq))
		return false;
	/* Only the parameters: the IEs stay with the AP */
	vwifi_bss_copy_params(&sta->bss, h->bss);
	vwifi_sta_negotiate(sta, h->bss, pick->sme, &sta->bss.mode);
	sta->sme_remote = !h->local;
	if (h->lower)
		ether_addr_copy(sta->sme_lower, h->lower);
	else
		eth_zero_addr(sta->sme_lower);
	pick->local = h->local;
	pick->found = true;
	return true;
}

/*
 * The (re)association request IEs: SSID, rates, HT and WMM as negotiated
 * (sta->bss.mode), then the caller's (RSN...)
 */
static u8 *vwifi_assoc_req_ies(struct vwifi_vif *sta, const struct vwifi_bss *bss,
			       const u8 *extra, size_t extra_len, size_t *len)
{
	struct ieee80211_supported_band *band = vwifi_band_of(sta->wdev.wiphy, bss->freq);
	u8 *buf, *pos;

	buf = kmalloc(2 + bss->ssid_len + VWIFI_RATES_IE_MAX + VWIFI_MODE_IE_MAX +
		      extra_len, GFP_KERNEL);
	if (!buf)
		return NULL;
	pos = vwifi_put_ie(buf, WLAN_EID_SSID, bss->ssid, bss->ssid_len);
	if (band) {
		pos = vwifi_put_rates(pos, band);
		pos = vwifi_put_mode_ies(pos, band, &sta->bss.mode);
	}
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
	vwifi_compat_new_sta(vif, mac, sinfo);
	kfree(sinfo);
}

/*
 * @sta is associated over @link with the AP of sta->bss, local or remote:
 * the data path opens and cfg80211 learns of it (which holds @cbss), as a
 * connection or, after a reassociation (@roam), as a roam.
 */
static void __vwifi_sta_link_up(struct vwifi_vif *sta, struct vwifi_peer *link,
				struct cfg80211_bss *cbss, const u8 *req_ies, size_t req_len,
				const u8 *resp_ies, size_t resp_len, bool roam)
{
	struct cfg80211_roam_info info = {
		.req_ie = req_ies,
		.req_ie_len = req_len,
		.resp_ie = resp_ies,
		.resp_ie_len = resp_len,
		.links[0].bss = cbss,
	};

	lockdep_assert_held(&vwifi_mutex);
	link->mode = sta->bss.mode;
	rcu_assign_pointer(sta->ap_link, link);
	vwifi_bss_up(sta);
	if (link->vif)
		__vwifi_bss_beacon_arm(link->vif);
	netif_carrier_on(sta->ndev);
	if (roam)
		cfg80211_roamed(sta->ndev, &info, GFP_KERNEL);
	else
		cfg80211_connect_bss(sta->ndev, sta->bss.bssid, cbss, req_ies, req_len,
				     resp_ies, resp_len, WLAN_STATUS_SUCCESS, GFP_KERNEL,
				     NL80211_TIMEOUT_UNSPECIFIED);
}

/*
 * The BSS @vif ran, joined or was associated to is over: forget it and
 * its group keys; the carrier goes off
 */
static void __vwifi_bss_end(struct vwifi_vif *vif)
{
	lockdep_assert_held(&vwifi_mutex);
	vwifi_bss_clear(&vif->bss);
	memset(vif->gtk, 0, sizeof(vif->gtk));
	netif_carrier_off(vif->ndev);
}

/*
 * Tell the station's cfg80211 of the association it lost.  Under its
 * wiphy lock or rtnl and vwifi_mutex: a type change holds both, so the
 * event reaches a station.  @lost is set only for an association whose
 * success vwifi reported and whose end it has not: one cfg80211 holds (or
 * will, once it has read the queued result).
 */
static void __vwifi_sta_report_lost(struct vwifi_vif *sta)
{
	lockdep_assert_held(&vwifi_mutex);
	if (!sta->lost)
		return;
	sta->lost = false;
	if (vwifi_vif_is(sta, NL80211_IFTYPE_STATION))
		cfg80211_disconnected(sta->ndev, sta->lost_reason, NULL, 0,
				      sta->lost_locally, GFP_KERNEL);
}

/*
 * @sta lost its association outside its own context: its AP removed it
 * (under the AP's wiphy lock) or, in virtio mode, the remote AP left or
 * went silent (@locally: beacon loss, this end noticed).  cfg80211 learns
 * of it from the station's wiphy work, as from firmware, so that the
 * event cannot fall between cfg80211's flush of the station's events and a
 * change of its type (a WARNING in __cfg80211_disconnected).
 */
static void __vwifi_sta_mark_lost(struct vwifi_vif *sta, u16 reason, bool locally)
{
	lockdep_assert_held(&vwifi_mutex);
	sta->lost = true;
	sta->lost_locally = locally;
	sta->lost_reason = reason;
	wiphy_work_queue(sta->wdev.wiphy, &sta->radio->lost_work);
}

/*
 * The userspace SME of @ap learns that the station @sa left with @reason,
 * heard at @signal dBm: a deauthentication frame, as the air would carry
 * it (from another guest's deauthentication, or standing in for one it
 * could not hear)
 */
static void __vwifi_ap_hear_deauth(struct vwifi_vif *ap, const u8 *sa, int signal, u16 reason)
{
	struct ieee80211_mgmt deauth;

	vwifi_deauth_frame(&deauth, ap->ndev->dev_addr, sa, ap->bss.bssid, reason);
	cfg80211_rx_mgmt(&ap->wdev, ap->bss.freq, signal, (const u8 *)&deauth,
			 VWIFI_DEAUTH_LEN, 0);
}

/*
 * @tx tells the interface @da (in another guest: at @lower, if known) that
 * it leaves @bssid, with a deauthentication on @freq.  Whether the frame
 * was acknowledged (see __vwifi_air_send_mgmt()).
 */
static bool __vwifi_send_deauth(struct vwifi_vif *tx, const u8 *da, const u8 *lower,
				const u8 *bssid, u32 freq, u16 reason)
{
	struct ieee80211_mgmt deauth;

	vwifi_deauth_frame(&deauth, da, tx->ndev->dev_addr, bssid, reason);
	return __vwifi_air_send_mgmt(tx, freq, &deauth, VWIFI_DEAUTH_LEN, lower);
}

/*
 * The owner of @peer tells its far end it leaves the BSS of their link (a
 * station reassociating has already taken its new AP's)
 */
static bool __vwifi_peer_send_deauth(struct vwifi_peer *peer, u16 reason)
{
	return __vwifi_send_deauth(peer->owner, peer->addr, peer->vif ? NULL : peer->lower,
				   peer->bssid, peer->freq, reason);
}

/*
 * The far end of @peer is gone (it left, or in virtio mode went silent):
 * the owner's side learns of it, a station as a lost association
 * (@reason, @locally as above), an AP or IBSS member through its
 * userspace (a deleted station).
 */
static void __vwifi_peer_gone(struct vwifi_peer *peer, u16 reason, bool locally)
{
	struct vwifi_vif *vif = peer->owner;

	lockdep_assert_held(&vwifi_mutex);
	if (rcu_access_pointer(vif->ap_link) != peer) {
		/* A station's end of an association in progress: no
		 * userspace knows of it
		 */
		if (!vwifi_vif_is(vif, NL80211_IFTYPE_STATION))
			vwifi_compat_del_sta(vif, peer->addr);
		__vwifi_unlink(peer);
		return;
	}
	__vwifi_unlink(peer);
	__vwifi_bss_end(vif);
	__vwifi_sta_mark_lost(vif, reason, locally);
}

/*
 * The owner of @peer ends their link, and the far end learns of it with
 * @reason.  A station and its local AP tell each other with a
 * deauthentication frame (an AP whose userspace runs the SME keeps its
 * entry until that userspace deletes it); until it arrives the far end is
 * a half link that carries nothing.  When the far end cannot hear the
 * frame (no acknowledgment), it learns at once, standing in for the
 * inactivity timeout that would end its side.  IBSS members, which link
 * without frames, learn at once; a remote end from a deauthentication
 * over the medium.
 */
static void __vwifi_peer_leave(struct vwifi_peer *peer, u16 reason)
{
	struct vwifi_peer *far = peer->twin;

	lockdep_assert_held(&vwifi_mutex);
	if (vwifi_peer_to_userspace_ap(peer)) {
		if (!__vwifi_peer_send_deauth(peer, reason))
			__vwifi_ap_hear_deauth(peer->vif, peer->owner->ndev->dev_addr,
					       vwifi_signal_dbm(peer->vif, peer->owner), reason);
		__vwifi_unlink(peer);
		return;
	}
	if (far) {
		/* Each end goes on its own, the far one as its owner learns
		 * of it: the far end's rules (an AP that keeps entries) do
		 * not keep @peer
		 */
		WRITE_ONCE(far->twin, NULL);
		WRITE_ONCE(peer->twin, NULL);
		if (vwifi_vif_is(peer->owner, NL80211_IFTYPE_ADHOC) ||
		    !__vwifi_peer_send_deauth(peer, reason))
			__vwifi_peer_gone(far, reason, false);
		vwifi_unlink_one(peer);
		return;
	}
	if (!peer->vif)
		__vwifi_peer_send_deauth(peer, reason);
	__vwifi_unlink(peer);
}

/*
 * The station end of @link leaves at its own request (a cfg80211 op or
 * the interface going down): the AP learns of it, and cfg80211 at once.
 * Under the station's wiphy lock or rtnl (see __vwifi_sta_report_lost()).
 */
static void vwifi_disassociate(struct vwifi_peer *link, u16 reason)
{
	struct vwifi_vif *sta = link->owner;

	__vwifi_peer_leave(link, reason);
	__vwifi_bss_end(sta);
	cfg80211_disconnected(sta->ndev, reason, NULL, 0, true, GFP_KERNEL);
}

/*
 * The station end of @link lost its AP by beacon loss: the AP learns of it
 * as from the station's deauthentication (a local one as a deleted
 * station), cfg80211 as a loss noticed locally
 */
static void __vwifi_sta_beacon_loss(struct vwifi_peer *link)
{
	lockdep_assert_held(&vwifi_mutex);
	if (link->twin && !vwifi_peer_kept_by_far_end(link))
		vwifi_compat_del_sta(link->vif, link->owner->ndev->dev_addr);
	else if (!link->vif)
		__vwifi_peer_send_deauth(link, WLAN_REASON_DISASSOC_DUE_TO_INACTIVITY);
	__vwifi_peer_gone(link, WLAN_REASON_DISASSOC_DUE_TO_INACTIVITY, true);
}

/* ---- Beacons ---- */

/* Beacons missed in a row before a station gives its AP up, as mac80211 */
#define VWIFI_BEACON_LOSS_COUNT	7

/*
 * The station or IBSS end of @link heard its AP's or fellow member's
 * beacon at @signal dBm: for its station info.  Under vwifi_mutex or,
 * for an interface in another guest, RCU.
 */
static void vwifi_link_count_beacon(struct vwifi_peer *link, int signal)
{
	atomic_long_inc(&link->rx_beacons);
	WRITE_ONCE(link->beacon_signal, signal);
}

/*
 * The station or IBSS end of @link hears @mgmt, @len bytes, a beacon at
 * @signal dBm: one of its BSS is counted, with its signal; anything else
 * is counted invalid.
 */
static void __vwifi_link_rx_beacon(struct vwifi_peer *link, const struct ieee80211_mgmt *mgmt,
				   size_t len, int signal)
{
	lockdep_assert_held(&vwifi_mutex);
	if (len < VWIFI_BEACON_FIXED_LEN || !ieee80211_is_beacon(mgmt->frame_control) ||
	    !ether_addr_equal(mgmt->bssid, link->owner->bss.bssid) ||
	    !vwifi_ies_valid(mgmt->u.beacon.variable, len - VWIFI_BEACON_FIXED_LEN)) {
		atomic_long_inc(&vwifi_mgmt.rx_invalid);
		return;
	}
	link->beacons_missed = 0;
	vwifi_link_count_beacon(link, signal);
	atomic_long_inc(&vwifi_mgmt.beacon_rx);
}

/*
 * The station or IBSS end of @link did not hear the beacon it listens for:
 * whether that makes VWIFI_BEACON_LOSS_COUNT in a row (beacon loss)
 */
static bool __vwifi_link_miss_beacon(struct vwifi_peer *link)
{
	lockdep_assert_held(&vwifi_mutex);
	atomic_long_inc(&vwifi_mgmt.beacon_missed);
	return ++link->beacons_missed >= VWIFI_BEACON_LOSS_COUNT;
}

/*
 * Under the wiphy lock.  The work is the radio's, which outlives its
 * interfaces, so an interface going away has nothing to cancel.
 */
static void vwifi_sta_lost_work(struct wiphy *wiphy, struct wiphy_work *work)
{
	struct vwifi_radio *radio = container_of(work, struct vwifi_radio, lost_work);
	struct vwifi_vif *sta;

	mutex_lock(&vwifi_mutex);
	list_for_each_entry(sta, &radio->vifs, radio_node) {
		/* Going down, ndo_stop tells it, before cfg80211 unregisters it */
		if (netif_running(sta->ndev))
			__vwifi_sta_report_lost(sta);
	}
	mutex_unlock(&vwifi_mutex);
}

/*
 * A reassociation failed after @sta left its AP: it is associated to
 * none, and cfg80211, which still holds the old association, learns of
 * its loss
 */
static void __vwifi_sta_roam_failed(struct vwifi_vif *sta)
{
	lockdep_assert_held(&vwifi_mutex);
	__vwifi_bss_end(sta);
	__vwifi_sta_mark_lost(sta, WLAN_REASON_UNSPECIFIED, true);
}

/* ---- The station's SME: authentication and (re)association frames ---- */

static void vwifi_sme_clear(struct vwifi_vif *sta)
{
	sta->sme = VWIFI_SME_IDLE;
	sta->sme_roam = false;
	kfree(sta->sme_req_ies);
	sta->sme_req_ies = NULL;
	sta->sme_req_ies_len = 0;
}

/* Where the SME's frames go: the AP's guest, or NULL for a local AP */
static const u8 *vwifi_sme_lower(const struct vwifi_vif *sta)
{
	return sta->sme_remote ? sta->sme_lower : NULL;
}

/* Open System authentication, transaction 1 */
static void __vwifi_sme_send_auth(struct vwifi_vif *sta)
{
	struct ieee80211_mgmt auth = {};

	vwifi_mgmt_hdr(&auth, IEEE80211_STYPE_AUTH, sta->bss.bssid, sta->ndev->dev_addr,
		       sta->bss.bssid);
	auth.u.auth.auth_alg = cpu_to_le16(WLAN_AUTH_OPEN);
	auth.u.auth.auth_transaction = cpu_to_le16(1);
	__vwifi_air_send_mgmt(sta, sta->bss.freq, &auth, VWIFI_AUTH_LEN, vwifi_sme_lower(sta));
}

/* The (re)association request: capabilities, listen interval, the AP left, IEs */
static void __vwifi_sme_send_assoc(struct vwifi_vif *sta)
{
	bool re = sta->sme_roam;
	size_t fixed = re ? VWIFI_REASSOC_REQ_LEN : VWIFI_ASSOC_REQ_LEN;
	u16 capab = WLAN_CAPABILITY_ESS |
		    (sta->bss.capability & (WLAN_CAPABILITY_PRIVACY |
					    WLAN_CAPABILITY_SHORT_PREAMBLE));
	struct ieee80211_mgmt *req;

	req = kzalloc(fixed + sta->sme_req_ies_len, GFP_KERNEL);
	if (!req)
		return;		/* the next try */
	vwifi_mgmt_hdr(req, re ? IEEE80211_STYPE_REASSOC_REQ : IEEE80211_STYPE_ASSOC_REQ,
		       sta->bss.bssid, sta->ndev->dev_addr, sta->bss.bssid);
	/* assoc_req and reassoc_req start alike */
	req->u.assoc_req.capab_info = cpu_to_le16(capab);
	req->u.assoc_req.listen_interval = cpu_to_le16(VWIFI_LISTEN_INTERVAL);
	if (re)
		ether_addr_copy(req->u.reassoc_req.current_ap, sta->sme_prev_bssid);
	memcpy((u8 *)req + fixed, sta->sme_req_ies, sta->sme_req_ies_len);
	__vwifi_air_send_mgmt(sta, sta->bss.freq, req, fixed + sta->sme_req_ies_len,
			      vwifi_sme_lower(sta));
	kfree(req);
}

/* Send the frame of the SME's step and wait for the answer */
static void __vwifi_sme_send(struct vwifi_vif *sta)
{
	lockdep_assert_held(&vwifi_mutex);
	if (sta->sme == VWIFI_SME_AUTH)
		__vwifi_sme_send_auth(sta);
	else
		__vwifi_sme_send_assoc(sta);
	sta->sme_deadline = jiffies + msecs_to_jiffies(VWIFI_SME_TIMEOUT_MS);
	mod_delayed_work(vwifi_wq, &sta->sme_timeout, msecs_to_jiffies(VWIFI_SME_TIMEOUT_MS));
}

static void __vwifi_sme_step(struct vwifi_vif *sta, enum vwifi_sme_state step)
{
	sta->sme = step;
	sta->sme_tries = 1;
	__vwifi_sme_send(sta);
}

/*
 * Start the exchange with the AP vwifi_ap_pick_visit() chose (its
 * parameters in sta->bss): authentication, then association, or with
 * @roam reassociation from the AP @prev.  0 once the first frame is out.
 */
static int __vwifi_sme_start(struct vwifi_vif *sta, const struct cfg80211_connect_params *sme,
			     bool roam, const u8 *prev)
{
	lockdep_assert_held(&vwifi_mutex);
	sta->sme_req_ies = vwifi_assoc_req_ies(sta, &sta->bss, sme->ie, sme->ie_len,
					       &sta->sme_req_ies_len);
	if (!sta->sme_req_ies ||
	    (sta->sme_remote && sta->sme_req_ies_len > VWIFI_VIRTIO_MAX_IES)) {
		vwifi_sme_clear(sta);
		return -ENOMEM;
	}
	sta->sme_roam = roam;
	sta->sme_control_port = sme->crypto.control_port;
	if (roam)
		ether_addr_copy(sta->sme_prev_bssid, prev);
	__vwifi_sme_step(sta, VWIFI_SME_AUTH);
	return 0;
}

/*
 * Give up the exchange.  An AP that accepted the station already learns
 * that it left: a local one through the link it made, one in another
 * guest from a deauthentication.
 */
static void __vwifi_sme_cancel(struct vwifi_vif *sta)
{
	struct vwifi_peer *peer;
	struct vwifi_vif *ap;

	lockdep_assert_held(&vwifi_mutex);
	if (sta->sme == VWIFI_SME_IDLE)
		return;
	peer = vwifi_peer_find(sta, sta->bss.bssid);
	ap = sta->sme_remote ? NULL : vwifi_vif_by_addr(sta->bss.bssid);
	if (peer && peer != rcu_access_pointer(sta->ap_link))
		__vwifi_peer_leave(peer, WLAN_REASON_DEAUTH_LEAVING);
	else if (sta->sme == VWIFI_SME_ASSOC && sta->sme_remote)
		__vwifi_send_deauth(sta, sta->bss.bssid, sta->sme_lower, sta->bss.bssid,
				    sta->bss.freq, WLAN_REASON_DEAUTH_LEAVING);
	else if (sta->sme == VWIFI_SME_ASSOC && ap && vwifi_vif_is(ap, NL80211_IFTYPE_AP) &&
		 vwifi_ap_sme_in_userspace(ap))
		/* Its userspace may have accepted us already */
		__vwifi_send_deauth(sta, ap->ndev->dev_addr, NULL, sta->bss.bssid, sta->bss.freq,
				    WLAN_REASON_DEAUTH_LEAVING);
	vwifi_sme_clear(sta);
	vwifi_bss_clear(&sta->bss);
}

struct vwifi_sme_walk {
	struct vwifi_air_walk walk;
	struct cfg80211_bss *cbss;
};

/* The AP of the station's exchange, as its probe response */
static bool vwifi_sme_inform_visit(struct vwifi_air_walk *walk, const struct vwifi_air_bss *h)
{
	struct vwifi_sme_walk *sw = container_of(walk, struct vwifi_sme_walk, walk);

	if (h->iftype != NL80211_IFTYPE_AP || !ether_addr_equal(h->bss->bssid, walk->rx->bss.bssid))
		return false;
	sw->cbss = vwifi_inform(walk->rx, h->bss, h->signal, h->tsf, true, true, GFP_ATOMIC);
	return true;
}

/*
 * The exchange ended with the AP's @status, and on success the IEs of its
 * association response.  A local AP (@ap) whose device SME accepted the
 * station made both ends of the link; otherwise the station makes its own
 * (the AP's userspace adds the other, a remote AP has its own).
 */
static void __vwifi_sme_done(struct vwifi_vif *sta, struct vwifi_vif *ap, u16 status,
			     const u8 *resp_ies, size_t resp_len)
{
	struct vwifi_sme_walk sw = {
		.walk = { .rx = sta, .visit = vwifi_sme_inform_visit },
	};
	struct vwifi_peer *link = NULL;

	lockdep_assert_held(&vwifi_mutex);
	cancel_delayed_work(&sta->sme_timeout);
	if (status == WLAN_STATUS_SUCCESS) {
		__vwifi_air_walk(&sw.walk);
		if (sw.cbss && ap)
			link = vwifi_peer_find(sta, sta->bss.bssid) ?:
			       (vwifi_ap_sme_in_userspace(ap) ?
				__vwifi_link_half(sta, ap, sta->sme_control_port) : NULL);
		else if (sw.cbss)
			link = __vwifi_link_remote(sta, sta->bss.bssid, sta->sme_lower,
						   sta->sme_control_port);
		if (!link || (ap && link->vif != ap))
			status = WLAN_STATUS_UNSPECIFIED_FAILURE;
	}
	if (status != WLAN_STATUS_SUCCESS) {
		if (sw.cbss)
			cfg80211_put_bss(sta->wdev.wiphy, sw.cbss);
		if (sta->sme_roam) {
			__vwifi_sme_cancel(sta);
			__vwifi_sta_roam_failed(sta);
			return;
		}
		cfg80211_connect_bss(sta->ndev, sta->bss.bssid, NULL, sta->sme_req_ies,
				     sta->sme_req_ies_len, resp_ies, resp_len, status,
				     GFP_KERNEL, NL80211_TIMEOUT_UNSPECIFIED);
		__vwifi_sme_cancel(sta);
		return;
	}
	if (ap) {
		/* A device SME made our end with its port open: ours to control */
		link->port_control = sta->sme_control_port;
		WRITE_ONCE(link->authorized, !sta->sme_control_port);
	}
	__vwifi_sta_link_up(sta, link, sw.cbss, sta->sme_req_ies, sta->sme_req_ies_len,
			    resp_ies, resp_len, sta->sme_roam);
	vwifi_sme_clear(sta);
}

/* The AP's answer to the station's authentication; false if unexpected */
static bool __vwifi_sme_rx_auth(struct vwifi_vif *sta, const struct ieee80211_mgmt *mgmt)
{
	u16 status = le16_to_cpu(mgmt->u.auth.status_code);

	if (sta->sme != VWIFI_SME_AUTH ||
	    le16_to_cpu(mgmt->u.auth.auth_alg) != WLAN_AUTH_OPEN ||
	    le16_to_cpu(mgmt->u.auth.auth_transaction) != 2)
		return false;
	if (status == WLAN_STATUS_SUCCESS)
		__vwifi_sme_step(sta, VWIFI_SME_ASSOC);
	else
		__vwifi_sme_done(sta, NULL, status, NULL, 0);
	return true;
}

/* The AP's (re)association response, @len bytes; false if unexpected */
static bool __vwifi_sme_rx_assoc_resp(struct vwifi_vif *sta, struct vwifi_vif *ap,
				      const struct ieee80211_mgmt *mgmt, size_t len)
{
	if (sta->sme != VWIFI_SME_ASSOC ||
	    ieee80211_is_reassoc_resp(mgmt->frame_control) != sta->sme_roam)
		return false;
	__vwifi_sme_done(sta, ap, le16_to_cpu(mgmt->u.assoc_resp.status_code),
			 mgmt->u.assoc_resp.variable, len - VWIFI_ASSOC_RESP_LEN);
	return true;
}

/* No answer in time: the frame goes again, up to VWIFI_SME_TRIES times */
static void vwifi_sme_timeout_work(struct work_struct *work)
{
	struct vwifi_vif *sta = container_of(to_delayed_work(work), struct vwifi_vif,
					     sme_timeout);

	mutex_lock(&vwifi_mutex);
	if (sta->sme == VWIFI_SME_IDLE || time_before(jiffies, sta->sme_deadline))
		goto out;
	if (sta->sme_tries < VWIFI_SME_TRIES) {
		sta->sme_tries++;
		__vwifi_sme_send(sta);
	} else if (sta->sme_roam) {
		__vwifi_sme_cancel(sta);
		__vwifi_sta_roam_failed(sta);
	} else if (sta->sme == VWIFI_SME_AUTH) {
		cfg80211_connect_timeout(sta->ndev, sta->bss.bssid, NULL, 0, GFP_KERNEL,
					 NL80211_TIMEOUT_AUTH);
		__vwifi_sme_cancel(sta);
	} else {
		cfg80211_connect_timeout(sta->ndev, sta->bss.bssid, sta->sme_req_ies,
					 sta->sme_req_ies_len, GFP_KERNEL,
					 NL80211_TIMEOUT_ASSOC);
		__vwifi_sme_cancel(sta);
	}
out:
	mutex_unlock(&vwifi_mutex);
}

/*
 * Reassociation: @sta, associated over @old, moves to the AP @sme asks
 * for.  The old AP learns that the station left, and cfg80211 learns of
 * the new association as a roam.  A reassociation to the same AP
 * replaces the association there without a departure, as on the air: its
 * hostapd, told of a new station it already has, starts it afresh (a
 * departure it would answer by deleting the station, which could hit the
 * new association).  When no AP fits, the station stays where it is
 * (cfg80211 keeps the link on an error).
 */
static int __vwifi_sta_reassociate(struct vwifi_vif *sta, struct vwifi_peer *old,
				   const struct cfg80211_connect_params *sme)
{
	struct vwifi_ap_pick pick = {
		.walk = { .rx = sta, .visit = vwifi_ap_pick_visit },
		.sme = sme,
	};
	u8 prev[ETH_ALEN];
	bool same;
	int err;

	lockdep_assert_held(&vwifi_mutex);
	__vwifi_air_walk(&pick.walk);
	if (!pick.found)
		return -ENOENT;
	ether_addr_copy(prev, old->addr);
	same = ether_addr_equal(prev, sta->bss.bssid);
	if (same)
		__vwifi_unlink(old);
	else
		__vwifi_peer_leave(old, WLAN_REASON_DEAUTH_LEAVING);
	/* The new BSS has its own group keys; the old pairwise ones left with @old */
	memset(sta->gtk, 0, sizeof(sta->gtk));
	sta->bss.active = false;	/* until the AP answers */
	err = __vwifi_sme_start(sta, sme, true, prev);
	if (err && same && pick.local)	/* its hostapd still holds the station */
		vwifi_compat_del_sta(pick.local, sta->ndev->dev_addr);
	if (err)
		__vwifi_sta_roam_failed(sta);
	return 0;
}

static int vwifi_connect(struct wiphy *wiphy, struct net_device *ndev,
			 struct cfg80211_connect_params *sme)
{
	struct vwifi_vif *sta = netdev_priv(ndev);
	struct vwifi_ap_pick pick = {
		.walk = { .rx = sta, .visit = vwifi_ap_pick_visit },
		.sme = sme,
	};
	struct vwifi_peer *link;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	if (sta->lost) {
		/* The association a reassociation would continue is gone */
		__vwifi_sta_report_lost(sta);
		err = -ENOTCONN;
		goto out;
	}
	link = rcu_dereference_protected(sta->ap_link, lockdep_is_held(&vwifi_mutex));
	if (link && sta->wdev.connected) {
		err = __vwifi_sta_reassociate(sta, link, sme);
		goto out;
	}
	if (link || sta->sme != VWIFI_SME_IDLE) {
		/* Not connected in cfg80211's view: the result of the
		 * association in flight is still queued, and answers this
		 * request; an error would make 6.1's cfg80211 forget the SSID,
		 * keep the connection that result reports, and never call our
		 * disconnect op.  Connected, with a reassociation in flight:
		 * that one answers first.
		 */
		err = sta->wdev.connected ? -EALREADY : 0;
		goto out;
	}
	vwifi_bss_clear(&sta->bss);
	__vwifi_air_walk(&pick.walk);
	if (!pick.found || __vwifi_sme_start(sta, sme, false, NULL)) {
		vwifi_bss_clear(&sta->bss);
		/* Like hardware: the attempt fails after the fact */
		cfg80211_connect_timeout(ndev, sme->bssid, NULL, 0, GFP_KERNEL,
					 NL80211_TIMEOUT_SCAN);
	}
out:
	mutex_unlock(&vwifi_mutex);
	return err;
}

/*
 * @sta leaves its AP, or gives up the association in flight, at its own
 * request.  Under its wiphy lock or rtnl (see __vwifi_sta_report_lost()).
 */
static void __vwifi_sta_leave(struct vwifi_vif *sta, u16 reason)
{
	struct vwifi_peer *link = rcu_dereference_protected(sta->ap_link,
							    lockdep_is_held(&vwifi_mutex));
	bool roaming = sta->sme != VWIFI_SME_IDLE && sta->sme_roam;

	lockdep_assert_held(&vwifi_mutex);
	if (link) {
		vwifi_disassociate(link, reason);
		return;
	}
	__vwifi_sta_report_lost(sta);
	__vwifi_sme_cancel(sta);
	/* cfg80211 still holds the association the station left to roam */
	if (roaming) {
		__vwifi_bss_end(sta);
		cfg80211_disconnected(sta->ndev, reason, NULL, 0, true, GFP_KERNEL);
	}
}

static int vwifi_disconnect(struct wiphy *wiphy, struct net_device *ndev,
			    u16 reason_code)
{
	mutex_lock(&vwifi_mutex);
	__vwifi_sta_leave(netdev_priv(ndev), reason_code);
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Access point mode                                                  */
/* ------------------------------------------------------------------ */

/*
 * @ap sends its beacon, heard by each local station associated to it
 * that hears @ap (the others miss it) and by the scans on its channel
 * that hear it.  Whether such a station or scan was there: with none, @ap
 * stops beaconing.  (Other guests hear it from the virtio transport's
 * tick.)
 */
static bool __vwifi_ap_beacon(struct vwifi_vif *ap)
{
	struct vwifi_peer *p, *link;
	struct ieee80211_mgmt *beacon;
	bool listened = false;
	struct hlist_node *tmp;
	struct vwifi_vif *sta;
	unsigned int bkt;
	size_t len;

	lockdep_assert_held(&vwifi_mutex);
	if (!ap->bss.active || !vwifi_vif_is(ap, NL80211_IFTYPE_AP))
		return false;
	beacon = vwifi_vif_beacon(ap, &len);
	if (beacon)
		atomic_long_inc(&vwifi_mgmt.beacon_tx);
	/* A beacon loss ends the link: @p and its twin go */
	hash_for_each_safe(ap->peers, bkt, tmp, p, node) {
		sta = p->vif;
		if (!sta || !vwifi_vif_is(sta, NL80211_IFTYPE_STATION))
			continue;
		link = rcu_dereference_protected(sta->ap_link, lockdep_is_held(&vwifi_mutex));
		if (!link || link->vif != ap)
			continue;
		listened = true;
		if (beacon && vwifi_air_hears(sta, ap))
			__vwifi_link_rx_beacon(link, beacon, len, vwifi_signal_dbm(sta, ap));
		else if (__vwifi_link_miss_beacon(link))
			__vwifi_sta_beacon_loss(link);
	}
	if (beacon && __vwifi_scan_rx_beacon(ap, beacon, len))
		listened = true;
	if (beacon && vwifi_monitor_frame(ap, NULL, ap->bss.freq, beacon, len))
		listened = true;
	kfree(beacon);
	return listened;
}

/*
 * Queue @ap's next beacon at its next target beacon transmission time
 * (TSF a multiple of the beacon interval), unless it is queued already
 */
static void __vwifi_bss_beacon_arm(struct vwifi_vif *vif)
{
	lockdep_assert_held(&vwifi_mutex);
	if (vif->bss.active)
		queue_delayed_work(vwifi_wq, &vif->beacon_work, vwifi_bss_until_tbtt(&vif->bss));
}

static bool __vwifi_ibss_beacon(struct vwifi_vif *vif);

/* An AP's or IBSS member's beacon, from __vwifi_bss_beacon_arm() */
static void vwifi_beacon_work(struct work_struct *work)
{
	struct vwifi_vif *vif = container_of(to_delayed_work(work), struct vwifi_vif,
					     beacon_work);
	bool again;

	mutex_lock(&vwifi_mutex);
	if (vwifi_vif_is(vif, NL80211_IFTYPE_ADHOC))
		again = __vwifi_ibss_beacon(vif);
	else
		again = __vwifi_ap_beacon(vif);
	if (again)
		__vwifi_bss_beacon_arm(vif);
	mutex_unlock(&vwifi_mutex);
}

/* Take the IEs and capabilities of a beacon hostapd built */
static int __vwifi_ap_set_beacon(struct vwifi_vif *ap,
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
	err = -EBUSY;
	if (!__vwifi_radio_channel_ok(ap, settings->chandef.chan->center_freq))
		goto out;
	err = __vwifi_ap_set_beacon(ap, &settings->beacon);
	if (err)
		goto out;
	memcpy(bss->ssid, settings->ssid, settings->ssid_len);
	bss->ssid_len = settings->ssid_len;
	bss->hidden = settings->hidden_ssid;
	bss->freq = settings->chandef.chan->center_freq;
	bss->beacon_int = settings->beacon_interval;
	bss->dtim_period = settings->dtim_period;
	bss->secured = settings->privacy || settings->crypto.wpa_versions;
	/* The wiphy offers no wider channel than HT40 */
	bss->mode.ht = settings->chandef.width == NL80211_CHAN_WIDTH_20 ||
		       settings->chandef.width == NL80211_CHAN_WIDTH_40;
	if (settings->chandef.width == NL80211_CHAN_WIDTH_40)
		bss->mode.ht40 = settings->chandef.center_freq1 > bss->freq ? 1 : -1;
	ether_addr_copy(bss->bssid, ndev->dev_addr);
	vwifi_bss_up(ap);
	__vwifi_monitor_bss_up(ap);
	netif_carrier_on(ndev);
out:
	mutex_unlock(&vwifi_mutex);
	return err;
}

/* change_beacon, through vwifi_op_change_beacon() */
static int vwifi_update_beacon(struct wiphy *wiphy, struct net_device *ndev,
			       struct cfg80211_beacon_data *beacon)
{
	struct vwifi_vif *ap = netdev_priv(ndev);
	int err;

	mutex_lock(&vwifi_mutex);
	err = __vwifi_ap_set_beacon(ap, beacon);
	mutex_unlock(&vwifi_mutex);
	return err;
}

/* Remove the stations matching @mac (all if NULL) from @ap, telling each */
static int __vwifi_ap_remove_stations(struct vwifi_vif *ap, const u8 *mac, u16 reason)
{
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;
	int found = 0;

	lockdep_assert_held(&vwifi_mutex);
	hash_for_each_safe(ap->peers, bkt, tmp, peer, node) {
		if (mac && !ether_addr_equal(mac, peer->addr))
			continue;
		__vwifi_peer_leave(peer, reason);
		found++;
	}
	return found;
}

static void __vwifi_ap_stop(struct vwifi_vif *ap)
{
	lockdep_assert_held(&vwifi_mutex);
	memset(ap->askers, 0, sizeof(ap->askers));
	__vwifi_ap_remove_stations(ap, NULL, WLAN_REASON_DEAUTH_LEAVING);
	__vwifi_bss_end(ap);
	ap->ap_isolate = false;
}

/* ---- The AP's SME (the device's): it answers authentication and association ---- */

/* @ap's userspace SME heard the station @addr of the guest at @lower */
static void __vwifi_ap_note_asker(struct vwifi_vif *ap, const u8 *addr, const u8 *lower)
{
	unsigned int i;

	lockdep_assert_held(&vwifi_mutex);
	for (i = 0; i < VWIFI_ASKERS; i++)
		if (ether_addr_equal(ap->askers[i].addr, addr))
			break;
	if (i == VWIFI_ASKERS) {
		i = ap->next_asker;
		ap->next_asker = (i + 1) % VWIFI_ASKERS;
	}
	ether_addr_copy(ap->askers[i].addr, addr);
	ether_addr_copy(ap->askers[i].lower, lower);
}

/* Where the station @addr of another guest that asked @ap is, or NULL */
static const u8 *__vwifi_ap_asker_lower(const struct vwifi_vif *ap, const u8 *addr)
{
	unsigned int i;

	lockdep_assert_held(&vwifi_mutex);
	for (i = 0; i < VWIFI_ASKERS; i++)
		if (is_valid_ether_addr(ap->askers[i].addr) &&
		    ether_addr_equal(ap->askers[i].addr, addr))
			return ap->askers[i].lower;
	return NULL;
}

static void __vwifi_ap_send_auth(struct vwifi_vif *ap, const u8 *da, u16 alg, u16 status,
				 const u8 *lower)
{
	struct ieee80211_mgmt auth = {};

	vwifi_mgmt_hdr(&auth, IEEE80211_STYPE_AUTH, da, ap->ndev->dev_addr, ap->bss.bssid);
	auth.u.auth.auth_alg = cpu_to_le16(alg);
	auth.u.auth.auth_transaction = cpu_to_le16(2);
	auth.u.auth.status_code = cpu_to_le16(status);
	__vwifi_air_send_mgmt(ap, ap->bss.freq, &auth, VWIFI_AUTH_LEN, lower);
}

/*
 * A station asks @ap to authenticate it (from another guest: at @lower).
 * Open System succeeds; the AP keeps no state until the association.
 * False if the frame is not a request.
 */
static bool __vwifi_ap_rx_auth(struct vwifi_vif *ap, const u8 *lower,
			       const struct ieee80211_mgmt *mgmt)
{
	u16 alg = le16_to_cpu(mgmt->u.auth.auth_alg);

	if (le16_to_cpu(mgmt->u.auth.auth_transaction) != 1)
		return false;
	__vwifi_ap_send_auth(ap, mgmt->sa, alg,
			     alg == WLAN_AUTH_OPEN ? WLAN_STATUS_SUCCESS :
						     WLAN_STATUS_NOT_SUPPORTED_AUTH_ALG,
			     lower);
	return true;
}

/* The (re)association response: Supported Rates, then hostapd's IEs */
static void __vwifi_ap_send_assoc_resp(struct vwifi_vif *ap, const u8 *da, bool re,
				       u16 status, u16 aid, const u8 *lower)
{
	struct ieee80211_supported_band *band = vwifi_band_of(ap->wdev.wiphy, ap->bss.freq);
	const struct vwifi_bss *bss = &ap->bss;
	struct ieee80211_mgmt *resp;
	u8 *pos;

	resp = kzalloc(VWIFI_ASSOC_RESP_LEN + VWIFI_RATES_IE_MAX + bss->resp_ies_len,
		       GFP_KERNEL);
	if (!resp)
		return;		/* the station asks again */
	vwifi_mgmt_hdr(resp, re ? IEEE80211_STYPE_REASSOC_RESP : IEEE80211_STYPE_ASSOC_RESP,
		       da, ap->ndev->dev_addr, bss->bssid);
	resp->u.assoc_resp.capab_info = cpu_to_le16(bss->capability);
	resp->u.assoc_resp.status_code = cpu_to_le16(status);
	/* The two top bits are set in the field, as 802.11 asks */
	resp->u.assoc_resp.aid = cpu_to_le16(aid | 0xc000);
	pos = resp->u.assoc_resp.variable;
	if (status == WLAN_STATUS_SUCCESS) {
		if (band)
			pos = vwifi_put_rates(pos, band);
		memcpy(pos, bss->resp_ies, bss->resp_ies_len);
		pos += bss->resp_ies_len;
	}
	__vwifi_air_send_mgmt(ap, bss->freq, resp, pos - (u8 *)resp, lower);
	kfree(resp);
}

/* The lowest association ID none of @ap's stations has; 0 if all are taken */
static u16 __vwifi_ap_free_aid(const struct vwifi_vif *ap)
{
	DECLARE_BITMAP(used, VWIFI_MAX_AID + 1);
	struct vwifi_peer *peer;
	unsigned int bkt;
	unsigned long aid;

	lockdep_assert_held(&vwifi_mutex);
	bitmap_zero(used, VWIFI_MAX_AID + 1);
	hash_for_each(ap->peers, bkt, peer, node)
		if (peer->aid)
			__set_bit(peer->aid, used);
	aid = find_next_zero_bit(used, VWIFI_MAX_AID + 1, 1);
	return aid > VWIFI_MAX_AID ? 0 : aid;
}

/*
 * A station, the local interface @sta or (NULL) one in another guest
 * reached at @lower, asks @ap to (re)associate it with the request @mgmt
 * of @len bytes.  The device's SME accepts every station it has an
 * association ID for, makes the link and answers; hostapd, told of the
 * station, then runs 802.1X/4-way and authorizes it, or removes it.
 * False if the request is malformed.
 */
static bool __vwifi_ap_rx_assoc(struct vwifi_vif *ap, struct vwifi_vif *sta, const u8 *lower,
				const struct ieee80211_mgmt *mgmt, size_t len)
{
	bool re = ieee80211_is_reassoc_req(mgmt->frame_control);
	size_t fixed = re ? VWIFI_REASSOC_REQ_LEN : VWIFI_ASSOC_REQ_LEN;
	const u8 *ies = (const u8 *)mgmt + fixed;
	u16 status = WLAN_STATUS_SUCCESS, aid;
	size_t ies_len = len - fixed;
	const struct element *ssid;
	struct vwifi_peer *peer;
	bool replaced = false;

	lockdep_assert_held(&vwifi_mutex);
	if (!vwifi_ies_valid(ies, ies_len) || (!sta && ies_len > VWIFI_VIRTIO_MAX_IES))
		return false;
	ssid = cfg80211_find_elem(WLAN_EID_SSID, ies, ies_len);
	if (!ssid || !vwifi_bss_ssid_is(&ap->bss, ssid->data, ssid->datalen))
		return true;	/* not for this BSS: no answer, as on the air */
	/* A request that waited past the local station's giving up: it
	 * would not hear the answer
	 */
	if (sta && (sta->sme != VWIFI_SME_ASSOC ||
		    !ether_addr_equal(sta->bss.bssid, ap->bss.bssid)))
		return true;
	peer = vwifi_peer_find(ap, mgmt->sa);
	if (peer && sta && peer->twin) {
		/* A local station asks again while the link the AP made for
		 * its first request stands (a reassociation unlinks first):
		 * the same answer
		 */
		__vwifi_ap_send_assoc_resp(ap, mgmt->sa, re, status, peer->aid, lower);
		return true;
	}
	if (peer) {
		/* A station in another guest associates again, or a local
		 * one whose departure the AP never heard (its end is a half
		 * link): the new association replaces the old, and hostapd,
		 * told of the station again, starts it afresh
		 */
		__vwifi_unlink(peer);
		replaced = true;
	}
	aid = __vwifi_ap_free_aid(ap);
	peer = NULL;
	if (!aid) {
		status = WLAN_STATUS_AP_UNABLE_TO_HANDLE_NEW_STA;
	} else {
		/* The station's end starts with its port open; it takes
		 * control of it when the response reaches it
		 */
		peer = sta ? __vwifi_link(ap, sta, ap->bss.secured, false) :
			     __vwifi_link_remote(ap, mgmt->sa, lower, ap->bss.secured);
		if (!peer)
			status = WLAN_STATUS_UNSPECIFIED_FAILURE;
	}
	if (peer) {
		peer->aid = aid;
		vwifi_ap_negotiate(ap, ies, ies_len, &peer->mode);
	}
	__vwifi_ap_send_assoc_resp(ap, mgmt->sa, re, status, aid, lower);
	/* After the response, so that hostapd's first EAPOL frame follows it */
	if (peer)
		vwifi_notify_new_sta(ap, mgmt->sa, ies, ies_len);
	else if (replaced)
		vwifi_compat_del_sta(ap, mgmt->sa);
	return true;
}

static int vwifi_stop_ap(struct wiphy *wiphy, struct net_device *ndev,
			 unsigned int link_id)
{
	mutex_lock(&vwifi_mutex);
	__vwifi_ap_stop(netdev_priv(ndev));
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

static int vwifi_del_station(struct wiphy *wiphy, struct wireless_dev *wdev,
			     struct station_del_parameters *params)
{
	struct vwifi_vif *vif = vwifi_wdev_vif(wdev);
	const u8 *mac;
	int found;

	if (!vwifi_vif_is(vif, NL80211_IFTYPE_AP))
		return -EOPNOTSUPP;
	mac = params->mac && !is_broadcast_ether_addr(params->mac) ? params->mac : NULL;
	mutex_lock(&vwifi_mutex);
	found = __vwifi_ap_remove_stations(vif, mac,
					   params->reason_code ?: WLAN_REASON_UNSPECIFIED);
	mutex_unlock(&vwifi_mutex);
	return mac && !found ? -ENOENT : 0;
}

/*
 * hostapd, the AP's RSN authenticator, says with the authorization whether
 * the station uses MFP.  It also sends WMM and the preamble, but with the
 * device doing the SME it never learns them (they come as off): the
 * device's own decision (vwifi_ap_negotiate()) stands.
 */
static void __vwifi_peer_take_flags(struct vwifi_peer *peer,
				    const struct station_parameters *params)
{
	u32 mask = params->sta_flags_mask & BIT(NL80211_STA_FLAG_MFP);

	lockdep_assert_held(&vwifi_mutex);
	peer->mode.sta_flags = (peer->mode.sta_flags & ~mask) |
			       (params->sta_flags_set & mask);
}

static int vwifi_change_station(struct wiphy *wiphy, struct wireless_dev *wdev,
				const u8 *mac, struct station_parameters *params)
{
	struct vwifi_vif *vif = vwifi_wdev_vif(wdev);
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
	if (peer)
		__vwifi_peer_take_flags(peer, params);
	mutex_unlock(&vwifi_mutex);
	return err;
}

/*
 * NL80211_CMD_NEW_STATION, under the wiphy lock: the AP's userspace SME
 * accepted the station @mac (it answered its association request itself)
 * and adds it with what the association negotiated.  The station's own
 * end of the link comes from its SME, before or after this one.  A
 * station in another guest must have sent the AP frames lately (its
 * guest's address is known then).
 */
static int vwifi_add_station(struct wiphy *wiphy, struct wireless_dev *wdev,
			     const u8 *mac, struct station_parameters *params)
{
	const struct ieee80211_ht_cap *ht = params->link_sta_params.ht_capa;
	u32 flags = BIT(NL80211_STA_FLAG_WME) | BIT(NL80211_STA_FLAG_MFP) |
		    BIT(NL80211_STA_FLAG_SHORT_PREAMBLE);
	struct vwifi_vif *ap = vwifi_wdev_vif(wdev), *sta;
	struct vwifi_peer *peer;
	const u8 *lower;
	int err = 0;

	if (!vwifi_vif_is(ap, NL80211_IFTYPE_AP))
		return -EOPNOTSUPP;
	mutex_lock(&vwifi_mutex);
	sta = vwifi_vif_by_addr(mac);
	lower = __vwifi_ap_asker_lower(ap, mac);
	if (!ap->bss.active) {
		err = -ENETDOWN;
	} else if (vwifi_peer_find(ap, mac)) {
		err = -EEXIST;
	} else if ((!sta || !vwifi_vif_is(sta, NL80211_IFTYPE_STATION)) && !lower) {
		err = -ENOENT;
	} else {
		peer = sta ? __vwifi_link_half(ap, sta, ap->bss.secured) :
			     __vwifi_link_remote(ap, mac, lower, ap->bss.secured);
		if (!peer)
			goto nomem;
		/* The station may have taken the response and missed a beacon */
		if (sta)
			__vwifi_bss_beacon_arm(ap);
		peer->aid = params->aid;
		peer->mode.ht = ap->bss.mode.ht && ht;
		if (peer->mode.ht && le16_to_cpu(ht->cap_info) & IEEE80211_HT_CAP_SUP_WIDTH_20_40)
			peer->mode.ht40 = ap->bss.mode.ht40;
		peer->mode.ht_sgi = peer->mode.ht &&
				    le16_to_cpu(ht->cap_info) &
				    (peer->mode.ht40 ? IEEE80211_HT_CAP_SGI_40 :
						       IEEE80211_HT_CAP_SGI_20);
		peer->mode.sta_flags = params->sta_flags_set & params->sta_flags_mask & flags;
		if (params->sta_flags_set & params->sta_flags_mask &
		    BIT(NL80211_STA_FLAG_AUTHORIZED))
			WRITE_ONCE(peer->authorized, true);
	}
	mutex_unlock(&vwifi_mutex);
	return err;
nomem:
	mutex_unlock(&vwifi_mutex);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* IBSS mode                                                          */
/* ------------------------------------------------------------------ */

/* Whether the cell of an IBSS member, local or remote, is one @params names */
static bool vwifi_bss_fits_cell(const struct vwifi_bss *bss,
				const struct cfg80211_ibss_params *params)
{
	return vwifi_bss_ssid_is(bss, params->ssid, params->ssid_len) &&
	       (!params->bssid || ether_addr_equal(params->bssid, bss->bssid));
}

/* Whether two IBSS members, local or remote, are in the same cell */
static bool vwifi_bss_same_cell(const struct vwifi_bss *a, const struct vwifi_bss *b)
{
	return a->freq == b->freq && ether_addr_equal(a->bssid, b->bssid);
}

struct vwifi_cell_pick {
	struct vwifi_air_walk walk;
	const struct cfg80211_ibss_params *params;
	bool found;
};

/*
 * Take the BSSID, channel and interval of a cell the join can enter,
 * preferring one on the given channel, else (channel not fixed) the
 * first on a channel we have
 */
static bool vwifi_cell_pick_visit(struct vwifi_air_walk *walk, const struct vwifi_air_bss *h)
{
	struct vwifi_cell_pick *pick = container_of(walk, struct vwifi_cell_pick, walk);
	bool here = h->bss->freq == pick->params->chandef.chan->center_freq;
	struct vwifi_vif *rx = walk->rx;

	if (h->iftype != NL80211_IFTYPE_ADHOC || !vwifi_bss_fits_cell(h->bss, pick->params))
		return false;
	if (!here && (pick->found || pick->params->channel_fixed ||
		      !ieee80211_get_channel(rx->wdev.wiphy, h->bss->freq)))
		return false;
	ether_addr_copy(rx->bss.bssid, h->bss->bssid);
	rx->bss.freq = h->bss->freq;
	/* Within cfg80211's bounds: another guest's beacon may say anything */
	rx->bss.beacon_int = clamp_t(u16, h->bss->beacon_int, 10, 10000);
	pick->found = true;
	return here;
}

/* An existing cell @params can join: its parameters are in vif->bss */
static bool vwifi_find_cell(struct vwifi_vif *vif, const struct cfg80211_ibss_params *params)
{
	struct vwifi_cell_pick pick = {
		.walk = { .rx = vif, .visit = vwifi_cell_pick_visit },
		.params = params,
	};

	__vwifi_air_walk(&pick.walk);
	return pick.found;
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

#define VWIFI_MEET_BATCH	4

/* Members of @vif's cell it has no link with yet, picked under RCU */
struct vwifi_meet {
	struct vwifi_air_walk walk;
	unsigned int n;
	struct vwifi_vif *local[VWIFI_MEET_BATCH];	/* NULL: remote */
	u8 addr[VWIFI_MEET_BATCH][ETH_ALEN];
	u8 lower[VWIFI_MEET_BATCH][ETH_ALEN];
};

/* A member to meet */
static bool vwifi_meet_visit(struct vwifi_air_walk *walk, const struct vwifi_air_bss *h)
{
	struct vwifi_meet *meet = container_of(walk, struct vwifi_meet, walk);
	struct vwifi_vif *rx = walk->rx;

	if (h->iftype != NL80211_IFTYPE_ADHOC || !vwifi_bss_same_cell(h->bss, &rx->bss) ||
	    vwifi_peer_find(rx, h->addr) || (h->local && !vwifi_air_hears(h->local, rx)))
		return false;
	meet->local[meet->n] = h->local;
	ether_addr_copy(meet->addr[meet->n], h->addr);
	if (h->lower)
		ether_addr_copy(meet->lower[meet->n], h->lower);
	return ++meet->n == VWIFI_MEET_BATCH;
}

/* Link @vif with member @i of @meet; their userspace learns of it */
static bool vwifi_ibss_link(struct vwifi_vif *vif, const struct vwifi_meet *meet,
			    unsigned int i)
{
	struct vwifi_vif *m = meet->local[i];

	if (!m) {
		if (!__vwifi_link_remote(vif, meet->addr[i], meet->lower[i], vif->bss.secured))
			return false;
	} else {
		if (!__vwifi_link(vif, m, vif->bss.secured, m->bss.secured))
			return false;
		vwifi_notify_new_sta(m, vif->ndev->dev_addr, NULL, 0);
	}
	vwifi_notify_new_sta(vif, meet->addr[i], NULL, 0);
	return true;
}

/* Link @vif with the members of its cell it hears and has no link with */
static void __vwifi_ibss_meet(struct vwifi_vif *vif)
{
	struct vwifi_meet meet = {
		.walk = { .rx = vif, .visit = vwifi_meet_visit },
	};
	bool linked;
	unsigned int i;

	lockdep_assert_held(&vwifi_mutex);
	do {
		meet.n = 0;
		__vwifi_air_walk(&meet.walk);
		linked = false;
		for (i = 0; i < meet.n; i++)
			linked |= vwifi_ibss_link(vif, &meet, i);
	} while (meet.n == VWIFI_MEET_BATCH && linked);
}

/* Whether @m is a running local member of @vif's cell but @vif.  Under vwifi_mutex. */
static bool __vwifi_ibss_fellow(const struct vwifi_vif *vif, const struct vwifi_vif *m)
{
	return m != vif && vwifi_vif_is(m, NL80211_IFTYPE_ADHOC) && m->bss.active &&
	       netif_running(m->ndev) && vwifi_bss_same_cell(&m->bss, &vif->bss);
}

/*
 * The member @rx of @vif's cell hears @vif's @beacon, @len bytes, or
 * misses it.  If they are linked, it counts the beacon; after
 * VWIFI_BEACON_LOSS_COUNT missed in a row the two part, each told as when
 * a member goes silent.  If not, and they hear each other, they meet, as
 * IBSS members meet by their beacons.
 */
static void __vwifi_ibss_rx_beacon(struct vwifi_vif *rx, struct vwifi_vif *vif,
				   const struct ieee80211_mgmt *beacon, size_t len)
{
	struct vwifi_peer *link = vwifi_peer_find(rx, vif->ndev->dev_addr);
	bool heard = vwifi_air_hears(rx, vif);

	lockdep_assert_held(&vwifi_mutex);
	if (link && heard) {
		__vwifi_link_rx_beacon(link, beacon, len, vwifi_signal_dbm(rx, vif));
	} else if (link) {
		if (!__vwifi_link_miss_beacon(link))
			return;
		vwifi_compat_del_sta(rx, link->addr);
		__vwifi_peer_leave(link, WLAN_REASON_DISASSOC_DUE_TO_INACTIVITY);
	} else if (heard && vwifi_air_hears(vif, rx)) {
		__vwifi_ibss_meet(rx);
	}
}

/*
 * @vif beacons in its IBSS cell, to each local member of it (in another
 * guest from the virtio transport's tick), which beacons too (a member
 * that entered the cell by a merge has not started), and to the scans on
 * its channel that hear it.  Whether there was a member or such a scan:
 * with none, @vif stops beaconing until one comes.  Without memory
 * for the frame it sends none and tries at the next beacon time.  Under
 * vwifi_mutex.
 */
static bool __vwifi_ibss_beacon(struct vwifi_vif *vif)
{
	struct ieee80211_mgmt *beacon;
	struct vwifi_vif *rx;
	bool listened = false;
	size_t len = 0;

	lockdep_assert_held(&vwifi_mutex);
	if (!vif->bss.active || !vwifi_vif_is(vif, NL80211_IFTYPE_ADHOC))
		return false;
	beacon = vwifi_vif_beacon(vif, &len);
	if (!beacon)
		return true;
	atomic_long_inc(&vwifi_mgmt.beacon_tx);
	list_for_each_entry(rx, &vwifi_vifs, list) {
		if (!__vwifi_ibss_fellow(vif, rx))
			continue;
		listened = true;
		__vwifi_ibss_rx_beacon(rx, vif, beacon, len);
		__vwifi_bss_beacon_arm(rx);
	}
	if (__vwifi_scan_rx_beacon(vif, beacon, len))
		listened = true;
	if (vwifi_monitor_frame(vif, NULL, vif->bss.freq, beacon, len))
		listened = true;
	kfree(beacon);
	return listened;
}

/* @vif and the other local members of its cell beacon (again) */
static void __vwifi_ibss_beacons_start(struct vwifi_vif *vif)
{
	struct vwifi_vif *m;
	bool fellows = false;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(m, &vwifi_vifs, list) {
		if (!__vwifi_ibss_fellow(vif, m))
			continue;
		__vwifi_bss_beacon_arm(m);
		fellows = true;
	}
	if (fellows)
		__vwifi_bss_beacon_arm(vif);
}

static int vwifi_join_ibss(struct wiphy *wiphy, struct net_device *ndev,
			   struct cfg80211_ibss_params *params)
{
	struct vwifi_vif *vif = netdev_priv(ndev);
	struct vwifi_bss *bss = &vif->bss;
	struct ieee80211_channel *chan;
	struct cfg80211_bss *cbss;
	int err;

	if (!params->ssid_len || params->ssid_len > IEEE80211_MAX_SSID_LEN)
		return -EINVAL;
	mutex_lock(&vwifi_mutex);
	vwifi_bss_clear(bss);
	if (!vwifi_find_cell(vif, params)) {
		if (params->bssid)
			ether_addr_copy(bss->bssid, params->bssid);
		else
			eth_random_addr(bss->bssid);
		bss->freq = params->chandef.chan->center_freq;
		bss->beacon_int = params->beacon_interval;
	}
	if (!__vwifi_radio_channel_ok(vif, bss->freq)) {
		vwifi_bss_clear(bss);
		err = -EBUSY;
		goto out;
	}
	memcpy(bss->ssid, params->ssid, params->ssid_len);
	bss->ssid_len = params->ssid_len;
	bss->secured = params->control_port;
	bss->capability = WLAN_CAPABILITY_IBSS |
			  (params->privacy ? WLAN_CAPABILITY_PRIVACY : 0);
	/* Cells are legacy (bss->mode zero): without NL80211_FEATURE_HT_IBSS
	 * cfg80211 refuses an HT chandef
	 */
	err = vwifi_ibss_build_ies(vif, params);
	if (err)
		goto out;
	vwifi_bss_up(vif);
	__vwifi_monitor_bss_up(vif);
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
	__vwifi_ibss_meet(vif);
	__vwifi_ibss_beacons_start(vif);
out:
	mutex_unlock(&vwifi_mutex);
	return err;
}

static void __vwifi_ibss_leave(struct vwifi_vif *vif)
{
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;

	lockdep_assert_held(&vwifi_mutex);
	hash_for_each_safe(vif->peers, bkt, tmp, peer, node)
		__vwifi_peer_leave(peer, WLAN_REASON_DEAUTH_LEAVING);
	__vwifi_bss_end(vif);
}

static int vwifi_leave_ibss(struct wiphy *wiphy, struct net_device *ndev)
{
	mutex_lock(&vwifi_mutex);
	__vwifi_ibss_leave(netdev_priv(ndev));
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Management frames: registrations, mgmt_tx and delivery on the air  */
/* ------------------------------------------------------------------ */

/*
 * Userspace sends action frames (NL80211_CMD_FRAME) and registers for the
 * ones it handles (NL80211_CMD_REGISTER_FRAME) in every mode: BSS
 * transition management, SA query, radio measurement, ANQP.  An AP's
 * userspace may also run the AP SME itself (iwd does): it registers for
 * authentication, (re)association, deauthentication and disassociation
 * frames, answers with its own and adds the stations it accepts
 * (NL80211_CMD_NEW_STATION).  An AP's userspace that registers for probe
 * requests answers them (hostapd and iwd do).  cfg80211 checks each
 * frame's type, length and source address against these before mgmt_tx
 * sees it.
 */
#define VWIFI_STYPE_ACTION	VWIFI_STYPE(ACTION)
#define VWIFI_MIN_ACTION_LEN	offsetofend(struct ieee80211_mgmt, u.action.category)

static const struct ieee80211_txrx_stypes vwifi_mgmt_stypes[NUM_NL80211_IFTYPES] = {
	[NL80211_IFTYPE_STATION] = { .tx = VWIFI_STYPE_ACTION, .rx = VWIFI_STYPE_ACTION },
	[NL80211_IFTYPE_AP] = {
		.tx = VWIFI_STYPE_ACTION | VWIFI_STYPE(AUTH) | VWIFI_STYPE(ASSOC_RESP) |
		      VWIFI_STYPE(REASSOC_RESP) | VWIFI_STYPE(DEAUTH) | VWIFI_STYPE(DISASSOC) |
		      VWIFI_STYPE(PROBE_RESP),
		.rx = VWIFI_STYPE_ACTION | VWIFI_STYPE(AUTH) | VWIFI_STYPE(ASSOC_REQ) |
		      VWIFI_STYPE(REASSOC_REQ) | VWIFI_STYPE(DEAUTH) | VWIFI_STYPE(DISASSOC) |
		      VWIFI_STYPE(PROBE_REQ),
	},
	[NL80211_IFTYPE_ADHOC] = { .tx = VWIFI_STYPE_ACTION, .rx = VWIFI_STYPE_ACTION },
};

/* Under the wiphy lock: the subtypes userspace now registered for on @wdev */
static void vwifi_update_mgmt_frame_registrations(struct wiphy *wiphy,
						  struct wireless_dev *wdev,
						  struct mgmt_frame_regs *upd)
{
	WRITE_ONCE(vwifi_wdev_vif(wdev)->mgmt_regs, upd->interface_stypes);
}

static bool vwifi_virtio_on(void);
static bool vwifi_virtio_send_frame(struct vwifi_vif *tx, u32 freq, const u8 *buf,
				    size_t len, const u8 *lower);

/*
 * The channel @vif sends and listens on: that of the BSS it runs, joined
 * or is associated to (bss.active, as for get_channel), or a station's
 * while its SME talks to an AP; 0 for none.  Under vwifi_mutex.
 */
static u32 __vwifi_vif_freq(const struct vwifi_vif *vif)
{
	lockdep_assert_held(&vwifi_mutex);
	return vif->bss.active || vif->sme != VWIFI_SME_IDLE ? vif->bss.freq : 0;
}

/*
 * Whether @rx takes @mgmt, as a receiver's address filter does: sent to
 * its address, or group addressed within its BSS (a public action frame
 * from any BSS).  Under vwifi_mutex.
 */
static bool __vwifi_frame_for(const struct vwifi_vif *rx, const struct ieee80211_mgmt *mgmt)
{
	if (!is_multicast_ether_addr(mgmt->da))
		return ether_addr_equal(mgmt->da, rx->ndev->dev_addr);
	return is_broadcast_ether_addr(mgmt->bssid) ||
	       ether_addr_equal(mgmt->bssid, rx->bss.bssid) ||
	       mgmt->u.action.category == WLAN_CATEGORY_PUBLIC;
}

/*
 * An action frame on the air: @buf, @len bytes (at least
 * VWIFI_MIN_ACTION_LEN), sent on @freq by the local interface @tx or,
 * if @tx is NULL, by the interface @ta of another guest.  Every running
 * local interface on @freq that hears the sender and takes the frame
 * hands it to the socket registered for it.  Whether one took it (its
 * acknowledgment, for a unicast frame).  Under vwifi_mutex.
 */
static bool __vwifi_frame_deliver(struct vwifi_vif *tx, const u8 *ta, u32 freq,
				  const u8 *buf, size_t len)
{
	const struct ieee80211_mgmt *mgmt = (const void *)buf;
	struct vwifi_vif *rx;
	bool taken = false;
	int signal;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(rx, &vwifi_vifs, list) {
		if (rx == tx || !netif_running(rx->ndev) || __vwifi_vif_freq(rx) != freq ||
		    !__vwifi_frame_for(rx, mgmt) || (tx && !vwifi_air_hears(rx, tx)))
			continue;
		signal = tx ? vwifi_signal_dbm(rx, tx) :
			      vwifi_remote_signal_dbm(rx->ndev->dev_addr, ta);
		atomic_long_inc(&vwifi_mgmt.rx);
		if (!cfg80211_rx_mgmt(&rx->wdev, freq, signal, buf, len, 0))
			atomic_long_inc(&vwifi_mgmt.rx_unhandled);
		taken = true;
	}
	return taken;
}

/*
 * Authentication and association frames between local interfaces travel
 * through the air's queue: each hop is received from vwifi_air_work,
 * never inside its sender's call, so the SMEs on both ends run as they
 * would on two radios.  Frames from other guests arrive from the virtio
 * transport's work.  At most VWIFI_AIR_QUEUE_MAX wait; beyond, a frame is
 * lost (and its sender tries again).
 */
#define VWIFI_AIR_QUEUE_MAX	256

struct vwifi_air_cb {
	u32 freq;
};

static struct sk_buff_head vwifi_air_q;
static struct work_struct vwifi_air_work;

/*
 * The length below which a management frame of the subtype in @fc is
 * malformed, for the subtypes that travel the air; 0 for the others
 */
static size_t vwifi_mgmt_min_len(__le16 fc)
{
	if (!ieee80211_is_mgmt(fc))
		return 0;
	if (ieee80211_is_auth(fc))
		return VWIFI_AUTH_LEN;
	if (ieee80211_is_assoc_req(fc))
		return VWIFI_ASSOC_REQ_LEN;
	if (ieee80211_is_reassoc_req(fc))
		return VWIFI_REASSOC_REQ_LEN;
	if (ieee80211_is_assoc_resp(fc) || ieee80211_is_reassoc_resp(fc))
		return VWIFI_ASSOC_RESP_LEN;
	if (ieee80211_is_probe_resp(fc))
		return VWIFI_BEACON_FIXED_LEN;
	if (ieee80211_is_probe_req(fc))
		return VWIFI_MGMT_HDR_LEN;
	if (ieee80211_is_deauth(fc) || ieee80211_is_disassoc(fc))
		return VWIFI_DEAUTH_LEN;
	if (ieee80211_is_action(fc))
		return VWIFI_MIN_ACTION_LEN;
	return 0;
}

/*
 * Whether @rx receives the unicast frame @mgmt on @freq: on its channel
 * or, for a probe response, on one its scan visits.  Under vwifi_mutex.
 */
static bool __vwifi_vif_listens(const struct vwifi_vif *rx, const struct ieee80211_mgmt *mgmt,
				u32 freq)
{
	if (ieee80211_is_probe_resp(mgmt->frame_control))
		return __vwifi_scan_listens(rx, freq);
	return __vwifi_vif_freq(rx) == freq;
}

/*
 * Send the authentication, association, deauthentication frame or probe
 * response @buf, @len bytes, on @freq from the local interface @tx: to
 * another guest's interface at @lower (its guest's address) or, if it is
 * not local, where the virtio transport finds it; to a local one through
 * the air's queue.  Whether it is acknowledged: a local receiver listens
 * on @freq and hears @tx, or the guest of a remote one is known.  Under
 * vwifi_mutex, in process context.
 */
static bool __vwifi_air_send_mgmt(struct vwifi_vif *tx, u32 freq, const void *buf, size_t len,
				  const u8 *lower)
{
	const struct ieee80211_mgmt *mgmt = buf;
	bool probe_resp = ieee80211_is_probe_resp(mgmt->frame_control);
	struct vwifi_vif *rx;
	struct sk_buff *skb;
	bool acked;

	lockdep_assert_held(&vwifi_mutex);
	atomic_long_inc(probe_resp ? &vwifi_mgmt.probe_resp_tx : &vwifi_mgmt.sme_tx);
	skb = alloc_skb(len, GFP_KERNEL);
	if (!skb)
		return false;
	skb_put_data(skb, buf, len);
	/* The device stamps its TSF in a probe response, as hardware does */
	if (probe_resp)
		((struct ieee80211_mgmt *)skb->data)->u.probe_resp.timestamp =
			cpu_to_le64(vwifi_air_tsf_now());
	vwifi_monitor_frame(tx, NULL, freq, skb->data, skb->len);
	rx = lower ? NULL : vwifi_vif_find(mgmt->da);
	/* A local interface that is down hears nothing */
	if ((rx && !netif_running(rx->ndev)) || (!rx && !vwifi_virtio_on())) {
		consume_skb(skb);
		return false;
	}
	if (!rx) {
		acked = vwifi_virtio_send_frame(tx, freq, skb->data, skb->len, lower);
		consume_skb(skb);
		return acked;
	}
	if (skb_queue_len(&vwifi_air_q) >= VWIFI_AIR_QUEUE_MAX) {
		kfree_skb(skb);
		return false;
	}
	((struct vwifi_air_cb *)skb->cb)->freq = freq;
	skb_queue_tail(&vwifi_air_q, skb);
	queue_work(vwifi_wq, &vwifi_air_work);
	return __vwifi_vif_listens(rx, mgmt, freq) && vwifi_air_hears(rx, tx);
}

/*
 * The AP or IBSS member @rx hears the probe request @mgmt, @len bytes, on
 * @freq at @signal dBm, from a local interface or one in another guest at
 * @lower.  An AP's userspace answers if it registered for probe requests
 * (hostapd and iwd do, as with hardware that leaves probe responses to
 * them); else the device answers for an SSID its BSS serves, from the
 * interface's own address.  Under vwifi_mutex, in process context.
 */
static void __vwifi_bss_rx_probe_req(struct vwifi_vif *rx, u32 freq, int signal,
				     const u8 *lower, const struct ieee80211_mgmt *mgmt,
				     size_t len)
{
	size_t hdr = offsetof(struct ieee80211_mgmt, u.probe_req.variable);
	struct ieee80211_mgmt *resp;
	const u8 *ssid;
	size_t resp_len;

	lockdep_assert_held(&vwifi_mutex);
	atomic_long_inc(&vwifi_mgmt.probe_req_rx);
	if (READ_ONCE(rx->mgmt_regs) & VWIFI_STYPE(PROBE_REQ)) {
		cfg80211_rx_mgmt(&rx->wdev, freq, signal, (const u8 *)mgmt, len, 0);
		return;
	}
	ssid = cfg80211_find_ie(WLAN_EID_SSID, mgmt->u.probe_req.variable, len - hdr);
	if (!ssid || !vwifi_bss_answers_probe(&rx->bss, ssid + 2, ssid[1]))
		return;
	resp = vwifi_bss_frame(&rx->bss, true, mgmt->sa, vwifi_air_tsf_now(), ssid[1], &resp_len,
			       GFP_KERNEL);
	if (!resp)
		return;
	/* An IBSS member answers from its own address, in its cell's BSSID */
	ether_addr_copy(resp->sa, rx->ndev->dev_addr);
	__vwifi_air_send_mgmt(rx, freq, resp, resp_len, lower);
	kfree(resp);
}

/*
 * A probe request on @freq, @len bytes (at least vwifi_mgmt_min_len()),
 * from the local interface @tx or, if @tx is NULL, from one in another
 * guest at @lower: each AP or IBSS member that runs a BSS there, hears the
 * sender and is addressed (the broadcast BSSID or its own) takes it.
 * Under vwifi_mutex, in process context.
 */
static void __vwifi_air_rx_probe_req(struct vwifi_vif *tx, const u8 *lower, u32 freq,
				     const u8 *buf, size_t len)
{
	const struct ieee80211_mgmt *mgmt = (const void *)buf;
	struct vwifi_vif *rx;
	int signal;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(rx, &vwifi_vifs, list) {
		if (rx == tx || (!vwifi_vif_is(rx, NL80211_IFTYPE_AP) &&
				 !vwifi_vif_is(rx, NL80211_IFTYPE_ADHOC)) ||
		    !rx->bss.active || rx->bss.freq != freq || !netif_running(rx->ndev) ||
		    (!is_broadcast_ether_addr(mgmt->bssid) &&
		     !ether_addr_equal(mgmt->bssid, rx->bss.bssid)) ||
		    (tx && !vwifi_air_hears(rx, tx)))
			continue;
		signal = tx ? vwifi_signal_dbm(rx, tx) :
			      vwifi_remote_signal_dbm(rx->ndev->dev_addr, mgmt->sa);
		__vwifi_bss_rx_probe_req(rx, freq, signal, lower, mgmt, len);
	}
}

/*
 * The local interface @tx sends a probe request on @freq, @len bytes: to
 * the local APs and IBSS members, and to the other guests.  Under
 * vwifi_mutex, in process context.
 */
static void __vwifi_air_send_probe_req(struct vwifi_vif *tx, u32 freq, const u8 *buf,
				       size_t len)
{
	lockdep_assert_held(&vwifi_mutex);
	atomic_long_inc(&vwifi_mgmt.probe_req_tx);
	vwifi_monitor_frame(tx, NULL, freq, buf, len);
	__vwifi_air_rx_probe_req(tx, NULL, freq, buf, len);
	if (vwifi_virtio_on())
		vwifi_virtio_send_frame(tx, freq, buf, len, NULL);
}

/*
 * The station or IBSS member that leaves @vif with @mgmt (deauthentication
 * or disassociation)
 */
static bool __vwifi_peer_rx_leave(struct vwifi_vif *vif, const struct ieee80211_mgmt *mgmt)
{
	struct vwifi_peer *peer = vwifi_peer_find(vif, mgmt->sa);

	if (!peer)
		return false;
	__vwifi_peer_gone(peer, le16_to_cpu(mgmt->u.deauth.reason_code), false);
	return true;
}

/*
 * An IBSS member of another guest leaves the cell with @mgmt (local ones
 * learn at once, without frames)
 */
static bool __vwifi_ibss_rx_leave(struct vwifi_vif *vif, const struct ieee80211_mgmt *mgmt)
{
	if ((!ieee80211_is_deauth(mgmt->frame_control) &&
	     !ieee80211_is_disassoc(mgmt->frame_control)) ||
	    !ether_addr_equal(mgmt->bssid, vif->bss.bssid))
		return false;
	return __vwifi_peer_rx_leave(vif, mgmt);
}

/*
 * An AP takes the frames for its BSS: its userspace, if it runs the SME,
 * or else the device's SME.  False if @mgmt is none of those.
 */
static bool __vwifi_ap_rx_sme(struct vwifi_vif *ap, struct vwifi_vif *tx, const u8 *lower,
			      u32 freq, int signal, const struct ieee80211_mgmt *mgmt,
			      size_t len)
{
	__le16 fc = mgmt->frame_control;

	if (!ap->bss.active || !ether_addr_equal(mgmt->bssid, ap->bss.bssid))
		return false;
	if (vwifi_ap_sme_in_userspace(ap)) {
		if (!tx)
			__vwifi_ap_note_asker(ap, mgmt->sa, lower);
		return cfg80211_rx_mgmt(&ap->wdev, freq, signal, (const u8 *)mgmt, len, 0);
	}
	if (ieee80211_is_auth(fc))
		return __vwifi_ap_rx_auth(ap, lower, mgmt);
	if (ieee80211_is_deauth(fc) || ieee80211_is_disassoc(fc))
		return __vwifi_peer_rx_leave(ap, mgmt);
	/* Our stations' SMEs are the only local senders of requests */
	if ((ieee80211_is_assoc_req(fc) || ieee80211_is_reassoc_req(fc)) &&
	    (!tx || vwifi_vif_is(tx, NL80211_IFTYPE_STATION)))
		return __vwifi_ap_rx_assoc(ap, tx, lower, mgmt, len);
	return false;
}

/*
 * The AP @tx (NULL: in another guest) ends @sta's association, or refuses
 * the exchange in progress, with a deauthentication or disassociation
 */
static bool __vwifi_sta_rx_leave(struct vwifi_vif *sta, struct vwifi_vif *tx,
				 const struct ieee80211_mgmt *mgmt)
{
	struct vwifi_peer *link = rcu_dereference_protected(sta->ap_link,
							    lockdep_is_held(&vwifi_mutex));

	if (link && link->vif == tx && ether_addr_equal(link->addr, mgmt->sa)) {
		__vwifi_peer_gone(link, le16_to_cpu(mgmt->u.deauth.reason_code), false);
		return true;
	}
	if (sta->sme == VWIFI_SME_IDLE || !ether_addr_equal(mgmt->sa, sta->bss.bssid))
		return false;
	__vwifi_sme_done(sta, NULL, WLAN_STATUS_UNSPECIFIED_FAILURE, NULL, 0);
	return true;
}

/* A station's SME takes the answers of the AP it talks to; false if @mgmt is none */
static bool __vwifi_sta_rx_sme(struct vwifi_vif *sta, struct vwifi_vif *tx,
			       const struct ieee80211_mgmt *mgmt, size_t len)
{
	__le16 fc = mgmt->frame_control;

	if (ieee80211_is_deauth(fc) || ieee80211_is_disassoc(fc))
		return __vwifi_sta_rx_leave(sta, tx, mgmt);
	if (sta->sme == VWIFI_SME_IDLE || !ether_addr_equal(mgmt->sa, sta->bss.bssid) ||
	    !tx != sta->sme_remote)
		return false;
	if (ieee80211_is_auth(fc))
		return __vwifi_sme_rx_auth(sta, mgmt);
	if (ieee80211_is_assoc_resp(fc) || ieee80211_is_reassoc_resp(fc))
		return __vwifi_sme_rx_assoc_resp(sta, tx, mgmt, len);
	return false;
}

/*
 * An authentication, association, deauthentication frame or probe
 * response on the air, @len bytes (at least vwifi_mgmt_min_len()), sent on
 * @freq by the local interface @tx or, if @tx is NULL, by one in another
 * guest reached at @lower.  The interface it is addressed to takes it if
 * it listens on @freq and hears the sender.  A frame it takes but has no
 * use for is counted invalid.  Under vwifi_mutex.
 */
static void __vwifi_air_rx_sme(struct vwifi_vif *tx, const u8 *lower, u32 freq,
			       const u8 *buf, size_t len)
{
	const struct ieee80211_mgmt *mgmt = (const void *)buf;
	struct vwifi_vif *rx = vwifi_vif_by_addr(mgmt->da);
	bool ok = false;
	int signal;

	lockdep_assert_held(&vwifi_mutex);
	if (!rx || rx == tx || !__vwifi_vif_listens(rx, mgmt, freq) ||
	    (tx && !vwifi_air_hears(rx, tx)))
		return;
	signal = tx ? vwifi_signal_dbm(rx, tx) :
		      vwifi_remote_signal_dbm(rx->ndev->dev_addr, mgmt->sa);
	if (ieee80211_is_probe_resp(mgmt->frame_control)) {
		ok = __vwifi_scan_rx_probe_resp(rx, freq, signal, mgmt, len);
	} else {
		atomic_long_inc(&vwifi_mgmt.sme_rx);
		if (vwifi_vif_is(rx, NL80211_IFTYPE_AP))
			ok = __vwifi_ap_rx_sme(rx, tx, lower, freq, signal, mgmt, len);
		else if (vwifi_vif_is(rx, NL80211_IFTYPE_STATION))
			ok = __vwifi_sta_rx_sme(rx, tx, mgmt, len);
		else if (vwifi_vif_is(rx, NL80211_IFTYPE_ADHOC))
			ok = __vwifi_ibss_rx_leave(rx, mgmt);
	}
	if (!ok)
		atomic_long_inc(&vwifi_mgmt.rx_invalid);
}

/* Frames between local interfaces reach their receiver here */
static void vwifi_air_work_fn(struct work_struct *work)
{
	const struct ieee80211_mgmt *mgmt;
	struct vwifi_vif *tx;
	struct sk_buff *skb;

	mutex_lock(&vwifi_mutex);
	while ((skb = skb_dequeue(&vwifi_air_q))) {
		mgmt = (const void *)skb->data;
		/* A sender gone meanwhile sent nothing; one that went down
		 * (its deauthentication on the way) did
		 */
		tx = vwifi_vif_find(mgmt->sa);
		if (tx)
			__vwifi_air_rx_sme(tx, NULL, ((struct vwifi_air_cb *)skb->cb)->freq,
					   skb->data, skb->len);
		consume_skb(skb);
	}
	mutex_unlock(&vwifi_mutex);
}

/*
 * An AP's userspace SME sends @mgmt to every station, group addressed:
 * its local stations take it (stations in other guests learn from the
 * transport when the AP stops).  Under vwifi_mutex.
 */
static void __vwifi_ap_tx_group_leave(struct vwifi_vif *ap, const struct ieee80211_mgmt *mgmt)
{
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;

	lockdep_assert_held(&vwifi_mutex);
	hash_for_each_safe(ap->peers, bkt, tmp, peer, node)
		if (peer->twin && vwifi_air_hears(peer->vif, ap))
			__vwifi_sta_rx_leave(peer->vif, ap, mgmt);
}

/*
 * NL80211_CMD_FRAME, under the wiphy lock: an action frame or, from an
 * AP's userspace SME, an authentication, (re)association response,
 * deauthentication or disassociation.  It goes out on the interface's
 * channel or, if userspace allows it (iwd always does), on the one it
 * names; vwifi receives only on the interface's channel, so a wait for an
 * answer elsewhere ends at once.  Its status is reported at once:
 * acknowledged if a receiver took it, or if it was group addressed.
 */
static int vwifi_mgmt_tx(struct wiphy *wiphy, struct wireless_dev *wdev,
			 struct cfg80211_mgmt_tx_params *params, u64 *cookie)
{
	const struct ieee80211_mgmt *mgmt = (const void *)params->buf;
	size_t min = vwifi_mgmt_min_len(mgmt->frame_control);
	struct vwifi_vif *vif = vwifi_wdev_vif(wdev);
	bool action, acked;
	u32 freq;

	if (!min || params->len < min)
		return -EINVAL;
	action = ieee80211_is_action(mgmt->frame_control);
	if (!action && is_multicast_ether_addr(mgmt->da) &&
	    !ieee80211_is_deauth(mgmt->frame_control) &&
	    !ieee80211_is_disassoc(mgmt->frame_control))
		return -EINVAL;
	mutex_lock(&vwifi_mutex);
	freq = __vwifi_vif_freq(vif);
	if (params->chan && params->chan->center_freq != freq) {
		if (!params->offchan) {
			mutex_unlock(&vwifi_mutex);
			return -EBUSY;
		}
		freq = params->chan->center_freq;
	}
	if (!freq || !netif_running(wdev->netdev)) {
		mutex_unlock(&vwifi_mutex);
		return -ENOTCONN;
	}
	*cookie = atomic64_inc_return(&vwifi_mgmt.cookie);
	if (action || is_multicast_ether_addr(mgmt->da))
		vwifi_monitor_frame(vif, NULL, freq, params->buf, params->len);
	if (action) {
		atomic_long_inc(&vwifi_mgmt.tx);
		acked = __vwifi_frame_deliver(vif, vif->ndev->dev_addr, freq, params->buf,
					      params->len);
		if (vwifi_virtio_on())
			acked |= vwifi_virtio_send_frame(vif, freq, params->buf, params->len,
							 NULL);
		acked |= is_multicast_ether_addr(mgmt->da);
		if (!acked)
			atomic_long_inc(&vwifi_mgmt.tx_no_ack);
	} else if (is_multicast_ether_addr(mgmt->da)) {
		atomic_long_inc(&vwifi_mgmt.sme_tx);
		__vwifi_ap_tx_group_leave(vif, mgmt);
		acked = true;
	} else {
		acked = __vwifi_air_send_mgmt(vif, freq, params->buf, params->len,
					      __vwifi_ap_asker_lower(vif, mgmt->da));
	}
	mutex_unlock(&vwifi_mutex);
	if (!params->dont_wait_for_ack)
		cfg80211_mgmt_tx_status(wdev, *cookie, params->buf, params->len, acked,
					GFP_KERNEL);
	return 0;
}

/* A wait mgmt_tx was asked for is over already */
static int vwifi_mgmt_tx_cancel_wait(struct wiphy *wiphy, struct wireless_dev *wdev, u64 cookie)
{
	return 0;
}

/* ------------------------------------------------------------------ */
/* Virtio transport: interfaces in other guests                       */
/* ------------------------------------------------------------------ */

/*
 * In virtio mode vwifi takes a virtio-net device (its rx_handler) and
 * sends its own frames over it, EtherType 0x88b5 (IEEE 802 local
 * experimental), to the vwifi instances of the other guests on the same
 * bridge.  Every frame starts with struct vwifi_wire_hdr, whose fields (and
 * a FRAME's channel) are big endian; 802.11 frames are as on the air.  The
 * version changes with the format: a frame of another version is counted
 * (rx_version) and not read.  Every frame of the air
 * travels as the 802.11 frame it is (VWIFI_WIRE_FRAME): beacons, probe
 * requests and responses, authentication, (re)association,
 * deauthentication, disassociation and action frames, the null data
 * frames by which a station shows its AP it is there, and data frames.
 * A group-addressed data frame goes to each remote station or IBSS member
 * as its own copy: the header's ra names the receiver, address 1 the
 * group.  Access points and IBSS
 * members beacon to other guests every VWIFI_VIRTIO_TICK_MS, a station
 * sends a null data frame to its AP as often.  A remote interface silent
 * for VWIFI_VIRTIO_TIMEOUT_MS is gone.  Every received frame is untrusted:
 * it is checked before use and dropped (and counted) when anything is
 * wrong.
 */
#define ETH_P_VWIFI			0x88b5
#define VWIFI_WIRE_MAGIC		0x56
#define VWIFI_WIRE_VERSION		5	/* 5: data frames in FRAME */
#define VWIFI_VIRTIO_MAX_IFACES		63	/* the addresses derived per guest */
#define VWIFI_VIRTIO_MAX_BSS		64	/* remote BSSs remembered */
#define VWIFI_VIRTIO_MAX_MGMT		64	/* management frames queued */
#define VWIFI_VIRTIO_MAX_MGMT_LEN	(sizeof(struct vwifi_wire_frame) + IEEE80211_MAX_DATA_LEN)
#define VWIFI_VIRTIO_TICK_MS		500
#define VWIFI_VIRTIO_TIMEOUT_MS		5000

/*
 * 1 to 4 and 6 carried vwifi's own management messages before version 4,
 * 5 the Ethernet frames of data before version 5
 */
enum vwifi_wire_type {
	VWIFI_WIRE_FRAME = 7,		/* an 802.11 frame on the air */
};

struct vwifi_wire_hdr {
	u8 magic;
	u8 version;
	u8 type;
	u8 flags;			/* 0 */
	__be16 len;			/* bytes after this header */
	u8 ta[ETH_ALEN];		/* transmitting interface */
	u8 ra[ETH_ALEN];		/* receiving interface, or broadcast */
} __packed;

/*
 * hdr.ta is the frame's address 2 (TA), hdr.ra its address 1 (RA), but
 * in the copies of a group data frame, where hdr.ra names the receiver
 */
struct vwifi_wire_frame {
	__be32 freq;			/* MHz */
	u8 frame[];			/* from the frame control field on */
} __packed;

/* What the medium device carries around an interface's packet */
#define VWIFI_WIRE_OVERHEAD	(sizeof(struct vwifi_wire_hdr) + sizeof(struct vwifi_wire_frame) + \
				 VWIFI_DATA_HDR_LEN)
#define VWIFI_VIRTIO_MIN_MTU	(1280 + VWIFI_WIRE_OVERHEAD)	/* IPv6 on top */

/* A BSS another guest beacons.  Immutable once listed but for the
 * WRITE_ONCE fields; replaced (RCU) when its content changes.
 */
struct vwifi_rbss {
	struct list_head list;		/* in vwifi_virtio.bss_list */
	struct rcu_head rcu;
	u8 ta[ETH_ALEN];		/* the AP or IBSS member beaconing */
	u8 lower[ETH_ALEN];		/* its guest's virtio-net address */
	u8 iftype;			/* NL80211_IFTYPE_AP or _ADHOC */
	unsigned long last_seen;	/* jiffies, WRITE_ONCE */
	s64 tsf_offset;			/* its TSF minus our boot time, WRITE_ONCE */
	struct vwifi_bss bss;		/* bss.ies points into ies[] */
	u8 ies[];
};

static struct vwifi_virtio {
	struct net_device __rcu *dev;	/* written under rtnl */
	u8 addr[ETH_ALEN];		/* dev's address when attached */
	unsigned int mtu;
	bool notifier;			/* netdevice notifier registered */

	spinlock_t lock;		/* protects bss_list writers, n_bss */
	struct list_head bss_list;	/* RCU readers */
	unsigned int n_bss;

	struct sk_buff_head mgmt_q;	/* for mgmt_work, which takes vwifi_mutex */
	struct work_struct mgmt_work;
	struct delayed_work tick;

	atomic_long_t rx_frames;
	atomic_long_t rx_dropped;	/* not for us, no link, queue full */
	atomic_long_t rx_invalid;	/* malformed or unknown */
	atomic_long_t rx_version;	/* of another wire version: not read */
	atomic_long_t tx_frames;
	atomic_long_t tx_dropped;
} vwifi_virtio;

static bool vwifi_virtio_on(void)
{
	return virtio;
}

/* ---- Transmit ---- */

/* Prepend the wire and Ethernet headers to @skb and send it to @dst_lower */
static bool vwifi_wire_send(struct net_device *lower, struct sk_buff *skb, u8 type,
			    const u8 *ta, const u8 *ra, const u8 *dst_lower)
{
	struct vwifi_wire_hdr *hdr;
	struct ethhdr *eth;
	u16 len = skb->len;

	hdr = skb_push(skb, sizeof(*hdr));
	hdr->magic = VWIFI_WIRE_MAGIC;
	hdr->version = VWIFI_WIRE_VERSION;
	hdr->type = type;
	hdr->flags = 0;
	hdr->len = cpu_to_be16(len);
	ether_addr_copy(hdr->ta, ta);
	ether_addr_copy(hdr->ra, ra);
	skb_reset_network_header(skb);
	eth = skb_push(skb, ETH_HLEN);
	ether_addr_copy(eth->h_dest, dst_lower);
	ether_addr_copy(eth->h_source, lower->dev_addr);
	eth->h_proto = htons(ETH_P_VWIFI);
	skb_reset_mac_header(skb);
	skb->protocol = htons(ETH_P_VWIFI);
	skb->dev = lower;
	if (dev_queue_xmit(skb) != NET_XMIT_SUCCESS) {
		atomic_long_inc(&vwifi_virtio.tx_dropped);
		return false;
	}
	atomic_long_inc(&vwifi_virtio.tx_frames);
	return true;
}

/* Send a FRAME: @fixed then @var as its payload; whether it left */
static bool vwifi_wire_send_frame(const u8 *ta, const u8 *ra, const u8 *dst_lower,
				  const void *fixed, size_t fixed_len, const void *var,
				  size_t var_len)
{
	struct net_device *lower;
	struct sk_buff *skb;
	bool sent = false;

	rcu_read_lock();
	lower = rcu_dereference(vwifi_virtio.dev);
	if (!lower)
		goto out;
	skb = alloc_skb(LL_RESERVED_SPACE(lower) + sizeof(struct vwifi_wire_hdr) +
			fixed_len + var_len, GFP_ATOMIC);
	if (!skb) {
		atomic_long_inc(&vwifi_virtio.tx_dropped);
		goto out;
	}
	skb_reserve(skb, LL_RESERVED_SPACE(lower) + sizeof(struct vwifi_wire_hdr));
	skb_put_data(skb, fixed, fixed_len);
	if (var_len)
		skb_put_data(skb, var, var_len);
	sent = vwifi_wire_send(lower, skb, VWIFI_WIRE_FRAME, ta, ra, dst_lower);
out:
	rcu_read_unlock();
	return sent;
}

/*
 * Data over a remote link (the sender's entry @tx): the 802.11 data frame
 * of the Ethernet frame @skb.  Consumes @skb.
 */
static bool vwifi_virtio_xmit(struct vwifi_peer *tx, struct sk_buff *skb)
{
	struct net_device *lower = rcu_dereference(vwifi_virtio.dev);
	struct vwifi_wire_frame *f;
	unsigned int len = skb->len;

	/* The receiving guest checks its own end of the port */
	if (!READ_ONCE(tx->authorized) && !vwifi_is_eapol(skb))
		goto drop;
	if (!lower || skb_is_gso(skb) || len - ETH_HLEN + VWIFI_WIRE_OVERHEAD > lower->mtu)
		goto drop;
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		goto drop;
	vwifi_monitor_data(tx, skb);
	if (skb_cow_head(skb, LL_RESERVED_SPACE(lower) + VWIFI_WIRE_OVERHEAD))
		goto drop;
	skb_scrub_packet(skb, true);
	vwifi_data_from_eth(tx, skb);
	f = __skb_push(skb, sizeof(*f));
	f->freq = cpu_to_be32(tx->freq);
	vwifi_stats_add(tx->stats, false, len);
	vwifi_touch(&tx->last_tx);
	if (vwifi_wire_send(lower, skb, VWIFI_WIRE_FRAME, tx->owner->ndev->dev_addr,
			    tx->addr, tx->lower))
		return true;
	atomic_long_inc(&tx->tx_failed);
	return false;
drop:
	atomic_long_inc(&tx->tx_failed);
	kfree_skb(skb);
	return false;
}

/* Beacon the BSS @vif runs or has joined.  Under vwifi_mutex. */
static void __vwifi_virtio_beacon(struct vwifi_vif *vif)
{
	struct ieee80211_mgmt *beacon;
	size_t len;

	lockdep_assert_held(&vwifi_mutex);
	beacon = vwifi_vif_beacon(vif, &len);
	if (!beacon)
		return;
	/* The receiver's limit, on the elements as sent (the TIM included) */
	if (len - VWIFI_BEACON_FIXED_LEN > VWIFI_VIRTIO_MAX_IES) {
		pr_warn_once("%s: beacon IEs too long for the medium (%zu bytes)\n",
			     vif->ndev->name, len - VWIFI_BEACON_FIXED_LEN);
		kfree(beacon);
		return;
	}
	vwifi_virtio_send_frame(vif, vif->bss.freq, (const u8 *)beacon, len, NULL);
	kfree(beacon);
}

/* @sta shows the AP of @link, in another guest, that it is there */
static void vwifi_virtio_send_null(struct vwifi_vif *sta, const struct vwifi_peer *link)
{
	struct ieee80211_hdr_3addr null = {
		.frame_control = cpu_to_le16(IEEE80211_FTYPE_DATA | IEEE80211_STYPE_NULLFUNC |
					     IEEE80211_FCTL_TODS),
	};

	ether_addr_copy(null.addr1, link->addr);
	ether_addr_copy(null.addr2, sta->ndev->dev_addr);
	ether_addr_copy(null.addr3, link->addr);
	vwifi_monitor_frame(sta, NULL, sta->bss.freq, &null, sizeof(null));
	vwifi_virtio_send_frame(sta, sta->bss.freq, (const u8 *)&null, sizeof(null), link->lower);
}

/* ---- Remote BSS table ---- */

/* Under RCU or vwifi_virtio.lock */
static struct vwifi_rbss *vwifi_rbss_find(const u8 *ta)
{
	struct vwifi_rbss *r;

	list_for_each_entry_rcu(r, &vwifi_virtio.bss_list, list,
				lockdep_is_held(&vwifi_virtio.lock))
		if (ether_addr_equal(r->ta, ta))
			return r;
	return NULL;
}

static bool vwifi_rbss_fresh(const struct vwifi_rbss *r)
{
	return time_before(jiffies, READ_ONCE(r->last_seen) +
			   msecs_to_jiffies(VWIFI_VIRTIO_TIMEOUT_MS));
}

static bool vwifi_rbss_same(const struct vwifi_rbss *r, const struct vwifi_rbss *n)
{
	return ether_addr_equal(r->lower, n->lower) && r->iftype == n->iftype &&
	       r->bss.active == n->bss.active && vwifi_bss_params_equal(&r->bss, &n->bss) &&
	       r->bss.ies_len == n->bss.ies_len &&
	       !memcmp(r->ies, n->ies, n->bss.ies_len);
}

/* Whether @r's beacons hide its SSID and a probe response named it */
static bool vwifi_rbss_ssid_learned(const struct vwifi_rbss *r)
{
	return r->bss.hidden != NL80211_HIDDEN_SSID_NOT_IN_USE && r->bss.ssid_len;
}

/*
 * Record @n (a new, unlisted entry) or refresh the entry it replaces, whose
 * SSID learned from a probe response @n keeps if it hides it too
 */
static void vwifi_rbss_update(struct vwifi_rbss *n)
{
	struct vwifi_rbss *r;

	spin_lock_bh(&vwifi_virtio.lock);
	r = vwifi_rbss_find(n->ta);
	if (r && vwifi_rbss_ssid_learned(r) && !n->bss.ssid_len &&
	    n->bss.hidden != NL80211_HIDDEN_SSID_NOT_IN_USE &&
	    ether_addr_equal(r->bss.bssid, n->bss.bssid)) {
		memcpy(n->bss.ssid, r->bss.ssid, r->bss.ssid_len);
		n->bss.ssid_len = r->bss.ssid_len;
	}
	if (r && vwifi_rbss_same(r, n)) {
		WRITE_ONCE(r->last_seen, n->last_seen);
		WRITE_ONCE(r->tsf_offset, n->tsf_offset);
		kfree(n);
	} else if (r) {
		list_replace_rcu(&r->list, &n->list);
		kfree_rcu(r, rcu);
	} else if (vwifi_virtio.n_bss < VWIFI_VIRTIO_MAX_BSS) {
		list_add_tail_rcu(&n->list, &vwifi_virtio.bss_list);
		WRITE_ONCE(vwifi_virtio.n_bss, vwifi_virtio.n_bss + 1);
	} else {
		atomic_long_inc(&vwifi_virtio.rx_dropped);
		kfree(n);
	}
	spin_unlock_bh(&vwifi_virtio.lock);
}

/*
 * The probe response @mgmt, @len bytes (at least VWIFI_BEACON_FIXED_LEN),
 * names the SSID a BSS of another guest hides in its beacons: its entry
 * remembers it, as cfg80211's BSS list does, so that a station can pick it
 * by that SSID.  In process context.
 */
static void vwifi_rbss_learn_ssid(const struct ieee80211_mgmt *mgmt, size_t len)
{
	const struct element *ssid;
	struct vwifi_rbss *r, *n;

	ssid = cfg80211_find_elem(WLAN_EID_SSID, mgmt->u.probe_resp.variable,
				  len - VWIFI_BEACON_FIXED_LEN);
	if (!ssid || !ssid->datalen || ssid->datalen > IEEE80211_MAX_SSID_LEN ||
	    !memchr_inv(ssid->data, 0, ssid->datalen))
		return;
	spin_lock_bh(&vwifi_virtio.lock);
	r = vwifi_rbss_find(mgmt->sa);
	n = r && r->bss.hidden != NL80211_HIDDEN_SSID_NOT_IN_USE &&
	    !vwifi_bss_ssid_is(&r->bss, ssid->data, ssid->datalen) &&
	    ether_addr_equal(r->bss.bssid, mgmt->bssid) ?
		kmemdup(r, struct_size(r, ies, r->bss.ies_len), GFP_ATOMIC) : NULL;
	if (n) {
		n->bss.ies = n->ies;
		memcpy(n->bss.ssid, ssid->data, ssid->datalen);
		n->bss.ssid_len = ssid->datalen;
		list_replace_rcu(&r->list, &n->list);
		kfree_rcu(r, rcu);
	}
	spin_unlock_bh(&vwifi_virtio.lock);
}

/* Forget the BSSs not heard for a while (all of them if @all) */
static void vwifi_rbss_expire(bool all)
{
	struct vwifi_rbss *r, *tmp;

	spin_lock_bh(&vwifi_virtio.lock);
	list_for_each_entry_safe(r, tmp, &vwifi_virtio.bss_list, list) {
		if (!all && vwifi_rbss_fresh(r))
			continue;
		list_del_rcu(&r->list);
		WRITE_ONCE(vwifi_virtio.n_bss, vwifi_virtio.n_bss - 1);
		kfree_rcu(r, rcu);
	}
	spin_unlock_bh(&vwifi_virtio.lock);
}

static int vwifi_rbss_signal_dbm(const struct vwifi_vif *vif, const struct vwifi_rbss *r)
{
	return vwifi_remote_signal_dbm(vif->ndev->dev_addr, r->ta);
}

/* __vwifi_air_walk() over the BSSs of other guests.  Under RCU. */
static bool vwifi_virtio_walk(struct vwifi_air_walk *walk)
{
	struct vwifi_air_bss h = {};
	u64 now = vwifi_air_tsf_now();
	struct vwifi_rbss *r;

	if (!vwifi_virtio_on())
		return false;
	list_for_each_entry_rcu(r, &vwifi_virtio.bss_list, list) {
		if (!vwifi_rbss_fresh(r))
			continue;
		h.bss = &r->bss;
		h.iftype = r->iftype;
		h.addr = r->ta;
		h.lower = r->lower;
		h.signal = vwifi_rbss_signal_dbm(walk->rx, r);
		h.tsf = now + READ_ONCE(r->tsf_offset);
		if (walk->visit(walk, &h))
			return true;
	}
	return false;
}

/*
 * Where the interface @addr of another guest is, for @tx: its guest's
 * virtio-net address, from @tx's links or the BSSs heard.  Under RCU.
 */
static bool vwifi_virtio_lower_of(struct vwifi_vif *tx, const u8 *addr, u8 *lower)
{
	struct vwifi_peer *peer = vwifi_peer_find(tx, addr);
	struct vwifi_rbss *r;

	if (peer && !peer->vif) {
		ether_addr_copy(lower, peer->lower);
		return true;
	}
	r = vwifi_rbss_find(addr);
	if (r)
		ether_addr_copy(lower, r->lower);
	return r;
}

/*
 * A management frame from @tx to the other guests: to the one that has
 * its destination (at @lower, or found from @tx's links and the BSSs
 * heard), if known (then it counts as acknowledged), else to all
 */
static bool vwifi_virtio_send_frame(struct vwifi_vif *tx, u32 freq, const u8 *buf,
				    size_t len, const u8 *lower)
{
	const struct ieee80211_mgmt *mgmt = (const void *)buf;
	struct vwifi_wire_frame f = { .freq = cpu_to_be32(freq) };
	u8 dst[ETH_ALEN];
	bool known;

	if (vwifi_virtio.mtu < sizeof(struct vwifi_wire_hdr) ||
	    sizeof(f) + len > vwifi_virtio.mtu - sizeof(struct vwifi_wire_hdr)) {
		atomic_long_inc(&vwifi_virtio.tx_dropped);
		return false;
	}
	if (lower) {
		ether_addr_copy(dst, lower);
		known = true;
	} else {
		rcu_read_lock();
		known = !is_multicast_ether_addr(mgmt->da) &&
			vwifi_virtio_lower_of(tx, mgmt->da, dst);
		rcu_read_unlock();
	}
	return vwifi_wire_send_frame(mgmt->sa, mgmt->da, known ? dst : tx->ndev->broadcast,
				     &f, sizeof(f), buf, len) && known;
}

/* ---- IBSS cells across guests ---- */

/*
 * Two guests that created the same cell at the same time hold different
 * BSSIDs.  As IBSS merging does, a member still alone moves to the cell
 * with the lower BSSID.
 */
static void __vwifi_virtio_ibss_merge(struct vwifi_vif *vif)
{
	struct vwifi_bss *bss = &vif->bss;
	struct ieee80211_channel *chan;
	struct cfg80211_bss *cbss;
	struct vwifi_rbss *r;
	u8 bssid[ETH_ALEN];
	bool found = false;

	lockdep_assert_held(&vwifi_mutex);
	if (vif->n_peers)
		return;
	rcu_read_lock();
	list_for_each_entry_rcu(r, &vwifi_virtio.bss_list, list) {
		if (r->iftype == NL80211_IFTYPE_ADHOC && vwifi_rbss_fresh(r) &&
		    r->bss.freq == bss->freq &&
		    vwifi_bss_ssid_is(&r->bss, bss->ssid, bss->ssid_len) &&
		    memcmp(r->bss.bssid, bss->bssid, ETH_ALEN) < 0 &&
		    (!found || memcmp(r->bss.bssid, bssid, ETH_ALEN) < 0)) {
			ether_addr_copy(bssid, r->bss.bssid);
			found = true;
		}
	}
	rcu_read_unlock();
	if (!found)
		return;
	ether_addr_copy(bss->bssid, bssid);
	cbss = vwifi_inform_bss(vif, vif, false, false);
	if (!cbss)
		return;
	chan = cbss->channel;
	cfg80211_put_bss(vif->wdev.wiphy, cbss);
	cfg80211_ibss_joined(vif->ndev, bss->bssid, chan, GFP_KERNEL);
	__vwifi_ibss_beacons_start(vif);
}

/* ---- Receive ---- */

/* Whether @addr is a local interface's, which no other guest may claim */
static bool vwifi_virtio_is_local(const u8 *addr)
{
	struct vwifi_vif *vif;
	bool found = false;

	rcu_read_lock();
	list_for_each_entry_rcu(vif, &vwifi_vifs, list)
		found |= ether_addr_equal(vif->ndev->dev_addr, addr);
	rcu_read_unlock();
	return found;
}

/* The local end of the remote link @ra - @ta, if any.  Under RCU. */
static struct vwifi_peer *vwifi_virtio_peer(const struct vwifi_wire_hdr *hdr)
{
	struct vwifi_vif *vif = vwifi_vif_by_addr(hdr->ra);
	struct vwifi_peer *peer = vif ? vwifi_peer_find(vif, hdr->ta) : NULL;

	return peer && !peer->vif ? peer : NULL;
}

/*
 * A beaconing interface is alive for every local interface linked to it,
 * and a station associated to it or a fellow IBSS member heard its beacon
 */
static void vwifi_virtio_heard(const u8 *ta)
{
	struct vwifi_peer *peer;
	struct vwifi_vif *vif;

	list_for_each_entry_rcu(vif, &vwifi_vifs, list) {
		peer = vwifi_peer_find(vif, ta);
		if (!peer || peer->vif)
			continue;
		vwifi_touch(&peer->last_heard);
		if (rcu_access_pointer(vif->ap_link) == peer ||
		    vwifi_vif_is(vif, NL80211_IFTYPE_ADHOC))
			vwifi_link_count_beacon(peer, vwifi_peer_signal_dbm(peer));
	}
}

/*
 * The 802.11 frame in the FRAME @hdr, which must name its sender and
 * receiver (@hdr's ta and ra) and be at least @min bytes long: its length
 * in *@len, or NULL
 */
static const struct ieee80211_mgmt *vwifi_wire_frame(const struct vwifi_wire_hdr *hdr,
						     size_t min, size_t *len)
{
	const struct vwifi_wire_frame *f = (const void *)(hdr + 1);
	const struct ieee80211_mgmt *mgmt = (const void *)f->frame;
	size_t n = be16_to_cpu(hdr->len);

	if (n < sizeof(*f) + max_t(size_t, min, VWIFI_MGMT_HDR_LEN))
		return NULL;
	if (!ether_addr_equal(mgmt->sa, hdr->ta) || !ether_addr_equal(mgmt->da, hdr->ra))
		return NULL;
	*len = n - sizeof(*f);
	return mgmt;
}

static u32 vwifi_wire_freq(const struct vwifi_wire_hdr *hdr)
{
	return be32_to_cpu(((const struct vwifi_wire_frame *)(hdr + 1))->freq);
}

/* An AP beacons in its own BSSID, an IBSS member in its cell's; 0 if neither */
static u8 vwifi_beacon_iftype(const struct ieee80211_mgmt *beacon)
{
	u16 capab = le16_to_cpu(beacon->u.beacon.capab_info);

	switch (capab & (WLAN_CAPABILITY_ESS | WLAN_CAPABILITY_IBSS)) {
	case WLAN_CAPABILITY_ESS:
		return ether_addr_equal(beacon->bssid, beacon->sa) ? NL80211_IFTYPE_AP : 0;
	case WLAN_CAPABILITY_IBSS:
		return NL80211_IFTYPE_ADHOC;
	}
	return 0;
}

/*
 * Copy the @len bytes of elements at @ies to @dst but the TIM, which the
 * receiver's beacons add again (vwifi_bss_frame()).  Returns the length.
 */
static size_t vwifi_ies_copy_but_tim(u8 *dst, const u8 *ies, size_t len)
{
	const struct element *e;
	size_t n = 0;

	for_each_element(e, ies, len) {
		if (e->id == WLAN_EID_TIM)
			continue;
		memcpy(dst + n, e, 2 + e->datalen);
		n += 2 + e->datalen;
	}
	return n;
}

/*
 * A beacon from another guest (@hdr: a FRAME, broadcast): its BSS is
 * listed, from what the beacon says.  In softirq context.
 */
static bool vwifi_wire_rx_beacon(struct sk_buff *skb, const struct vwifi_wire_hdr *hdr)
{
	const struct ieee80211_mgmt *mgmt;
	const struct element *ssid, *tim;
	size_t len, ies_len;
	struct vwifi_rbss *n;
	const u8 *ies;
	u8 iftype;

	mgmt = vwifi_wire_frame(hdr, VWIFI_BEACON_FIXED_LEN, &len);
	if (!mgmt || !is_broadcast_ether_addr(mgmt->da) || !is_valid_ether_addr(mgmt->bssid))
		return false;
	ies = mgmt->u.beacon.variable;
	ies_len = len - VWIFI_BEACON_FIXED_LEN;
	iftype = vwifi_beacon_iftype(mgmt);
	if (!iftype || ies_len > VWIFI_VIRTIO_MAX_IES || !vwifi_ies_valid(ies, ies_len))
		return false;
	ssid = cfg80211_find_elem(WLAN_EID_SSID, ies, ies_len);
	tim = cfg80211_find_elem(WLAN_EID_TIM, ies, ies_len);
	if (!ssid || ssid->datalen > IEEE80211_MAX_SSID_LEN || (tim && tim->datalen < 2) ||
	    vwifi_virtio_is_local(hdr->ta))
		return false;
	vwifi_virtio_heard(hdr->ta);
	n = kzalloc(struct_size(n, ies, ies_len), GFP_ATOMIC);
	if (!n) {
		atomic_long_inc(&vwifi_virtio.rx_dropped);
		return true;
	}
	ether_addr_copy(n->ta, hdr->ta);
	ether_addr_copy(n->lower, eth_hdr(skb)->h_source);
	n->iftype = iftype;
	n->last_seen = jiffies;
	n->tsf_offset = (s64)(le64_to_cpu(mgmt->u.beacon.timestamp) - vwifi_air_tsf_now());
	n->bss.active = true;
	ether_addr_copy(n->bss.bssid, mgmt->bssid);
	/* A hidden SSID is empty or zeroed: a probe response names it */
	if (ssid->datalen && memchr_inv(ssid->data, 0, ssid->datalen)) {
		memcpy(n->bss.ssid, ssid->data, ssid->datalen);
		n->bss.ssid_len = ssid->datalen;
		n->bss.hidden = NL80211_HIDDEN_SSID_NOT_IN_USE;
	} else {
		n->bss.hidden = ssid->datalen ? NL80211_HIDDEN_SSID_ZERO_CONTENTS :
						NL80211_HIDDEN_SSID_ZERO_LEN;
	}
	n->bss.freq = vwifi_wire_freq(hdr);
	n->bss.beacon_int = le16_to_cpu(mgmt->u.beacon.beacon_int);
	n->bss.capability = le16_to_cpu(mgmt->u.beacon.capab_info);
	n->bss.dtim_period = tim ? tim->data[1] : 0;
	n->bss.secured = n->bss.capability & WLAN_CAPABILITY_PRIVACY;
	n->bss.ies = n->ies;
	n->bss.ies_len = vwifi_ies_copy_but_tim(n->ies, ies, ies_len);
	vwifi_rbss_update(n);
	return true;
}

/* A null data frame from a station in another guest: it is there */
static bool vwifi_wire_rx_null(const struct vwifi_wire_hdr *hdr)
{
	struct vwifi_peer *peer;
	size_t len;

	if (!vwifi_wire_frame(hdr, sizeof(struct ieee80211_hdr_3addr), &len))
		return false;
	peer = vwifi_virtio_peer(hdr);
	if (peer)
		vwifi_touch(&peer->last_heard);
	return true;
}

/*
 * A data frame from another guest (@skb: a FRAME whose frame control
 * field is linear) over one of our remote links: checked against the
 * link, then handed up as the Ethernet frame it carries.  In softirq
 * context.  Consumes @skb; false if the frame is invalid.
 */
static bool vwifi_wire_rx_data(struct sk_buff *skb)
{
	const unsigned int off = sizeof(struct vwifi_wire_hdr) + sizeof(struct vwifi_wire_frame);
	const struct vwifi_wire_hdr *hdr;
	const struct ieee80211_hdr *wh;
	struct vwifi_peer *peer;

	wh = (const void *)(skb->data + off);
	if (!pskb_may_pull(skb, off + ieee80211_hdrlen(wh->frame_control)))
		goto invalid;
	hdr = (const void *)skb->data;
	wh = (const void *)(skb->data + off);
	peer = vwifi_virtio_peer(hdr);
	if (!peer || vwifi_wire_freq(hdr) != peer->freq) {
		atomic_long_inc(&vwifi_virtio.rx_dropped);
		kfree_skb(skb);
		return true;
	}
	if (!vwifi_data_fits_link(peer, wh))
		goto invalid;
	vwifi_touch(&peer->last_heard);
	/* The Ethernet header is written over the 802.11 one: a packet
	 * socket on the medium device may share the data
	 */
	if (skb_cow_head(skb, 0)) {
		atomic_long_inc(&vwifi_virtio.rx_dropped);
		kfree_skb(skb);
		return true;
	}
	__skb_pull(skb, off);
	if (ieee80211_data_to_8023(skb, peer->owner->ndev->dev_addr, peer->owner->wdev.iftype) ||
	    !pskb_may_pull(skb, ETH_HLEN))
		goto invalid;
	skb_reset_mac_header(skb);
	/* The sender checked its end of the 802.1X port, this is ours */
	if (!READ_ONCE(peer->authorized) && !vwifi_is_eapol(skb)) {
		atomic_long_inc(&peer->owner->rx_dropped);
		kfree_skb(skb);
		return true;
	}
	skb->ip_summed = CHECKSUM_NONE;
	vwifi_receive(peer->owner, peer, skb, NULL);
	return true;
invalid:
	kfree_skb(skb);
	return false;
}

/*
 * Another guest sends a group data frame as one copy to each interface
 * here linked to its sender: the air carried it once, so monitors hear
 * only the copy to the first of them.  Under RCU.
 */
static bool vwifi_virtio_first_copy(const struct vwifi_wire_hdr *hdr)
{
	struct vwifi_peer *peer;
	struct vwifi_vif *vif;

	list_for_each_entry_rcu(vif, &vwifi_vifs, list) {
		peer = vwifi_peer_find(vif, hdr->ta);
		if (peer && !peer->vif)
			return ether_addr_equal(vif->ndev->dev_addr, hdr->ra);
	}
	return true;
}

/*
 * Monitors hear the FRAME @skb (its frame control @fc) as it arrived,
 * valid or not.  Linearizes @skb.  In softirq context.
 */
static void vwifi_virtio_monitor(struct sk_buff *skb, __le16 fc)
{
	const struct vwifi_wire_hdr *hdr;
	const struct ieee80211_hdr *wh;
	size_t len;

	if (skb_linearize(skb))
		return;
	hdr = (const void *)skb->data;
	wh = (const void *)((const struct vwifi_wire_frame *)(hdr + 1))->frame;
	len = be16_to_cpu(hdr->len) - sizeof(struct vwifi_wire_frame);
	if (ieee80211_is_data_present(fc) && len >= sizeof(struct ieee80211_hdr_3addr) &&
	    is_multicast_ether_addr(wh->addr1) && !vwifi_virtio_first_copy(hdr))
		return;
	vwifi_monitor_frame(NULL, hdr->ta, vwifi_wire_freq(hdr), wh, len);
}

/* Check a frame's header, then dispatch it.  Consumes @skb. */
static void vwifi_wire_rx(struct sk_buff *skb)
{
	const struct vwifi_wire_hdr *hdr;
	bool ok = false;
	size_t len;
	__le16 fc;

	if (skb->pkt_type == PACKET_OTHERHOST || !pskb_may_pull(skb, sizeof(*hdr)))
		goto invalid;
	hdr = (const void *)skb->data;
	len = be16_to_cpu(hdr->len);
	if (hdr->magic == VWIFI_WIRE_MAGIC && hdr->version != VWIFI_WIRE_VERSION) {
		atomic_long_inc(&vwifi_virtio.rx_version);
		kfree_skb(skb);
		return;
	}
	if (hdr->magic != VWIFI_WIRE_MAGIC || hdr->flags || len > skb->len - sizeof(*hdr) ||
	    pskb_trim_rcsum(skb, sizeof(*hdr) + len))
		goto invalid;
	hdr = (const void *)skb->data;	/* trimming may move the data */
	if (!is_valid_ether_addr(hdr->ta) ||
	    ether_addr_equal(eth_hdr(skb)->h_source, vwifi_virtio.addr))
		goto invalid;
	atomic_long_inc(&vwifi_virtio.rx_frames);
	if (hdr->type != VWIFI_WIRE_FRAME || len < sizeof(struct vwifi_wire_frame) + 2 ||
	    !pskb_may_pull(skb, sizeof(*hdr) + sizeof(struct vwifi_wire_frame) + 2))
		goto invalid;
	hdr = (const void *)skb->data;
	fc = ((const struct ieee80211_hdr *)((const struct vwifi_wire_frame *)(hdr + 1))->frame)
		->frame_control;
	if (vwifi_monitoring())
		vwifi_virtio_monitor(skb, fc);
	if (ieee80211_is_data_present(fc)) {
		if (!vwifi_wire_rx_data(skb))
			atomic_long_inc(&vwifi_virtio.rx_invalid);
		return;
	}
	/* Management frames are small: make them linear once */
	if (len > VWIFI_VIRTIO_MAX_MGMT_LEN || skb_linearize(skb))
		goto invalid;
	hdr = (const void *)skb->data;
	/* Beacons and null data frames are read here, the rest under vwifi_mutex */
	if (ieee80211_is_beacon(fc)) {
		ok = vwifi_wire_rx_beacon(skb, hdr);
	} else if (ieee80211_is_nullfunc(fc)) {
		ok = vwifi_wire_rx_null(hdr);
	} else if (skb_queue_len(&vwifi_virtio.mgmt_q) >= VWIFI_VIRTIO_MAX_MGMT) {
		atomic_long_inc(&vwifi_virtio.rx_dropped);
		ok = true;
	} else {
		skb_queue_tail(&vwifi_virtio.mgmt_q, skb);
		queue_work(vwifi_wq, &vwifi_virtio.mgmt_work);
		return;
	}
	if (ok) {
		consume_skb(skb);
		return;
	}
invalid:
	atomic_long_inc(&vwifi_virtio.rx_invalid);
	kfree_skb(skb);
}

static rx_handler_result_t vwifi_virtio_rx(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;

	if (skb->protocol != htons(ETH_P_VWIFI))
		return RX_HANDLER_PASS;
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (skb)
		vwifi_wire_rx(skb);
	else
		atomic_long_inc(&vwifi_virtio.rx_dropped);
	return RX_HANDLER_CONSUMED;
}

/* ---- Management frames, under vwifi_mutex ---- */

/*
 * An 802.11 management frame another guest's interface sent (its guest's
 * address: @lower): on the air here like a local one.  Under vwifi_mutex.
 */
static bool __vwifi_virtio_mgmt_rx(struct sk_buff *skb)
{
	const struct vwifi_wire_hdr *hdr = (const void *)skb->data;
	const u8 *lower = eth_hdr(skb)->h_source;
	const struct ieee80211_mgmt *mgmt;
	u32 freq = vwifi_wire_freq(hdr);
	size_t len, hdr_len;
	__le16 fc;

	lockdep_assert_held(&vwifi_mutex);
	if (vwifi_virtio_is_local(hdr->ta))
		return false;	/* another guest cannot send as one of ours */
	mgmt = vwifi_wire_frame(hdr, 0, &len);
	if (!mgmt)
		return false;
	fc = mgmt->frame_control;
	if (!vwifi_mgmt_min_len(fc) || len < vwifi_mgmt_min_len(fc))
		return false;
	if (ieee80211_is_action(fc)) {
		__vwifi_frame_deliver(NULL, hdr->ta, freq, (const u8 *)mgmt, len);
	} else if (ieee80211_is_probe_req(fc)) {
		hdr_len = offsetof(struct ieee80211_mgmt, u.probe_req.variable);
		if (!vwifi_ies_valid(mgmt->u.probe_req.variable, len - hdr_len))
			return false;
		__vwifi_air_rx_probe_req(NULL, lower, freq, (const u8 *)mgmt, len);
	} else if (!is_multicast_ether_addr(mgmt->da)) {
		__vwifi_air_rx_sme(NULL, lower, freq, (const u8 *)mgmt, len);
		if (ieee80211_is_probe_resp(fc))
			vwifi_rbss_learn_ssid(mgmt, len);
	} else {
		return false;
	}
	return true;
}

static void vwifi_virtio_mgmt_work(struct work_struct *work)
{
	struct sk_buff *skb;

	mutex_lock(&vwifi_mutex);
	while ((skb = skb_dequeue(&vwifi_virtio.mgmt_q))) {
		if (!__vwifi_virtio_mgmt_rx(skb))
			atomic_long_inc(&vwifi_virtio.rx_invalid);
		consume_skb(skb);
	}
	mutex_unlock(&vwifi_mutex);
}

/* ---- Periodic work: beacons, null data frames, timeouts ---- */

/* Drop @vif's remote links that went silent (all of them if @all) */
static void __vwifi_virtio_expire_peers(struct vwifi_vif *vif, bool all)
{
	unsigned long timeout = msecs_to_jiffies(VWIFI_VIRTIO_TIMEOUT_MS);
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;

	lockdep_assert_held(&vwifi_mutex);
	hash_for_each_safe(vif->peers, bkt, tmp, peer, node) {
		if (peer->vif ||
		    (!all && time_before(jiffies, READ_ONCE(peer->last_heard) + timeout)))
			continue;
		if (rcu_access_pointer(vif->ap_link) == peer)
			__vwifi_sta_beacon_loss(peer);
		else
			__vwifi_peer_gone(peer, WLAN_REASON_DISASSOC_DUE_TO_INACTIVITY, true);
	}
}

static void vwifi_virtio_announce(struct vwifi_vif *vif)
{
	struct vwifi_peer *ap = rcu_dereference_protected(vif->ap_link,
							  lockdep_is_held(&vwifi_mutex));

	if (vif->bss.active && (vwifi_vif_is(vif, NL80211_IFTYPE_AP) ||
				vwifi_vif_is(vif, NL80211_IFTYPE_ADHOC)))
		__vwifi_virtio_beacon(vif);
	else if (ap && !ap->vif)
		vwifi_virtio_send_null(vif, ap);
}

static void vwifi_virtio_tick(struct work_struct *work)
{
	struct vwifi_vif *vif;

	vwifi_rbss_expire(false);
	mutex_lock(&vwifi_mutex);
	list_for_each_entry(vif, &vwifi_vifs, list) {
		if (!netif_running(vif->ndev))
			continue;
		__vwifi_virtio_expire_peers(vif, false);
		if (vwifi_vif_is(vif, NL80211_IFTYPE_ADHOC) && vif->bss.active) {
			__vwifi_virtio_ibss_merge(vif);
			__vwifi_ibss_meet(vif);
		}
		vwifi_virtio_announce(vif);
	}
	mutex_unlock(&vwifi_mutex);
	queue_delayed_work(vwifi_wq, &vwifi_virtio.tick,
			   msecs_to_jiffies(VWIFI_VIRTIO_TICK_MS));
}

/* ---- Attaching to the virtio-net device ---- */

static bool vwifi_virtio_is_virtio_net(const struct net_device *dev)
{
	const struct device *parent = dev->dev.parent;

	return parent && parent->driver && !strcmp(parent->driver->name, "virtio_net");
}

/* The device virtio_dev= names, or the first virtio-net one.  Under rtnl. */
static struct net_device *vwifi_virtio_pick(void)
{
	struct net_device *dev;

	if (virtio_dev)
		return __dev_get_by_name(&init_net, virtio_dev);
	for_each_netdev(&init_net, dev)
		if (vwifi_virtio_is_virtio_net(dev) && !netdev_is_rx_handler_busy(dev))
			return dev;
	return NULL;
}

static int vwifi_virtio_attach(void)
{
	struct net_device *dev;
	int err;

	rtnl_lock();
	dev = vwifi_virtio_pick();
	err = -ENODEV;
	if (!dev) {
		if (virtio_dev)
			pr_err("virtio mode: device %s not found\n", virtio_dev);
		else
			pr_err("virtio mode: no free virtio-net device (is virtio_net loaded?)\n");
		goto out;
	}
	err = -EINVAL;
	if (dev->type != ARPHRD_ETHER || (dev->flags & IFF_LOOPBACK) ||
	    dev->netdev_ops == &vwifi_netdev_ops || dev->mtu < VWIFI_VIRTIO_MIN_MTU) {
		pr_err("virtio mode: %s is not an Ethernet device with an MTU of at least %zu\n",
		       dev->name, VWIFI_VIRTIO_MIN_MTU);
		goto out;
	}
	err = netdev_rx_handler_register(dev, vwifi_virtio_rx, NULL);
	if (err) {
		pr_err("virtio mode: %s is in use (bridge, bond, another driver...)\n",
		       dev->name);
		goto out;
	}
	if (!(dev->flags & IFF_UP)) {
		err = dev_open(dev, NULL);
		if (err) {
			netdev_rx_handler_unregister(dev);
			pr_err("virtio mode: cannot bring %s up: %d\n", dev->name, err);
			goto out;
		}
	}
	dev_hold(dev);
	ether_addr_copy(vwifi_virtio.addr, dev->dev_addr);
	vwifi_virtio.mtu = dev->mtu;
	rcu_assign_pointer(vwifi_virtio.dev, dev);
	pr_info("virtio mode on %s\n", dev->name);
out:
	rtnl_unlock();
	return err;
}

/* Let go of the device; every remote link and BSS goes with it.  Under rtnl. */
static void vwifi_virtio_detach(void)
{
	struct net_device *dev = rtnl_dereference(vwifi_virtio.dev);
	struct vwifi_vif *vif;

	if (!dev)
		return;
	netdev_rx_handler_unregister(dev);	/* waits for readers */
	RCU_INIT_POINTER(vwifi_virtio.dev, NULL);
	synchronize_net();
	dev_put(dev);
	pr_info("virtio mode: left %s\n", dev->name);
	mutex_lock(&vwifi_mutex);
	list_for_each_entry(vif, &vwifi_vifs, list)
		__vwifi_virtio_expire_peers(vif, true);
	mutex_unlock(&vwifi_mutex);
	vwifi_rbss_expire(true);
}

/* The interfaces' MTU follows the medium device's.  Under rtnl. */
static void vwifi_virtio_mtu_changed(struct net_device *dev)
{
	unsigned int max = dev->mtu > VWIFI_WIRE_OVERHEAD ? dev->mtu - VWIFI_WIRE_OVERHEAD : 0;
	struct vwifi_vif *vif;

	ASSERT_RTNL();
	vwifi_virtio.mtu = dev->mtu;
	/* Interfaces join and leave the list under rtnl too; dev_set_mtu()
	 * calls notifiers, so no vwifi_mutex here
	 */
	list_for_each_entry(vif, &vwifi_vifs, list) {
		vif->ndev->max_mtu = max;
		if (vif->ndev->mtu > max)
			dev_set_mtu(vif->ndev, max);
	}
}

static int vwifi_virtio_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (dev != rtnl_dereference(vwifi_virtio.dev))
		return NOTIFY_DONE;
	if (event == NETDEV_UNREGISTER)
		vwifi_virtio_detach();
	else if (event == NETDEV_CHANGEMTU)
		vwifi_virtio_mtu_changed(dev);
	return NOTIFY_DONE;
}

static struct notifier_block vwifi_virtio_notifier = {
	.notifier_call = vwifi_virtio_event,
};

static int vwifi_virtio_init(void)
{
	int err;

	spin_lock_init(&vwifi_virtio.lock);
	INIT_LIST_HEAD(&vwifi_virtio.bss_list);
	skb_queue_head_init(&vwifi_virtio.mgmt_q);
	INIT_WORK(&vwifi_virtio.mgmt_work, vwifi_virtio_mgmt_work);
	INIT_DELAYED_WORK(&vwifi_virtio.tick, vwifi_virtio_tick);
	if (!vwifi_virtio_on())
		return 0;
	err = vwifi_virtio_attach();
	if (err)
		return err;
	err = register_netdevice_notifier(&vwifi_virtio_notifier);
	if (err) {
		rtnl_lock();
		vwifi_virtio_detach();
		rtnl_unlock();
		return err;
	}
	vwifi_virtio.notifier = true;
	return 0;
}

static void vwifi_virtio_start(void)
{
	if (vwifi_virtio_on())
		queue_delayed_work(vwifi_wq, &vwifi_virtio.tick, 0);
}

/* Before the interfaces go: no more frames in or out */
static void vwifi_virtio_stop(void)
{
	if (!vwifi_virtio_on())
		return;
	cancel_delayed_work_sync(&vwifi_virtio.tick);
	if (vwifi_virtio.notifier)
		unregister_netdevice_notifier(&vwifi_virtio_notifier);
	vwifi_virtio.notifier = false;
	rtnl_lock();
	vwifi_virtio_detach();
	rtnl_unlock();
	cancel_work_sync(&vwifi_virtio.mgmt_work);
	skb_queue_purge(&vwifi_virtio.mgmt_q);
}

/* Interfaces of a guest take their addresses from its medium device's */
static void vwifi_virtio_addr(int index, u8 *addr)
{
	ether_addr_copy(addr, vwifi_virtio.addr);
	addr[0] = (addr[0] | 0x02) ^ ((index + 1) << 2);
}

/* In virtio mode frames leave the guest: no offloads, room for the headers */
static void vwifi_virtio_setup_ndev(struct net_device *ndev)
{
	if (!vwifi_virtio_on())
		return;
	ndev->features &= ~(NETIF_F_HW_CSUM | NETIF_F_GSO_SOFTWARE);
	ndev->hw_features = ndev->features;
	ndev->hw_enc_features = ndev->features;
	ndev->max_mtu = vwifi_virtio.mtu - VWIFI_WIRE_OVERHEAD;
	ndev->mtu = min_t(unsigned int, ETH_DATA_LEN, ndev->max_mtu);
	ndev->needed_headroom = VWIFI_WIRE_OVERHEAD + 16;
}

/* ------------------------------------------------------------------ */
/* Keys: stored as userspace sets them; the medium needs no crypto     */
/* ------------------------------------------------------------------ */

/* The slot for a key, or an ERR_PTR.  Under vwifi_mutex. */
static struct vwifi_key *__vwifi_key_slot(struct vwifi_vif *vif, u8 idx,
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

static int vwifi_add_key(struct wiphy *wiphy, struct wireless_dev *wdev,
			 int link_id, u8 idx, bool pairwise, const u8 *mac,
			 struct key_params *params)
{
	struct vwifi_key *key;
	int err = 0;

	if (params->key_len > WLAN_MAX_KEY_LEN || params->seq_len > VWIFI_MAX_SEQ_LEN)
		return -EINVAL;
	mutex_lock(&vwifi_mutex);
	key = __vwifi_key_slot(vwifi_wdev_vif(wdev), idx, pairwise, mac);
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

/*
 * The length of @cipher's packet number, which get_key reports whole as
 * hardware does (iwd reads a group key's 6 bytes); the slot keeps room
 * for it, zero past what userspace set
 */
static u8 vwifi_cipher_seq_len(u32 cipher)
{
	switch (cipher) {
	case WLAN_CIPHER_SUITE_WEP40:
	case WLAN_CIPHER_SUITE_WEP104:
		return 0;
	default:
		return IEEE80211_CCMP_PN_LEN;	/* TKIP, GCMP and BIP: 6 too */
	}
}

static int vwifi_get_key(struct wiphy *wiphy, struct wireless_dev *wdev,
			 int link_id, u8 idx, bool pairwise, const u8 *mac,
			 void *cookie,
			 void (*callback)(void *cookie, struct key_params *))
{
	struct key_params params = {};
	struct vwifi_key *key;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	key = __vwifi_key_slot(vwifi_wdev_vif(wdev), idx, pairwise, mac);
	if (IS_ERR(key)) {
		err = PTR_ERR(key);
	} else if (!key->cipher) {
		err = -ENOENT;
	} else {
		params.cipher = key->cipher;
		params.key = key->key;
		params.key_len = key->key_len;
		params.seq = key->seq;
		params.seq_len = max(key->seq_len, vwifi_cipher_seq_len(key->cipher));
		callback(cookie, &params);
	}
	mutex_unlock(&vwifi_mutex);
	return err;
}

static int vwifi_del_key(struct wiphy *wiphy, struct wireless_dev *wdev,
			 int link_id, u8 idx, bool pairwise, const u8 *mac)
{
	struct vwifi_key *key;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	key = __vwifi_key_slot(vwifi_wdev_vif(wdev), idx, pairwise, mac);
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

static int vwifi_set_default_mgmt_key(struct wiphy *wiphy,
				      struct wireless_dev *wdev, int link_id,
				      u8 idx)
{
	struct vwifi_vif *vif = vwifi_wdev_vif(wdev);

	mutex_lock(&vwifi_mutex);
	vif->default_mgmt_key = idx;
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Station information                                                */
/* ------------------------------------------------------------------ */

/* The top rate of the negotiated mode, which the wiphy's bands all have */
static void vwifi_fill_rate(const struct vwifi_link_mode *mode, struct rate_info *rate)
{
	if (!mode->ht) {
		rate->legacy = VWIFI_LEGACY_RATE;
		return;
	}
	rate->flags = RATE_INFO_FLAGS_MCS;
	if (mode->ht_sgi)
		rate->flags |= RATE_INFO_FLAGS_SHORT_GI;
	rate->mcs = VWIFI_HT_MCS;
	rate->bw = mode->ht40 ? RATE_INFO_BW_40 : RATE_INFO_BW_20;
}

/* The same in units of 100 kbit/s */
static u32 vwifi_mode_rate(const struct vwifi_link_mode *mode)
{
	if (!mode->ht)
		return VWIFI_LEGACY_RATE;
	if (mode->ht40)
		return mode->ht_sgi ? VWIFI_HT40_RATE_SGI : VWIFI_HT40_RATE;
	return mode->ht_sgi ? VWIFI_HT_RATE_SGI : VWIFI_HT_RATE;
}

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
			 BIT_ULL(NL80211_STA_INFO_TX_RETRIES) |
			 BIT_ULL(NL80211_STA_INFO_TX_FAILED) |
			 BIT_ULL(NL80211_STA_INFO_ASSOC_AT_BOOTTIME) |
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
	/* Nothing is retried: a frame the air loses is a failure */
	sinfo->tx_retries = 0;
	sinfo->tx_failed = atomic_long_read(&peer->tx_failed);
	sinfo->assoc_at = peer->linked_boottime;
	sinfo->signal = vwifi_peer_signal_dbm(peer);
	sinfo->signal_avg = sinfo->signal;
	vwifi_fill_rate(&peer->mode, &sinfo->txrate);
	vwifi_fill_rate(&peer->mode, &sinfo->rxrate);
	/* The negotiated flags are always in the mask: "no" is true too */
	sinfo->sta_flags.mask = BIT(NL80211_STA_FLAG_AUTHORIZED) |
				BIT(NL80211_STA_FLAG_AUTHENTICATED) |
				BIT(NL80211_STA_FLAG_ASSOCIATED) |
				BIT(NL80211_STA_FLAG_WME) |
				BIT(NL80211_STA_FLAG_MFP) |
				BIT(NL80211_STA_FLAG_SHORT_PREAMBLE);
	sinfo->sta_flags.set = BIT(NL80211_STA_FLAG_AUTHENTICATED) |
			       BIT(NL80211_STA_FLAG_ASSOCIATED) |
			       peer->mode.sta_flags;
	if (READ_ONCE(peer->authorized))
		sinfo->sta_flags.set |= BIT(NL80211_STA_FLAG_AUTHORIZED);
	/* A station counts its AP's beacons, an IBSS member its fellows' */
	if (!vwifi_vif_is(owner, NL80211_IFTYPE_AP)) {
		sinfo->filled |= BIT_ULL(NL80211_STA_INFO_BEACON_RX);
		sinfo->rx_beacon = atomic_long_read(&peer->rx_beacons);
		if (sinfo->rx_beacon) {
			sinfo->filled |= BIT_ULL(NL80211_STA_INFO_BEACON_SIGNAL_AVG);
			sinfo->rx_beacon_signal_avg = READ_ONCE(peer->beacon_signal);
		}
	}
	if (vwifi_vif_is(owner, NL80211_IFTYPE_STATION)) {
		const struct vwifi_bss *bss = &owner->bss;

		sinfo->filled |= BIT_ULL(NL80211_STA_INFO_BSS_PARAM);
		sinfo->bss_param.dtim_period = bss->dtim_period;
		sinfo->bss_param.beacon_interval = bss->beacon_int;
		if (bss->capability & WLAN_CAPABILITY_SHORT_SLOT_TIME)
			sinfo->bss_param.flags |= BSS_PARAM_FLAGS_SHORT_SLOT_TIME;
	}
}

static int vwifi_get_station(struct wiphy *wiphy, struct wireless_dev *wdev,
			     const u8 *mac, struct station_info *sinfo)
{
	struct vwifi_peer *peer;
	int err = 0;

	mutex_lock(&vwifi_mutex);
	peer = vwifi_peer_find(vwifi_wdev_vif(wdev), mac);
	if (peer)
		vwifi_fill_sinfo(peer, sinfo);
	else
		err = -ENOENT;
	mutex_unlock(&vwifi_mutex);
	return err;
}

static int vwifi_dump_station(struct wiphy *wiphy, struct wireless_dev *wdev,
			      int idx, u8 *mac, struct station_info *sinfo)
{
	struct vwifi_vif *vif = vwifi_wdev_vif(wdev);
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
	int err;

	switch (type) {
	case NL80211_IFTYPE_STATION:
	case NL80211_IFTYPE_AP:
	case NL80211_IFTYPE_ADHOC:
	case NL80211_IFTYPE_MONITOR:
		break;
	default:
		return -EOPNOTSUPP;
	}
	/* Like hardware, the mode changes only while the interface is down,
	 * where ndo_stop has ended whatever it ran: no far end reports on it
	 * in the old mode (__vwifi_vif_end())
	 */
	if (netif_running(ndev) && type != vif->wdev.iftype)
		return -EBUSY;
	err = vwifi_radio_check_ifaces(vif->radio, vif, type);
	if (err)
		return err;
	vwifi_monitor_set_type(vif, type);
	mutex_lock(&vwifi_mutex);
	vif->wdev.iftype = type;
	mutex_unlock(&vwifi_mutex);
	return 0;
}

static int vwifi_set_tx_power(struct wiphy *wiphy, struct wireless_dev *wdev,
			      int radio_idx, enum nl80211_tx_power_setting type,
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
			      int radio_idx, unsigned int link_id, int *dbm)
{
	struct vwifi_radio *radio = wiphy_priv(wiphy);

	*dbm = MBM_TO_DBM(radio->tx_power_mbm);
	return 0;
}

/* RTS, fragmentation and retry limits: cfg80211 keeps them; nothing to apply */
static int vwifi_set_wiphy_params(struct wiphy *wiphy, int radio_idx,
				  u32 changed)
{
	return 0;
}

/* ------------------------------------------------------------------ */
/* Channel, power save and survey                                     */
/* ------------------------------------------------------------------ */

/* The channel of the BSS @vif runs, joined or is associated to */
static int vwifi_get_channel(struct wiphy *wiphy, struct wireless_dev *wdev,
			     unsigned int link_id, struct cfg80211_chan_def *chandef)
{
	struct vwifi_vif *vif = vwifi_wdev_vif(wdev);
	enum nl80211_channel_type type = NL80211_CHAN_NO_HT;
	struct ieee80211_channel *chan = NULL;

	mutex_lock(&vwifi_mutex);
	if (vwifi_vif_is(vif, NL80211_IFTYPE_MONITOR)) {
		chan = ieee80211_get_channel(wiphy, vif->mon_freq);
		type = vif->mon_chan_type;
	} else if (vif->bss.active) {
		chan = ieee80211_get_channel(wiphy, vif->bss.freq);
		if (vif->bss.mode.ht40)
			type = vif->bss.mode.ht40 > 0 ? NL80211_CHAN_HT40PLUS :
							NL80211_CHAN_HT40MINUS;
		else if (vif->bss.mode.ht)
			type = NL80211_CHAN_HT20;
	}
	mutex_unlock(&vwifi_mutex);
	if (!chan)
		return -ENODATA;
	cfg80211_chandef_create(chandef, chan, type);
	return 0;
}

/* Accepted and kept; frames are never buffered (cfg80211 reports wdev->ps) */
static int vwifi_set_power_mgmt(struct wiphy *wiphy, struct net_device *ndev,
				bool enabled, int timeout)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	vif->power_save = enabled;
	return 0;
}

/* The @idx-th channel of @wiphy, over all bands */
static struct ieee80211_channel *vwifi_channel_at(struct wiphy *wiphy, int idx)
{
	enum nl80211_band b;

	for (b = 0; b < NUM_NL80211_BANDS; b++) {
		struct ieee80211_supported_band *band = wiphy->bands[b];

		if (!band)
			continue;
		if (idx < band->n_channels)
			return &band->channels[idx];
		idx -= band->n_channels;
	}
	return NULL;
}

/* Milliseconds @bytes take on the air at @rate (100 kbit/s), payload only */
static u64 vwifi_airtime_ms(u64 bytes, u32 rate)
{
	return div_u64(bytes * 8, rate * 100);
}

/*
 * The channel @vif's BSS is on: active time since the BSS came up; the
 * air is busy with the frames the interface sent and received (relayed
 * ones count both ways) since then, at the BSS's top rate.  Frames of
 * other BSSs and retries are not counted.  Under vwifi_mutex.
 */
static void __vwifi_survey_in_use(struct vwifi_vif *vif, struct survey_info *info)
{
	const struct vwifi_bss *bss = &vif->bss;
	u32 rate = vwifi_mode_rate(&bss->mode);
	struct vwifi_stats now;

	lockdep_assert_held(&vwifi_mutex);
	vwifi_stats_read(vif->stats, &now);
	info->time = div_u64(ktime_get_boottime_ns() - bss->up_ns, NSEC_PER_MSEC);
	info->time_tx = min(info->time,
			    vwifi_airtime_ms(now.tx_bytes - bss->up_stats.tx_bytes, rate));
	info->time_rx = min(info->time - info->time_tx,
			    vwifi_airtime_ms(now.rx_bytes + now.relayed_bytes -
					     bss->up_stats.rx_bytes -
					     bss->up_stats.relayed_bytes, rate));
	info->time_busy = info->time_tx + info->time_rx;
	info->filled |= SURVEY_INFO_IN_USE | SURVEY_INFO_TIME | SURVEY_INFO_TIME_BUSY |
			SURVEY_INFO_TIME_TX | SURVEY_INFO_TIME_RX;
}

static int vwifi_dump_survey(struct wiphy *wiphy, struct net_device *ndev, int idx,
			     struct survey_info *info)
{
	struct ieee80211_channel *chan = vwifi_channel_at(wiphy, idx);
	struct vwifi_vif *vif = netdev_priv(ndev);

	if (!chan)
		return -ENOENT;
	info->channel = chan;
	info->noise = VWIFI_NOISE_DBM;
	info->filled = SURVEY_INFO_NOISE_DBM;
	mutex_lock(&vwifi_mutex);
	if (vif->bss.active && vif->bss.freq == chan->center_freq)
		__vwifi_survey_in_use(vif, info);
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* ------------------------------------------------------------------ */
/* net_device                                                         */
/* ------------------------------------------------------------------ */

static int vwifi_ndo_open(struct net_device *ndev)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	netif_carrier_off(ndev);	/* on once associated, started or joined */
	netif_start_queue(ndev);
	if (vwifi_vif_is(vif, NL80211_IFTYPE_MONITOR))
		vwifi_monitor_open(vif);
	return 0;
}

/*
 * End whatever @vif still runs, telling the far ends.  cfg80211 has
 * disconnected, stopped the AP or left the cell before the interface
 * goes down, unless it lost track (6.1 calls no disconnect op once it
 * forgot the SSID); so an interface is down, and may change its type,
 * only once vwifi holds nothing for it that a far end could report on.
 * Under rtnl (see vwifi_disassociate()).
 */
static void __vwifi_vif_end(struct vwifi_vif *vif)
{
	ASSERT_RTNL();
	lockdep_assert_held(&vwifi_mutex);
	switch (vif->wdev.iftype) {
	case NL80211_IFTYPE_STATION:
		__vwifi_sta_leave(vif, WLAN_REASON_DEAUTH_LEAVING);
		break;
	case NL80211_IFTYPE_AP:
		__vwifi_ap_stop(vif);
		break;
	case NL80211_IFTYPE_ADHOC:
		__vwifi_ibss_leave(vif);
		break;
	default:
		break;
	}
}

static int vwifi_ndo_stop(struct net_device *ndev)
{
	struct vwifi_vif *vif = netdev_priv(ndev);

	if (vwifi_vif_is(vif, NL80211_IFTYPE_MONITOR))
		vwifi_monitor_stop(vif);
	vwifi_scan_abort(vif);
	mutex_lock(&vwifi_mutex);
	__vwifi_vif_end(vif);
	mutex_unlock(&vwifi_mutex);
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

/*
 * The entries other interfaces keep for @vif alone (an AP whose userspace
 * keeps them, a half link) go, their owners told as of a departure
 */
static void __vwifi_forget_far_ends(struct vwifi_vif *vif)
{
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	struct vwifi_vif *v;
	unsigned int bkt;

	lockdep_assert_held(&vwifi_mutex);
	list_for_each_entry(v, &vwifi_vifs, list)
		hash_for_each_safe(v->peers, bkt, tmp, peer, node)
			if (peer->vif == vif)
				__vwifi_peer_gone(peer, WLAN_REASON_DEAUTH_LEAVING, false);
}

/*
 * Unregistering: drop every link so nobody sends here any more.  Under
 * rtnl, and the wiphy lock when cfg80211 deletes the interface.
 */
static void vwifi_ndo_uninit(struct net_device *ndev)
{
	struct vwifi_vif *vif = netdev_priv(ndev);
	struct vwifi_peer *peer;
	struct hlist_node *tmp;
	unsigned int bkt;

	cancel_delayed_work_sync(&vif->scan_work);
	cancel_delayed_work_sync(&vif->sme_timeout);
	mutex_lock(&vwifi_mutex);
	vif->lost = false;	/* closed: ndo_stop told cfg80211 of any loss */
	__vwifi_scan_finish(vif, true);
	__vwifi_sme_cancel(vif);
	hash_for_each_safe(vif->peers, bkt, tmp, peer, node)
		__vwifi_unlink(peer);
	__vwifi_forget_far_ends(vif);
	vwifi_bss_clear(&vif->bss);
	__vwifi_rules_forget(vif, true, true);
	/* The medium's receive path looks interfaces up under RCU */
	list_del_rcu(&vif->list);
	list_del_init(&vif->radio_node);
	mutex_unlock(&vwifi_mutex);
	/* Only a station linked to it queues its beacon: none is any more */
	cancel_delayed_work_sync(&vif->beacon_work);
	vwifi_addr_put(vif);
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

/* ---- ethtool ---- */

/* ethtool -S: the netdev counters as `ip -s link` shows them, then vwifi's */
static const char vwifi_ethtool_names[][ETH_GSTRING_LEN] = {
	"tx_packets", "tx_bytes", "rx_packets", "rx_bytes",
	"tx_dropped",		/* not sent: no link, port closed, denied */
	"rx_dropped",		/* vwifi's and the stack's (backlog full...) */
	"rx_dropped_port",	/* vwifi's: from another guest, port closed */
	"relayed_packets",	/* AP: from one station to another */
	"relayed_bytes",
	"tx_failed",		/* over the current links, as station dump */
};

#define VWIFI_N_ETHTOOL_STATS	ARRAY_SIZE(vwifi_ethtool_names)

static void vwifi_get_drvinfo(struct net_device *ndev, struct ethtool_drvinfo *info)
{
	struct wiphy *wiphy = ndev->ieee80211_ptr->wiphy;

	/* What cfg80211's own ethtool ops give, with the driver's name */
	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	strscpy(info->version, init_utsname()->release, sizeof(info->version));
	strscpy(info->fw_version, wiphy->fw_version, sizeof(info->fw_version));
	strscpy(info->bus_info, wiphy_name(wiphy), sizeof(info->bus_info));
}

static int vwifi_get_sset_count(struct net_device *ndev, int sset)
{
	return sset == ETH_SS_STATS ? VWIFI_N_ETHTOOL_STATS : -EOPNOTSUPP;
}

static void vwifi_get_strings(struct net_device *ndev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, vwifi_ethtool_names, sizeof(vwifi_ethtool_names));
}

/* Under rtnl; the counters are read locklessly, the links under RCU */
static void vwifi_get_ethtool_stats(struct net_device *ndev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct vwifi_vif *vif = netdev_priv(ndev);
	struct rtnl_link_stats64 st;
	struct vwifi_peer *peer;
	struct vwifi_stats sum;
	unsigned int bkt;
	u64 failed = 0;
	int i = 0;

	dev_get_stats(ndev, &st);
	vwifi_stats_read(vif->stats, &sum);
	rcu_read_lock();
	hash_for_each_rcu(vif->peers, bkt, peer, node)
		failed += atomic_long_read(&peer->tx_failed);
	rcu_read_unlock();
	data[i++] = st.tx_packets;
	data[i++] = st.tx_bytes;
	data[i++] = st.rx_packets;
	data[i++] = st.rx_bytes;
	data[i++] = st.tx_dropped;
	data[i++] = st.rx_dropped;
	data[i++] = atomic_long_read(&vif->rx_dropped);
	data[i++] = sum.relayed_packets;
	data[i++] = sum.relayed_bytes;
	data[i++] = failed;
}

static const struct ethtool_ops vwifi_ethtool_ops = {
	.get_drvinfo = vwifi_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = vwifi_get_sset_count,
	.get_strings = vwifi_get_strings,
	.get_ethtool_stats = vwifi_get_ethtool_stats,
};

static void vwifi_ndev_setup(struct net_device *ndev)
{
	ether_setup(ndev);
	ndev->netdev_ops = &vwifi_netdev_ops;
	/* Before NETDEV_POST_INIT, so cfg80211 keeps ours */
	ndev->ethtool_ops = &vwifi_ethtool_ops;
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
/* Control family                                                     */
/* ------------------------------------------------------------------ */

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
	return list_empty(&vif->radio_node) ? NULL : vif;	/* listed */
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
static struct vwifi_vif *__vwifi_nl_vif(struct genl_info *info, int name_type,
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

/* The pair a DENY_* or LINK_* request names.  Under rtnl and vwifi_mutex. */
static int vwifi_nl_pair(struct genl_info *info, struct vwifi_vif **rx,
			 struct vwifi_vif **tx)
{
	*rx = __vwifi_nl_vif(info, VWIFI_ATTR_DST_IFNAME, VWIFI_ATTR_DST_IFINDEX);
	if (IS_ERR(*rx))
		return PTR_ERR(*rx);
	*tx = __vwifi_nl_vif(info, VWIFI_ATTR_SRC_IFNAME, VWIFI_ATTR_SRC_IFINDEX);
	if (IS_ERR(*tx))
		return PTR_ERR(*tx);
	if (*rx == *tx) {
		NL_SET_ERR_MSG(info->extack, "an interface cannot pair with itself");
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
		err = __vwifi_deny_add(rx, tx, info->extack);
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	return err;
}

static int vwifi_nl_deny_del(struct sk_buff *skb, struct genl_info *info)
{
	struct vwifi_vif *rx, *tx;
	int err;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	err = vwifi_nl_pair(info, &rx, &tx);
	if (!err)
		err = __vwifi_deny_del(rx, tx, info->extack);
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	return err;
}

static int vwifi_nl_deny_clear(struct sk_buff *skb, struct genl_info *info)
{
	mutex_lock(&vwifi_mutex);
	__vwifi_rules_forget(NULL, true, false);
	mutex_unlock(&vwifi_mutex);
	return 0;
}

/* The values a LINK_SET request gives (the policy checked their ranges) */
static int vwifi_nl_link_values(struct genl_info *info, struct vwifi_link_set *set)
{
	struct nlattr **tb = info->attrs;

	memset(set, 0, sizeof(*set));
	set->set_loss = tb[VWIFI_ATTR_LINK_LOSS];
	set->set_delay = tb[VWIFI_ATTR_LINK_DELAY];
	set->set_jitter = tb[VWIFI_ATTR_LINK_JITTER];
	set->set_signal = tb[VWIFI_ATTR_LINK_SIGNAL];
	if (set->set_loss)
		set->loss = nla_get_u32(tb[VWIFI_ATTR_LINK_LOSS]);
	if (set->set_delay)
		set->delay_us = nla_get_u32(tb[VWIFI_ATTR_LINK_DELAY]);
	if (set->set_jitter)
		set->jitter_us = nla_get_u32(tb[VWIFI_ATTR_LINK_JITTER]);
	if (set->set_signal)
		set->signal = nla_get_s32(tb[VWIFI_ATTR_LINK_SIGNAL]);
	if (!set->set_loss && !set->set_delay && !set->set_jitter && !set->set_signal) {
		NL_SET_ERR_MSG(info->extack, "nothing to set (loss, delay, jitter, signal)");
		return -EINVAL;
	}
	return 0;
}

/* vwifi-tool link set SRC DST ...: what DST hears of SRC */
static int vwifi_nl_link_set(struct sk_buff *skb, struct genl_info *info)
{
	struct vwifi_link_set set;
	struct vwifi_vif *rx, *tx;
	int err;

	err = vwifi_nl_link_values(info, &set);
	if (err)
		return err;
	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	err = vwifi_nl_pair(info, &rx, &tx);
	if (!err)
		err = __vwifi_link_rule_set(rx, tx, &set, info->extack);
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	return err;
}

static int vwifi_nl_link_del(struct sk_buff *skb, struct genl_info *info)
{
	struct vwifi_vif *rx, *tx;
	int err;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	err = vwifi_nl_pair(info, &rx, &tx);
	if (!err)
		err = __vwifi_link_rule_del(rx, tx, info->extack);
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	return err;
}

/* vwifi-tool radio add [NAME]: the reply names the wiphy and its interface */
static int vwifi_nl_new_radio(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[VWIFI_ATTR_WIPHY_NAME];
	char name[VWIFI_WIPHY_NAME_LEN];
	struct vwifi_radio_made made;
	struct vwifi_radio *radio;
	struct sk_buff *msg;
	void *hdr;

	if (attr && nla_strscpy(name, attr, sizeof(name)) <= 0) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "empty name");
		return -EINVAL;
	}
	/* Allocated first: once the radio exists, the reply cannot fail */
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	radio = vwifi_radio_add(attr ? name : NULL, genl_info_net(info), &made,
				info->extack);
	if (IS_ERR(radio)) {
		nlmsg_free(msg);
		return PTR_ERR(radio);
	}
	hdr = genlmsg_put_reply(msg, info, &vwifi_nl_family, 0, VWIFI_CMD_NEW_RADIO);
	if (!hdr ||
	    nla_put_string(msg, VWIFI_ATTR_WIPHY_NAME, made.wiphy) ||
	    nla_put_string(msg, VWIFI_ATTR_IFNAME, made.ifname) ||
	    nla_put_u32(msg, VWIFI_ATTR_IFINDEX, made.ifindex)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* The radio @info names by its wiphy's name.  Under rtnl. */
static struct vwifi_radio *vwifi_nl_radio(struct genl_info *info)
{
	struct nlattr *name = info->attrs[VWIFI_ATTR_WIPHY_NAME];
	struct vwifi_radio *radio;

	ASSERT_RTNL();
	if (!name) {
		NL_SET_ERR_MSG(info->extack, "name the radio's wiphy");
		return ERR_PTR(-EINVAL);
	}
	list_for_each_entry(radio, &vwifi_radios, list)
		if (!nla_strcmp(name, wiphy_name(radio->wiphy)))
			return radio;
	NL_SET_ERR_MSG_ATTR(info->extack, name, "no vwifi radio has a wiphy of this name");
	return ERR_PTR(-ENODEV);
}

/* vwifi-tool radio del PHY */
static int vwifi_nl_del_radio(struct sk_buff *skb, struct genl_info *info)
{
	struct vwifi_radio *radio;
	LIST_HEAD(batch);

	rtnl_lock();
	radio = vwifi_nl_radio(info);
	if (IS_ERR(radio)) {
		rtnl_unlock();
		return PTR_ERR(radio);
	}
	vwifi_radio_unlist(radio, &batch);
	unregister_netdevice_many(&batch);
	rtnl_unlock();
	vwifi_radio_free(radio);
	return 0;
}

static int vwifi_nl_put_counter(struct sk_buff *msg, int type, atomic_long_t *v)
{
	return nla_put_u64_64bit(msg, type, atomic_long_read(v), VWIFI_ATTR_PAD);
}

static int vwifi_nl_put_virtio(struct sk_buff *msg)
{
	struct vwifi_virtio *m = &vwifi_virtio;
	struct net_device *dev;
	int err = 0;

	if (!vwifi_virtio_on())
		return 0;
	rcu_read_lock();
	dev = rcu_dereference(m->dev);
	if (dev)
		err = nla_put_string(msg, VWIFI_ATTR_MEDIUM_IFNAME, dev->name);
	rcu_read_unlock();
	return err ||
	       nla_put_u32(msg, VWIFI_ATTR_MEDIUM_BSS, READ_ONCE(m->n_bss)) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MEDIUM_RX, &m->rx_frames) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MEDIUM_RX_DROPPED, &m->rx_dropped) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MEDIUM_RX_INVALID, &m->rx_invalid) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MEDIUM_TX, &m->tx_frames) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MEDIUM_TX_DROPPED, &m->tx_dropped) ||
	       nla_put_u32(msg, VWIFI_ATTR_MEDIUM_WIRE_VERSION, VWIFI_WIRE_VERSION) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MEDIUM_RX_VERSION, &m->rx_version);
}

static int vwifi_nl_put_mgmt(struct sk_buff *msg)
{
	return vwifi_nl_put_counter(msg, VWIFI_ATTR_MGMT_TX, &vwifi_mgmt.tx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MGMT_TX_NO_ACK, &vwifi_mgmt.tx_no_ack) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MGMT_RX, &vwifi_mgmt.rx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MGMT_RX_UNHANDLED, &vwifi_mgmt.rx_unhandled) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_SME_TX, &vwifi_mgmt.sme_tx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_SME_RX, &vwifi_mgmt.sme_rx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_MGMT_RX_INVALID, &vwifi_mgmt.rx_invalid) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_BEACON_TX, &vwifi_mgmt.beacon_tx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_BEACON_RX, &vwifi_mgmt.beacon_rx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_BEACON_MISSED, &vwifi_mgmt.beacon_missed) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_PROBE_REQ_TX, &vwifi_mgmt.probe_req_tx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_PROBE_REQ_RX, &vwifi_mgmt.probe_req_rx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_PROBE_RESP_TX, &vwifi_mgmt.probe_resp_tx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_PROBE_RESP_RX, &vwifi_mgmt.probe_resp_rx) ||
	       vwifi_nl_put_counter(msg, VWIFI_ATTR_BEACON_SCAN_RX, &vwifi_mgmt.beacon_scan_rx);
}

static int vwifi_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	bool admin = netlink_capable(skb, CAP_NET_ADMIN);
	struct net *net = genl_info_net(info);
	u32 n_ifaces = 0, n_deny = 0, n_link = 0, n_radios = 0;
	struct vwifi_radio *radio;
	struct vwifi_rule *r;
	struct vwifi_vif *vif;
	struct sk_buff *msg;
	void *hdr;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	list_for_each_entry(radio, &vwifi_radios, list)
		n_radios += admin || net_eq(wiphy_net(radio->wiphy), net);
	list_for_each_entry(vif, &vwifi_vifs, list)
		n_ifaces += vwifi_nl_visible(vif, net, admin);
	list_for_each_entry(r, &vwifi_rule_list, list) {
		if (!vwifi_nl_visible(r->rx, net, admin) || !vwifi_nl_visible(r->tx, net, admin))
			continue;
		n_deny += r->deny;
		n_link += r->link;
	}
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
	    nla_put_u32(msg, VWIFI_ATTR_DENY_MAX, VWIFI_RULE_MAX) ||
	    nla_put_u32(msg, VWIFI_ATTR_NUM_LINK_RULES, n_link) ||
	    vwifi_nl_put_counter(msg, VWIFI_ATTR_LINK_LOST, &vwifi_link_stats.lost) ||
	    vwifi_nl_put_counter(msg, VWIFI_ATTR_LINK_DELAYED, &vwifi_link_stats.delayed) ||
	    vwifi_nl_put_counter(msg, VWIFI_ATTR_LINK_DELAY_DROPPED,
				 &vwifi_link_stats.delay_dropped) ||
	    nla_put_u32(msg, VWIFI_ATTR_NUM_RADIOS, n_radios) ||
	    nla_put_u32(msg, VWIFI_ATTR_RADIO_MAX, VWIFI_MAX_RADIOS) ||
	    vwifi_nl_put_mgmt(msg) || vwifi_nl_put_virtio(msg)) {
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
	    nla_put_u32(skb, VWIFI_ATTR_IFTYPE, vif->wdev.iftype) ||
	    nla_put_string(skb, VWIFI_ATTR_WIPHY_NAME, wiphy_name(vif->radio->wiphy))) {
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

static int vwifi_nl_put_rule_pair(struct sk_buff *skb, const struct vwifi_rule *r)
{
	return vwifi_nl_put_iface(skb, r->rx, VWIFI_ATTR_DST_IFNAME, VWIFI_ATTR_DST_IFINDEX,
				  VWIFI_ATTR_DST_NETNS_INUM) ?:
	       vwifi_nl_put_iface(skb, r->tx, VWIFI_ATTR_SRC_IFNAME, VWIFI_ATTR_SRC_IFINDEX,
				  VWIFI_ATTR_SRC_NETNS_INUM);
}

/* A link rule's values: those it changes (a delay or jitter of 0 changes nothing) */
static int vwifi_nl_put_link_rule(struct sk_buff *skb, const struct vwifi_rule *r)
{
	if ((r->loss && nla_put_u32(skb, VWIFI_ATTR_LINK_LOSS, r->loss)) ||
	    (r->delay_us && nla_put_u32(skb, VWIFI_ATTR_LINK_DELAY, r->delay_us)) ||
	    (r->jitter_us && nla_put_u32(skb, VWIFI_ATTR_LINK_JITTER, r->jitter_us)) ||
	    (r->has_signal && nla_put_s32(skb, VWIFI_ATTR_LINK_SIGNAL, r->signal)))
		return -EMSGSIZE;
	return 0;
}

static int vwifi_nl_dump_one_rule(struct sk_buff *skb, struct netlink_callback *cb,
				  const struct vwifi_rule *r, u8 cmd)
{
	void *hdr = vwifi_nl_dump_put(skb, cb, cmd);

	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (vwifi_nl_put_rule_pair(skb, r) ||
	    (cmd == VWIFI_CMD_LINK_GET && vwifi_nl_put_link_rule(skb, r))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * The visible pairs with a rule of the kind @cmd lists, oldest pair first;
 * cb->args[0]: how many earlier calls sent
 */
static int vwifi_nl_dump_rules(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd)
{
	bool admin = netlink_capable(cb->skb, CAP_NET_ADMIN);
	struct net *net = sock_net(skb->sk);
	long idx = 0, start = cb->args[0];
	struct vwifi_rule *r;

	rtnl_lock();
	mutex_lock(&vwifi_mutex);
	cb->seq = vwifi_rule_gen;
	list_for_each_entry(r, &vwifi_rule_list, list) {
		if (!(cmd == VWIFI_CMD_DENY_GET ? r->deny : r->link) ||
		    !vwifi_nl_visible(r->rx, net, admin) ||
		    !vwifi_nl_visible(r->tx, net, admin) || idx++ < start)
			continue;
		if (vwifi_nl_dump_one_rule(skb, cb, r, cmd)) {
			idx--;
			break;
		}
	}
	mutex_unlock(&vwifi_mutex);
	rtnl_unlock();
	cb->args[0] = idx;
	return skb->len;
}

static int vwifi_nl_dump_deny(struct sk_buff *skb, struct netlink_callback *cb)
{
	return vwifi_nl_dump_rules(skb, cb, VWIFI_CMD_DENY_GET);
}

static int vwifi_nl_dump_link(struct sk_buff *skb, struct netlink_callback *cb)
{
	return vwifi_nl_dump_rules(skb, cb, VWIFI_CMD_LINK_GET);
}

/* Commands that take no attribute: strict validation refuses every one */
static const struct nla_policy vwifi_nl_policy_none[VWIFI_ATTR_MAX + 1] = {};

static const struct nla_policy vwifi_nl_policy_pair[VWIFI_ATTR_MAX + 1] = {
	[VWIFI_ATTR_DST_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[VWIFI_ATTR_DST_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[VWIFI_ATTR_SRC_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[VWIFI_ATTR_SRC_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* Not const: 6.1's policy takes a plain pointer */
static struct netlink_range_validation vwifi_nl_loss_range = { .max = VWIFI_LOSS_ALL };
static struct netlink_range_validation vwifi_nl_delay_range = {
	.max = VWIFI_DELAY_MAX_US,
};

static const struct nla_policy vwifi_nl_policy_link[VWIFI_ATTR_MAX + 1] = {
	[VWIFI_ATTR_DST_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[VWIFI_ATTR_DST_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[VWIFI_ATTR_SRC_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[VWIFI_ATTR_SRC_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[VWIFI_ATTR_LINK_LOSS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vwifi_nl_loss_range),
	[VWIFI_ATTR_LINK_DELAY] = NLA_POLICY_FULL_RANGE(NLA_U32, &vwifi_nl_delay_range),
	[VWIFI_ATTR_LINK_JITTER] = NLA_POLICY_FULL_RANGE(NLA_U32, &vwifi_nl_delay_range),
	[VWIFI_ATTR_LINK_SIGNAL] = NLA_POLICY_RANGE(NLA_S32, VWIFI_SIGNAL_MIN, VWIFI_SIGNAL_MAX),
};

static const struct nla_policy vwifi_nl_policy_radio[VWIFI_ATTR_MAX + 1] = {
	[VWIFI_ATTR_WIPHY_NAME] = { .type = NLA_NUL_STRING, .len = VWIFI_WIPHY_NAME_LEN - 1 },
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
	{
		.cmd = VWIFI_CMD_LINK_SET,
		.doit = vwifi_nl_link_set,
		.policy = vwifi_nl_policy_link,
		.maxattr = VWIFI_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VWIFI_CMD_LINK_DEL,
		.doit = vwifi_nl_link_del,
		.policy = vwifi_nl_policy_pair,
		.maxattr = VWIFI_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VWIFI_CMD_LINK_GET,
		.dumpit = vwifi_nl_dump_link,
		.policy = vwifi_nl_policy_none,
		.maxattr = VWIFI_ATTR_MAX,
	},
	{
		.cmd = VWIFI_CMD_NEW_RADIO,
		.doit = vwifi_nl_new_radio,
		.policy = vwifi_nl_policy_radio,
		.maxattr = VWIFI_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VWIFI_CMD_DEL_RADIO,
		.doit = vwifi_nl_del_radio,
		.policy = vwifi_nl_policy_radio,
		.maxattr = VWIFI_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
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
	band->ht_cap.cap = IEEE80211_HT_CAP_SUP_WIDTH_20_40 | IEEE80211_HT_CAP_SGI_20 |
			   IEEE80211_HT_CAP_SGI_40;
	band->ht_cap.ampdu_factor = IEEE80211_HT_MAX_AMPDU_64K;
	band->ht_cap.ampdu_density = IEEE80211_HT_MPDU_DENSITY_NONE;
	band->ht_cap.mcs.rx_mask[0] = 0xff;
	band->ht_cap.mcs.tx_params = IEEE80211_HT_MCS_TX_DEFINED;
}

/*
 * Interface combination: several stations, and one AP or IBSS beside
 * them, all on one channel (the radio has one).  vwifi checks it itself,
 * as cfg80211 leaves that to FullMAC drivers.
 */
static const struct ieee80211_iface_limit vwifi_iface_limits[] = {
	{ .max = VWIFI_RADIO_IFACES, .types = BIT(NL80211_IFTYPE_STATION) },
	{ .max = 1, .types = BIT(NL80211_IFTYPE_AP) | BIT(NL80211_IFTYPE_ADHOC) },
};

static const struct ieee80211_iface_combination vwifi_iface_combination = {
	.limits = vwifi_iface_limits,
	.n_limits = ARRAY_SIZE(vwifi_iface_limits),
	.max_interfaces = VWIFI_RADIO_IFACES,
	.num_different_channels = 1,
};

/*
 * Whether @radio may have its interfaces plus one of @type (@vif changing
 * to @type, or a new interface if NULL): -EBUSY if the combination does
 * not allow it.  Under rtnl.
 */
static int vwifi_radio_check_ifaces(struct vwifi_radio *radio, struct vwifi_vif *vif,
				    enum nl80211_iftype type)
{
	struct iface_combination_params params = {
		.num_different_channels = 1,
	};
	struct vwifi_vif *v;

	ASSERT_RTNL();
	/* Monitors are software interfaces: any number, in no combination */
	if (type == NL80211_IFTYPE_MONITOR)
		return 0;
	vwifi_compat_combination_params_init(&params);
	list_for_each_entry(v, &radio->vifs, radio_node)
		if (v != vif && !vwifi_vif_is(v, NL80211_IFTYPE_MONITOR))
			params.iftype_num[v->wdev.iftype]++;
	params.iftype_num[type]++;
	return cfg80211_check_combinations(radio->wiphy, &params);
}

/* Radio indexes name the wiphys (vw_phyN) and their addresses */
static DEFINE_IDA(vwifi_radio_ida);
/* Virtio mode: the numbers of the addresses vwifi_virtio_addr() derives */
static DEFINE_IDA(vwifi_addr_ida);

/*
 * Every interface has its own stable address.  Local mode: slot s of
 * radio r is 02:76:77:ss:rr:rr, so a radio's first interface (slot 0)
 * keeps the address it always had.  Virtio mode: the guest's pool of
 * numbers, told apart from other guests' by the virtio-net address; a
 * radio holds one for its slot 0, an added interface takes another.
 */
static void vwifi_slot_addr(const struct vwifi_radio *radio, int slot, int num, u8 *addr)
{
	if (vwifi_virtio_on()) {
		vwifi_virtio_addr(num, addr);
		return;
	}
	addr[0] = 0x02;
	addr[1] = 'v';
	addr[2] = 'w';
	addr[3] = slot;
	addr[4] = (radio->index >> 8) & 0xff;
	addr[5] = radio->index & 0xff;
}

/* Claim @vif's address slot (and number).  Under rtnl. */
static int vwifi_addr_get(struct vwifi_vif *vif)
{
	struct vwifi_radio *radio = vif->radio;
	unsigned int slot = find_first_zero_bit(&radio->slots, VWIFI_RADIO_IFACES);
	int num = radio->addr_num;

	ASSERT_RTNL();
	if (slot >= VWIFI_RADIO_IFACES)
		return -ENOSPC;
	if (vwifi_virtio_on() && slot) {
		num = ida_alloc_max(&vwifi_addr_ida, VWIFI_VIRTIO_MAX_IFACES - 1, GFP_KERNEL);
		if (num < 0)
			return num;
	}
	__set_bit(slot, &radio->slots);
	vif->slot = slot;
	vif->addr_num = num;
	return 0;
}

/* Give the slot back; again is a no-op.  Under rtnl. */
static void vwifi_addr_put(struct vwifi_vif *vif)
{
	ASSERT_RTNL();
	if (vif->slot == VWIFI_NO_SLOT)
		return;
	__clear_bit(vif->slot, &vif->radio->slots);
	if (vwifi_virtio_on() && vif->slot)
		ida_free(&vwifi_addr_ida, vif->addr_num);
	vif->slot = VWIFI_NO_SLOT;
}

/* What every vwifi wiphy offers */
static void vwifi_radio_setup(struct vwifi_radio *radio)
{
	struct wiphy *wiphy = radio->wiphy;

	radio->tx_power_mbm = VWIFI_MAX_TXPOWER_MBM;
	vwifi_slot_addr(radio, 0, radio->addr_num, wiphy->perm_addr);
	wiphy->interface_modes = BIT(NL80211_IFTYPE_STATION) |
				 BIT(NL80211_IFTYPE_AP) |
				 BIT(NL80211_IFTYPE_ADHOC) |
				 BIT(NL80211_IFTYPE_MONITOR);
	wiphy->software_iftypes = BIT(NL80211_IFTYPE_MONITOR);
	wiphy->iface_combinations = &vwifi_iface_combination;
	wiphy->n_iface_combinations = 1;
	wiphy->flags |= WIPHY_FLAG_NETNS_OK | WIPHY_FLAG_HAVE_AP_SME |
			WIPHY_FLAG_IBSS_RSN | WIPHY_FLAG_OFFCHAN_TX;
	/* How long mgmt_tx may be asked to wait; it never waits */
	wiphy->max_remain_on_channel_duration = VWIFI_MAX_WAIT_MS;
	/* FULL_AP_CLIENT_STATE: an AP's userspace SME adds stations with
	 * their authenticated and associated flags (iwd 2.3 needs it)
	 */
	wiphy->features |= NL80211_FEATURE_MAC_ON_CREATE | NL80211_FEATURE_FULL_AP_CLIENT_STATE;
	wiphy->mgmt_stypes = vwifi_mgmt_stypes;
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
}

/*
 * An interface of @radio, of @type, named after @name, at its slot's
 * address (@macaddr instead, if valid), in the wiphy's netns.  Under rtnl
 * and the wiphy lock.
 */
static struct vwifi_vif *vwifi_vif_create(struct vwifi_radio *radio, const char *name,
					  unsigned char name_assign_type,
					  enum nl80211_iftype type, const u8 *macaddr)
{
	struct net_device *ndev;
	struct vwifi_vif *vif;
	int err;

	ASSERT_RTNL();
	lockdep_assert_held(&radio->wiphy->mtx);
	ndev = alloc_netdev(sizeof(*vif), name, name_assign_type, vwifi_ndev_setup);
	if (!ndev)
		return ERR_PTR(-ENOMEM);
	vif = netdev_priv(ndev);
	vif->ndev = ndev;
	vif->radio = radio;
	vif->slot = VWIFI_NO_SLOT;
	INIT_LIST_HEAD(&vif->list);
	INIT_LIST_HEAD(&vif->radio_node);
	hash_init(vif->peers);
	INIT_DELAYED_WORK(&vif->scan_work, vwifi_scan_work);
	INIT_DELAYED_WORK(&vif->sme_timeout, vwifi_sme_timeout_work);
	INIT_DELAYED_WORK(&vif->beacon_work, vwifi_beacon_work);
	err = vwifi_addr_get(vif);
	if (err) {
		free_netdev(ndev);
		return ERR_PTR(err);
	}
	vwifi_virtio_setup_ndev(ndev);
	vif->wdev.wiphy = radio->wiphy;
	vif->wdev.netdev = ndev;
	vif->wdev.iftype = type;
	vwifi_monitor_set_type(vif, type);
	ndev->ieee80211_ptr = &vif->wdev;
	SET_NETDEV_DEV(ndev, wiphy_dev(radio->wiphy));
	dev_net_set(ndev, wiphy_net(radio->wiphy));
	/* ip link set address changes dev_addr only (while down, as on
	 * hardware); ethtool -P keeps telling the slot's own address
	 */
	vwifi_slot_addr(radio, vif->slot, vif->addr_num, ndev->perm_addr);
	if (macaddr && is_valid_ether_addr(macaddr)) {
		eth_hw_addr_set(ndev, macaddr);
		/* else registration would make it the permanent one */
		ndev->addr_assign_type = NET_ADDR_SET;
	} else {
		eth_hw_addr_set(ndev, ndev->perm_addr);
	}
	netif_carrier_off(ndev);

	err = cfg80211_register_netdevice(ndev);
	if (err) {
		vwifi_addr_put(vif);	/* unless ndo_uninit did */
		free_netdev(ndev);
		return ERR_PTR(err);
	}
	mutex_lock(&vwifi_mutex);
	list_add_tail_rcu(&vif->list, &vwifi_vifs);
	list_add_tail(&vif->radio_node, &radio->vifs);
	mutex_unlock(&vwifi_mutex);
	return vif;
}

/* iw phy PHY interface add NAME type T.  Under rtnl and the wiphy lock. */
static struct wireless_dev *vwifi_add_virtual_intf(struct wiphy *wiphy, const char *name,
						   unsigned char name_assign_type,
						   enum nl80211_iftype type,
						   struct vif_params *params)
{
	struct vwifi_radio *radio = wiphy_priv(wiphy);
	struct vwifi_vif *vif;
	int err;

	if (radio->dying)
		return ERR_PTR(-ENODEV);
	err = vwifi_radio_check_ifaces(radio, NULL, type);
	if (err)
		return ERR_PTR(err);
	vif = vwifi_vif_create(radio, name, name_assign_type, type, params->macaddr);
	return IS_ERR(vif) ? ERR_CAST(vif) : &vif->wdev;
}

/*
 * iw dev NAME del, and interfaces whose owner socket closed.  cfg80211
 * has closed it.  Under rtnl and the wiphy lock.
 */
static int vwifi_del_virtual_intf(struct wiphy *wiphy, struct wireless_dev *wdev)
{
	cfg80211_unregister_netdevice(wdev->netdev);
	return 0;
}

static const struct cfg80211_ops vwifi_cfg_ops = {
	.add_virtual_intf = vwifi_add_virtual_intf,
	.del_virtual_intf = vwifi_del_virtual_intf,
	.change_virtual_intf = vwifi_change_virtual_intf,
	.scan = vwifi_scan,
	.abort_scan = vwifi_abort_scan,
	.connect = vwifi_connect,
	.disconnect = vwifi_disconnect,
	.start_ap = vwifi_start_ap,
	.change_beacon = vwifi_op_change_beacon,
	.stop_ap = vwifi_stop_ap,
	.change_bss = vwifi_change_bss,
	.add_station = vwifi_op_add_station,
	.del_station = vwifi_op_del_station,
	.change_station = vwifi_op_change_station,
	.get_station = vwifi_op_get_station,
	.dump_station = vwifi_op_dump_station,
	.join_ibss = vwifi_join_ibss,
	.leave_ibss = vwifi_leave_ibss,
	.add_key = vwifi_op_add_key,
	.get_key = vwifi_op_get_key,
	.del_key = vwifi_op_del_key,
	.set_default_key = vwifi_set_default_key,
	.set_default_mgmt_key = vwifi_op_set_default_mgmt_key,
	.set_tx_power = vwifi_op_set_tx_power,
	.get_tx_power = vwifi_op_get_tx_power,
	.set_wiphy_params = vwifi_op_set_wiphy_params,
	.get_channel = vwifi_get_channel,
	.set_monitor_channel = vwifi_op_set_monitor_channel,
	.set_power_mgmt = vwifi_set_power_mgmt,
	.dump_survey = vwifi_dump_survey,
	.mgmt_tx = vwifi_mgmt_tx,
	.mgmt_tx_cancel_wait = vwifi_mgmt_tx_cancel_wait,
	.update_mgmt_frame_registrations = vwifi_update_mgmt_frame_registrations,
};

/*
 * A new wiphy, named @name (vw_phyN if NULL), in @net, with its first
 * interface (vw%d, station mode), which @made (if given) tells.  Takes
 * rtnl.
 */
static struct vwifi_radio *vwifi_radio_add(const char *name, struct net *net,
					   struct vwifi_radio_made *made,
					   struct netlink_ext_ack *extack)
{
	char default_name[sizeof("vw_phy") + 11];
	struct vwifi_radio *radio;
	struct vwifi_vif *vif;
	struct wiphy *wiphy;
	int index, num = 0;
	int err;

	index = ida_alloc_max(&vwifi_radio_ida, VWIFI_MAX_RADIOS - 1, GFP_KERNEL);
	if (index < 0) {
		NL_SET_ERR_MSG(extack, "no radio left: vwifi takes at most "
			       __stringify(VWIFI_MAX_RADIOS));
		return ERR_PTR(index);
	}
	if (vwifi_virtio_on()) {
		num = ida_alloc_max(&vwifi_addr_ida, VWIFI_VIRTIO_MAX_IFACES - 1, GFP_KERNEL);
		if (num < 0) {
			NL_SET_ERR_MSG(extack,
				       "no address left: in virtio mode a guest's interfaces have "
				       __stringify(VWIFI_VIRTIO_MAX_IFACES));
			err = num;
			goto free_index;
		}
	}
	snprintf(default_name, sizeof(default_name), "vw_phy%d", index);
	wiphy = wiphy_new_nm(&vwifi_cfg_ops, sizeof(*radio), name ?: default_name);
	err = -ENOMEM;
	if (!wiphy)
		goto free_num;
	err = -EEXIST;
	if (name && strcmp(wiphy_name(wiphy), name)) {
		NL_SET_ERR_MSG(extack, "a wiphy has this name, or cfg80211 takes no such name");
		goto free_wiphy;
	}
	radio = wiphy_priv(wiphy);
	radio->wiphy = wiphy;
	radio->index = index;
	radio->addr_num = num;
	INIT_LIST_HEAD(&radio->vifs);
	INIT_LIST_HEAD(&radio->list);
	wiphy_work_init(&radio->lost_work, vwifi_sta_lost_work);
	vwifi_radio_setup(radio);
	wiphy_net_set(wiphy, net);
	err = wiphy_register(wiphy);
	if (err)
		goto free_wiphy;

	rtnl_lock();
	wiphy_lock(wiphy);
	vif = vwifi_vif_create(radio, "vw%d", NET_NAME_ENUM, NL80211_IFTYPE_STATION, NULL);
	wiphy_unlock(wiphy);
	if (!IS_ERR(vif)) {
		mutex_lock(&vwifi_mutex);
		list_add_tail(&radio->list, &vwifi_radios);
		mutex_unlock(&vwifi_mutex);
		if (made) {
			strscpy(made->wiphy, wiphy_name(wiphy), sizeof(made->wiphy));
			strscpy(made->ifname, vif->ndev->name, sizeof(made->ifname));
			made->ifindex = vif->ndev->ifindex;
		}
	}
	rtnl_unlock();
	if (IS_ERR(vif)) {
		err = PTR_ERR(vif);
		wiphy_unregister(wiphy);
		goto free_wiphy;
	}
	return radio;

free_wiphy:
	wiphy_free(wiphy);
free_num:
	if (vwifi_virtio_on())
		ida_free(&vwifi_addr_ida, num);
free_index:
	ida_free(&vwifi_radio_ida, index);
	return ERR_PTR(err);
}

/*
 * Take @radio off the list and queue its interfaces for unregistration:
 * once the batch is unregistered, and rtnl released (the interfaces'
 * destructors), vwifi_radio_free().  Under rtnl.
 */
static void vwifi_radio_unlist(struct vwifi_radio *radio, struct list_head *batch)
{
	struct vwifi_vif *vif;

	ASSERT_RTNL();
	radio->dying = true;
	mutex_lock(&vwifi_mutex);
	list_del_init(&radio->list);
	mutex_unlock(&vwifi_mutex);
	list_for_each_entry(vif, &radio->vifs, radio_node)
		unregister_netdevice_queue(vif->ndev, batch);
}

/* Takes rtnl; @radio has no interface left */
static void vwifi_radio_free(struct vwifi_radio *radio)
{
	struct wiphy *wiphy = radio->wiphy;

	wiphy_lock(wiphy);
	wiphy_work_cancel(wiphy, &radio->lost_work);
	wiphy_unlock(wiphy);
	wiphy_unregister(wiphy);
	if (vwifi_virtio_on())
		ida_free(&vwifi_addr_ida, radio->addr_num);
	ida_free(&vwifi_radio_ida, radio->index);
	wiphy_free(wiphy);
}

/* Every radio, its interfaces unregistered in one batch */
static void vwifi_destroy_all(void)
{
	struct vwifi_radio *radio, *tmp;
	LIST_HEAD(radios);
	LIST_HEAD(batch);

	rtnl_lock();
	list_for_each_entry_safe(radio, tmp, &vwifi_radios, list) {
		vwifi_radio_unlist(radio, &batch);
		list_add_tail(&radio->list, &radios);
	}
	unregister_netdevice_many(&batch);
	rtnl_unlock();
	list_for_each_entry_safe(radio, tmp, &radios, list)
		vwifi_radio_free(radio);
}

/* ------------------------------------------------------------------ */
/* Module                                                             */
/* ------------------------------------------------------------------ */

static int vwifi_create_all(int count)
{
	struct vwifi_radio *radio;
	int i;

	for (i = 0; i < count; i++) {
		radio = vwifi_radio_add(NULL, &init_net, NULL, NULL);
		if (IS_ERR(radio))
			return PTR_ERR(radio);
	}
	return 0;
}

static void vwifi_teardown(void)
{
	vwifi_virtio_stop();
	vwifi_destroy_all();
	destroy_workqueue(vwifi_wq);
	skb_queue_purge(&vwifi_air_q);	/* for interfaces that are gone */
	rcu_barrier();		/* peers are freed by call_rcu() into this module */
}

static int __init vwifi_init(void)
{
	int err;

	if (station < 1 || station > VWIFI_MAX_RADIOS) {
		pr_err("station=%d is out of range 1..%d\n", station, VWIFI_MAX_RADIOS);
		return -EINVAL;
	}
	if (virtio && station > VWIFI_VIRTIO_MAX_IFACES) {
		pr_err("station=%d: virtio mode takes 1..%d interfaces\n", station,
		       VWIFI_VIRTIO_MAX_IFACES);
		return -EINVAL;
	}
	vwifi_wq = alloc_workqueue("vwifi", WQ_UNBOUND, 0);
	if (!vwifi_wq)
		return -ENOMEM;
	skb_queue_head_init(&vwifi_air_q);
	INIT_WORK(&vwifi_air_work, vwifi_air_work_fn);
	err = vwifi_virtio_init();
	if (err) {
		destroy_workqueue(vwifi_wq);
		return err;
	}
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
	vwifi_virtio_start();
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

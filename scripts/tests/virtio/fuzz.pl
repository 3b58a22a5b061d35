#!/usr/bin/perl
# Host-side fuzzer for vwifi's virtio mode (case virtio_fuzz). Runs in the lab
# netns of scripts/vmnet.sh and sends raw Ethernet frames on its bridge (a
# packet socket) at one guest: random bytes with EtherType 0x88B5 and frames of
# the vwifi wire format that are broken one way or another (magic, version,
# type, len, element lengths, SSID length, capability, truncated or oversized
# payloads, unknown or odd transmitter addresses...), plus some well-formed
# ones from unknown transmitters. The sequence is fixed by the seed (printed).
#
#   fuzz.pl --dev br0 --guest I [--peer J] [--seed N] [--count N]
#           [--sync DIR [--wait S] [--tag T]]
#
# --guest I: target guest (eth 52:54:00:12:34:0I, vw0 = first byte ^ 0x04);
# --peer J: a guest whose vw0 address is used as a (spoofed) transmitter in a
# few frames. With --sync, waits for DIR/fuzz-go (at most --wait seconds),
# then writes a one-line summary to DIR/fuzz-done (on an error: DIR/fail-ghost);
# with --tag T: fuzz-T-go, fuzz-T-done. Frames up to 9000 bytes: the lab's taps
# have MTU 9000.
#
# Wire format (after the Ethernet header, type 0x88B5), big endian:
# u8 magic 0x56, u8 version 5, u8 type, u8 flags, be16 len, u8 ta[6], u8 ra[6];
# 7 FRAME: be32 freq, an 802.11 frame from frame control on (little endian),
#   address 2 = ta, address 1 = ra: beacon (fc 0x0080, to broadcast; le64
#   tsf, le16 beacon_int, le16 capability with ESS or IBSS, elements: SSID,
#   TIM...), probe request or response, authentication, (re)association
#   request or response, deauthentication or disassociation (le16 reason),
#   action, null data (fc 0x0148: a station's keepalive to its AP), data
#   (fc 0x0008 with the DS bits of the sender's role, an RFC 1042 LLC/SNAP
#   header, then the packet).
# Types 1 to 4 and 6 (beacon, association, deauth, keepalive before version 4)
# and 5 (an Ethernet frame before version 5) are retired: counted invalid.
use strict;
use warnings;
use Socket;
use Getopt::Long;
use Time::HiRes qw(sleep time);

my %o = (dev => 'br0', guest => 1, seed => 20261125, count => 6000, wait => 300);
GetOptions(\%o, 'dev=s', 'guest=i', 'peer=i', 'seed=i', 'count=i', 'sync=s', 'wait=i', 'tag=s')
	or die "usage: fuzz.pl --dev DEV --guest I [--peer J] [--seed N] [--count N] [--sync DIR]\n";

sub mac { pack('C6', map { hex } split /:/, $_[0]) }
sub guest_eth { mac(sprintf('52:54:00:12:34:%02x', $_[0])) }
sub guest_vw  { mac(sprintf('%02x:54:00:12:34:%02x', 0x52 ^ 0x04, $_[0])) }

my $DST   = guest_eth($o{guest});
my $VW    = guest_vw($o{guest});
my $PEER  = defined $o{peer} ? guest_vw($o{peer}) : undef;
my $BCAST = "\xff" x 6;
my $SRC   = mac('02:00:00:00:fe:01');    # the fuzzer's own (unicast) address

my $GO = defined $o{tag} ? "fuzz-$o{tag}-go" : 'fuzz-go';
my $DONE = defined $o{tag} ? "fuzz-$o{tag}-done" : 'fuzz-done';
# a failure stops the guests waiting for fuzz-done
$SIG{__DIE__} = sub {
	return unless $o{sync} && defined $^S && !$^S;
	if (open(my $d, '>', "$o{sync}/fail-ghost")) { print $d $_[0]; close $d }
};
if ($o{sync}) {
	my $end = time + $o{wait};
	until (-e "$o{sync}/$GO") {
		die "fuzz.pl: no $o{sync}/$GO after $o{wait}s\n" if time > $end;
		sleep 0.2;
	}
}

open(my $f, '<', "/sys/class/net/$o{dev}/ifindex") or die "fuzz.pl: no device $o{dev}\n";
chomp(my $ifindex = <$f>);
close $f;
# AF_PACKET, SOCK_RAW, protocol 0: send only
socket(my $s, 17, SOCK_RAW, 0) or die "fuzz.pl: packet socket: $!\n";
bind($s, pack('S n i S C C a8', 17, 0, $ifindex, 0, 0, 0, '')) or die "fuzz.pl: bind: $!\n";

srand($o{seed});
print "fuzz.pl: seed $o{seed}, $o{count} frames to guest $o{guest} via $o{dev}\n";

sub rbytes { my $n = shift; join '', map { chr(int(rand(256))) } 1 .. $n }
sub rint { int(rand($_[0])) }
# an unknown, unicast, locally administered address
sub rmac { my $m = rbytes(6); substr($m, 0, 1) = chr((ord(substr($m, 0, 1)) & 0xfc) | 0x02); $m }
sub pick { $_[rint(scalar @_)] }

sub eth { my ($dst, $type) = @_; $dst . $SRC . pack('n', $type // 0x88B5) }
sub hdr {
	my (%h) = @_;
	pack('C C C C n a6 a6', $h{magic} // 0x56, $h{ver} // 5, $h{type}, $h{flags} // 0,
		$h{len}, $h{ta} // rmac(), $h{ra} // $VW);
}
# frame(type => T, payload => P, [len => L, ta, ra, magic, ver, flags, dst])
sub frame {
	my (%h) = @_;
	my $p = delete $h{payload} // '';
	my $dst = delete $h{dst} // $DST;
	$h{len} //= length $p;
	eth($dst) . hdr(%h) . $p;
}
sub ies {
	my $r = rint(4);
	return '' if $r == 0;
	return rbytes(rint(300)) if $r == 1;    # garbage
	my $ie = '';
	for (1 .. 1 + rint(6)) {                # TLVs, some with a lying length
		my $l = rint(40);
		my $id = pick(0, 1, 3, 45, 48, 50, 61, 127, 191, 221, rint(256));
		$ie .= pack('C C', $id, rint(8) ? $l : rint(256)) . rbytes($l);
	}
	$ie;
}
# valid elements: rates, sometimes a DS parameter set, random vendor ones
sub vies {
	my $ie = pack('C C C8', 1, 8, 0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24);
	$ie .= pack('C C C', 3, 1, pick(1, 6, 11, rint(256))) if rint(2);
	for (1 .. rint(4)) { my $l = rint(40); $ie .= pack('C C', 221, $l) . rbytes($l) }
	$ie;
}
# valid vendor elements, $n bytes in all (none if $n < 2)
sub vendor {
	my $n = shift;
	my $ie = '';
	while ($n >= 2) {
		my $l = $n - 2 > 255 ? ($n == 258 ? 254 : 255) : $n - 2;
		$ie .= pack('C C', 221, $l) . rbytes($l);
		$n -= 2 + $l;
	}
	$ie;
}
# FRAME's payload: an 802.11 beacon from $ta to da (broadcast), random unless
# given: an AP's (ibss 0: capability ESS, BSSID $ta) or an IBSS member's
# (ibss 1: IBSS, a random BSSID); elements: SSID (ssid, its length ssid_len;
# none with nossid), a TIM sometimes (tim), then ies
sub beacon {
	my (%b) = @_;
	my $ibss = $b{ibss} // !rint(3);
	my $ssid = $b{ssid} // pick(rbytes(rint(33)), rbytes(rint(33)), '', "\0" x (1 + rint(32)));
	my $tim = $b{tim} // pick('', '', pack('C6', 5, 4, rint(256), pick(1, 2, 3, 255), 0, 0));
	my $ies = $b{ies} // (rint(2) ? vies() : ies());
	pack('N', $b{freq} // pick(2412, 2437, 2462, 5180, 0, 65535, rint(2**31))) .
		pack('v n', 0x0080, 0) . ($b{da} // $BCAST) . $b{ta} .
		($b{bssid} // ($ibss ? rmac() : $b{ta})) . pack('v', 0) .
		pack('Q< v v', $b{tsf} // rint(2**31) * 1000, $b{bi} // pick(100, 0, 1, 65535),
			$b{cap} // ((rint(65536) & ~3) | ($ibss ? 2 : 1))) .
		($b{nossid} ? '' : pack('C C', 0, $b{ssid_len} // length $ssid) . $ssid) .
		$tim . $ies;
}
# a FRAME beacon from ta (unknown unless given) to ra (broadcast unless
# given), dst and len as frame()'s, the rest beacon()'s
sub beacon_frame {
	my (%b) = @_;
	my %f = (type => 7, ta => $b{ta} //= rmac(), ra => delete($b{ra}) // $BCAST);
	for (qw(dst len)) { $f{$_} = delete $b{$_} if exists $b{$_} }
	frame(%f, payload => beacon(%b));
}
# FRAME's payload: a channel, then an 802.11 management frame from $ta to $da
sub mgmt {
	my (%a) = @_;
	pack('N', $a{freq} // pick(2437, 2437, 2412, 5180, 0, rint(2**31))) .
		pack('v n', $a{fc}, 0) . $a{da} . $a{ta} . ($a{bssid} // $a{da}) .
		pack('v', rint(65536)) . ($a{body} // '');
}
sub auth {
	my (%a) = @_;
	mgmt(%a, fc => 0x00b0, body => pack('v v v', pick(0, 0, 1, 3, rint(65536)),
		pick(1, 1, 2, 3, rint(65536)), pick(0, 0, 1, rint(65536))) . rbytes(pick(0, 0, 0, 20)));
}
# a (re)association request for $ssid: SSID element with a true length
# unless ssid_len is given, then the IEs of ies()
sub assoc_req {
	my (%a) = @_;
	my $ssid = $a{ssid} // rbytes(rint(33));
	my $fc = pick(0x0000, 0x0020);
	mgmt(%a, fc => $fc, body => pack('v v', rint(65536), pick(10, 0, rint(65536))) .
		($fc == 0x0020 ? rmac() : '') .
		pack('C C', 0, $a{ssid_len} // length($ssid)) . $ssid . ($a{ies} // ies()));
}
sub assoc_resp {
	my (%a) = @_;
	mgmt(%a, fc => pick(0x0010, 0x0030), body => pack('v v v', rint(65536), pick(0, 0, rint(65536)),
		rint(65536)) . ies());
}
# an 802.11 action frame from $ta to $da in BSS $bssid (fc: action, unless given)
sub action {
	my (%a) = @_;
	pack('N', $a{freq} // pick(2437, 2412, 5180, 0, rint(2**31))) .
		pack('v n', $a{fc} // 0x00d0, 0) . $a{da} . $a{ta} . ($a{bssid} // rmac()) . pack('v', rint(65536)) .
		($a{body} // pack('C', pick(4, 5, 10, 8, rint(256))) . rbytes(rint(200)));
}
# a deauthentication or disassociation from $ta to $da in BSS bssid: a
# reason code unless body is given
sub deauth {
	my (%a) = @_;
	mgmt(%a, fc => pick(0x00c0, 0x00a0), body => $a{body} // pack('v', pick(1, 3, 8, rint(65536))));
}
# a probe request from $ta to $da (broadcast or a BSSID) in bssid ($da unless
# given): an SSID element (ssid; ssid_len: its length), then ies
sub probe_req {
	my (%a) = @_;
	my $ssid = $a{ssid} // pick('', 'test', rbytes(rint(33)));
	mgmt(%a, fc => 0x0040, body => pack('C C', 0, $a{ssid_len} // length $ssid) . $ssid .
		($a{ies} // vies()));
}
# a null data frame (ToDS) from station $ta to AP $ap: a station's keepalive
sub null {
	my (%a) = @_;
	pack('N', $a{freq} // pick(2437, 2437, 2412, 0, rint(2**31))) .
		pack('v n', $a{fc} // 0x0148, 0) . $a{ap} . $a{ta} . ($a{bssid} // $a{ap}) .
		pack('v', rint(65536));
}
# FRAME's payload: an 802.11 data frame of N bytes from $ta (N < 28:
# truncated): DS bits ds (random unless given), address 1 a1 ($VW unless
# given), address 3 random, an LLC/SNAP header with EtherType type, sometimes
# the fc of QoS data, protected or fragmented
sub data {
	my ($n, %a) = @_;
	my $fc = 0x0008 | ($a{ds} // rint(4)) << 8;
	$fc |= pick(0, 0, 0, 0x0080, 0x4000, 0x0400) unless defined $a{ds};
	my $p = pack('N v n', $a{freq} // pick(2437, 2437, 2412, 0, rint(2**31)), $fc, 0) .
		($a{a1} // $VW) . $a{ta} . pick($VW, $BCAST, rmac(), "\x33\x33\x00\x00\x00\x01") .
		pack('v', rint(65536)) . ($fc & 0x0080 ? pack('v', 0) : '') .
		"\xaa\xaa\x03\x00\x00\x00" .
		pack('n', $a{type} // pick(0x0800, 0x86dd, 0x0806, 0x88b5, 0x8100, rint(65536)));
	substr($p . rbytes($n > length $p ? $n - length $p : 0), 0, $n);
}

my @kinds = (
	# random bytes, any length, with EtherType 0x88B5
	[random => sub { eth(pick($DST, $DST, $BCAST)) . rbytes(rint(1500)) }],
	[short => sub { eth($DST) . rbytes(rint(18)) }],
	[bad_magic => sub { my $m = rint(255); $m++ if $m >= 0x56; frame(type => 1 + rint(7), magic => $m, payload => rbytes(rint(64))) }],
	[bad_version => sub { my $p = rbytes(rint(64)); frame(type => 1 + rint(7), ver => pick(0, 1, 2, 3, 4, 6, 255), payload => $p) }],
	[bad_type => sub { frame(type => pick(0, 8, 127, 255, rint(256)), payload => rbytes(rint(100))) }],
	[bad_flags => sub {
		my $ta = rmac();
		frame(type => 7, ta => $ta, flags => 1 + rint(255), payload => null(ta => $ta, ap => $VW))
	}],
	[len_too_big => sub {
		my $t = 1 + rint(7);    # 1: a FRAME beacon
		my $ta = rmac();
		my $p = $t == 1 ? beacon(ta => $ta) : $t == 7 ? assoc_req(ta => $ta, da => $VW) :
			rbytes(rint(64));
		frame(type => $t == 1 ? 7 : $t, ta => $ta, ra => $t == 1 ? $BCAST : $VW, payload => $p,
			len => length($p) + 1 + rint(65535 - length($p)))
	}],
	[len_too_small => sub {
		my $t = 1 + rint(7);    # 1: a FRAME beacon
		my $ta = rmac();
		my $p = $t == 1 ? beacon(ta => $ta) : $t == 7 ? assoc_req(ta => $ta, da => $VW) :
			$t == 5 ? data(60 + rint(200), ta => $ta) : rbytes(2 + rint(64));
		frame(type => $t == 1 || $t == 5 ? 7 : $t, ta => $ta, ra => $t == 1 ? $BCAST : $VW, payload => $p,
			len => rint(length($p)))
	}],
	[beacon_ssid_len => sub {
		my $d = pick($DST, $BCAST);
		rint(2) ? beacon_frame(dst => $d, ssid => rbytes(pick(33, 200, 255, 33 + rint(223)))) :
			beacon_frame(dst => $d, ssid => rbytes(rint(33)), ssid_len => pick(200, 33, 255, 32 + rint(224)))
	}],
	[beacon_ies_len => sub {
		my $l = 1 + rint(255);
		beacon_frame(dst => pick($DST, $BCAST), ies => pick(vies(), ies(), '') .
			pack('C C', pick(0, 5, 221, rint(256)), $l) . rbytes(rint($l)))
	}],
	[beacon_ies_big => sub {
		my $n = pick(1024, 1025, 1025 + rint(1100), 2400 + rint(6000));    # bytes of elements
		beacon_frame(ssid => rbytes(4), tim => '', ies => vendor($n - 6))
	}],
	[beacon_no_ssid => sub { beacon_frame(nossid => 1, ies => vies()) }],
	[beacon_bad_tim => sub {
		my $l = pick(0, 0, 1, 1, 2, 255);
		beacon_frame(tim => pack('C C', 5, $l) . rbytes(pick($l, $l, rint($l + 1))), ies => pick('', vies()))
	}],
	[beacon_bad_cap => sub { beacon_frame(cap => (rint(65536) & ~3) | pick(0, 3), ies => vies()) }],
	[beacon_bad_bssid => sub {    # an AP's not its own, an IBSS member's not unicast
		my $ibss = rint(2);
		beacon_frame(ibss => $ibss, bssid => $ibss ? pick("\0" x 6, $BCAST, "\x01\x00\x5e\x00\x00\x01") :
			pick(rmac(), $VW, $PEER // rmac()))
	}],
	[beacon_truncated => sub {
		my $ta = rmac();
		my $p = beacon(ta => $ta);    # 40 bytes up to the elements
		$p = substr($p, 0, pick(rint(40), rint(40), rint(length $p)));
		frame(type => 7, ta => $ta, ra => $BCAST, payload => $p)
	}],
	[beacon_unknown => sub {
		my $ta = rmac();
		my $ra = pick($BCAST, $BCAST, $VW, rmac());
		frame(type => 7, dst => pick($DST, $BCAST), ta => pick($ta, $ta, $ta, rmac()), ra => $ra,
			payload => beacon(ta => $ta, da => pick($ra, $ra, $BCAST)))
	}],
	[beacon_test_ssid => sub { beacon_frame(dst => pick($DST, $BCAST), ssid => 'test', ibss => rint(2)) }],
	[auth => sub { my $ta = rmac(); frame(type => 7, ta => $ta, payload => auth(ta => $ta, da => $VW)) }],
	[auth_truncated => sub { my $ta = rmac(); frame(type => 7, ta => $ta, payload => substr(auth(ta => $ta, da => $VW), 0, 4 + rint(30))) }],
	[assoc_req_bad => sub {
		my $ta = rmac();
		my $r = rint(3);
		my $p = $r == 0 ? assoc_req(ta => $ta, da => $VW, ssid => 'test', ssid_len => 5 + rint(250)) :
			$r == 1 ? assoc_req(ta => $ta, da => $VW, ies => ies() . pack('C C', rint(256), 1 + rint(255))) :
			substr(assoc_req(ta => $ta, da => $VW), 0, 4 + rint(30));
		frame(type => 7, ta => $ta, payload => $p)
	}],
	[assoc_req_unknown => sub { my $ta = rmac(); frame(type => 7, ta => $ta, payload => assoc_req(ta => $ta, da => $VW, bssid => pick($VW, rmac()), ssid => pick('test', 'tes', 'testtest', rbytes(rint(33))))) }],
	[assoc_resp => sub { my $ta = pick(rmac(), $PEER // rmac()); frame(type => 7, ta => $ta, payload => assoc_resp(ta => $ta, da => $VW)) }],
	[retired_types => sub { frame(type => pick(1, 2, 3, 4, 5, 6), payload => rbytes(rint(80))) }],
	[deauth_unknown => sub {
		my $ta = rmac();
		frame(type => 7, ta => $ta, payload => deauth(ta => $ta, da => $VW, bssid => pick($ta, $VW, rmac()),
			body => pack('v', rint(65536)) . rbytes(pick(0, 0, 50))))
	}],
	[deauth_short => sub {
		my $ta = rmac();
		frame(type => 7, ta => $ta, payload => deauth(ta => $ta, da => $VW, body => rbytes(rint(2))))
	}],
	[probe_req => sub {
		my $ta = rmac();
		my $bss = pick($BCAST, $VW);
		my $da = pick($bss, $BCAST);
		frame(type => 7, dst => pick($DST, $BCAST), ta => $ta, ra => $da,
			payload => probe_req(ta => $ta, da => $da, bssid => $bss))
	}],
	[probe_req_bad => sub {
		my $ta = rmac();
		my $da = pick($BCAST, $VW);
		my $r = rint(3);
		my $p = $r == 0 ? probe_req(ta => $ta, da => $da, ies => vies() . pack('C C', rint(256), 1 + rint(255))) :
			$r == 1 ? probe_req(ta => $ta, da => $da, ssid => rbytes(33 + rint(223))) :
			probe_req(ta => $ta, da => $da, ssid => 'test', ssid_len => 5 + rint(250));
		frame(type => 7, ta => $ta, ra => $da, payload => $p)
	}],
	[data_truncated => sub { my $ta = rmac(); frame(type => 7, ta => $ta, payload => data(4 + rint(30), ta => $ta)) }],
	[data_oversized => sub { my $ta = rmac(); frame(type => 7, ta => $ta, payload => data(1515 + rint(7400), ta => $ta)) }],
	[data_unknown => sub { my $ta = rmac(); frame(type => 7, ta => $ta, payload => data(28 + rint(1480), ta => $ta)) }],
	[data_spoofed_peer => sub {
		my $ta = $PEER // rmac();
		frame(type => 7, ta => $ta, payload => data(36 + rint(600), ta => pick($ta, $ta, rmac()),
			type => pick(0x0800, 0x86dd, rint(0x0800))))
	}],
	[data_ra_other => sub {
		my ($ta, $ra) = (rmac(), pick($BCAST, rmac(), "\x01\x00\x5e\x00\x00\x01"));
		frame(type => 7, dst => pick($DST, $BCAST), ta => $ta, ra => $ra,
			payload => data(36 + rint(400), ta => $ta, a1 => pick($ra, $VW)))
	}],
	[action_valid => sub { my ($ta, $da) = (rmac(), pick($VW, $BCAST)); frame(type => 7, ta => $ta, ra => $da, payload => action(ta => $ta, da => $da, freq => 2437)) }],
	[action_bad => sub {
		my $ta = rmac();
		my $r = rint(4);
		my $p = $r == 0 ? action(ta => $ta, da => $VW, fc => pick(0x0000, 0x0080, 0x00b0, 0x0008, rint(65536))) :
			$r == 1 ? action(ta => rmac(), da => $VW) :
			$r == 2 ? action(ta => $ta, da => rmac()) :
			substr(action(ta => $ta, da => $VW), 0, rint(29));
		frame(type => 7, ta => $ta, payload => $p)
	}],
	[keepalive => sub {
		my $ta = pick(rmac(), $PEER // rmac());
		my $r = rint(4);
		my $p = $r == 0 ? null(ta => rmac(), ap => $VW) :
			$r == 1 ? null(ta => $ta, ap => pick(rmac(), $BCAST)) :
			$r == 2 ? substr(null(ta => $ta, ap => $VW), 0, rint(28)) : null(ta => $ta, ap => $VW);
		frame(type => 7, ta => $ta, payload => $p)
	}],
	[odd_ta => sub {
		my $ta = pick("\0" x 6, $BCAST, "\x01\x00\x5e\x00\x00\x01", $VW);
		my $t = 1 + rint(7);    # 1: a FRAME beacon
		$t == 1 ? beacon_frame(ta => $ta) : frame(type => $t, ta => $ta, payload => rbytes(rint(80)))
	}],
	[not_88b5 => sub { eth($DST, pick(0x0800, 0x86dd, 0x8100, 0x88b4, 0x88b6, rint(65536))) . rbytes(rint(200)) }],
	[vlan_88b5 => sub {
		my $ta = rmac();
		my $p = null(ta => $ta, ap => $VW);
		eth($DST, 0x8100) . pack('n n', rint(4096), 0x88b5) . hdr(type => 7, ta => $ta, len => length $p) . $p
	}],
);

my (%n, $sent, $err);
$sent = $err = 0;
my $t0 = time;
for my $i (1 .. $o{count}) {
	my $k = $kinds[rint(scalar @kinds)];
	my $fr = $k->[1]->();
	$fr .= "\0" x (14 - length $fr) if length $fr < 14;
	$n{$k->[0]}++;
	if (defined send($s, $fr, 0)) { $sent++ } else { $err++ }
	sleep 0.01 if $i % 20 == 0;    # ~2000 frames/s: do not just overflow the tap
}
my $summary = sprintf('seed %d: %d frames sent (%d send errors) in %.1fs to guest %d: %s',
	$o{seed}, $sent, $err, time - $t0, $o{guest}, join(' ', map { "$_=$n{$_}" } sort keys %n));
print "$summary\n";
if ($o{sync}) {
	open(my $d, '>', "$o{sync}/$DONE.tmp") or die;
	print $d "$summary\n";
	close $d;
	rename("$o{sync}/$DONE.tmp", "$o{sync}/$DONE") or die;
}
exit 0;

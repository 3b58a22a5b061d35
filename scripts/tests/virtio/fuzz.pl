#!/usr/bin/perl
# Host-side fuzzer for vwifi's virtio mode (case virtio_fuzz). Runs in the lab
# netns of scripts/vmnet.sh and sends raw Ethernet frames on its bridge (a
# packet socket) at one guest: random bytes with EtherType 0x88B5 and frames of
# the vwifi wire format that are broken one way or another (magic, version,
# type, len, ssid_len, ies_len, truncated or oversized payloads, unknown or
# odd transmitter addresses...), plus some well-formed ones from unknown
# transmitters. The sequence is fixed by the seed (printed).
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
# u8 magic 0x56, u8 version 3, u8 type, u8 flags, be16 len, u8 ta[6], u8 ra[6];
# 1 BEACON: be64 tsf, be32 freq, be16 beacon_int, be16 capability, u8 iftype,
#   u8 hidden, u8 ssid_len, u8 ssid[32], u8 pad, be16 ies_len, ies
# 4 DEAUTH: be16 reason; 5 DATA: 802.3 frame; 6 KEEPALIVE: no payload;
# 7 FRAME: be32 freq, an 802.11 management frame (SA = ta, DA = ra):
#   authentication, (re)association request or response, action.
# Types 2 and 3 (association before version 3) are unknown now.
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
	pack('C C C C n a6 a6', $h{magic} // 0x56, $h{ver} // 3, $h{type}, $h{flags} // 0,
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
sub beacon {
	my (%b) = @_;
	my $ssid = $b{ssid} // rbytes(rint(33));
	my $ies = $b{ies} // ies();
	pack('Q> N n n C C C a32 C n', $b{tsf} // rint(2**31) * 1000, $b{freq} // pick(2412, 2437, 2462, 5180, 0, 65535, rint(2**31)),
		$b{bi} // pick(100, 0, 1, 65535), $b{cap} // rint(65536), $b{iftype} // pick(1, 2, 0, 3, 255),
		$b{hidden} // pick(0, 1, 2, 255), $b{ssid_len} // length($ssid), $ssid, 0,
		$b{ies_len} // length($ies)) . $ies;
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
sub inner { # an 802.3 frame of N bytes (N < 14: truncated)
	my ($n, $type) = @_;
	my $e = pick($VW, $BCAST, rmac(), "\x33\x33\x00\x00\x00\x01") . rmac() .
		pack('n', $type // pick(0x0800, 0x86dd, 0x0806, 0x88b5, 0x8100, rint(65536)));
	substr($e . rbytes($n > 14 ? $n - 14 : 0), 0, $n);
}

my @kinds = (
	# random bytes, any length, with EtherType 0x88B5
	[random => sub { eth(pick($DST, $DST, $BCAST)) . rbytes(rint(1500)) }],
	[short => sub { eth($DST) . rbytes(rint(18)) }],
	[bad_magic => sub { my $m = rint(255); $m++ if $m >= 0x56; frame(type => 1 + rint(7), magic => $m, payload => rbytes(rint(64))) }],
	[bad_version => sub { my $p = rbytes(rint(64)); frame(type => 1 + rint(7), ver => pick(0, 1, 2, 4, 255), payload => $p) }],
	[bad_type => sub { frame(type => pick(0, 8, 127, 255, rint(256)), payload => rbytes(rint(100))) }],
	[bad_flags => sub { frame(type => 6, flags => 1 + rint(255)) }],
	[len_too_big => sub {
		my $t = 1 + rint(7);
		my $p = $t == 1 ? beacon() : $t == 7 ? assoc_req(ta => rmac(), da => $VW) : rbytes(rint(64));
		frame(type => $t, payload => $p, len => length($p) + 1 + rint(65535 - length($p)))
	}],
	[len_too_small => sub {
		my $t = 1 + rint(7);
		my $p = $t == 1 ? beacon() : $t == 7 ? assoc_req(ta => rmac(), da => $VW) :
			$t == 5 ? inner(60 + rint(200)) : rbytes(2 + rint(64));
		frame(type => $t, payload => $p, len => rint(length($p)))
	}],
	[beacon_ssid_len => sub { frame(type => 1, dst => pick($DST, $BCAST), payload => beacon(ssid_len => pick(200, 33, 255, 32 + rint(224)))) }],
	[beacon_ies_len => sub { my $i = ies(); frame(type => 1, dst => pick($DST, $BCAST), payload => beacon(ies => $i, ies_len => length($i) + 1 + rint(4000))) }],
	[beacon_truncated => sub { frame(type => 1, payload => substr(beacon(), 0, rint(54))) }],
	[beacon_unknown => sub { frame(type => 1, dst => pick($DST, $BCAST), ra => pick($BCAST, $BCAST, $VW, rmac()), payload => beacon()) }],
	[beacon_test_ssid => sub { frame(type => 1, dst => pick($DST, $BCAST), ra => $BCAST, payload => beacon(ssid => 'test', iftype => pick(1, 2))) }],
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
	[retired_types => sub { frame(type => pick(2, 3), payload => rbytes(rint(80))) }],
	[deauth_unknown => sub { frame(type => 4, payload => pack('n', rint(65536)) . rbytes(pick(0, 0, 50))) }],
	[deauth_short => sub { frame(type => 4, payload => rbytes(rint(2))) }],
	[data_truncated => sub { frame(type => 5, payload => inner(rint(14))) }],
	[data_oversized => sub { frame(type => 5, payload => inner(1515 + rint(7400))) }],
	[data_unknown => sub { frame(type => 5, payload => inner(14 + rint(1480))) }],
	[data_spoofed_peer => sub { frame(type => 5, ta => $PEER // rmac(), payload => inner(14 + rint(600), pick(0x0800, 0x86dd, rint(0x0800)))) }],
	[data_ra_other => sub { frame(type => 5, dst => pick($DST, $BCAST), ra => pick($BCAST, rmac(), "\x01\x00\x5e\x00\x00\x01"), payload => inner(14 + rint(400))) }],
	[action_valid => sub { my $ta = rmac(); frame(type => 7, ta => $ta, payload => action(ta => $ta, da => pick($VW, $BCAST), freq => 2437)) }],
	[action_bad => sub {
		my $ta = rmac();
		my $r = rint(4);
		my $p = $r == 0 ? action(ta => $ta, da => $VW, fc => pick(0x0000, 0x0080, 0x00b0, 0x0008, rint(65536))) :
			$r == 1 ? action(ta => rmac(), da => $VW) :
			$r == 2 ? action(ta => $ta, da => rmac()) :
			substr(action(ta => $ta, da => $VW), 0, rint(29));
		frame(type => 7, ta => $ta, payload => $p)
	}],
	[keepalive => sub { frame(type => 6, ta => pick(rmac(), $PEER // rmac()), payload => rbytes(pick(0, 0, 1, 64))) }],
	[odd_ta => sub { frame(type => 1 + rint(7), ta => pick("\0" x 6, $BCAST, "\x01\x00\x5e\x00\x00\x01", $VW), payload => rbytes(rint(80))) }],
	[not_88b5 => sub { eth($DST, pick(0x0800, 0x86dd, 0x8100, 0x88b4, 0x88b6, rint(65536))) . rbytes(rint(200)) }],
	[vlan_88b5 => sub { eth($DST, 0x8100) . pack('n n', rint(4096), 0x88b5) . hdr(type => 6, len => 0) }],
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

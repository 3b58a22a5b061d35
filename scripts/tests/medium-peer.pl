#!/usr/bin/perl
# medium-peer.pl: plays "another guest" on vwifi's virtio medium, from a
# network device (one end of a veth pair whose other end vwifi uses).
#
#   medium-peer.pl DEV capture SECS          print the vwifi frames DEV receives
#   medium-peer.pl DEV ap TA SSID FREQ SECS [OPT...]  beacon as an open AP, answer
#                                            probe requests, authenticate and associate
#                                            every station; OPT: HT20, HT40+ or HT40-
#                                            (its HT elements), hidden (an empty SSID
#                                            in beacons)
#   medium-peer.pl DEV probe TA SSID FREQ    send a probe request, print the answers
#   medium-peer.pl DEV sta TA RA SSID SECS [OPT...]  authenticate and associate with
#                                            the AP RA, then keepalives; OPT:
#                                            arp=MYIP,IP (an ARP request for IP to the
#                                            DS every 0.5 s), badds=MYIP (the same, but
#                                            sent from the DS: not for an AP), datafuzz=N
#                                            (N malformed data frames, once)
#   medium-peer.pl DEV ibss TA BSSID SSID FREQ SECS   beacon as a member of an IBSS cell
#   medium-peer.pl DEV fuzz SEED COUNT RA    random and malformed frames (RA: a target)
#
# The wire format is the one documented in vwifi.c ("Virtio transport", version 5):
# every frame of the air (beacons, probes, authentication, association,
# deauthentication, action, null data, data) travels as the 802.11 frame it is,
# in FRAME.
use strict;
use warnings;
use Socket;

my ($dev, $cmd, @args) = @ARGV;
die "usage: $0 DEV capture|ap|sta|fuzz ARGS...\n" unless $dev && $cmd;
$| = 1;

# Seconds since boot, to 10 ms (perl-base has no Time::HiRes)
sub now { open(my $f, '<', '/proc/uptime') or die "/proc/uptime: $!\n"; return (split(' ', <$f>))[0]; }

my %TYPE = (FRAME => 7);	# 1 to 6: retired
# 802.11 frames in FRAME, by frame control field (type and subtype bits)
my %FC = (ASSOC_REQ => 0x0000, ASSOC_RESP => 0x0010, REASSOC_REQ => 0x0020,
	  REASSOC_RESP => 0x0030, PROBE_REQ => 0x0040, PROBE_RESP => 0x0050, BEACON => 0x0080,
	  DISASSOC => 0x00a0, AUTH => 0x00b0, DEAUTH => 0x00c0, ACTION => 0x00d0, NULL => 0x0048,
	  DATA => 0x0008);
my %DS = (0 => 'none', 1 => 'to', 2 => 'from', 3 => 'wds');
my $SNAP = "\xaa\xaa\x03\x00\x00\x00";	# RFC 1042
my %FCNAME = reverse %FC;
my %NAME = reverse %TYPE;
my $ETH_P_VWIFI = 0x88b5;
my $BCAST = "\xff" x 6;

sub mac { my $m = shift; $m =~ s/://g; return pack('H12', $m); }
sub str { return join(':', unpack('(H2)6', shift)); }
sub sysval { open(my $f, '<', "/sys/class/net/$dev/$_[0]") or die "$dev: $!\n"; chomp(my $v = <$f>); $v; }

my $ifindex = sysval('ifindex');
my $own = mac(sysval('address'));
socket(my $sock, 17, SOCK_RAW, 0x0300) or die "socket: $!\n";	# AF_PACKET, ETH_P_ALL
bind($sock, pack('S n i S C C a8', 17, 3, $ifindex, 0, 0, 0, '')) or die "bind: $!\n";

sub send_raw { send($sock, $_[0], 0) or die "send: $!\n"; }

# A frame: Ethernet header, vwifi header, payload
sub frame {
	my ($type, $ta, $ra, $payload, %o) = @_;
	my $hdr = pack('C C C C n a6 a6', $o{magic} // 0x56, $o{version} // 5, $type, 0,
		       $o{len} // length($payload), $ta, $ra);
	return pack('a6 a6 n', $o{dst} // $BCAST, $own, $o{proto} // $ETH_P_VWIFI) . $hdr . $payload;
}

sub ie { my ($id, $data) = @_; return pack('C C', $id, length($data)) . $data; }

# FRAME's payload: the channel, then an 802.11 management frame
sub wframe {
	my ($freq, $fc, $da, $sa, $bssid, $body) = @_;
	return pack('N v v a6 a6 a6 v', $freq, $fc, 0, $da, $sa, $bssid, 0) . $body;
}

# A beacon from $sa (an AP: its BSSID; capa ESS) in $bssid; TSF, interval 100
sub beacon_payload {
	my ($sa, $bssid, $ssid, $freq, %o) = @_;
	my $chan = $freq == 2484 ? 14 : int(($freq - 2407) / 5);
	my $ies = $o{ies} // (ie(0, $ssid) . ie(1, pack('C*', 0x82, 0x84, 0x8b, 0x96, 12, 18, 24, 36)) .
			      ie(3, pack('C', $chan)) . ie(5, pack('C4', 0, 2, 0, 0)));
	return wframe($freq, $FC{BEACON}, $BCAST, $sa, $bssid,
		      pack('Q< v v', int(now() * 1e6), $o{bi} // 100, $o{capa} // 0x0401) . $ies);
}

# Elements of $ies (after a frame's fixed part): id => data, the first of each
sub elements {
	my ($ies) = @_;
	my %e;
	while (length($ies) >= 2) {
		my ($id, $l) = unpack('C C', $ies);
		last if 2 + $l > length($ies);
		$e{$id} //= substr($ies, 2, $l);
		$ies = substr($ies, 2 + $l);
	}
	return %e;
}

# HT Capabilities (20/40 MHz, short GI, MCS 0-7) and HT Operation elements
# of a BSS on channel $chan, secondary channel above ('HT40+'), below
# ('HT40-') or none ('HT20')
sub ht_ies {
	my ($chan, $ht) = @_;
	my $sec = { 'HT20' => 0, 'HT40+' => 1, 'HT40-' => 3 }->{$ht} // die "bad HT mode $ht\n";
	my $cap = ie(45, pack('v C a16 v V C', 0x0062, 0x17, "\xff" . "\0" x 15, 0, 0, 0));
	return $cap . ie(61, pack('C C a20', $chan, $sec ? 0x04 | $sec : 0, ''));
}

sub auth_payload {
	my ($freq, $da, $sa, $bssid, $seq, $status) = @_;
	return wframe($freq, $FC{AUTH}, $da, $sa, $bssid, pack('v v v', 0, $seq, $status));
}

sub assoc_req_payload {
	my ($freq, $da, $sa, $ssid) = @_;
	my $ies = ie(0, $ssid) . ie(1, pack('C*', 0x82, 0x84, 0x8b, 0x96));
	return wframe($freq, $FC{ASSOC_REQ}, $da, $sa, $da, pack('v v', 0x0001, 10) . $ies);
}

sub assoc_resp_payload {
	my ($freq, $da, $sa, $fc, $status) = @_;
	return wframe($freq, $fc, $da, $sa, $sa, pack('v v v', 0x0001, $status, 0xc001) .
		      ie(1, pack('C*', 0x82, 0x84, 0x8b, 0x96)));
}

sub ip4 { return pack('C4', split(/\./, shift)); }

# A data frame (fc: data, with its DS bits) from $a2 carrying an ARP request
# for $tip from $sip: addresses 1 and 3 as given
sub arp_payload {
	my ($freq, $fc, $a1, $a2, $a3, $sip, $tip) = @_;
	my $arp = pack('n n C C n a6 a4 a6 a4', 1, 0x0800, 6, 4, 1, $a2, ip4($sip), "\0" x 6, ip4($tip));
	return wframe($freq, $fc, $a1, $a2, $a3, $SNAP . pack('n', 0x0806) . $arp);
}

# A FRAME payload's channel, frame control field and body after the header
sub wframe_parse {
	my ($p) = @_;
	return () if length($p) < 4 + 24;
	my ($freq, $fc) = unpack('N v', $p);
	return ($freq, $fc, substr($p, 4 + 24));
}

# Receive one vwifi frame within $timeout s: (type, ta, ra, payload, src) or ()
sub recv_frame {
	my ($timeout) = @_;
	my $end = now() + $timeout;
	while ((my $left = $end - now()) > 0) {
		my $rin = '';
		vec($rin, fileno($sock), 1) = 1;
		next unless select(my $rout = $rin, undef, undef, $left) > 0;
		my $from = recv($sock, my $buf, 4096, 0);
		next unless defined $from && length($buf) >= 14 + 18;
		next if (unpack('S n i S C C a8', $from))[4] == 4;	# our own
		my ($dst, $src, $proto) = unpack('a6 a6 n', $buf);
		next unless $proto == $ETH_P_VWIFI;
		my ($magic, $ver, $type, $flags, $len, $ta, $ra) = unpack('C C C C n a6 a6', substr($buf, 14));
		return ($type, $ta, $ra, substr($buf, 32, $len), $src);
	}
	return ();
}

sub describe {
	my ($type, $ta, $ra, $p) = @_;
	my $name = $NAME{$type} // "type$type";
	my ($freq, $fc, $body) = $type == $TYPE{FRAME} ? wframe_parse($p) : ();
	$name = $FCNAME{$fc & 0xfc} // sprintf('FRAME(fc=0x%04x)', $fc) if defined $fc;
	my $s = sprintf('%s ta=%s ra=%s len=%d', $name, str($ta), str($ra), length($p));
	if (defined $fc && ($fc & 0xfc) == $FC{AUTH} && length($body) >= 6) {
		$s .= sprintf(' alg=%d seq=%d status=%d', unpack('v v v', $body));
	} elsif (defined $fc && ($fc & 0xdc) == $FC{ASSOC_RESP} && length($body) >= 6) {
		$s .= sprintf(' status=%d aid=%d', (unpack('v v v', $body))[1], (unpack('v v v', $body))[2] & 0x3fff);
	} elsif (defined $fc && ($fc & 0xfc) == $FC{BEACON} && length($body) >= 12) {
		my ($tsf, $bi, $capa) = unpack('Q< v v', $body);
		my %e = elements(substr($body, 12));
		$s .= sprintf(' ssid=%s freq=%d bi=%d capa=0x%04x type=%s bssid=%s dtim=%s', $e{0} // '',
			      $freq, $bi, $capa, $capa & 1 ? 'ap' : $capa & 2 ? 'ibss' : '?',
			      str(substr($p, 4 + 16, 6)),
			      defined $e{5} && length($e{5}) >= 2 ? unpack('x C', $e{5}) : '-');
	} elsif (defined $fc && ($fc & 0xfc) == $FC{PROBE_REQ}) {
		my %e = elements($body);
		$s .= sprintf(' ssid=%s bssid=%s freq=%d', $e{0} // '', str(substr($p, 4 + 16, 6)), $freq);
	} elsif (defined $fc && (($fc & 0xfc) == $FC{DEAUTH} || ($fc & 0xfc) == $FC{DISASSOC}) &&
		 length($body) >= 2) {
		$s .= sprintf(' reason=%d', unpack('v', $body));
	} elsif (defined $fc && ($fc & 0xfc) == $FC{DATA}) {
		$s .= sprintf(' ds=%s a1=%s a3=%s', $DS{($fc >> 8) & 3}, str(substr($p, 8, 6)),
			      str(substr($p, 20, 6)));
		if (length($body) >= 8 && substr($body, 0, 6) eq $SNAP) {
			my $proto = unpack('n', substr($body, 6, 2));
			$s .= sprintf(' proto=0x%04x', $proto);
			if ($proto == 0x0806 && length($body) >= 8 + 28) {
				my ($op, $spa, $tpa) = unpack('x6 n x6 a4 x6 a4', substr($body, 8));
				$s .= sprintf(' arp=%s spa=%s tpa=%s', $op == 2 ? 'reply' : "op$op",
					      join('.', unpack('C4', $spa)), join('.', unpack('C4', $tpa)));
			}
		}
	}
	return $s;
}

# $n data frames from $ta, associated to the AP $ra, that no AP takes: the
# wrong DS bits, four addresses, protected, fragmented, addressed to
# another or from another, cut inside the header.  Returns $n.
sub data_fuzz {
	my ($freq, $ta, $ra, $n) = @_;
	my $rmac = sub { my $m = join('', map { chr(int(rand(256))) } 1 .. 6); substr($m, 0, 1) = chr(ord(substr($m, 0, 1)) & 0xfc | 2); $m };
	my $arp = sub { my ($fc, $a1, $a2) = @_; arp_payload($freq, $fc, $a1, $a2, $BCAST, '10.0.0.250', '10.0.0.1') };
	my @kinds = (
		sub { $arp->(0x0008 | (0x0000, 0x0200, 0x0300)[int(rand(3))], $ra, $ta) },
		sub { $arp->(0x4108, $ra, $ta) },			# protected
		sub { $arp->(0x0508, $ra, $ta) },			# more fragments
		sub { my $p = $arp->(0x0108, $ra, $ta); substr($p, 4 + 22, 1) = chr(1 + int(rand(15))); $p },	# fragment 1..15
		sub { $arp->(0x0108, $rmac->(), $ta) },			# address 1 another's
		sub { $arp->(0x0108, $BCAST, $ta) },			# to a group, to an AP
		sub { $arp->(0x0108, $ra, $rmac->()) },			# address 2 not the sender
		sub { substr($arp->(0x0108, $ra, $ta), 0, 4 + int(rand(24))) },	# cut in the header
		sub { substr($arp->(0x0188, $ra, $ta), 0, 4 + 24 + int(rand(2))) },	# QoS, cut in its control
	);
	for (1 .. $n) {
		send_raw(frame($TYPE{FRAME}, $ta, $ra, $kinds[int(rand(@kinds))]->()));
		select(undef, undef, undef, 0.002);
	}
	return $n;
}

if ($cmd eq 'capture') {
	my $end = now() + ($args[0] // 3);
	while ((my $left = $end - now()) > 0) {
		my @f = recv_frame($left) or last;
		print describe(@f), "\n";
	}
} elsif ($cmd eq 'ap') {
	# An open AP in another guest: beacons every 0.3 s, answers probe
	# requests for its SSID (or any, unless hidden), accepts every station
	my ($ta, $ssid, $freq, $secs, @opt) = @args;
	my ($ht) = grep { /^HT/ } @opt;
	my $hidden = grep { $_ eq 'hidden' } @opt;
	$ta = mac($ta);
	my $chan = $freq == 2484 ? 14 : int(($freq - 2407) / 5);
	my $rest = ie(1, pack('C*', 0x82, 0x84, 0x8b, 0x96, 12, 18, 24, 36)) . ie(3, pack('C', $chan));
	my $tail = $ht ? ht_ies($chan, $ht) : '';
	my $ies = ie(0, $hidden ? '' : $ssid) . $rest . ie(5, pack('C4', 0, 2, 0, 0)) . $tail;
	my ($end, $next) = (now() + $secs, 0);
	while (now() < $end) {
		if (now() >= $next) {
			send_raw(frame($TYPE{FRAME}, $ta, $BCAST,
				       beacon_payload($ta, $ta, $ssid, $freq, ies => $ies)));
			$next = now() + 0.3;
		}
		my @f = recv_frame(0.1) or next;
		my ($type, $fta, $fra, $p, $src) = @f;
		my ($ffreq, $fc, $body) = $type == $TYPE{FRAME} ? wframe_parse($p) : ();
		if (defined $fc && ($fc & 0xfc) == $FC{PROBE_REQ} && ($fra eq $ta || $fra eq $BCAST)) {
			print describe(@f), "\n";
			my %e = elements($body);
			next unless defined $e{0} && ($e{0} eq $ssid || ($e{0} eq '' && !$hidden));
			send_raw(frame($TYPE{FRAME}, $ta, $fta,
				       wframe($ffreq, $FC{PROBE_RESP}, $fta, $ta, $ta,
					      pack('Q< v v', 0, 100, 0x0401) . ie(0, $ssid) . $rest . $tail),
				       dst => $src));
			next;
		}
		next unless $fra eq $ta;
		print describe(@f), "\n";
		next unless defined $fc;
		if (($fc & 0xfc) == $FC{AUTH}) {
			send_raw(frame($TYPE{FRAME}, $ta, $fta, auth_payload($ffreq, $fta, $ta, $ta, 2, 0),
				       dst => $src));
		} elsif (($fc & 0xdc) == $FC{ASSOC_REQ}) {	# or REASSOC_REQ
			send_raw(frame($TYPE{FRAME}, $ta, $fta,
				       assoc_resp_payload($ffreq, $fta, $ta, $fc + 0x10, 0), dst => $src));
		}
	}
} elsif ($cmd eq 'ibss') {
	my ($ta, $bssid, $ssid, $freq, $secs) = @args;
	($ta, $bssid) = (mac($ta), mac($bssid));
	my $ies = ie(0, $ssid) . ie(1, pack('C*', 0x82, 0x84, 0x8b, 0x96)) .
		  ie(3, pack('C', int(($freq - 2407) / 5))) . ie(6, "\0\0");
	my $end = now() + $secs;
	while (now() < $end) {
		send_raw(frame($TYPE{FRAME}, $ta, $BCAST,
			       beacon_payload($ta, $bssid, $ssid, $freq, capa => 0x0002, ies => $ies)));
		my $until = now() + 0.3;
		while ((my $left = $until - now()) > 0) {
			my @f = recv_frame($left) or last;
			print describe(@f), "\n" if $f[2] eq $ta;
		}
	}
} elsif ($cmd eq 'probe') {
	# A station in another guest probes for SSID ('' for any) on FREQ
	my ($ta, $ssid, $freq) = @args;
	$ta = mac($ta);
	send_raw(frame($TYPE{FRAME}, $ta, $BCAST,
		       wframe($freq, $FC{PROBE_REQ}, $BCAST, $ta, $BCAST,
			      ie(0, $ssid) . ie(1, pack('C*', 0x82, 0x84, 0x8b, 0x96)))));
	my $end = now() + 2;
	while ((my $left = $end - now()) > 0) {
		my @f = recv_frame($left) or last;
		next unless $f[0] == $TYPE{FRAME} && $f[2] eq $ta;
		my ($ffreq, $fc, $body) = wframe_parse($f[3]);
		next unless defined $fc && ($fc & 0xfc) == $FC{PROBE_RESP} && length($body) >= 12;
		my %e = elements(substr($body, 12));
		printf("PROBE_RESP ta=%s freq=%d ssid=%s tsf=%d\n", str($f[1]), $ffreq, $e{0} // '',
		       unpack('Q<', $body));
	}
} elsif ($cmd eq 'sta') {
	# A station in another guest: authenticate, associate, then a null data
	# frame every 0.5 s
	my ($ta, $ra, $ssid, $secs, @opt) = @args;
	my %opt = map { /^(\w+)=(.*)$/ ? ($1 => $2) : die "bad option $_\n" } @opt;
	($ta, $ra) = (mac($ta), mac($ra));
	# The AP's channel, from its beacons (as a real station scans)
	my ($freq, $bend) = (undef, now() + 5);
	while (!defined $freq && now() < $bend) {
		my @f = recv_frame($bend - now()) or last;
		my ($bfreq, $fc) = $f[0] == $TYPE{FRAME} ? wframe_parse($f[3]) : ();
		$freq = $bfreq if defined $fc && ($fc & 0xfc) == $FC{BEACON} && $f[1] eq $ra;
	}
	die "no beacon from ", str($ra), "\n" unless defined $freq;
	# The exchange's step: send $payload, await the answer of subtype $want
	# (retried, as a real station does); its status
	my $step = sub {
		my ($what, $payload, $want) = @_;
		for my $try (1 .. 5) {
			send_raw(frame($TYPE{FRAME}, $ta, $ra, $payload));
			print STDERR "$what $try sent to ", str($ra), "\n";
			my $end = now() + 1;
			while (now() < $end) {
				my @f = recv_frame($end - now()) or last;
				next unless $f[0] == $TYPE{FRAME} && $f[2] eq $ta;
				my ($ffreq, $fc, $body) = wframe_parse($f[3]);
				next unless defined $fc && ($fc & 0xfc) == $want && length($body) >= 6;
				return $want == $FC{AUTH} ? (unpack('v v v', $body))[2] :
							    (unpack('v v v', $body))[1];
			}
		}
		die "no answer to the $what\n";
	};
	my $status = $step->('authentication', auth_payload($freq, $ra, $ta, $ra, 1, 0), $FC{AUTH});
	print "auth status=$status\n";
	exit 1 if $status;
	$status = $step->('association request', assoc_req_payload($freq, $ra, $ta, $ssid),
			  $FC{ASSOC_RESP});
	print "assoc status=$status\n";
	exit 1 if $status;
	if ($opt{datafuzz}) {
		my $n = data_fuzz($freq, $ta, $ra, $opt{datafuzz});
		print "datafuzz sent=$n\n";
	}
	my ($sip, $tip) = split(/,/, $opt{arp} // '');
	my ($end, $next) = (now() + $secs, 0);
	while (now() < $end) {
		if (now() >= $next) {
			send_raw(frame($TYPE{FRAME}, $ta, $ra, wframe($freq, $FC{NULL} | 0x0100, $ra, $ta, $ra, '')));
			send_raw(frame($TYPE{FRAME}, $ta, $ra, arp_payload($freq, $FC{DATA} | 0x0100, $ra, $ta,
									   $BCAST, $sip, $tip))) if $tip;
			send_raw(frame($TYPE{FRAME}, $ta, $ra, arp_payload($freq, $FC{DATA} | 0x0200, $ra, $ta,
									   $BCAST, $opt{badds}, $tip))) if $tip && $opt{badds};
			$next = now() + 0.5;
		}
		my @f = recv_frame(0.1);
		print describe(@f), "\n" if @f && $f[2] eq $ta;
	}
} elsif ($cmd eq 'fuzz') {
	my ($seed, $count, $target) = @args;
	srand($seed);
	print "fuzz seed=$seed count=$count\n";
	my $ra = mac($target);
	my $rnd = sub { join('', map { chr(int(rand(256))) } 1 .. shift) };
	my $rmac = sub { my $m = $rnd->(6); substr($m, 0, 1) = chr(ord(substr($m, 0, 1)) & 0xfe); $m };
	my $bcn = sub { my ($ta, %o) = @_; frame(7, $ta, $BCAST, beacon_payload($ta, $o{bssid} // $ta, $o{ssid} // 'x', 2437, %o), %o) };
	my @cases = (
		sub { pack('a6 a6 n', $BCAST, $own, $ETH_P_VWIFI) . $rnd->(int(rand(1500))) },
		sub { frame(1 + int(rand(8)), $rmac->(), $ra, $rnd->(int(rand(300)))) },
		sub { frame(int(rand(256)), $rmac->(), $ra, $rnd->(int(rand(64)))) },
		sub { $bcn->($rmac->(), magic => int(rand(256))) },
		sub { $bcn->($rmac->(), version => int(rand(256))) },
		sub { frame(7, $rmac->(), $ra, wframe(2437, 0x0108, $ra, $rmac->(), $BCAST, $rnd->(int(rand(100)))), len => int(rand(65536))) },
		# beacons: SSID too long, elements past the end or random, neither
		# or both of ESS and IBSS, an AP's BSSID not its address, a short
		# TIM, a fixed part cut short, a random channel or interval
		sub { $bcn->($rmac->(), ies => ie(0, 'y' x (33 + int(rand(223))))) },
		sub { $bcn->($rmac->(), ies => ie(0, 'z') . "\x30" . chr(2 + int(rand(254)))) },
		sub { $bcn->($rmac->(), ies => $rnd->(int(rand(1200)))) },
		sub { $bcn->($rmac->(), capa => int(rand(65536))) },
		sub { $bcn->($rmac->(), capa => 0x0003) },
		sub { $bcn->($rmac->(), bssid => $rmac->()) },
		sub { $bcn->($rmac->(), ies => ie(0, 'w') . ie(5, $rnd->(int(rand(2))))) },
		sub { $bcn->($rmac->(), ies => ie(1, "\x82")) },	# no SSID
		sub { my $ta = $rmac->(); frame(7, $ta, $BCAST, substr(beacon_payload($ta, $ta, 'v', 2437), 0, int(rand(40)))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $BCAST, beacon_payload($ta, $ta, 'u', int(rand(2**32)), bi => int(rand(65536)))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, beacon_payload($ta, $ta, 'u', 2437)) },	# not broadcast
		sub { $bcn->($rmac->(), ies => ie(0, '') . ie(5, pack('C4', 0, 0, 0, 0))) },	# hidden, DTIM 0
		sub { frame(int(rand(2)) ? 1 + int(rand(4)) : 5 + int(rand(2)), $rmac->(), $ra, $rnd->(int(rand(64)))) },	# retired types
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, substr(assoc_req_payload(2412, $ra, $ta, 'test'), 0, int(rand(50)))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, assoc_req_payload(2412, $ra, $ta, 'test') . "\x30\xff") },	# an IE past the end
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, auth_payload(2412, $ra, $ta, $ra, int(rand(4)), int(rand(65536)))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, substr(auth_payload(2412, $ra, $ta, $ra, 1, 0), 0, 4 + 24 + int(rand(6)))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, assoc_resp_payload(2412, $ra, $ta, 0x0010, int(rand(65536)))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2412, int(rand(65536)), $ra, $ta, $ra, $rnd->(int(rand(60))))) },
		# deauthentications and disassociations: unknown senders, cut short
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2437, int(rand(2)) ? 0x00c0 : 0x00a0, $ra, $ta, $ra, pack('v', int(rand(65536))))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2437, 0x00c0, $ra, $ta, $ta, $rnd->(int(rand(2))))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $BCAST, wframe(2437, 0x00c0, $BCAST, $ta, $ta, pack('v', 3))) },
		# null data frames: unknown senders, addresses that do not match
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2437, 0x0148, $ra, $ta, $ra, $rnd->(int(rand(8))))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2437, 0x0148, $rmac->(), $ta, $ra, '')) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, substr(wframe(2437, 0x0148, $ra, $ta, $ra, ''), 0, 4 + int(rand(24)))) },
		# probe requests: broadcast and directed, elements past the end
		sub { my $ta = $rmac->(); frame(7, $ta, $BCAST, wframe(2437, 0x0040, $BCAST, $ta, $BCAST, ie(0, int(rand(2)) ? '' : 'test') . $rnd->(int(rand(40))))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2437, 0x0040, $ra, $ta, $ra, ie(0, 'test') . "\x01\xff")) },
		sub { my $ta = $rmac->(); frame(7, $ta, $BCAST, wframe(2437, 0x0040, $BCAST, $ta, $BCAST, ie(0, 'y' x 200))) },
		# data frames: unknown senders, any DS bits, cut short
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2437, 0x0008 | int(rand(4)) << 8, $ra, $ta, $BCAST, $rnd->(int(rand(2000))))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, substr(wframe(2437, 0x0108, $ra, $ta, $BCAST, ''), 0, 4 + int(rand(24)))) },
		sub { $bcn->("\xff" x 6) },
		sub { frame(7, $rmac->(), $ra, '', len => 0) },
		sub { frame(7, $ra, $ra, assoc_req_payload(2412, $ra, $ra, 'test')) },	# spoofs the target
		sub { $bcn->($ra, ssid => 'test') },	# spoofs the target's beacon
		sub { pack('a6 a6 n', $BCAST, $own, $ETH_P_VWIFI) . $rnd->(int(rand(18))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, pack('N v n', 2437, int(rand(65536)), 0) . $ra . $ta . $rnd->(int(rand(40)))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, pack('N v n', 2437, 0x00d0, 0) . $ra . $rmac->() . $rnd->(int(rand(40)))) },
		sub { frame(7, $rmac->(), $ra, $rnd->(int(rand(30)))) },
		# probe responses: a fixed part cut short, and random elements
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2437, 0x0050, $ra, $ta, $ta, $rnd->(int(rand(12))))) },
		sub { my $ta = $rmac->(); frame(7, $ta, $ra, wframe(2437, 0x0050, $ra, $ta, $ta, $rnd->(12 + int(rand(200))))) },
	);
	for my $i (1 .. $count) {
		my $f = $cases[int(rand(@cases))]->();
		$f = substr($f, 0, 1514) if length($f) > 1514;
		$f .= "\0" x (60 - length($f)) if length($f) < 60;
		send($sock, $f, 0);	# oversized ones may be refused: fine
	}
	print "sent $count\n";
} else {
	die "unknown command $cmd\n";
}

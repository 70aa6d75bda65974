#!/usr/bin/perl
# Peer benchmark: submit N submit_sm with Perl Net::SMPP (Debian libnet-smpp-perl) and print
# the rate. Run by `scripts/bench-smpp --with-perl` against the same `tandem bench sink`.
#
# Same message as `tandem bench submit`: source 15550001111 (TON 1, NPI 1), destination
# 447700900123 (TON 1, NPI 1), registered_delivery 1, data_coding 0, the same 71-octet text.
#
# Mode: Net::SMPP's documented asynchronous mode. The connection is opened with async => 1, so
# submit_sm() writes the PDU and returns its sequence number at once; read_pdu() blocks for the
# next PDU. The loop keeps up to --window submit_sm outstanding: it sends while fewer than
# --window are unanswered, then reads one response. The bind is answered with wait_pdu().
#
#   netsmpp_submit.pl --smsc HOST:PORT --system-id X --password Y [--count N] [--window W]
#
# Prints submitted / acknowledged ok / failed, elapsed and, last, `submit_sm/s: <number>`.
use strict;
use warnings;
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use Net::SMPP;

my ($smsc, $system_id, $password);
my $count  = 20_000;
my $window = 64;
GetOptions(
    'smsc=s'      => \$smsc,
    'system-id=s' => \$system_id,
    'password=s'  => \$password,
    'count=i'     => \$count,
    'window=i'    => \$window,
) or die "usage: $0 --smsc HOST:PORT --system-id X --password Y [--count N] [--window W]\n";
die "$0: --smsc, --system-id and --password are required\n"
    unless defined $smsc && defined $system_id && defined $password;
die "$0: --count and --window must be positive\n" unless $count > 0 && $window > 0;
my ($host, $port) = $smsc =~ /^(.*):(\d+)$/ or die "$0: --smsc must be HOST:PORT\n";

my $smpp = Net::SMPP->new_connect($host,
    port      => $port,
    system_id => $system_id,
    password  => $password,
    async     => 1,
) or die "$0: cannot connect to $smsc: $!\n";

my $bind_seq = $smpp->bind_transmitter();
my $bound = $smpp->wait_pdu(Net::SMPP::CMD_bind_transmitter_resp, $bind_seq)
    or die "$0: no bind_transmitter_resp: ${*$smpp}{smpperror}\n";
die "$0: bind refused, status $bound->{status}\n" if $bound->{status} != 0;

my $text = 'Your table for 2 is confirmed for 19:30 tonight. Reply STOP to opt out.';
my ($sent, $answered, $ok) = (0, 0, 0);
my $started = clock_gettime(CLOCK_MONOTONIC);
while ($answered < $count) {
    while ($sent < $count && $sent - $answered < $window) {
        $smpp->submit_sm(
            source_addr_ton     => 1,
            source_addr_npi     => 1,
            source_addr         => '15550001111',
            dest_addr_ton       => 1,
            dest_addr_npi       => 1,
            destination_addr    => '447700900123',
            registered_delivery => 1,
            data_coding         => 0,
            short_message       => $text,
        );
        $sent++;
    }
    my $pdu = $smpp->read_pdu()
        or die "$0: read failed after $answered responses: ${*$smpp}{smpperror}\n";
    if ($pdu->{cmd} == Net::SMPP::CMD_submit_sm_resp || $pdu->{cmd} == Net::SMPP::CMD_generic_nack) {
        $answered++;
        $ok++ if $pdu->{status} == 0;
    } elsif ($pdu->{cmd} == Net::SMPP::CMD_enquire_link) {
        $smpp->enquire_link_resp(seq => $pdu->{seq});
    }
}
my $elapsed = clock_gettime(CLOCK_MONOTONIC) - $started;

my $unbind_seq = $smpp->unbind();
$smpp->wait_pdu(Net::SMPP::CMD_unbind_resp, $unbind_seq);
$smpp->close();

printf "client: Perl Net::SMPP %s, mode: async submit_sm + read_pdu, window: %d\n", $Net::SMPP::VERSION, $window;
printf "submitted: %d, acknowledged ok: %d, failed: %d\n", $sent, $ok, $answered - $ok;
printf "elapsed: %.3f s\n", $elapsed;
printf "submit_sm/s: %d\n", int($ok / $elapsed + 0.5);
exit($ok == $count ? 0 : 1);

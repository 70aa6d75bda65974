#!/usr/bin/perl
# A second third-party SMSC for Tandem's tests: Perl Net::SMPP (Debian libnet-smpp-perl) in
# the SMSC role, answering the operations the smpp.twisted3 simulator cannot — query_sm,
# cancel_sm, replace_sm, submit_multi (with one unsuccessful destination), data_sm — besides
# bind, submit_sm, enquire_link and unbind. Net::SMPP parses every request and encodes every
# response; this script only picks the answers.
#
#   perl scripts/smsc/netsmpp-smsc.pl [PORT]     (0 or nothing: a free port)
#
# Listens on 127.0.0.1, prints "READY smpp=PORT" when listening, serves one connection after
# another until killed. Any bind is accepted; message ids are NS1, NS2, …
use strict;
use warnings;
use Net::SMPP;

$| = 1;
my $port = shift // 0;
my $server = Net::SMPP->new_listen('127.0.0.1', port => $port, smpp_version => 0x34)
    or die "netsmpp-smsc: cannot listen on 127.0.0.1:$port: $!\n";
print "READY smpp=", $server->sockport, "\n";

my $next_id = 0;
my %bind_resp = (
    0x00000001 => 'bind_receiver_resp',
    0x00000002 => 'bind_transmitter_resp',
    0x00000009 => 'bind_transceiver_resp',
);

while (1) {
    my $session = $server->accept or next;
    while (my $pdu = $session->read_pdu()) {
        my ($cmd, $seq) = ($pdu->{cmd}, $pdu->{seq});
        if (my $resp = $bind_resp{$cmd}) {
            $session->set_version(0x34);
            $session->$resp(system_id => 'NETSMPP', seq => $seq);
        } elsif ($cmd == 0x00000004) {
            $session->submit_sm_resp(message_id => 'NS' . ++$next_id, seq => $seq);
        } elsif ($cmd == 0x00000103) {
            $session->data_sm_resp(message_id => 'NS' . ++$next_id, seq => $seq);
        } elsif ($cmd == 0x00000003) {
            $session->query_sm_resp(message_id => $pdu->{message_id}, final_date => '',
                                    message_state => 2, error_code => 0, seq => $seq);
        } elsif ($cmd == 0x00000008) {
            $session->cancel_sm_resp(seq => $seq);
        } elsif ($cmd == 0x00000007) {
            $session->replace_sm_resp(seq => $seq);
        } elsif ($cmd == 0x00000021) {
            # Every submit_multi reports one destination as failed with ESME_RINVDSTADR.
            $session->submit_multi_resp(message_id => 'NS' . ++$next_id, seq => $seq,
                                        dest_addr_ton => [1], dest_addr_npi => [1],
                                        destination_addr => ['447700900999'], error_status_code => [0x0B]);
        } elsif ($cmd == 0x00000015) {
            $session->enquire_link_resp(seq => $seq);
        } elsif ($cmd == 0x00000006) {
            $session->unbind_resp(seq => $seq);
            last;
        } elsif (!($cmd & 0x80000000)) {
            $session->generic_nack(seq => $seq, status => 0x03);
        }
    }
    close $session;
}

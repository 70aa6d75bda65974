#!/usr/bin/env python3
"""Peer benchmark: submit N submit_sm with python-smpplib and print the rate.

The counterpart of `tandem bench submit`, run by scripts/bench-smpp against the same
`tandem bench sink`. Same message as ours: source 15550001111 (TON 1, NPI 1), destination
447700900123 (TON 1, NPI 1), registered_delivery 1, data_coding 0, and the same 71-octet
GSM/ASCII text.

How the library is driven (python-smpplib is synchronous and has no window of its own):
one transmitter bind, `Client.send_message()` to send each submit_sm, and `Client.read_once()`
to read one PDU and dispatch it, which calls the message-sent handler for a submit_sm_resp.
The loop keeps up to --window requests outstanding: it sends while fewer than --window are
unanswered, then reads one response. --window 1 is the plain "send, then wait for the
response" usage. The library is used as shipped: a new PDU object per message, its own
encoding, logging and framing (two recv() calls per PDU).

Prints `submitted`, `acknowledged ok`, `failed`, `elapsed` and, last, `submit_sm/s: <number>`.
"""

import argparse
import sys
import time
import warnings

import smpplib.client
import smpplib.consts

SOURCE = "15550001111"
DESTINATION = "447700900123"
TEXT = b"Your table for 2 is confirmed for 19:30 tonight. Reply STOP to opt out."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smsc", required=True, help="HOST:PORT of the SMSC")
    parser.add_argument("--system-id", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--count", type=int, default=20_000, help="messages to submit")
    parser.add_argument("--window", type=int, default=64, help="submit_sm outstanding at most")
    args = parser.parse_args()
    if args.count <= 0 or args.window <= 0:
        parser.error("--count and --window must be positive")
    host, _, port = args.smsc.rpartition(":")

    warnings.simplefilter("ignore", DeprecationWarning)
    client = smpplib.client.Client(host, int(port), timeout=30, allow_unknown_opt_params=True)

    answered = 0
    ok = 0

    def message_sent(pdu, **_):
        nonlocal answered, ok
        answered += 1
        if pdu.status == smpplib.consts.SMPP_ESME_ROK:
            ok += 1

    def error_pdu(pdu):
        # read_once() calls this for every PDU with a non-zero status, and then the
        # message-sent handler as well when it is a submit_sm_resp; count only the others
        # (generic_nack) here so nothing is counted twice.
        nonlocal answered
        if pdu.command != "submit_sm_resp":
            answered += 1

    client.set_message_sent_handler(message_sent)
    client.set_error_pdu_handler(error_pdu)
    client.connect()
    client.bind_transmitter(system_id=args.system_id, password=args.password)

    count, window = args.count, args.window
    sent = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    while answered < count:
        while sent < count and sent - answered < window:
            client.send_message(
                source_addr_ton=1,
                source_addr_npi=1,
                source_addr=SOURCE,
                dest_addr_ton=1,
                dest_addr_npi=1,
                destination_addr=DESTINATION,
                registered_delivery=1,
                data_coding=0,
                short_message=TEXT,
            )
            sent += 1
        client.read_once()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started

    try:
        client.unbind()
    finally:
        client.disconnect()

    print(f"client: python-smpplib {smpplib_version()}, mode: send_message + read_once, window: {window}")
    print(f"submitted: {sent}, acknowledged ok: {ok}, failed: {answered - ok}")
    print(f"elapsed: {elapsed:.3f} s")
    print(f"cpu µs/submit_sm: {cpu / max(ok, 1) * 1e6:.2f}")
    print(f"submit_sm/s: {round(ok / elapsed)}")
    return 0 if ok == count else 1


def smpplib_version() -> str:
    try:
        from importlib.metadata import version

        return version("smpplib")
    except Exception:  # noqa: BLE001 - the version is only informative
        return "(unknown version)"


if __name__ == "__main__":
    sys.exit(main())

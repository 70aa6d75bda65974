#!/usr/bin/env python3
"""A scriptable SMSC on loopback for Tandem's SMPP integration tests.

The SMPP side is the third-party server from PyPI `smpp.twisted3` (0.8):
`smpp.twisted.server.SMPPServerFactory` / `smpp.twisted.protocol.SMPPServerProtocol`
with the `smpp.pdu3` (0.6) codec on Twisted.  The library does the framing, the bind
state machine (twisted.cred portal for the password check), enquire_link, unbind,
generic_nack and the request/response bookkeeping; this file adds only an account
checker, a message handler (the factory config's `msgHandler`), recording, and a JSON
control API (twisted.web, same reactor).  See scripts/smsc/README.md.

    .venv/bin/python scripts/smsc/simulator.py --smpp-port 2775 --control-port 8775 \
        [--account ID:PASSWORD ...] [--id-format hex|decimal|uuid] \
        [--auto-receipt delivered|none] [--log-file F] \
        [--tls-port T --tls-cert server.pem --tls-key server-key.pem]

Every port listens on 127.0.0.1 only (0 picks a free port).  `--tls-port` adds SMPP over
TLS (Twisted's TLS, needs pyOpenSSL) with the same accounts and state as the plain port.
When all are listening the process prints exactly one line to stdout,
`READY smpp=P control=C` (`READY smpp=P control=C tls=T` with TLS), and nothing else.
"""

import argparse
import collections
import datetime
import json
import logging
import struct
import sys
import time
import uuid
from io import BytesIO

from zope.interface import implementer

from twisted.cred import credentials as cred_credentials
from twisted.cred import error as cred_error
from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer, reactor
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import ISSLTransport
from twisted.logger import STDLibLogObserver, globalLogBeginner
from twisted.web import resource, server

from smpp.pdu import constants as C
from smpp.pdu import operations as op
from smpp.pdu import pdu_encoding as E
from smpp.pdu import pdu_types as T
from smpp.pdu.error import (
    PDUCorruptError,
    PDUParseError,
    SMPPError,
    SMPPGenericNackTransactionError,
    SMPPRequestTimoutError,
    SMPPTransactionError,
)
from smpp.twisted.config import SMPPServerConfig
from smpp.twisted.protocol import DataHandlerResponse, SMPPServerProtocol, SMPPSessionStates
from smpp.twisted.server import IAuthenticatedSMPP, SMPPServerFactory

LOG = logging.getLogger("tandem.smsc")

HOST = "127.0.0.1"

CMD_SUBMIT_SM = 0x00000004
CMD_DATA_SM = 0x00000103
CMD_DELIVER_SM_RESP = 0x80000005
CMD_DATA_SM_RESP = 0x80000103
CMD_GENERIC_NACK = 0x80000000
RESP_BIT = 0x80000000

BIND_TYPE_NAMES = {
    T.CommandId.bind_transmitter: "transmitter",
    T.CommandId.bind_receiver: "receiver",
    T.CommandId.bind_transceiver: "transceiver",
}

# Appendix B "stat" words -> message_state TLV values (SMPP 3.4 5.2.28).
STAT_TO_MESSAGE_STATE = {
    "ENROUTE": 1,
    "DELIVRD": 2,
    "EXPIRED": 3,
    "DELETED": 4,
    "UNDELIV": 5,
    "ACCEPTD": 6,
    "UNKNOWN": 7,
    "REJECTD": 8,
}


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------

def now_iso(ts=None):
    ts = time.time() if ts is None else ts
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def command_name(command_id):
    if command_id is None:
        return None
    return C.command_id_value_map.get(command_id, "0x%08X" % command_id)


def status_name(status):
    entry = C.command_status_value_map.get(status)
    return entry["name"] if entry else None


def status_enum(status):
    """The library's CommandStatus member for an int, or None when its table lacks it."""
    entry = C.command_status_value_map.get(status)
    if entry is None or status < 0:
        return None
    return getattr(T.CommandStatus, entry["name"])


def status_int(status_member):
    return C.command_status_name_map[status_member.name]


def parse_header(raw):
    """(command_length, command_id, command_status, sequence_number), None where absent."""
    fields = []
    for i in range(4):
        chunk = raw[4 * i:4 * i + 4]
        fields.append(struct.unpack("!L", chunk)[0] if len(chunk) == 4 else None)
    return tuple(fields)


class WireReader:
    """Reads SMPP fields from a PDU body exactly as they are on the wire."""

    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def u8(self):
        if self.pos >= len(self.data):
            raise ValueError("body ends at offset %d, expected an integer" % self.pos)
        value = self.data[self.pos]
        self.pos += 1
        return value

    def cstr(self):
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise ValueError("C-Octet String at offset %d has no NUL terminator" % self.pos)
        value = self.data[self.pos:end]
        self.pos = end + 1
        return value.decode("latin-1")

    def octets(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("body ends before %d octets at offset %d" % (n, self.pos))
        value = self.data[self.pos:self.pos + n]
        self.pos += n
        return value


def parse_tlvs(data, pos):
    tlvs = []
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError("truncated TLV header at offset %d: %s" % (pos, data[pos:].hex().upper()))
        tag, length = struct.unpack("!HH", data[pos:pos + 4])
        value = data[pos + 4:pos + 4 + length]
        if len(value) != length:
            raise ValueError("TLV 0x%04X declares %d octets, %d present" % (tag, length, len(value)))
        tlvs.append({"tag": tag, "tag_hex": "0x%04X" % tag, "length": length, "hex": value.hex().upper()})
        pos += 4 + length
    return tlvs


SHORT_MESSAGE_LAYOUT = [
    ("service_type", "cstr"), ("source_addr_ton", "u8"), ("source_addr_npi", "u8"),
    ("source_addr", "cstr"), ("dest_addr_ton", "u8"), ("dest_addr_npi", "u8"),
    ("destination_addr", "cstr"), ("esm_class", "u8"), ("protocol_id", "u8"),
    ("priority_flag", "u8"), ("schedule_delivery_time", "cstr"), ("validity_period", "cstr"),
    ("registered_delivery", "u8"), ("replace_if_present_flag", "u8"), ("data_coding", "u8"),
    ("sm_default_msg_id", "u8"),
]
DATA_SM_LAYOUT = [
    ("service_type", "cstr"), ("source_addr_ton", "u8"), ("source_addr_npi", "u8"),
    ("source_addr", "cstr"), ("dest_addr_ton", "u8"), ("dest_addr_npi", "u8"),
    ("destination_addr", "cstr"), ("esm_class", "u8"), ("registered_delivery", "u8"),
    ("data_coding", "u8"),
]


def parse_message_pdu(raw):
    """Mandatory fields and TLVs of a submit_sm / deliver_sm / data_sm read from its raw bytes
    (independently of the library, which drops vendor TLVs and maps fields to enums)."""
    out = {}
    _, command_id, _, _ = parse_header(raw)
    reader = WireReader(raw, 16)
    try:
        layout = DATA_SM_LAYOUT if command_id == CMD_DATA_SM else SHORT_MESSAGE_LAYOUT
        for name, kind in layout:
            out[name] = reader.u8() if kind == "u8" else reader.cstr()
        if command_id != CMD_DATA_SM:
            sm_length = reader.u8()
            out["sm_length"] = sm_length
            out["short_message_hex"] = reader.octets(sm_length).hex().upper()
        else:
            out["short_message_hex"] = ""
        out["tlvs"] = parse_tlvs(raw, reader.pos)
    except ValueError as exc:
        out.setdefault("tlvs", [])
        out["parse_error"] = str(exc)
    return out


class ApiError(Exception):
    def __init__(self, code, message, **extra):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.extra = extra


def want_int(obj, key, default=None, lo=0, hi=255, required=False):
    if key not in obj or obj[key] is None:
        if required:
            raise ApiError(400, "missing field %r" % key)
        return default
    value = obj[key]
    if isinstance(value, str):
        try:
            value = int(value, 0)
        except ValueError:
            raise ApiError(400, "field %r: %r is not an integer" % (key, value))
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, "field %r must be an integer" % key)
    if not lo <= value <= hi:
        raise ApiError(400, "field %r: %d is outside %d..%d" % (key, value, lo, hi))
    return value


def want_str(obj, key, default=None, max_len=None, required=False):
    if key not in obj or obj[key] is None:
        if required:
            raise ApiError(400, "missing field %r" % key)
        return default
    value = obj[key]
    if not isinstance(value, str):
        raise ApiError(400, "field %r must be a string" % key)
    if max_len is not None and len(value.encode("latin-1", "replace")) > max_len:
        raise ApiError(400, "field %r is longer than %d octets" % (key, max_len))
    return value


def want_hex(obj, key, default=None):
    value = want_str(obj, key)
    if value is None:
        return default
    cleaned = "".join(value.split())
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise ApiError(400, "field %r is not valid hex" % key)


def want_bool(obj, key, default):
    if key not in obj or obj[key] is None:
        return default
    if not isinstance(obj[key], bool):
        raise ApiError(400, "field %r must be true or false" % key)
    return obj[key]


def want_tlvs(obj, key="tlvs"):
    items = obj.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise ApiError(400, "field %r must be a list of {tag, hex}" % key)
    tlvs = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ApiError(400, "%s[%d] must be an object {tag, hex}" % (key, index))
        tag = want_int(item, "tag", lo=1, hi=0xFFFF, required=True)
        value = want_hex(item, "hex", default=b"")
        if len(value) > 0xFFFF:
            raise ApiError(400, "%s[%d] value is too long" % (key, index))
        # smpp.pdu3's raw TLV mechanism: (tag, length, type, value)
        tlvs.append((tag, None, "OctetString", value))
    return tlvs


def lib_field(encoder, value, field):
    """Turn a wire integer into the library's typed value (enums, EsmClass, DataCoding…)."""
    try:
        typed = encoder.decode(BytesIO(bytes([value])))
        again = encoder.encode(typed)
    except Exception as exc:  # the library's tables do not know this value
        raise ApiError(400, "%s=%d cannot be encoded by smpp.pdu3 (%s); use POST /raw for such PDUs"
                       % (field, value, exc))
    if again != bytes([value]):  # e.g. data_coding 0xF8..0xFF lose their reserved bit
        raise ApiError(400, "%s=%d would be sent as %d by smpp.pdu3; use POST /raw for such PDUs"
                       % (field, value, again[0]))
    return typed


# --------------------------------------------------------------------------------------
# accounts (twisted.cred)
# --------------------------------------------------------------------------------------

@implementer(ICredentialsChecker)
class AccountChecker:
    credentialInterfaces = (cred_credentials.IUsernamePassword,)

    def __init__(self, accounts):
        self.accounts = accounts

    def requestAvatarId(self, creds):
        username = creds.username
        password = creds.password
        if isinstance(username, bytes):
            username = username.decode("latin-1")
        if isinstance(password, bytes):
            password = password.decode("latin-1")
        if username in self.accounts and self.accounts[username] == password:
            return defer.succeed(username)
        return defer.fail(cred_error.UnauthorizedLogin("bad system_id or password"))


@implementer(IRealm)
class AccountRealm:
    def requestAvatar(self, avatar_id, mind, *interfaces):
        if IAuthenticatedSMPP in interfaces:
            return IAuthenticatedSMPP, avatar_id, lambda: None
        raise NotImplementedError("only IAuthenticatedSMPP")


# --------------------------------------------------------------------------------------
# SMPP side: the library's server, lightly subclassed for recording
# --------------------------------------------------------------------------------------

class SimEncoder(E.PDUEncoder):
    """The library's encoder, plus one thing its CommandStatus table cannot do: a PDU may
    carry `raw_status` (any uint32, e.g. a vendor-specific 0x400) written into the header."""

    def encodeBody(self, pdu):
        raw_status = getattr(pdu, "raw_status", None)
        if raw_status and isinstance(pdu, T.PDUResponse) and pdu.noBodyOnError:
            return b""
        return E.PDUEncoder.encodeBody(self, pdu)

    def encodeHeader(self, pdu, body):
        raw_status = getattr(pdu, "raw_status", None)
        if raw_status is None:
            return E.PDUEncoder.encodeHeader(self, pdu, body)
        return struct.pack("!LLLL", len(body) + self.HEADER_LEN, C.command_id_name_map[pdu.id.name],
                           raw_status, pdu.seqNum or 0)


class SimProtocol(SMPPServerProtocol):

    def __init__(self):
        SMPPServerProtocol.__init__(self)
        self.encoder = SimEncoder()
        self.current_raw = None
        self.resp_raw = {}
        self.bind_type = None
        self.connected_at = None

    @property
    def sim(self):
        return self.factory.sim

    def peer(self):
        try:
            p = self.transport.getPeer()
            return "%s:%d" % (p.host, p.port)
        except Exception:
            return None

    def bind_type_name(self):
        return BIND_TYPE_NAMES.get(self.bind_type)

    def is_tls(self):
        return ISSLTransport.providedBy(self.transport)

    def can_receive(self):
        return self.isBound() and self.bind_type in (T.CommandId.bind_receiver, T.CommandId.bind_transceiver)

    def connectionMade(self):
        SMPPServerProtocol.connectionMade(self)
        self.connected_at = time.time()
        self.sim.connections.append(self)

    def connectionLost(self, reason):
        if self in self.sim.connections:
            self.sim.connections.remove(self)
        SMPPServerProtocol.connectionLost(self, reason)

    def sendPDU(self, pdu):
        # Same as the library's sendPDU, but keeps the encoded bytes for the PDU log.
        data = self.encoder.encode(pdu)
        pdu.sim_raw = data
        self.sim.log_pdu(self, "out", data)
        self.transport.write(data)
        self.onSMPPOperation()

    def rawMessageReceived(self, message):
        """Called by the library's framing with one complete PDU."""
        self.current_raw = message
        try:
            self._raw_message(message)
        finally:
            self.current_raw = None

    def _raw_message(self, message):
        length, command_id, command_status, seq = parse_header(message)
        entry = self.sim.log_pdu(self, "in", message)

        if command_id is not None and command_id & RESP_BIT and seq is not None:
            self.resp_raw[seq] = {"command_id": command_id, "command_status": command_status,
                                  "hex": message.hex().upper(), "time": now_iso()}
            if command_id in (CMD_DELIVER_SM_RESP, CMD_DATA_SM_RESP) and not self.sim.strict:
                if self._lenient_resp(message, command_id, command_status, seq, entry):
                    return

        if command_id in (CMD_SUBMIT_SM, CMD_DATA_SM):
            # Find out whether the library's decoder will reject it, so that rejected
            # submits are recorded too (the library then answers them itself).
            try:
                self.encoder.decode(BytesIO(message))
            except PDUCorruptError:
                pass
            except PDUParseError as exc:
                self.sim.record_submit(self, message, status_int(exc.status), None,
                                       rejected_by="smpp.pdu3 decoder: %s" % exc)
            except Exception:
                pass

        try:
            SMPPServerProtocol.rawMessageReceived(self, message)
        except Exception as exc:
            # The library has no handler for this PDU (submit_multi, replace_sm, outbind,
            # alert_notification, …) and raised; without this the connection would drop.
            LOG.exception("smpp.twisted3 raised on %s from %s", command_name(command_id), self.peer())
            if entry is not None:
                entry["library_error"] = "%s: %s" % (type(exc).__name__, exc)
            if command_id is not None and not command_id & RESP_BIT and self.transport is not None:
                nack = op.GenericNack(seqNum=seq or None, status=T.CommandStatus.ESME_RSYSERR)
                try:
                    self.sendPDU(nack)
                except Exception:
                    LOG.exception("could not send generic_nack")

    def PDUReceived(self, pdu):
        # Keep a command_status the library's table lacks (it decodes e.g. 0x400 as
        # RESERVEDSTATUS_VENDOR_SPECIFIC, which its own encoder then cannot re-encode).
        raw = self.current_raw
        if raw is not None and len(raw) >= 12:
            status = struct.unpack("!L", raw[8:12])[0]
            if status_enum(status) is None:
                pdu.raw_status = status
        SMPPServerProtocol.PDUReceived(self, pdu)

    def _lenient_resp(self, message, command_id, command_status, seq, entry):
        """deliver_sm_resp / data_sm_resp the library's decoder cannot read (header only, or
        a non-empty message_id in deliver_sm_resp) would make it nack and drop the session.
        Real SMSCs accept those, so complete the transaction from the header instead."""
        try:
            self.encoder.decode(BytesIO(message))
            return False  # the library reads it fine: let it
        except Exception as exc:
            reason = "%s: %s" % (type(exc).__name__, exc)
        if seq is None or seq not in self.outTxns:
            LOG.warning("ignoring undecodable %s with unknown sequence_number %s (%s)",
                        command_name(command_id), seq, reason)
            if entry is not None:
                entry["lenient"] = "library decoder refused it (%s); no such transaction, ignored" % reason
            return True
        klass = op.DeliverSMResp if command_id == CMD_DELIVER_SM_RESP else op.DataSMResp
        status = E.CommandStatusEncoder()._decode(struct.pack("!L", command_status))
        pdu = klass(seq, status)
        if entry is not None:
            entry["lenient"] = "library decoder refused it (%s); completed from the header" % reason
        LOG.warning("accepting %s seq %d the library cannot decode (%s)", command_name(command_id), seq, reason)
        self.PDUReceived(pdu)
        return True

    def _bind_fields_ok(self, reqPDU):
        try:
            reqPDU.params["system_id"].decode()
            reqPDU.params["password"].decode()
            return True
        except Exception:
            self.sendErrorResponse(reqPDU, T.CommandStatus.ESME_RBINDFAIL, "")
            return False

    def onPDURequest_bind_receiver(self, reqPDU):
        if self._bind_fields_ok(reqPDU):
            SMPPServerProtocol.onPDURequest_bind_receiver(self, reqPDU)

    def onPDURequest_bind_transmitter(self, reqPDU):
        if self._bind_fields_ok(reqPDU):
            SMPPServerProtocol.onPDURequest_bind_transmitter(self, reqPDU)

    def onPDURequest_bind_transceiver(self, reqPDU):
        if self._bind_fields_ok(reqPDU):
            SMPPServerProtocol.onPDURequest_bind_transceiver(self, reqPDU)


class SimFactory(SMPPServerFactory):
    protocol = SimProtocol

    def __init__(self, sim, config, auth_portal):
        SMPPServerFactory.__init__(self, config, auth_portal)
        self.sim = sim

    def addBoundConnection(self, connection):
        connection.bound_at = time.time()
        SMPPServerFactory.addBoundConnection(self, connection)
        if connection.can_receive():
            # after the bind_resp has been written
            reactor.callLater(0.05, self.sim.flush_pending_receipts, connection.system_id)


# --------------------------------------------------------------------------------------
# the simulator state
# --------------------------------------------------------------------------------------

class NoSession(Exception):
    pass


class Simulator:

    def __init__(self, args, accounts):
        self.args = args
        self.accounts = accounts
        self.strict = args.strict
        self.id_format = args.id_format
        self.auto_receipt = args.auto_receipt
        self.next_counter = args.id_start
        self.connections = []
        self.submitted = []
        self.deliveries = []
        self.pdus = collections.deque(maxlen=args.pdu_log_size)
        self.injections = collections.deque()
        self.pending_receipts = collections.defaultdict(list)
        self.by_message_id = {}
        self.started = time.time()
        self.smpp_port = None
        self.control_port = None
        self.tls_port = None
        self.pdu_counter = 0

        config = SMPPServerConfig(
            msgHandler=self.handle_data_request,
            systems={system_id: {"max_bindings": args.max_binds} for system_id in accounts},
            enquireLinkTimerSecs=args.enquire_link_interval,
            inactivityTimerSecs=args.inactivity_timeout,
            responseTimerSecs=args.response_timeout,
            sessionInitTimerSecs=args.response_timeout,
        )
        auth_portal = Portal(AccountRealm(), [AccountChecker(accounts)])
        self.factory = SimFactory(self, config, auth_portal)

    # ---- ids -------------------------------------------------------------------------

    def new_message_id(self):
        if self.id_format == "uuid":
            return str(uuid.uuid4())
        n = self.next_counter
        self.next_counter += 1
        if self.id_format == "decimal":
            return str(n)
        return "%06X" % n

    def id_for_text(self, message_id, mode):
        if mode == "as-is":
            return message_id
        if mode == "decimal":
            if self.id_format == "decimal" and message_id.isdigit():
                return message_id
            try:
                return str(int(message_id, 16))
            except ValueError:
                raise ApiError(400, "message id %r has no decimal form (id_in_text=decimal)" % message_id)
        if mode == "hex":
            if self.id_format == "hex":
                return message_id.upper()
            try:
                return "%X" % int(message_id, 10)
            except ValueError:
                raise ApiError(400, "message id %r has no hex form (id_in_text=hex)" % message_id)
        raise ApiError(400, "id_in_text must be decimal, hex or as-is")

    # ---- logging of every PDU ------------------------------------------------------------

    def log_pdu(self, proto, direction, data):
        length, command_id, command_status, seq = parse_header(data)
        self.pdu_counter += 1
        entry = {
            "n": self.pdu_counter,
            "dir": direction,
            "time": now_iso(),
            "peer": proto.peer(),
            "system_id": proto.system_id,
            "command_id": command_id,
            "command": command_name(command_id),
            "command_status": command_status,
            "sequence_number": seq,
            "hex": data.hex().upper(),
        }
        self.pdus.append(entry)
        return entry

    # ---- submit_sm / data_sm (the factory's msgHandler) -----------------------------------

    def record_submit(self, proto, raw, status, message_id, rejected_by=None):
        length, command_id, _, seq = parse_header(raw)
        rec = {
            "index": len(self.submitted),
            "command": command_name(command_id),
            "system_id": proto.system_id,
            "bind_type": proto.bind_type_name(),
            "peer": proto.peer(),
            "sequence_number": seq,
        }
        rec.update(parse_message_pdu(raw))
        rec["raw_hex"] = raw.hex().upper()
        rec["message_id"] = message_id
        rec["command_status"] = status
        rec["command_status_name"] = status_name(status)
        if rejected_by:
            rec["rejected_by"] = rejected_by
        rec["time_unix"] = time.time()
        rec["time"] = now_iso(rec["time_unix"])
        self.submitted.append(rec)
        if message_id is not None:
            self.by_message_id[message_id] = rec
        return rec

    def handle_data_request(self, system_id, proto, reqPDU):
        name = reqPDU.id.name
        raw = proto.current_raw or b""
        if name in ("submit_sm", "data_sm"):
            return self.handle_submit(proto, reqPDU, raw)
        if name == "query_sm":
            mid = reqPDU.params.get("message_id") or b""
            rec = self.by_message_id.get(mid.decode("latin-1"))
            if rec is None:
                return DataHandlerResponse(T.CommandStatus.ESME_RQUERYFAIL, message_id=mid, final_date=None,
                                           message_state=T.MessageState.UNKNOWN, error_code=0)
            state = T.MessageState.DELIVERED if rec.get("receipt_sent") else T.MessageState.ENROUTE
            return DataHandlerResponse(T.CommandStatus.ESME_ROK, message_id=mid, final_date=None,
                                       message_state=state, error_code=0)
        if name == "cancel_sm":
            mid = (reqPDU.params.get("message_id") or b"").decode("latin-1")
            return T.CommandStatus.ESME_ROK if mid in self.by_message_id else T.CommandStatus.ESME_RCANCELFAIL
        # deliver_sm from an ESME, or anything else an SMSC does not accept
        return T.CommandStatus.ESME_RINVCMDID

    def handle_submit(self, proto, reqPDU, raw):
        if proto.bind_type == T.CommandId.bind_receiver:
            status = status_int(T.CommandStatus.ESME_RINVBNDSTS)
            self.record_submit(proto, raw, status, None, rejected_by="submitted on a receiver bind")
            return T.CommandStatus.ESME_RINVBNDSTS

        if self.injections:
            status = self.injections.popleft()
            self.record_submit(proto, raw, status, None, rejected_by="injected")
            member = status_enum(status)
            if member is not None:
                return member
            # A status the library's table lacks: answer it ourselves and stop the library
            # from sending its own response.
            resp = reqPDU.requireAck(seqNum=reqPDU.seqNum)
            resp.raw_status = status
            reqPDU.requireAck = None
            proto.sendPDU(resp)
            return None

        message_id = self.new_message_id()
        rec = self.record_submit(proto, raw, 0, message_id)
        if (self.auto_receipt == "delivered" and isinstance(rec.get("registered_delivery"), int)
                and rec["registered_delivery"] & 1):
            reactor.callLater(self.args.receipt_delay, self.send_auto_receipt, rec)
        return DataHandlerResponse(T.CommandStatus.ESME_ROK, message_id=message_id)

    # ---- deliver_sm towards the ESME ---------------------------------------------------

    def receiver_session(self, system_id=None):
        """A bound RX/TRX session (round-robin by the library's SMPPBindManager)."""
        ids = [system_id] if system_id else list(self.factory.bound_connections)
        for sid in ids:
            manager = self.factory.getBoundConnections(sid)
            if manager is None:
                continue
            binding = manager.getNextBindingForDelivery()
            if binding is not None and binding.can_receive():
                return binding
        raise NoSession("no bound receiver/transceiver session%s" % (" for %r" % system_id if system_id else ""))

    def build_deliver_sm(self, spec):
        """spec: the validated /mo object -> library DeliverSM (checked to be encodable)."""
        params = dict(
            service_type=spec["service_type"],
            source_addr_ton=lib_field(E.AddrTonEncoder(), spec["source_addr_ton"], "source_addr_ton"),
            source_addr_npi=lib_field(E.AddrNpiEncoder(), spec["source_addr_npi"], "source_addr_npi"),
            source_addr=spec["source"],
            dest_addr_ton=lib_field(E.AddrTonEncoder(), spec["dest_addr_ton"], "dest_addr_ton"),
            dest_addr_npi=lib_field(E.AddrNpiEncoder(), spec["dest_addr_npi"], "dest_addr_npi"),
            destination_addr=spec["destination"],
            esm_class=lib_field(E.EsmClassEncoder(), spec["esm_class"], "esm_class"),
            protocol_id=spec["protocol_id"],
            priority_flag=lib_field(E.PriorityFlagEncoder(), spec["priority_flag"], "priority_flag"),
            schedule_delivery_time=None,
            validity_period=None,
            registered_delivery=lib_field(E.RegisteredDeliveryEncoder(), spec["registered_delivery"],
                                          "registered_delivery"),
            replace_if_present_flag=lib_field(E.ReplaceIfPresentFlagEncoder(), 0, "replace_if_present_flag"),
            data_coding=lib_field(E.DataCodingEncoder(), spec["data_coding"], "data_coding"),
            sm_default_msg_id=0,
            short_message=spec["short_message"],
        )
        params.update(spec.get("named_tlvs", {}))
        pdu = op.DeliverSM(custom_tlvs=list(spec["tlvs"]), **params)
        pdu.seqNum = 1
        try:
            SimEncoder().encode(pdu)
        except Exception as exc:
            raise ApiError(400, "smpp.pdu3 cannot encode this deliver_sm: %s" % exc)
        pdu.seqNum = None
        pdu.custom_tlvs = list(spec["tlvs"])
        return pdu

    def deliver(self, proto, pdu, kind, extra=None):
        """Send one deliver_sm; fires with a result dict once the ESME answers."""
        rec = {
            "index": len(self.deliveries),
            "kind": kind,
            "system_id": proto.system_id,
            "bind_type": proto.bind_type_name(),
            "peer": proto.peer(),
            "time": now_iso(),
        }
        if extra:
            rec.update(extra)
        self.deliveries.append(rec)
        d = proto.sendDataRequest(pdu)
        rec["sequence_number"] = pdu.seqNum
        rec["hex"] = getattr(pdu, "sim_raw", b"").hex().upper()

        def answered(result):
            return self._delivery_result(proto, rec, pdu, None)

        def failed(failure):
            return self._delivery_result(proto, rec, pdu, failure)

        return d.addCallbacks(answered, failed)

    def _delivery_result(self, proto, rec, pdu, failure):
        raw = proto.resp_raw.pop(pdu.seqNum, None) if pdu.seqNum is not None else None
        result = {"sequence_number": pdu.seqNum, "system_id": proto.system_id}
        if raw is not None and (failure is None or failure.check(SMPPTransactionError)):
            result.update({
                "command_status": raw["command_status"],
                "command_status_name": status_name(raw["command_status"]),
                "command_id": command_name(raw["command_id"]),
                "resp_hex": raw["hex"],
            })
        elif failure is not None:
            if failure.check(SMPPRequestTimoutError):
                result["error"] = "timeout: no deliver_sm_resp within %ss" % self.args.response_timeout
                result["http_status"] = 504
            else:
                result["error"] = "%s: %s" % (failure.type.__name__, failure.getErrorMessage())
                result["http_status"] = 409
        else:
            result["error"] = "response not captured"
            result["http_status"] = 500
        rec["result"] = {k: v for k, v in result.items() if k != "http_status"}
        rec["result_time"] = now_iso()
        return result

    # ---- receipts --------------------------------------------------------------------------

    def receipt_spec(self, message_id, rec, opts):
        stat = opts.get("stat", "DELIVRD")
        err = opts.get("err", "000")
        id_text = self.id_for_text(message_id, opts.get("id_in_text",
                                                       "decimal" if self.id_format == "hex" else "as-is"))
        if opts.get("text_fields", "full") == "minimal":
            text = "id:%s stat:%s" % (id_text, stat)
        else:
            submit_ts = rec["time_unix"] if rec else time.time()
            fmt = "%y%m%d%H%M"
            submit_date = datetime.datetime.fromtimestamp(submit_ts).strftime(fmt)
            done_date = datetime.datetime.now().strftime(fmt)
            if "text" in opts and opts["text"] is not None:
                snippet = opts["text"]
            else:
                snippet = ""
                if rec and rec.get("data_coding") in (0, 1, 3) and rec.get("short_message_hex"):
                    original = bytes.fromhex(rec["short_message_hex"])
                    if rec.get("esm_class", 0) & 0x40 and original:
                        original = original[1 + original[0]:]  # skip the UDH
                    snippet = "".join(ch if 32 <= ord(ch) < 127 else "." for ch in original.decode("latin-1"))
            text = "id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:%s" % (
                id_text, "001" if stat == "DELIVRD" else "000", submit_date, done_date, stat, err, snippet[:20])
        short_message = text.encode("latin-1", "replace")
        if len(short_message) > 254:
            raise ApiError(400, "receipt text is longer than 254 octets")

        spec = {
            "service_type": "",
            "source": opts.get("source") if opts.get("source") is not None else (rec or {}).get("destination_addr", ""),
            "destination": opts.get("destination") if opts.get("destination") is not None else (rec or {}).get("source_addr", ""),
            "source_addr_ton": opts.get("source_addr_ton", (rec or {}).get("dest_addr_ton", 1)),
            "source_addr_npi": opts.get("source_addr_npi", (rec or {}).get("dest_addr_npi", 1)),
            "dest_addr_ton": opts.get("dest_addr_ton", (rec or {}).get("source_addr_ton", 1)),
            "dest_addr_npi": opts.get("dest_addr_npi", (rec or {}).get("source_addr_npi", 1)),
            "esm_class": 0x04,
            "protocol_id": 0,
            "priority_flag": 0,
            "registered_delivery": 0,
            "data_coding": 0,
            "short_message": short_message,
            "tlvs": opts.get("tlvs", []),
            "named_tlvs": {},
            "text": text,
        }
        if opts.get("with_tlvs", True):
            state = opts.get("message_state")
            if state is None:
                state = STAT_TO_MESSAGE_STATE.get(stat)
            if state is None:
                raise ApiError(400, "stat %r has no message_state; pass message_state (1..8)" % stat)
            spec["named_tlvs"] = {
                "receipted_message_id": message_id,
                "message_state": lib_field(E.MessageStateEncoder(), state, "message_state"),
            }
        return spec

    def send_auto_receipt(self, rec):
        try:
            spec = self.receipt_spec(rec["message_id"], rec, {"stat": "DELIVRD", "err": "000"})
            pdu = self.build_deliver_sm(spec)
        except ApiError as exc:
            LOG.error("auto receipt for %s not sent: %s", rec["message_id"], exc.message)
            return
        self._send_or_queue(rec, pdu, spec)

    def _send_or_queue(self, rec, pdu, spec):
        try:
            proto = self.receiver_session(rec["system_id"])
        except NoSession:
            LOG.info("no RX/TRX bind for %s: auto receipt for %s queued", rec["system_id"], rec["message_id"])
            self.pending_receipts[rec["system_id"]].append((rec, pdu, spec))
            return
        rec["receipt_sent"] = True
        self.deliver(proto, pdu, "auto-receipt", {"message_id": rec["message_id"], "text": spec["text"]})

    def flush_pending_receipts(self, system_id):
        queued = self.pending_receipts.pop(system_id, [])
        for rec, pdu, spec in queued:
            self._send_or_queue(rec, pdu, spec)

    # ---- control actions ------------------------------------------------------------------

    def bound_sessions(self):
        return [p for p in self.connections if p.system_id is not None and p.isBound()]

    def reset(self):
        self.submitted = []
        self.deliveries = []
        self.pdus.clear()
        self.injections.clear()
        self.pending_receipts.clear()
        self.by_message_id = {}


# --------------------------------------------------------------------------------------
# control API (twisted.web)
# --------------------------------------------------------------------------------------

def mo_spec(obj):
    if not isinstance(obj, dict):
        raise ApiError(400, "each PDU must be a JSON object")
    data_coding = want_int(obj, "data_coding", 0)
    short_message = want_hex(obj, "short_message_hex")
    if short_message is None:
        text = want_str(obj, "text")
        if text is None:
            short_message = b""
        else:
            codec = {0: "ascii", 1: "ascii", 3: "latin-1", 8: "utf-16-be"}.get(data_coding)
            if codec is None:
                raise ApiError(400, "\"text\" works for data_coding 0, 1, 3, 8 only; use short_message_hex")
            try:
                short_message = text.encode(codec)
            except UnicodeEncodeError:
                raise ApiError(400, "\"text\" cannot be encoded as %s; use short_message_hex" % codec)
    if len(short_message) > 254:
        raise ApiError(400, "short_message is longer than 254 octets; use a message_payload TLV (0x0424)")
    return {
        "service_type": want_str(obj, "service_type", "", max_len=5),
        "source": want_str(obj, "source", "", max_len=20),
        "destination": want_str(obj, "destination", "", max_len=20),
        "source_addr_ton": want_int(obj, "source_addr_ton", 1),
        "source_addr_npi": want_int(obj, "source_addr_npi", 1),
        "dest_addr_ton": want_int(obj, "dest_addr_ton", 1),
        "dest_addr_npi": want_int(obj, "dest_addr_npi", 1),
        "esm_class": want_int(obj, "esm_class", 0),
        "protocol_id": want_int(obj, "protocol_id", 0),
        "priority_flag": want_int(obj, "priority_flag", 0),
        "registered_delivery": want_int(obj, "registered_delivery", 0),
        "data_coding": data_coding,
        "short_message": short_message,
        "tlvs": want_tlvs(obj),
        "system_id": want_str(obj, "system_id"),
    }


class ControlAPI(resource.Resource):
    isLeaf = True

    def __init__(self, sim):
        resource.Resource.__init__(self)
        self.sim = sim
        self.routes = {
            ("GET", "/health"): self.get_health,
            ("GET", "/binds"): self.get_binds,
            ("GET", "/submitted"): self.get_submitted,
            ("GET", "/deliveries"): self.get_deliveries,
            ("GET", "/pdus"): self.get_pdus,
            ("GET", "/inject"): self.get_inject,
            ("POST", "/reset"): self.post_reset,
            ("POST", "/mo"): self.post_mo,
            ("POST", "/mo/batch"): self.post_mo_batch,
            ("POST", "/receipt"): self.post_receipt,
            ("POST", "/raw"): self.post_raw,
            ("POST", "/inject"): self.post_inject,
            ("POST", "/unbind"): self.post_unbind,
            ("POST", "/drop"): self.post_drop,
        }

    # ---- plumbing ------------------------------------------------------------------

    @staticmethod
    def _write(request, code, payload):
        body = json.dumps(payload, indent=None, sort_keys=False).encode() + b"\n"
        request.setResponseCode(code)
        request.setHeader(b"content-type", b"application/json")
        request.setHeader(b"content-length", str(len(body)).encode())
        return body

    def render(self, request):
        try:
            path = request.path.decode("latin-1").rstrip("/") or "/"
            method = request.method.decode("latin-1")
            handler = self.routes.get((method, path))
            if handler is None:
                if any(p == path for (_, p) in self.routes):
                    raise ApiError(405, "method %s not allowed on %s" % (method, path))
                raise ApiError(404, "no such endpoint %s" % path)
            body = self._body(request) if method == "POST" else {}
            result = handler(request, body)
            if isinstance(result, defer.Deferred):
                return self._later(request, result)
            code, payload = result if isinstance(result, tuple) else (200, result)
            return self._write(request, code, payload)
        except ApiError as exc:
            return self._write(request, exc.code, dict({"error": exc.message}, **exc.extra))
        except Exception as exc:
            LOG.exception("control API failure")
            return self._write(request, 500, {"error": "internal error: %s: %s" % (type(exc).__name__, exc)})

    def _later(self, request, d):
        gone = []
        request.notifyFinish().addErrback(lambda _: gone.append(True))

        def done(result):
            code, payload = result if isinstance(result, tuple) else (200, result)
            if not gone:
                request.write(self._write(request, code, payload))
                request.finish()

        def failed(failure):
            if failure.check(ApiError):
                exc = failure.value
                code, payload = exc.code, dict({"error": exc.message}, **exc.extra)
            else:
                LOG.error("control API failure: %s", failure.getTraceback())
                code, payload = 500, {"error": "internal error: %s" % failure.getErrorMessage()}
            if not gone:
                request.write(self._write(request, code, payload))
                request.finish()

        d.addCallbacks(done, failed)
        d.addErrback(lambda f: LOG.error("control API: %s", f.getTraceback()))
        return server.NOT_DONE_YET

    @staticmethod
    def _body(request):
        raw = request.content.read() if request.content is not None else b""
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "body is not valid JSON: %s" % exc)
        if not isinstance(body, dict):
            raise ApiError(400, "body must be a JSON object")
        return body

    # ---- endpoints -----------------------------------------------------------------

    def get_health(self, request, body):
        return {
            "ok": True,
            "smpp_port": self.sim.smpp_port,
            "control_port": self.sim.control_port,
            "tls_port": self.sim.tls_port,
            "connections": len(self.sim.connections),
            "binds": len(self.sim.bound_sessions()),
            "submitted": len(self.sim.submitted),
            "pending_injections": len(self.sim.injections),
            "pending_receipts": sum(len(v) for v in self.sim.pending_receipts.values()),
            "id_format": self.sim.id_format,
            "auto_receipt": self.sim.auto_receipt,
            "uptime_s": round(time.time() - self.sim.started, 3),
        }

    def get_binds(self, request, body):
        return [{
            "system_id": p.system_id,
            "bind_type": p.bind_type_name(),
            "peer": p.peer(),
            "tls": p.is_tls(),
            "state": p.sessionState.name,
            "bound_since": now_iso(getattr(p, "bound_at", p.connected_at)),
        } for p in self.sim.bound_sessions()]

    def get_submitted(self, request, body):
        return self.sim.submitted

    def get_deliveries(self, request, body):
        return self.sim.deliveries

    def get_pdus(self, request, body):
        return list(self.sim.pdus)

    def post_reset(self, request, body):
        self.sim.reset()
        return {"ok": True}

    def _send_specs(self, specs, system_id, wait_each):
        """Build every deliver_sm first (400 before anything is sent), then send on one session."""
        pdus = [self.sim.build_deliver_sm(spec) for spec in specs]
        try:
            proto = self.sim.receiver_session(system_id)
        except NoSession as exc:
            raise ApiError(409, str(exc))

        def finish(results):
            if len(specs) == 1:
                result = results[0]
                code = result.pop("http_status", 200)
                return code, result
            return 200, {"results": [{k: v for k, v in r.items() if k != "http_status"} for r in results]}

        if wait_each:
            @defer.inlineCallbacks
            def run():
                results = []
                for pdu in pdus:
                    if not proto.isBound():
                        results.append({"error": "not sent: the session is no longer bound"})
                        continue
                    result = yield self.sim.deliver(proto, pdu, "mo")
                    results.append(result)
                return finish(results)
            return run()

        # Pipelined: every deliver_sm is written now, in the given order, on one session.
        ds = [self.sim.deliver(proto, pdu, "mo") for pdu in pdus]
        return defer.gatherResults(ds).addCallback(finish)

    def post_mo(self, request, body):
        spec = mo_spec(body)
        return self._send_specs([spec], spec["system_id"], False)

    def post_mo_batch(self, request, body):
        items = body.get("pdus")
        if not isinstance(items, list) or not items:
            raise ApiError(400, "field 'pdus' must be a non-empty list")
        specs = []
        for i, item in enumerate(items):
            try:
                specs.append(mo_spec(item))
            except ApiError as exc:
                raise ApiError(exc.code, "pdus[%d]: %s" % (i, exc.message))
        system_id = want_str(body, "system_id") or specs[0]["system_id"]
        return self._send_specs(specs, system_id, want_bool(body, "wait_each", False))

    def post_receipt(self, request, body):
        message_id = want_str(body, "message_id", required=True, max_len=64)
        rec = self.sim.by_message_id.get(message_id)
        opts = {
            "stat": want_str(body, "stat", "DELIVRD", max_len=7),
            "err": want_str(body, "err", "000", max_len=3),
            "id_in_text": want_str(body, "id_in_text", "decimal" if self.sim.id_format == "hex" else "as-is"),
            "text_fields": want_str(body, "text_fields", "full"),
            "with_tlvs": want_bool(body, "with_tlvs", True),
            "message_state": want_int(body, "message_state", None, lo=1, hi=8),
            "text": want_str(body, "text", max_len=20),
            "source": want_str(body, "source", max_len=20),
            "destination": want_str(body, "destination", max_len=20),
            "tlvs": want_tlvs(body),
        }
        for key in ("source_addr_ton", "source_addr_npi", "dest_addr_ton", "dest_addr_npi"):
            if key in body:
                opts[key] = want_int(body, key)
        if opts["text_fields"] not in ("full", "minimal"):
            raise ApiError(400, "text_fields must be full or minimal")
        spec = self.sim.receipt_spec(message_id, rec, opts)
        system_id = want_str(body, "system_id") or (rec or {}).get("system_id")
        pdu = self.sim.build_deliver_sm(spec)
        try:
            proto = self.sim.receiver_session(system_id)
        except NoSession as exc:
            raise ApiError(409, str(exc))
        if rec is not None:
            rec["receipt_sent"] = True
        d = self.sim.deliver(proto, pdu, "receipt", {"message_id": message_id, "text": spec["text"]})

        def shape(result):
            code = result.pop("http_status", 200)
            result["text"] = spec["text"]
            return code, result
        return d.addCallback(shape)

    def post_raw(self, request, body):
        data = want_hex(body, "hex")
        if data is None:
            raise ApiError(400, "missing field 'hex'")
        system_id = want_str(body, "system_id")
        candidates = [p for p in self.sim.connections if system_id is None or p.system_id == system_id]
        if not candidates:
            raise ApiError(409, "no SMPP connection%s" % (" for %r" % system_id if system_id else ""))
        candidates.sort(key=lambda p: (not p.can_receive(), not p.isBound()))
        proto = candidates[0]
        proto.transport.write(data)
        entry = self.sim.log_pdu(proto, "out", data)
        entry["raw_injected"] = True
        return {"sent": len(data), "system_id": proto.system_id, "bind_type": proto.bind_type_name(),
                "peer": proto.peer()}

    def get_inject(self, request, body):
        return {"pending": list(self.sim.injections)}

    def post_inject(self, request, body):
        status = want_int(body, "command_status", required=True, lo=1, hi=0xFFFFFFFF)
        count = want_int(body, "count", 1, lo=0, hi=1000000)
        if want_bool(body, "replace", False):
            self.sim.injections.clear()
        self.sim.injections.extend([status] * count)
        return {"command_status": status, "command_status_name": status_name(status), "count": count,
                "pending": len(self.sim.injections)}

    def post_unbind(self, request, body):
        system_id = want_str(body, "system_id")
        sessions = [p for p in self.sim.bound_sessions() if system_id is None or p.system_id == system_id]
        for proto in sessions:
            proto.unbindAndDisconnect().addErrback(lambda f: None)
        return {"unbound": len(sessions)}

    def post_drop(self, request, body):
        sessions = list(self.sim.connections)
        for proto in sessions:
            proto.transport.abortConnection()
        return {"dropped": len(sessions)}


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description="Loopback SMSC built on smpp.twisted3 for Tandem's tests.")
    parser.add_argument("--smpp-port", type=int, default=2775, help="SMPP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--control-port", type=int, default=8775, help="JSON control API port on 127.0.0.1 (0 = any)")
    parser.add_argument("--account", action="append", metavar="ID:PASSWORD",
                        help="an ESME account (repeatable; default tandem:secret)")
    parser.add_argument("--id-format", choices=("hex", "decimal", "uuid"), default="hex")
    parser.add_argument("--id-start", type=lambda s: int(s, 0), default=0x0A1B2C,
                        help="first message id counter value (default 0x0A1B2C: hex 0A1B2C, decimal 662316)")
    parser.add_argument("--auto-receipt", choices=("delivered", "none"), default="none")
    parser.add_argument("--receipt-delay", type=float, default=0.2, help="seconds before an auto receipt")
    parser.add_argument("--max-binds", type=int, default=8, help="library max_bindings per account and bind type")
    parser.add_argument("--enquire-link-interval", type=float, default=10,
                        help="idle seconds before the SMSC sends enquire_link (library default 10; 0 = never)")
    parser.add_argument("--inactivity-timeout", type=float, default=120,
                        help="seconds without any PDU before the SMSC drops the session (library default 120)")
    parser.add_argument("--response-timeout", type=float, default=10,
                        help="seconds to wait for deliver_sm_resp / enquire_link_resp / unbind_resp")
    parser.add_argument("--pdu-log-size", type=int, default=20000, help="PDUs kept for GET /pdus")
    parser.add_argument("--strict", action="store_true",
                        help="no leniency for deliver_sm_resp/data_sm_resp the library cannot decode")
    parser.add_argument("--log-file", help="debug log (PDU hex included) to this file; otherwise warnings to stderr")
    parser.add_argument("--tls-port", type=int,
                        help="also listen for SMPP over TLS on 127.0.0.1 (0 = any free port); needs --tls-cert and --tls-key")
    parser.add_argument("--tls-cert", metavar="FILE",
                        help="PEM server certificate, optionally followed by its intermediate CA certificates")
    parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert (unencrypted)")
    args = parser.parse_args(argv)
    if args.tls_port is not None and not (args.tls_cert and args.tls_key):
        parser.error("--tls-port needs --tls-cert FILE and --tls-key FILE (scripts/smsc/make-test-cert DIR makes them)")
    if args.tls_port is None and (args.tls_cert or args.tls_key):
        parser.error("--tls-cert and --tls-key only apply with --tls-port")

    accounts = {}
    for item in args.account or ["tandem:secret"]:
        system_id, sep, password = item.partition(":")
        if not sep or not system_id:
            parser.error("--account must be ID:PASSWORD, got %r" % item)
        if len(system_id.encode()) > 15 or len(password.encode()) > 8:
            print("simulator: warning: %r: SMPP allows system_id <= 15 and password <= 8 octets; "
                  "the library will refuse such binds" % item, file=sys.stderr)
        accounts[system_id] = password
    return args, accounts


def setup_logging(args):
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    if args.log_file:
        handler = logging.FileHandler(args.log_file)
        root.setLevel(logging.DEBUG)
    else:
        handler = logging.StreamHandler(sys.stderr)
        root.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    # Twisted's own log (unhandled errors, web access log) into the same place; keep stdout ours.
    globalLogBeginner.beginLoggingTo([STDLibLogObserver(name="twisted")], redirectStandardIO=False)


def tls_options(cert_file, key_file):
    """Twisted's server-side TLS settings for --tls-cert / --tls-key, checked now rather than
    at the first handshake.  Raises ValueError with a readable message."""
    try:
        from cryptography import x509
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization
        from OpenSSL import SSL
        from twisted.internet import ssl
    except ImportError as exc:
        raise ValueError("TLS needs pyOpenSSL in the venv (scripts/bootstrap --test): %s" % exc)
    try:
        with open(cert_file, "rb") as f:
            cert_pem = f.read()
        with open(key_file, "rb") as f:
            key_pem = f.read()
    except OSError as exc:
        raise ValueError(str(exc))
    try:
        # cryptography objects, not pyOpenSSL's X509/PKey (deprecated by pyOpenSSL 24.3+);
        # Twisted hands them to pyOpenSSL's Context unchanged.
        chain = x509.load_pem_x509_certificates(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
        options = ssl.CertificateOptions(privateKey=key, certificate=chain[0], extraCertChain=chain[1:])
        options.getContext()  # builds the SSL context once: a key that does not match fails here
    except (SSL.Error, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("%s / %s: %s" % (cert_file, key_file, exc))
    return options


def main(argv=None):
    args, accounts = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(args)
    sim = Simulator(args, accounts)
    tls_listener = None
    try:
        tls_context = tls_options(args.tls_cert, args.tls_key) if args.tls_port is not None else None
    except ValueError as exc:
        print("simulator: cannot use the TLS certificate: %s" % exc, file=sys.stderr)
        return 2
    try:
        smpp_listener = reactor.listenTCP(args.smpp_port, sim.factory, interface=HOST)
        site = server.Site(ControlAPI(sim))
        site.noisy = False
        site.log = lambda request: None
        control_listener = reactor.listenTCP(args.control_port, site, interface=HOST)
        if tls_context is not None:
            # The same factory: one set of accounts, binds, submits and injections for both.
            tls_listener = reactor.listenSSL(args.tls_port, sim.factory, tls_context, interface=HOST)
    except CannotListenError as exc:
        print("simulator: cannot listen: %s" % exc, file=sys.stderr)
        return 2
    sim.smpp_port = smpp_listener.getHost().port
    sim.control_port = control_listener.getHost().port
    ready = "READY smpp=%d control=%d" % (sim.smpp_port, sim.control_port)
    if tls_listener is not None:
        sim.tls_port = tls_listener.getHost().port
        ready += " tls=%d" % sim.tls_port
    LOG.warning("listening: smpp=%s:%d control=%s:%d tls=%s accounts=%s", HOST, sim.smpp_port, HOST,
                sim.control_port, "%s:%d" % (HOST, sim.tls_port) if sim.tls_port else "off", ",".join(accounts))
    print(ready, flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Record SMPP 3.4 test vectors produced by a third-party implementation.

Usage (from the repository root):

    python3 -m venv .venv && .venv/bin/pip install 'smpp.twisted3==0.8'
    .venv/bin/python scripts/record-smpp-vectors.py Tests/SMPPTests/Fixtures/pdu3-vectors.json

Why: Tandem's own SMPP codec must agree byte for byte with other SMPP
implementations, not only with itself.  This script asks smpp.pdu3 (pulled in
by smpp.twisted3) to build and encode one PDU of every SMPP 3.4 command it
knows, plus variants that exercise data codings, UDH, time formats and as many
of the section 5.3.2 optional parameters (TLVs) as the library can encode.
Every PDU is built with the library's own operation classes and encoded with
its own PDUEncoder; no PDU or TLV bytes are written by hand here.

Each recorded vector is checked three ways before it is written:
  1. an independent walker (below, written from the SMPP 3.4 section 4
     layouts) parses the 16-byte header and the body; the header must agree
     with what the library was given and command_length must equal the size;
  2. the mandatory fields and TLVs the walker finds must equal the values the
     library was given, converted to wire values with the library's own
     constants tables (for enums) or plain packing (for integers);
  3. the library's own PDUEncoder().decode must read the bytes back into a PDU
     equal to the one that was encoded, so every vector is one the library
     itself accepts.

What the library cannot encode is not faked: the script attempts it, catches
the failure and records it in the last element of the output array, an object
{"name": "unsupported by ...", "unsupported": [...]}.  With smpp.pdu3 0.6 that
list is:
  commands: submit_multi, submit_multi_resp, replace_sm (the encoder has no
            field encoders for number_of_dests/dest_address, no_unsuccess/
            unsuccess_sme and sm_length; replace_sm_resp itself is fine);
  TLVs:     ms_msg_wait_facilities, callback_num_pres_ind, callback_num_atag,
            dpf_result, set_dpf, ussd_service_op, ms_validity, its_reply_type,
            its_session_info (no value encoder), and alert_on_message_delivery
            (submit_sm/submit_multi/data_sm list it as "alert_on_msg_delivery",
            a name the Tag enum does not have).  Pushing these through the raw
            custom_tlvs mechanism encodes them, but the library's decoder then
            rejects the PDU, so they are not vectors either.
The script works this list out at run time; the text above only documents it.

The output is deterministic: fixed sequence numbers, fixed dates, no clock.
Fields are emitted in SMPP 3.4 order under their spec names; TLVs in wire order.
"""

import contextlib
import io
import json
import os
import struct
import sys
from datetime import datetime
from enum import Enum
from importlib.metadata import version

from smpp.pdu import constants as C
from smpp.pdu import operations as op
from smpp.pdu import pdu_types as T
from smpp.pdu.gsm_encoding import UserDataHeaderEncoder
from smpp.pdu.gsm_types import IEConcatenatedSM, InformationElement, InformationElementIdentifier
from smpp.pdu.pdu_encoding import PDUEncoder
from smpp.pdu.smpp_time import FixedOffset, SMPPRelativeTime

SOURCE = "smpp.pdu3 %s" % version("smpp.pdu3")


# ---------------------------------------------------------------------------
# SMPP 3.4 tables, written for this script from the specification.  They are
# deliberately independent of the library so the two can be checked against
# each other.
# ---------------------------------------------------------------------------

COMMAND_IDS = {
    "generic_nack": 0x80000000,
    "bind_receiver": 0x00000001, "bind_receiver_resp": 0x80000001,
    "bind_transmitter": 0x00000002, "bind_transmitter_resp": 0x80000002,
    "query_sm": 0x00000003, "query_sm_resp": 0x80000003,
    "submit_sm": 0x00000004, "submit_sm_resp": 0x80000004,
    "deliver_sm": 0x00000005, "deliver_sm_resp": 0x80000005,
    "unbind": 0x00000006, "unbind_resp": 0x80000006,
    "replace_sm": 0x00000007, "replace_sm_resp": 0x80000007,
    "cancel_sm": 0x00000008, "cancel_sm_resp": 0x80000008,
    "bind_transceiver": 0x00000009, "bind_transceiver_resp": 0x80000009,
    "outbind": 0x0000000B,
    "enquire_link": 0x00000015, "enquire_link_resp": 0x80000015,
    "submit_multi": 0x00000021, "submit_multi_resp": 0x80000021,
    "alert_notification": 0x00000102,
    "data_sm": 0x00000103, "data_sm_resp": 0x80000103,
}

# Mandatory body layouts (section 4).  Kinds: "cstr" C-octet string, "int1"
# one-octet integer, "sm" sm_length + short_message, "dests" / "unsuccess" the
# submit_multi(_resp) address lists.
_BIND = [("system_id", "cstr"), ("password", "cstr"), ("system_type", "cstr"),
         ("interface_version", "int1"), ("addr_ton", "int1"), ("addr_npi", "int1"),
         ("address_range", "cstr")]
_SRC = [("source_addr_ton", "int1"), ("source_addr_npi", "int1"), ("source_addr", "cstr")]
_DST = [("dest_addr_ton", "int1"), ("dest_addr_npi", "int1"), ("destination_addr", "cstr")]
_SM_TAIL = [("esm_class", "int1"), ("protocol_id", "int1"), ("priority_flag", "int1"),
            ("schedule_delivery_time", "cstr"), ("validity_period", "cstr"),
            ("registered_delivery", "int1"), ("replace_if_present_flag", "int1"),
            ("data_coding", "int1"), ("sm_default_msg_id", "int1"), ("short_message", "sm")]
BODY_LAYOUTS = {
    "bind_transmitter": _BIND, "bind_receiver": _BIND, "bind_transceiver": _BIND,
    "bind_transmitter_resp": [("system_id", "cstr")],
    "bind_receiver_resp": [("system_id", "cstr")],
    "bind_transceiver_resp": [("system_id", "cstr")],
    "outbind": [("system_id", "cstr"), ("password", "cstr")],
    "unbind": [], "unbind_resp": [], "generic_nack": [],
    "enquire_link": [], "enquire_link_resp": [],
    "submit_sm": [("service_type", "cstr")] + _SRC + _DST + _SM_TAIL,
    "deliver_sm": [("service_type", "cstr")] + _SRC + _DST + _SM_TAIL,
    "submit_sm_resp": [("message_id", "cstr")],
    "deliver_sm_resp": [("message_id", "cstr")],
    "submit_multi": [("service_type", "cstr")] + _SRC +
                    [("number_of_dests", "int1"), ("dest_address", "dests")] + _SM_TAIL,
    "submit_multi_resp": [("message_id", "cstr"), ("no_unsuccess", "int1"),
                          ("unsuccess_sme", "unsuccess")],
    "data_sm": [("service_type", "cstr")] + _SRC + _DST +
               [("esm_class", "int1"), ("registered_delivery", "int1"), ("data_coding", "int1")],
    "data_sm_resp": [("message_id", "cstr")],
    "query_sm": [("message_id", "cstr")] + _SRC,
    "query_sm_resp": [("message_id", "cstr"), ("final_date", "cstr"),
                      ("message_state", "int1"), ("error_code", "int1")],
    "cancel_sm": [("service_type", "cstr"), ("message_id", "cstr")] + _SRC + _DST,
    "cancel_sm_resp": [],
    "replace_sm": [("message_id", "cstr")] + _SRC +
                  [("schedule_delivery_time", "cstr"), ("validity_period", "cstr"),
                   ("registered_delivery", "int1"), ("sm_default_msg_id", "int1"),
                   ("short_message", "sm")],
    "replace_sm_resp": [],
    "alert_notification": _SRC + [("esme_addr_ton", "int1"), ("esme_addr_npi", "int1"),
                                  ("esme_addr", "cstr")],
}

# Section 5.3.2 optional parameters: name -> (tag, value kind).
TLV_SPEC = {
    "dest_addr_subunit": (0x0005, "int1"),
    "dest_network_type": (0x0006, "int1"),
    "dest_bearer_type": (0x0007, "int1"),
    "dest_telematics_id": (0x0008, "int2"),
    "source_addr_subunit": (0x000D, "int1"),
    "source_network_type": (0x000E, "int1"),
    "source_bearer_type": (0x000F, "int1"),
    "source_telematics_id": (0x0010, "int1"),
    "qos_time_to_live": (0x0017, "int4"),
    "payload_type": (0x0019, "int1"),
    "additional_status_info_text": (0x001D, "cstr"),
    "receipted_message_id": (0x001E, "cstr"),
    "ms_msg_wait_facilities": (0x0030, "int1"),
    "privacy_indicator": (0x0201, "int1"),
    "source_subaddress": (0x0202, "octets"),
    "dest_subaddress": (0x0203, "octets"),
    "user_message_reference": (0x0204, "int2"),
    "user_response_code": (0x0205, "int1"),
    "source_port": (0x020A, "int2"),
    "destination_port": (0x020B, "int2"),
    "sar_msg_ref_num": (0x020C, "int2"),
    "language_indicator": (0x020D, "int1"),
    "sar_total_segments": (0x020E, "int1"),
    "sar_segment_seqnum": (0x020F, "int1"),
    "sc_interface_version": (0x0210, "int1"),
    "callback_num_pres_ind": (0x0302, "int1"),
    "callback_num_atag": (0x0303, "octets"),
    "number_of_messages": (0x0304, "int1"),
    "callback_num": (0x0381, "octets"),
    "dpf_result": (0x0420, "int1"),
    "set_dpf": (0x0421, "int1"),
    "ms_availability_status": (0x0422, "int1"),
    "network_error_code": (0x0423, "octets"),
    "message_payload": (0x0424, "octets"),
    "delivery_failure_reason": (0x0425, "int1"),
    "more_messages_to_send": (0x0426, "int1"),
    "message_state": (0x0427, "int1"),
    "ussd_service_op": (0x0501, "octets"),
    "display_time": (0x1201, "int1"),
    "sms_signal": (0x1203, "int2"),
    "ms_validity": (0x1204, "int1"),
    "alert_on_message_delivery": (0x130C, "empty"),
    "its_reply_type": (0x1380, "int1"),
    "its_session_info": (0x1383, "octets"),
}
TLV_NAMES = {tag: name for name, (tag, _) in TLV_SPEC.items()}

# Where smpp.pdu3 knowingly differs from the table above.  The vector is still
# recorded (it is what the library puts on the wire) but carries a "note".
LIBRARY_TLV_WIDTHS = {
    # SMPP 3.4 gives source_telematics_id a one-octet value (OpenSMPP and jSMPP
    # agree); smpp.pdu3 uses the same 2-octet encoder as dest_telematics_id.
    "source_telematics_id": "int2",
}

# smpp.pdu3 parameter names that differ from the spec names.
LIBRARY_PARAM_NAMES = {"alert_on_msg_delivery": "alert_on_message_delivery"}

# The library's enum types and the constants tables that give their wire values.
ENUM_WIRE_VALUES = {
    T.AddrTon: C.addr_ton_name_map,
    T.AddrNpi: C.addr_npi_name_map,
    T.PriorityFlag: C.priority_flag_name_map,
    T.ReplaceIfPresentFlag: C.replace_if_present_flap_name_map,
    T.MessageState: C.message_state_name_map,
    T.DestFlag: C.dest_flag_name_map,
    T.AddrSubunit: C.addr_subunit_name_map,
    T.NetworkType: C.network_type_name_map,
    T.BearerType: C.bearer_type_name_map,
    T.PayloadType: C.payload_type_name_map,
    T.PrivacyIndicator: C.privacy_indicator_name_map,
    T.LanguageIndicator: C.language_indicator_name_map,
    T.DisplayTime: C.display_time_name_map,
    T.MsAvailabilityStatus: C.ms_availability_status_name_map,
    T.DeliveryFailureReason: C.delivery_failure_reason_name_map,
    T.MoreMessagesToSend: C.more_messages_to_send_name_map,
    T.CallbackNumDigitModeIndicator: C.callback_num_digit_mode_indicator_name_map,
    T.SubaddressTypeTag: C.subaddress_type_tag_name_map,
}

# Characters whose GSM 03.38 default-alphabet code equals their ASCII code.
# smpp.pdu3 has no GSM 7-bit codec (short_message is raw octets), so "GSM
# text" vectors use only these characters: their ASCII bytes are then exactly
# the unpacked GSM encoding an SMSC expects with data_coding 0.
GSM_ASCII_COMMON = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                       " !\"#%&'()*+,-./:;<=>?\n\r")


def gsm_text(text):
    assert set(text) <= GSM_ASCII_COMMON, "not in the GSM/ASCII common subset: %r" % text
    return text.encode("ascii")


# ---------------------------------------------------------------------------
# Converting what the library was given into SMPP wire values.
# ---------------------------------------------------------------------------

def octet_value(value):
    """Wire value of a one-octet field given as a library object."""
    if value is None:
        return 0                    # the library encodes None integers as zero
    if isinstance(value, Enum):
        return ENUM_WIRE_VALUES[type(value)][value.name]
    if isinstance(value, T.EsmClass):
        bits = C.esm_class_mode_name_map[value.mode.name] | C.esm_class_type_name_map[value.type.name]
        for feature in value.gsmFeatures:
            bits |= C.esm_class_gsm_features_name_map[feature.name]
        return bits
    if isinstance(value, T.RegisteredDelivery):
        bits = C.registered_delivery_receipt_name_map[value.receipt.name]
        for ack in value.smeOriginatedAcks:
            bits |= C.registered_delivery_sme_originated_acks_name_map[ack.name]
        return bits | (0x10 if value.intermediateNotification else 0)
    if isinstance(value, T.DataCoding):
        if value.scheme.name == "RAW":
            return value.schemeData
        if value.scheme.name == "DEFAULT":
            return C.data_coding_default_name_map[value.schemeData.name]
        return (C.data_coding_scheme_name_map[value.scheme.name]
                | C.data_coding_gsm_message_coding_name_map[value.schemeData.msgCoding.name]
                | C.data_coding_gsm_message_class_name_map[value.schemeData.msgClass.name])
    assert isinstance(value, int), value
    return value


def smpp_time(value):
    """SMPP 3.4 section 7.1.1 time string for a datetime or SMPPRelativeTime."""
    if isinstance(value, SMPPRelativeTime):
        return "%02d%02d%02d%02d%02d%02d000R" % tuple(value)
    assert value.microsecond % 100000 == 0, "SMPP times carry tenths of a second only"
    offset = value.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    assert seconds % 900 == 0, "SMPP offsets are in quarter hours"
    return "%s%d%02d%s" % (value.strftime("%y%m%d%H%M%S"), value.microsecond // 100000,
                           abs(seconds) // 900, "-" if seconds < 0 else "+")


def cstr_value(value):
    if value is None:
        return ""
    if isinstance(value, (datetime, SMPPRelativeTime)):
        return smpp_time(value)
    return value.decode("ascii") if isinstance(value, bytes) else value


def expected_fields(command, params):
    """Mandatory fields, by spec name, as the library was asked to encode them."""
    if not params:
        return {}                   # bodyless (error) response
    fields = {}
    for name, kind in BODY_LAYOUTS[command]:
        value = params.get(name)
        if kind == "cstr":
            fields[name] = cstr_value(value)
        elif kind == "int1":
            fields[name] = octet_value(value)
        elif kind == "sm":
            data = value or b""
            fields["sm_length"] = len(data)
            fields["short_message"] = data.hex()
        else:
            raise NotImplementedError("no library input format known for %s" % name)
    return fields


def tlv_value(name, value):
    """Expected value octets of a named TLV, packed per the SMPP 3.4 table."""
    kind = LIBRARY_TLV_WIDTHS.get(name, TLV_SPEC[name][1])
    if kind in ("int1", "int2", "int4"):
        if isinstance(value, bytes):    # the library takes some integers as raw octets
            assert len(value) == int(kind[-1]), (name, value)
            return value
        return struct.pack({"int1": ">B", "int2": ">H", "int4": ">I"}[kind], octet_value(value))
    if kind == "cstr":
        return (value.encode("ascii") if isinstance(value, str) else value) + b"\0"
    if kind == "empty":
        return b""
    if isinstance(value, T.CallbackNum):
        return bytes([octet_value(value.digitModeIndicator), octet_value(value.ton),
                      octet_value(value.npi)]) + value.digits
    if isinstance(value, T.Subaddress):
        return bytes([octet_value(value.typeTag)]) + value.value
    assert isinstance(value, bytes), (name, value)
    return value


def raw_tlv_value(value_type, value):
    """Expected value octets of a raw (custom_tlvs) entry."""
    if value_type in ("Int1", "Int2", "Int4"):
        return struct.pack({"Int1": ">B", "Int2": ">H", "Int4": ">I"}[value_type], value)
    data = value.encode("ascii") if isinstance(value, str) else value
    return data + b"\0" if value_type == "COctetString" else data


def expected_tlvs(pdu):
    """(tag, value) pairs for the optional parameters handed to the library."""
    result = []
    for name, value in pdu.params.items():
        if name in pdu.mandatoryParams:
            continue
        spec_name = LIBRARY_PARAM_NAMES.get(name, name)
        tag = TLV_SPEC[spec_name][0]
        assert C.tag_name_map[spec_name] == tag, "library tag for %s differs" % spec_name
        result.append((tag, tlv_value(spec_name, value)))
    for tag, _length, value_type, value in pdu.custom_tlvs:
        result.append((tag, raw_tlv_value(value_type, value)))
    return result


# ---------------------------------------------------------------------------
# Independent walker over the encoded bytes.
# ---------------------------------------------------------------------------

class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        assert self.pos + n <= len(self.data), "PDU truncated"
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def int1(self):
        return self.take(1)[0]

    def cstr(self):
        end = self.data.index(b"\0", self.pos)
        return self.take(end - self.pos + 1)[:-1].decode("ascii")

    def left(self):
        return len(self.data) - self.pos


def walk(data):
    """Parse header, mandatory fields and TLVs from the bytes alone."""
    assert len(data) >= 16, "shorter than a header"
    length, command_id, status, sequence = struct.unpack(">IIII", data[:16])
    assert length == len(data), "command_length %d but %d bytes" % (length, len(data))
    command = {v: k for k, v in COMMAND_IDS.items()}[command_id]
    body = Reader(data[16:])
    fields = {}
    if body.left() == 0 and BODY_LAYOUTS[command]:
        # Only an error response may leave out a body that has mandatory fields.
        assert command.endswith("_resp") and status != 0, "%s without body" % command
    else:
        for name, kind in BODY_LAYOUTS[command]:
            if kind == "cstr":
                fields[name] = body.cstr()
            elif kind == "int1":
                fields[name] = body.int1()
            elif kind == "sm":
                fields["sm_length"] = body.int1()
                fields["short_message"] = body.take(fields["sm_length"]).hex()
            elif kind == "dests":
                dests = []
                for _ in range(fields["number_of_dests"]):
                    flag = body.int1()
                    if flag == 1:
                        dests.append({"dest_flag": 1, "dest_addr_ton": body.int1(),
                                      "dest_addr_npi": body.int1(), "destination_addr": body.cstr()})
                    else:
                        assert flag == 2, "bad dest_flag %d" % flag
                        dests.append({"dest_flag": 2, "dl_name": body.cstr()})
                fields[name] = dests
            elif kind == "unsuccess":
                fields[name] = [{"dest_addr_ton": body.int1(), "dest_addr_npi": body.int1(),
                                 "destination_addr": body.cstr(),
                                 "error_status_code": struct.unpack(">I", body.take(4))[0]}
                                for _ in range(fields["no_unsuccess"])]
    tlvs = []
    while body.left():
        tag, size = struct.unpack(">HH", body.take(4))
        tlvs.append((tag, body.take(size)))
    return command, command_id, status, sequence, fields, tlvs


def tlv_name(tag):
    if tag in TLV_NAMES:
        return TLV_NAMES[tag]
    return "vendor_specific" if 0x1400 <= tag <= 0x3FFF else "unknown"


# ---------------------------------------------------------------------------
# Running the library.
# ---------------------------------------------------------------------------

class LibraryRefused(Exception):
    """The library could not produce, or would not accept, a PDU."""


def library_encode(pdu):
    # A fresh encoder every time: PDUEncoder keeps the length of the last TLV it
    # decoded and later applies it to variable-length TLVs it encodes.
    try:
        return PDUEncoder().encode(pdu)
    except Exception as error:
        raise LibraryRefused("encode failed: %s: %s" % (type(error).__name__, error))


def library_decode(data):
    # smpp.pdu3 prints while decoding times and while comparing PDUs; keep that
    # debugging output out of ours.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            return PDUEncoder().decode(io.BytesIO(data))
        except Exception as error:
            raise LibraryRefused("encoded, but the library's decoder rejects it: %s: %s"
                                 % (type(error).__name__, error))


def library_equal(a, b):
    with contextlib.redirect_stdout(io.StringIO()):
        return a == b


def record(name, pdu, note=None):
    """Encode pdu with the library, cross-check the bytes, return a vector."""
    data = library_encode(pdu)
    command, command_id, status, sequence, fields, tlvs = walk(data)

    # Header: against the library's PDU and our own command table.
    assert command == pdu.commandId.name, (command, pdu.commandId.name)
    assert command_id == COMMAND_IDS[command] == C.command_id_name_map[command]
    assert status == C.command_status_name_map[pdu.status.name]
    assert sequence == (pdu.seqNum or 0)   # the library encodes a missing sequence as 0

    # Body: what the walker read must be what the library was given.
    wanted_tlvs = expected_tlvs(pdu)
    if sorted(wanted_tlvs) != sorted(tlvs):
        missing = [tlv_name(tag) for tag, _ in wanted_tlvs if tag not in [t for t, _ in tlvs]]
        if missing:
            raise LibraryRefused("encoded without error, but the PDU silently lacks %s"
                                 % ", ".join(missing))
        raise AssertionError("%s: TLVs differ: wanted %r, wire %r" % (name, wanted_tlvs, tlvs))
    assert fields == expected_fields(command, pdu.params), \
        "%s: fields differ:\n%r\n%r" % (name, fields, expected_fields(command, pdu.params))

    # The library must accept its own bytes.
    decoded = library_decode(data)
    if not library_equal(decoded, pdu):
        raise LibraryRefused("encoded, but decodes to a different PDU: %r" % decoded.params)
    again = library_encode(decoded)
    if pdu.custom_tlvs:
        # Raw TLVs are not kept by the decoder: re-encoding drops them.
        assert walk(again)[5] == [tlv for tlv in tlvs if tlv[0] not in
                                  [custom[0] for custom in pdu.custom_tlvs]]
    else:
        assert again == data, "%s: decode/encode is not stable" % name

    entry = {
        "name": name,
        "source": SOURCE,
        "hex": data.hex(),
        "command": command,
        "command_id": command_id,
        "command_status": status,
        "sequence_number": sequence,
        "fields": fields,
        "tlvs": [{"tag": tag, "name": tlv_name(tag), "hex": value.hex()} for tag, value in tlvs],
    }
    deviations = [n for n in LIBRARY_TLV_WIDTHS if TLV_SPEC[n][0] in [t for t, _ in tlvs]]
    notes = ([note] if note else []) + [
        "%s is encoded by the library as %s, not as the SMPP 3.4 %s" %
        (n, LIBRARY_TLV_WIDTHS[n], TLV_SPEC[n][1]) for n in deviations]
    if notes:
        entry["note"] = "; ".join(notes)
    return entry


# ---------------------------------------------------------------------------
# The PDUs.  Addresses use the UK's reserved drama range (07700 900xxx).
# ---------------------------------------------------------------------------

ESME_NUMBER = "447700900123"
HANDSET = "447700900456"
INTL = dict(ton=T.AddrTon.INTERNATIONAL, npi=T.AddrNpi.ISDN)
NO_RECEIPT = T.RegisteredDelivery(T.RegisteredDeliveryReceipt.NO_SMSC_DELIVERY_RECEIPT_REQUESTED)
RECEIPT = T.RegisteredDelivery(T.RegisteredDeliveryReceipt.SMSC_DELIVERY_RECEIPT_REQUESTED)
PLAIN_ESM = T.EsmClass(T.EsmClassMode.DEFAULT, T.EsmClassType.DEFAULT)
GSM_DEFAULT = T.DataCoding()    # scheme DEFAULT / SMSC_DEFAULT_ALPHABET -> 0x00
UCS2 = T.DataCoding(T.DataCodingScheme.DEFAULT, T.DataCodingDefault.UCS2)
OK = T.CommandStatus.ESME_ROK
MESSAGE_ID = "7c3f9e2a01"


def src(addr=ESME_NUMBER, ton=T.AddrTon.INTERNATIONAL, npi=T.AddrNpi.ISDN):
    return dict(source_addr_ton=ton, source_addr_npi=npi, source_addr=addr)


def dst(addr=HANDSET, ton=T.AddrTon.INTERNATIONAL, npi=T.AddrNpi.ISDN):
    return dict(dest_addr_ton=ton, dest_addr_npi=npi, destination_addr=addr)


def bind(cls, seq, **overrides):
    params = dict(system_id="tandem", password="secret12", system_type="",
                  interface_version=0x34, addr_ton=T.AddrTon.UNKNOWN,
                  addr_npi=T.AddrNpi.UNKNOWN, address_range="")
    params.update(overrides)
    return cls(seq, OK, **params)


def short_message_pdu(cls, seq, text, source=None, dest=None, **overrides):
    """submit_sm / deliver_sm with every mandatory field spelled out."""
    params = dict(service_type="", esm_class=PLAIN_ESM, protocol_id=0,
                  priority_flag=T.PriorityFlag.LEVEL_0, schedule_delivery_time=None,
                  validity_period=None, registered_delivery=NO_RECEIPT,
                  replace_if_present_flag=T.ReplaceIfPresentFlag.DO_NOT_REPLACE,
                  data_coding=GSM_DEFAULT, sm_default_msg_id=0, short_message=text)
    params.update(source or src())
    params.update(dest or dst())
    params.update(overrides)
    return cls(seq, OK, **params)


def submit_sm(seq, text, **overrides):
    return short_message_pdu(op.SubmitSM, seq, text, **overrides)


def deliver_sm(seq, text, **overrides):
    # Mobile-originated direction: handset -> ESME.
    return short_message_pdu(op.DeliverSM, seq, text, source=src(HANDSET), dest=dst(ESME_NUMBER),
                             **overrides)


def data_sm(seq, **overrides):
    params = dict(service_type="", esm_class=PLAIN_ESM, registered_delivery=NO_RECEIPT,
                  data_coding=GSM_DEFAULT, **src(), **dst())
    params.update(overrides)
    return op.DataSM(seq, OK, **params)


def concatenation_udh(reference, total, part):
    # The library's own UDH encoder builds the 8-bit-reference concatenation IE.
    element = InformationElement(InformationElementIdentifier.CONCATENATED_SM_8BIT_REF_NUM,
                                 IEConcatenatedSM(reference, total, part))
    udh = UserDataHeaderEncoder().encode([element])
    assert udh == bytes([5, 0, 3, reference, total, part]), udh.hex()  # 23.040 layout
    return udh


def receipt_text(stat, err, dlvrd):
    # SMPP 3.4 Appendix B delivery receipt format.
    return gsm_text("id:%s sub:001 dlvrd:%s submit date:2402291230 done date:2402291235 "
                    "stat:%s err:%s Text:Hello from Tandem" % (MESSAGE_ID, dlvrd, stat, err))


def vectors():
    """(name, pdu, note) for every PDU the library is expected to encode."""
    hello = gsm_text("Hello from Tandem")
    payload = gsm_text(" ".join("Segment %02d of a long Tandem message." % i for i in range(1, 11)))
    assert len(payload) > 254      # too long for short_message, hence message_payload

    yield "bind_transmitter", bind(op.BindTransmitter, 1), None
    yield "bind_transmitter_resp", op.BindTransmitterResp(1, OK, system_id="SMSC"), None
    yield "bind_receiver", bind(op.BindReceiver, 2, system_type="VMA", addr_ton=T.AddrTon.INTERNATIONAL,
                                addr_npi=T.AddrNpi.ISDN, address_range="^44770090"), None
    yield "bind_receiver_resp", op.BindReceiverResp(2, OK, system_id="SMSC"), None
    yield ("bind_receiver_resp bind failed",
           op.BindReceiverResp(3, T.CommandStatus.ESME_RBINDFAIL, system_id="SMSC"),
           "the library drops the body (system_id) of a bind response whose status is not 0")
    yield "bind_transceiver", bind(op.BindTransceiver, 4), None
    yield "bind_transceiver_resp", op.BindTransceiverResp(4, OK, system_id="SMSC"), None
    yield ("bind_transceiver_resp sc_interface_version",
           op.BindTransceiverResp(5, OK, system_id="SMSC", sc_interface_version=0x34), None)
    yield "outbind", op.Outbind(6, OK, system_id="SMSC", password="secret12"), None
    yield "unbind", op.Unbind(7, OK), None
    yield "unbind_resp", op.UnbindResp(7, OK), None
    yield "generic_nack invalid command id", op.GenericNack(8, T.CommandStatus.ESME_RINVCMDID), None
    yield ("generic_nack sequence 0", op.GenericNack(None, T.CommandStatus.ESME_RINVCMDLEN),
           "the library refuses sequence_number 0; it models it as None and encodes None as 0")
    yield "enquire_link", op.EnquireLink(0x7FFFFFFF, OK), None
    yield "enquire_link_resp", op.EnquireLinkResp(0x7FFFFFFF, OK), None

    # --- submit_sm and its variants ---
    yield ("submit_sm", submit_sm(10, hello, registered_delivery=RECEIPT,
                                  source=src("Tandem", T.AddrTon.ALPHANUMERIC, T.AddrNpi.UNKNOWN)), None)
    yield "submit_sm_resp", op.SubmitSMResp(10, OK, message_id=MESSAGE_ID), None
    yield ("submit_sm_resp throttled no body",
           op.SubmitSMResp(11, T.CommandStatus.ESME_RTHROTTLED, message_id=MESSAGE_ID),
           "the library was given a message_id but drops the body because the status is not 0")
    yield ("submit_sm gsm text data_coding 0",
           submit_sm(12, gsm_text("Ping? 100% ok! (a+b)*c = \"d\"; #42 & 'x' <y> /z, -w.")), None)
    yield ("submit_sm ucs2 emoji",
           submit_sm(13, "Hi \U0001F600 from Tandem".encode("utf-16-be"), data_coding=UCS2),
           "the emoji U+1F600 is outside UCS-2; it is sent as the UTF-16 surrogate pair d83d de00")
    yield ("submit_sm udh concatenated part 2 of 2",
           submit_sm(14, concatenation_udh(0x2A, 2, 2) + gsm_text("and this is the second part."),
                     esm_class=T.EsmClass(T.EsmClassMode.DEFAULT, T.EsmClassType.DEFAULT,
                                          [T.EsmClassGsmFeatures.UDHI_INDICATOR_SET])), None)
    yield ("submit_sm sar segment 1 of 3",
           submit_sm(15, gsm_text("First of three SAR segments."),
                     sar_msg_ref_num=0x1234, sar_total_segments=3, sar_segment_seqnum=1), None)
    yield ("submit_sm message_payload empty short_message",
           submit_sm(16, b"", message_payload=payload), None)
    yield ("submit_sm absolute schedule and validity",
           submit_sm(17, hello,
                     schedule_delivery_time=datetime(2024, 2, 29, 12, 30, 0, 500000, FixedOffset(60)),
                     validity_period=datetime(2024, 3, 1, 8, 0, 0, 0, FixedOffset(-300))), None)
    yield ("submit_sm relative schedule and validity",
           submit_sm(18, hello, schedule_delivery_time=SMPPRelativeTime(0, 0, 0, 1, 30, 0),
                     validity_period=SMPPRelativeTime(0, 0, 2, 0, 0, 0)), None)
    yield ("submit_sm 8-bit class 1 data_coding 0xf5",
           submit_sm(19, bytes(range(0x00, 0x10)), data_coding=T.DataCoding(
               T.DataCodingScheme.GSM_MESSAGE_CLASS,
               T.DataCodingGsmMsg(T.DataCodingGsmMsgCoding.DATA_8BIT, T.DataCodingGsmMsgClass.CLASS_1))),
           None)
    yield ("submit_sm optional parameters",
           submit_sm(20, hello,
                     esm_class=T.EsmClass(T.EsmClassMode.STORE_AND_FORWARD, T.EsmClassType.DEFAULT,
                                          [T.EsmClassGsmFeatures.SET_REPLY_PATH]),
                     protocol_id=0x7F, priority_flag=T.PriorityFlag.LEVEL_1,
                     registered_delivery=T.RegisteredDelivery(
                         T.RegisteredDeliveryReceipt.SMSC_DELIVERY_RECEIPT_REQUESTED,
                         [T.RegisteredDeliverySmeOriginatedAcks.SME_DELIVERY_ACK_REQUESTED], True),
                     replace_if_present_flag=T.ReplaceIfPresentFlag.REPLACE,
                     user_message_reference=0xBEEF,
                     source_port=0x23F0, destination_port=0x0B84,
                     source_addr_subunit=T.AddrSubunit.MOBILE_EQUIPMENT,
                     dest_addr_subunit=T.AddrSubunit.MS_DISPLAY,
                     more_messages_to_send=T.MoreMessagesToSend.MORE_MESSAGES,
                     payload_type=T.PayloadType.DEFAULT,
                     privacy_indicator=T.PrivacyIndicator.CONFIDENTIAL,
                     callback_num=T.CallbackNum(T.CallbackNumDigitModeIndicator.ASCII,
                                                T.AddrTon.INTERNATIONAL, T.AddrNpi.ISDN, b"447700900999"),
                     source_subaddress=T.Subaddress(T.SubaddressTypeTag.USER_SPECIFIED, b"\x12\x34"),
                     dest_subaddress=T.Subaddress(T.SubaddressTypeTag.NSAP_EVEN, b"\x56\x78\x9a"),
                     user_response_code=7, display_time=T.DisplayTime.INVOKE,
                     sms_signal=b"\x00\x05", number_of_messages=3,
                     language_indicator=T.LanguageIndicator.FRENCH),
           "TLVs come out in the library's fixed per-command order, not the order they were given")
    yield ("submit_sm vendor specific tlv",
           submit_sm(21, hello, custom_tlvs=[(0x1400, None, "OctetString", b"tandem"),
                                             (0x1401, None, "Int2", 0x0102)]),
           "raw custom_tlvs are appended after the named TLVs; the library's decoder "
           "silently discards vendor-specific tags (0x1400-0x3fff) instead of keeping them")

    # --- deliver_sm ---
    yield "deliver_sm", deliver_sm(30, gsm_text("Reply from the handset")), None
    yield ("deliver_sm_resp", op.DeliverSMResp(30, OK, message_id=None),
           "the library insists on a NULL message_id in deliver_sm_resp")
    yield ("deliver_sm delivery receipt undelivered",
           deliver_sm(31, receipt_text("UNDELIV", "001", "000"),
                      esm_class=T.EsmClass(T.EsmClassMode.DEFAULT, T.EsmClassType.SMSC_DELIVERY_RECEIPT),
                      receipted_message_id=MESSAGE_ID, message_state=T.MessageState.UNDELIVERABLE,
                      network_error_code=b"\x03\x00\x01"),
           "network_error_code is taken by the library as 3 raw octets (network type 3 = GSM, error 1)")
    yield ("deliver_sm delivery receipt delivered",
           deliver_sm(32, receipt_text("DELIVRD", "000", "001"),
                      esm_class=T.EsmClass(T.EsmClassMode.DEFAULT, T.EsmClassType.SMSC_DELIVERY_RECEIPT),
                      receipted_message_id=MESSAGE_ID, message_state=T.MessageState.DELIVERED), None)
    yield ("deliver_sm optional parameters",
           deliver_sm(33, gsm_text("Ported reply"),
                      source_port=0x0B84, destination_port=0x23F0, user_message_reference=0xBEEF,
                      more_messages_to_send=T.MoreMessagesToSend.NO_MORE_MESSAGES,
                      payload_type=T.PayloadType.WCMP, privacy_indicator=T.PrivacyIndicator.RESTRICTED,
                      user_response_code=1, language_indicator=T.LanguageIndicator.GERMAN,
                      callback_num=T.CallbackNum(T.CallbackNumDigitModeIndicator.TBCD,
                                                 T.AddrTon.NATIONAL, T.AddrNpi.ISDN, b"\x07\x70\x09"),
                      sar_msg_ref_num=7, sar_total_segments=2, sar_segment_seqnum=2),
           "more_messages_to_send is not a deliver_sm TLV in SMPP 3.4; the library allows it anyway")

    # --- data_sm ---
    yield ("data_sm",
           data_sm(40, message_payload=hello,
                   source_network_type=T.NetworkType.GSM, source_bearer_type=T.BearerType.SMS,
                   dest_network_type=T.NetworkType.GSM, dest_bearer_type=T.BearerType.USSD,
                   dest_telematics_id=0x0001, qos_time_to_live=3600,
                   more_messages_to_send=T.MoreMessagesToSend.NO_MORE_MESSAGES), None)
    yield "data_sm_resp", op.DataSMResp(40, OK, message_id=MESSAGE_ID), None
    yield "data_sm source_telematics_id", data_sm(41, message_payload=hello, source_telematics_id=1), None
    yield ("data_sm_resp delivery failure",
           op.DataSMResp(41, T.CommandStatus.ESME_RDELIVERYFAILURE, message_id="",
                         delivery_failure_reason=T.DeliveryFailureReason.TEMPORARY_NETWORK_ERROR,
                         network_error_code=b"\x03\x00\x22",
                         additional_status_info_text="absent subscriber"), None)

    # --- query / cancel / replace / alert ---
    yield "query_sm", op.QuerySM(50, OK, message_id=MESSAGE_ID, **src()), None
    yield ("query_sm_resp",
           op.QuerySMResp(50, OK, message_id=MESSAGE_ID, final_date=datetime(2024, 2, 29, 12, 35, 0),
                          message_state=T.MessageState.DELIVERED, error_code=None),
           "the library reads error_code 0 back as None, so it is given None here")
    yield "cancel_sm", op.CancelSM(51, OK, service_type="", message_id=MESSAGE_ID, **src(), **dst()), None
    yield "cancel_sm_resp", op.CancelSMResp(51, OK), None
    yield "replace_sm_resp", op.ReplaceSMResp(52, OK), None
    yield ("alert_notification",
           op.AlertNotification(60, OK, **src(HANDSET), esme_addr_ton=T.AddrTon.INTERNATIONAL,
                                esme_addr_npi=T.AddrNpi.ISDN, esme_addr=ESME_NUMBER,
                                ms_availability_status=T.MsAvailabilityStatus.AVAILABLE), None)


# ---------------------------------------------------------------------------
# Things smpp.pdu3 is expected not to manage.  Each is attempted for real and
# the library's answer is recorded; none may end up as a vector.
# ---------------------------------------------------------------------------

def unsupported_commands():
    multi = dict(service_type="", **src(), number_of_dests=2,
                 dest_address=[{"dest_flag": T.DestFlag.SME_ADDRESS, **dst()},
                               {"dest_flag": T.DestFlag.DISTRIBUTION_LIST_NAME, "dl_name": "friends"}],
                 esm_class=PLAIN_ESM, protocol_id=0, priority_flag=T.PriorityFlag.LEVEL_0,
                 schedule_delivery_time=None, validity_period=None, registered_delivery=NO_RECEIPT,
                 replace_if_present_flag=T.ReplaceIfPresentFlag.DO_NOT_REPLACE,
                 data_coding=GSM_DEFAULT, sm_default_msg_id=0, short_message=b"Hello")
    unsuccess = [{**dst("447700900457"), "error_status_code": T.CommandStatus.ESME_RINVDSTADR},
                 {**dst("447700900458"), "error_status_code": T.CommandStatus.ESME_RSUBMITFAIL}]
    replace = dict(message_id=MESSAGE_ID, **src(), schedule_delivery_time=None,
                   validity_period=None, registered_delivery=NO_RECEIPT, sm_default_msg_id=0,
                   short_message=b"Replacement")
    yield "submit_multi", [
        ("one SME address and one distribution list", lambda: op.SubmitMulti(70, OK, **multi))]
    yield "submit_multi_resp", [
        ("unsuccess_sme list of 2", lambda: op.SubmitMultiResp(
            70, OK, message_id=MESSAGE_ID, no_unsuccess=2, no_unsuccess_sme=unsuccess))]
    yield "replace_sm", [
        ("sm_length left to the encoder", lambda: op.ReplaceSM(52, OK, **replace)),
        ("sm_length given explicitly", lambda: op.ReplaceSM(52, OK, sm_length=11, **replace))]


def unsupported_tlvs():
    """name -> attempts: the named parameter on a PDU that allows it, then raw."""
    hello = b"Hello"
    samples = {  # name: (builder taking extra params, named value, raw type, raw value)
        "ms_msg_wait_facilities": (lambda **kw: submit_sm(80, hello, **kw), 0x80, "Int1", 0x80),
        "callback_num_pres_ind": (lambda **kw: submit_sm(80, hello, **kw), 0x01, "Int1", 0x01),
        "callback_num_atag": (lambda **kw: submit_sm(80, hello, **kw), b"\x00Tandem",
                              "OctetString", b"\x00Tandem"),
        "dpf_result": (lambda **kw: op.DataSMResp(80, OK, message_id=MESSAGE_ID, **kw), 1, "Int1", 1),
        "set_dpf": (lambda **kw: data_sm(80, **kw), 1, "Int1", 1),
        "ussd_service_op": (lambda **kw: submit_sm(80, hello, **kw), b"\x02", "OctetString", b"\x02"),
        "ms_validity": (lambda **kw: submit_sm(80, hello, **kw), 1, "Int1", 1),
        "alert_on_message_delivery": (lambda **kw: submit_sm(80, hello, **kw), None, "OctetString", b""),
        "its_reply_type": (lambda **kw: submit_sm(80, hello, **kw), 1, "Int1", 1),
        "its_session_info": (lambda **kw: submit_sm(80, hello, **kw), b"\x01\x02",
                             "OctetString", b"\x01\x02"),
    }
    for name, (build, value, raw_type, raw_value) in samples.items():
        host = build().commandId.name
        attempts = [("named parameter %s on %s" % (name, host), lambda b=build, n=name, v=value: b(**{n: v}))]
        if name == "alert_on_message_delivery":
            # The name submit_sm's optionalParams actually lists.
            attempts.append(("named parameter alert_on_msg_delivery on %s" % host,
                             lambda b=build: b(alert_on_msg_delivery=None)))
        if name == "ms_validity":
            attempts.append(("named parameter ms_validity on deliver_sm",
                             lambda: deliver_sm(80, hello, ms_validity=1)))
        attempts.append(("raw custom_tlvs entry (%s) on %s" % (raw_type, host),
                         lambda b=build, t=TLV_SPEC[name][0], rt=raw_type, rv=raw_value:
                         b(custom_tlvs=[(t, None, rt, rv)])))
        yield name, attempts


def attempt_all(what, attempts):
    """Run each attempt; every one must be refused by the library."""
    results = []
    for how, build in attempts:
        try:
            pdu = build()
        except Exception as error:
            results.append({"how": how, "result": "PDU construction failed: %s: %s"
                                                  % (type(error).__name__, error)})
            continue
        try:
            record(what, pdu)
        except LibraryRefused as refusal:
            results.append({"how": how, "result": str(refusal)})
            continue
        sys.exit("%s (%s) now works with %s: turn it into a vector" % (what, how, SOURCE))
    return results


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: record-smpp-vectors.py OUTPUT.json")
    output = sys.argv[1]

    # Our command table and the library's must agree before anything else.
    assert COMMAND_IDS == C.command_id_name_map, "command_id tables differ"

    entries = [record(name, pdu, note) for name, pdu, note in vectors()]

    unsupported = []
    for command, attempts in unsupported_commands():
        unsupported.append({"kind": "command", "name": command, "command_id": COMMAND_IDS[command],
                            "attempts": attempt_all(command, attempts)})
    for name, attempts in unsupported_tlvs():
        unsupported.append({"kind": "tlv", "name": name, "tag": TLV_SPEC[name][0],
                            "attempts": attempt_all(name, attempts)})

    # Every SMPP 3.4 command and TLV must be either recorded or refused.
    recorded_commands = {e["command"] for e in entries}
    refused_commands = {u["name"] for u in unsupported if u["kind"] == "command"}
    assert set(COMMAND_IDS) == recorded_commands | refused_commands
    assert not recorded_commands & refused_commands
    recorded_tlvs = {t["name"] for e in entries for t in e["tlvs"]} - {"vendor_specific"}
    refused_tlvs = {u["name"] for u in unsupported if u["kind"] == "tlv"}
    assert set(TLV_SPEC) == recorded_tlvs | refused_tlvs
    assert not recorded_tlvs & refused_tlvs

    entries.append({"name": "unsupported by %s" % SOURCE, "source": SOURCE, "unsupported": unsupported})

    folder = os.path.dirname(output)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(output, "w", encoding="ascii") as handle:
        json.dump(entries, handle, indent=2)
        handle.write("\n")
    print("%d vectors, %d unsupported items -> %s" % (len(entries) - 1, len(unsupported), output),
          file=sys.stderr)


if __name__ == "__main__":
    main()

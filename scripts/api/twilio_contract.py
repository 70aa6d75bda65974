#!/usr/bin/env python3
"""Compatibility contract test: drives Tandem's Twilio-Conversations-v1-compatible REST API with
the official `twilio` Python library (PyPI; the version scripts/bootstrap pins) and asserts what
the client returns.

    .venv/bin/python scripts/api/twilio_contract.py [--only SUBSTRING]... [--list]

Environment:
    TANDEM_URL             base URL the server listens on and emits absolute URLs on,
                           e.g. http://127.0.0.1:18080
    TANDEM_ACCOUNT_SID     AC + 32 hex
    TANDEM_AUTH_TOKEN      the account's auth token
    TANDEM_API_KEY_SID     SK... of an API key the server is configured with
    TANDEM_API_KEY_SECRET  its secret

Prints `ok  <name>` or `FAIL <name>: <detail>` per check, then `N passed, M failed`; exits 1 if
any check failed. Every check creates what it needs (with random suffixes in unique names,
identities and phone numbers), so checks are independent and `--only` can run any subset; the
database only needs to be fresh enough that the list endpoints work. The checks that change
account-wide settings (Configuration, Configuration/Webhooks) run last.

Plain Python: stdlib + twilio only.
"""

import argparse
import json
import os
import random
import re
import secrets
import sys
import time
import traceback
from datetime import datetime, timedelta, timezone

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

THIS_FILE = os.path.abspath(__file__)

BASE = ""          # TANDEM_URL without a trailing slash
ACCOUNT_SID = ""
AUTH_TOKEN = ""
API_KEY_SID = ""
API_KEY_SECRET = ""
CLIENT = None      # the account-SID/auth-token client
V1 = None          # CLIENT.conversations.v1

SID_RE = {p: re.compile(r"^%s[0-9a-f]{32}$" % p)
          for p in ("AC", "CH", "MB", "IM", "DY", "US", "RL", "IS", "IG", "WH", "SK")}
V1_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
MISSING = "f" * 32


# ---------------------------------------------------------------------------------------------
# Clients

def make_client(username, password, account_sid=None):
    """A twilio Client pointed at Tandem (method A of TWILIO-API-NOTES §4.1)."""
    client = Client(username, password, account_sid=account_sid, environment={},
                    http_client=TwilioHttpClient(timeout=30))
    client.conversations.base_url = BASE
    return client


# ---------------------------------------------------------------------------------------------
# Helpers

def tag():
    return secrets.token_hex(4)


def phone():
    """+1555 followed by 7 random digits."""
    return "+1555" + "".join(random.choice("0123456789") for _ in range(7))


def unique_name(kind="conv"):
    return "contract-%s-%s" % (kind, secrets.token_hex(6))


def assert_sid(value, prefix, what="sid"):
    assert isinstance(value, str) and SID_RE[prefix].match(value), \
        "%s %r is not %s + 32 lowercase hex" % (what, value, prefix)


def assert_dt(value, what="date_created", near_now=False):
    assert isinstance(value, datetime), \
        "%s %r did not parse as a datetime (needs YYYY-MM-DDTHH:MM:SSZ)" % (what, value)
    if near_now:
        now = datetime.now(timezone.utc)
        assert abs(now - value) < timedelta(minutes=10), \
            "%s %s is not within 10 minutes of now (%s); not UTC?" % (what, value, now)


def assert_url(url, endswith=None, what="url"):
    assert isinstance(url, str) and url.startswith(BASE + "/v1/"), \
        "%s %r is not absolute on %s/v1/" % (what, url, BASE)
    if endswith is not None:
        assert url.endswith("/" + endswith), "%s %r does not end with /%s" % (what, url, endswith)


def assert_links(links, keys=(), what="links"):
    assert isinstance(links, dict), "%s is %r, not an object" % (what, links)
    missing = [k for k in keys if k not in links]
    assert not missing, "%s lacks %s (has %s)" % (what, missing, sorted(links))
    for key, value in links.items():
        assert isinstance(value, str) and value.startswith(BASE + "/v1/"), \
            "%s.%s %r is not absolute on %s/v1/" % (what, key, value, BASE)


def assert_status(response, status, what="call"):
    assert response.status_code == status, \
        "%s returned HTTP %s, expected %s" % (what, response.status_code, status)
    return response.data


def created(response, what="create"):
    return assert_status(response, 201, what)


def ok(response, what="fetch/update"):
    return assert_status(response, 200, what)


def deleted(response, what="delete"):
    assert_status(response, 204, what)
    assert response.data is True, "%s returned %r, expected True (204 with an empty body)" % (
        what, response.data)


def api_error(exc):
    """(status, code, message) of an API error as the twilio library surfaces it, else None.

    Instance calls (create/fetch/update/delete) raise TwilioRestException(status, code, msg). A
    list page that is not HTTP 200 raises a plain TwilioException("Unable to fetch page",
    response) instead; the Twilio error body is then only in the response.
    """
    if isinstance(exc, TwilioRestException):
        return exc.status, exc.code, exc.msg or ""
    if isinstance(exc, TwilioException) and len(exc.args) == 2 and \
            hasattr(exc.args[1], "status_code"):
        response = exc.args[1]
        try:
            body = json.loads(response.text)
        except (TypeError, ValueError):
            body = None
        if not isinstance(body, dict):
            return response.status_code, response.status_code, response.text or ""
        return (response.status_code, body.get("code", response.status_code),
                str(body.get("message", "")))
    return None


def expect_error(call, status, code=None, mentions=None, what="call"):
    """Runs call(); asserts it fails with this HTTP status (and Twilio code, and a message
    naming `mentions`)."""
    try:
        result = call()
        if hasattr(result, "__next__"):   # a stream: drive it
            list(result)
    except TwilioException as exc:
        error = api_error(exc)
        if error is None:
            raise
        got_status, got_code, message = error
        detail = "(got HTTP %s code %s: %r)" % (got_status, got_code, message)
        assert got_status == status, "%s: expected HTTP %s %s" % (what, status, detail)
        if code is not None:
            assert got_code == code, "%s: expected code %s %s" % (what, code, detail)
        if mentions is not None:
            assert mentions in message, \
                "%s: error message should name %r %s" % (what, mentions, detail)
        return exc
    raise AssertionError("%s: expected HTTP %s%s but the call succeeded" % (
        what, status, "" if code is None else " code %s" % code))


def attrs(value, what="attributes"):
    assert isinstance(value, str), "%s %r is not a string" % (what, value)
    try:
        return json.loads(value)
    except ValueError:
        raise AssertionError("%s %r is not JSON" % (what, value))


def parse_instant(text, what):
    assert isinstance(text, str), "%s %r is not a string" % (what, text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AssertionError("%s %r is not an ISO-8601 timestamp" % (what, text))


def sids(items):
    return [item.sid for item in items]


def only_mine(items, mine, key=lambda item: item.sid):
    """The items whose key is in `mine`, in listed order."""
    mine = set(mine)
    return [key(item) for item in items if key(item) in mine]


_default_service = []


def default_service():
    if not _default_service:
        sid = V1.configuration().fetch().default_chat_service_sid
        assert_sid(sid, "IS", "default_chat_service_sid")
        _default_service.append(sid)
    return _default_service[0]


def new_conversation(scope=None, **kw):
    kw.setdefault("friendly_name", "contract " + tag())
    return created((scope or V1).conversations.create_with_http_info(**kw),
                   "conversation create")


def add_sms(conv, address=None, proxy=None, scope=None):
    return created((scope or V1).conversations(conv.sid).participants.create_with_http_info(
        messaging_binding_address=address or phone(),
        messaging_binding_proxy_address=proxy or phone()), "SMS participant create")


def add_chat(conv, identity=None, scope=None):
    return created((scope or V1).conversations(conv.sid).participants.create_with_http_info(
        identity=identity or "alice-" + tag()), "chat participant create")


def close(conv, scope=None):
    closed = ok((scope or V1).conversations(conv.sid).update_with_http_info(state="closed"),
                "close")
    assert closed.state == "closed", "state after closing is %r" % closed.state
    return closed


def new_service():
    return created(V1.services.create_with_http_info(friendly_name="contract svc " + tag()),
                   "service create")


def wait_for(fetch, ready, seconds=3.0):
    """Polls fetch() until ready(result) or the time is up; returns the last result."""
    deadline = time.monotonic() + seconds
    while True:
        result = fetch()
        if ready(result) or time.monotonic() >= deadline:
            return result
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------
# Registry

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


# ---------------------------------------------------------------------------------------------
# Default service, general conventions

@check
def default_service_is_an_IS_sid():
    cfg = V1.configuration().fetch()
    assert_sid(cfg.default_chat_service_sid, "IS", "default_chat_service_sid")
    svc = V1.services(cfg.default_chat_service_sid).fetch()
    assert svc.sid == cfg.default_chat_service_sid


@check
def default_path_conversation_lives_in_default_service():
    conv = new_conversation()
    assert conv.chat_service_sid == default_service(), \
        "chat_service_sid %r != default service %r" % (conv.chat_service_sid, default_service())
    same = V1.services(default_service()).conversations(conv.sid).fetch()
    assert same.sid == conv.sid and same.chat_service_sid == default_service()


@check
def unknown_conversation_sid_is_404_20404():
    missing = "CH" + MISSING
    expect_error(lambda: V1.conversations(missing).fetch(), 404, 20404, what="fetch")
    expect_error(lambda: V1.conversations(missing).update(friendly_name="x"), 404, 20404,
                 what="update")
    expect_error(lambda: V1.conversations(missing).delete(), 404, 20404, what="delete")


@check
def unknown_sids_are_404_20404_for_every_resource():
    conv = new_conversation()
    c = V1.conversations(conv.sid)
    cases = [
        ("participant", lambda: c.participants("MB" + MISSING).fetch()),
        ("message", lambda: c.messages("IM" + MISSING).fetch()),
        ("receipts of missing message", lambda: c.messages("IM" + MISSING).delivery_receipts.list()),
        ("scoped webhook", lambda: c.webhooks("WH" + MISSING).fetch()),
        ("user", lambda: V1.users("US" + MISSING).fetch()),
        ("role", lambda: V1.roles("RL" + MISSING).fetch()),
        ("service", lambda: V1.services("IS" + MISSING).fetch()),
        ("conversation in missing service",
         lambda: V1.services("IS" + MISSING).conversations(conv.sid).fetch()),
        ("address configuration", lambda: V1.address_configurations("IG" + MISSING).fetch()),
        ("participant of missing conversation",
         lambda: V1.conversations("CH" + MISSING).participants.list()),
    ]
    for what, call in cases:
        expect_error(call, 404, 20404, what=what)


# ---------------------------------------------------------------------------------------------
# Services

@check
def service_create_201_with_fields_and_links():
    svc = new_service()
    assert_sid(svc.sid, "IS")
    assert svc.account_sid == ACCOUNT_SID, "account_sid %r" % svc.account_sid
    assert svc.friendly_name.startswith("contract svc ")
    assert_dt(svc.date_created, near_now=True)
    assert_dt(svc.date_updated, "date_updated")
    assert_url(svc.url, endswith=svc.sid)
    assert_links(svc.links, ["conversations", "users", "roles", "configuration",
                             "participant_conversations"])


@check
def service_fetch_200():
    svc = new_service()
    got = ok(V1.services(svc.sid).fetch_with_http_info())
    assert got.sid == svc.sid and got.friendly_name == svc.friendly_name
    assert_dt(got.date_created)


@check
def service_delete_204_then_fetch_404():
    svc = new_service()
    deleted(V1.services(svc.sid).delete_with_http_info())
    expect_error(lambda: V1.services(svc.sid).fetch(), 404, 20404, what="fetch after delete")


@check
def service_list_paged_in_creation_order():
    mine = [new_service().sid for _ in range(5)]
    listed = V1.services.list(page_size=2)
    assert only_mine(listed, mine) == mine, "list(page_size=2) gave %s, created %s" % (
        only_mine(listed, mine), mine)
    streamed = list(V1.services.stream(page_size=2))
    assert only_mine(streamed, mine) == mine, "stream(page_size=2) lost or reordered services"
    assert default_service() in sids(listed), "the default service is not listed"


# ---------------------------------------------------------------------------------------------
# Service-scoped paths

@check
def service_scoped_conversation_participants_messages():
    svc = new_service()
    scope = V1.services(svc.sid)
    name = unique_name()
    conv = new_conversation(scope, unique_name=name)
    assert_sid(conv.sid, "CH")
    assert conv.chat_service_sid == svc.sid, "chat_service_sid %r" % conv.chat_service_sid
    assert_url(conv.url, endswith=conv.sid)
    assert_links(conv.links, ["participants", "messages", "webhooks"])
    assert scope.conversations(name).fetch().sid == conv.sid, "fetch by unique_name"

    alice = add_chat(conv, scope=scope)
    assert_sid(alice.sid, "MB")
    assert alice.chat_service_sid == svc.sid
    sms = add_sms(conv, scope=scope)
    assert sms.messaging_binding["type"] == "sms"
    assert scope.conversations(conv.sid).participants(alice.identity).fetch().sid == alice.sid

    msg = created(scope.conversations(conv.sid).messages.create_with_http_info(
        author=alice.identity, body="hello"))
    assert_sid(msg.sid, "IM")
    assert msg.index == 0 and msg.participant_sid == alice.sid
    assert msg.chat_service_sid == svc.sid
    assert isinstance(msg.delivery, dict) and msg.delivery.get("total") == 1, \
        "delivery %r" % msg.delivery
    receipts = wait_for(
        lambda: scope.conversations(conv.sid).messages(msg.sid).delivery_receipts.list(),
        lambda r: len(r) >= 1)
    assert [r.participant_sid for r in receipts] == [sms.sid], \
        "receipts for %s" % [r.participant_sid for r in receipts]

    got = scope.conversations(conv.sid).messages.list(page_size=2)
    assert sids(got) == [msg.sid]
    by_identity = scope.participant_conversations.list(identity=alice.identity)
    assert only_mine(by_identity, [conv.sid], key=lambda pc: pc.conversation_sid) == [conv.sid]


@check
def service_scoped_users():
    svc = new_service()
    scope = V1.services(svc.sid)
    identity = "user-" + tag()
    user = created(scope.users.create_with_http_info(identity=identity, friendly_name="U"))
    assert_sid(user.sid, "US")
    assert user.chat_service_sid == svc.sid
    assert scope.users(identity).fetch().sid == user.sid, "fetch by identity"
    assert ok(scope.users(user.sid).update_with_http_info(friendly_name="V")).friendly_name == "V"
    expect_error(lambda: scope.users.create(identity=identity), 409, 50201,
                 what="duplicate identity")
    assert user.sid in sids(scope.users.list(page_size=2))
    # the user's conversations, service-scoped
    conv = new_conversation(scope)
    part = add_chat(conv, identity=identity, scope=scope)
    ucs = scope.users(user.sid).user_conversations.list()
    assert [(uc.conversation_sid, uc.participant_sid) for uc in ucs] == [(conv.sid, part.sid)]
    deleted(scope.users(user.sid).delete_with_http_info())
    expect_error(lambda: scope.users(user.sid).fetch(), 404, 20404, what="fetch after delete")


@check
def service_scoped_roles_have_defaults_and_crud():
    svc = new_service()
    scope = V1.services(svc.sid)
    roles = scope.roles.list()
    types = {r.type for r in roles}
    assert {"service", "conversation"} <= types, "role types in a new service: %s" % types
    for role in roles:
        assert_sid(role.sid, "RL")
        assert role.chat_service_sid == svc.sid
    role = created(scope.roles.create_with_http_info(
        friendly_name="contract role " + tag(), type="conversation",
        permission=["sendMessage", "leaveConversation"]))
    assert sorted(role.permissions) == ["leaveConversation", "sendMessage"]
    deleted(scope.roles(role.sid).delete_with_http_info())


@check
def service_conversation_not_visible_in_default_service():
    svc = new_service()
    conv = new_conversation(V1.services(svc.sid))
    expect_error(lambda: V1.conversations(conv.sid).fetch(), 404, 20404,
                 what="default-path fetch of another service's conversation")
    assert conv.sid not in sids(V1.conversations.list()), "listed in the default service"


@check
def default_conversation_not_visible_in_other_service():
    svc = new_service()
    conv = new_conversation()
    expect_error(lambda: V1.services(svc.sid).conversations(conv.sid).fetch(), 404, 20404,
                 what="other-service fetch of a default-service conversation")


@check
def user_identity_is_unique_per_service_only():
    svc = new_service()
    identity = "user-" + tag()
    a = created(V1.users.create_with_http_info(identity=identity))
    b = created(V1.services(svc.sid).users.create_with_http_info(identity=identity))
    assert a.sid != b.sid and a.chat_service_sid != b.chat_service_sid


# ---------------------------------------------------------------------------------------------
# Conversations

@check
def conversation_create_201_with_defaults():
    conv = new_conversation(friendly_name="plain")
    assert_sid(conv.sid, "CH")
    assert conv.account_sid == ACCOUNT_SID, "account_sid %r" % conv.account_sid
    assert_sid(conv.chat_service_sid, "IS", "chat_service_sid")
    assert conv.friendly_name == "plain"
    assert conv.unique_name is None, "unique_name %r" % conv.unique_name
    assert conv.state == "active", "default state %r" % conv.state
    assert conv.attributes == "{}", "default attributes %r" % conv.attributes
    assert_dt(conv.date_created, near_now=True)
    assert_dt(conv.date_updated, "date_updated")
    assert_url(conv.url, endswith=conv.sid)
    assert_links(conv.links, ["participants", "messages", "webhooks"])


@check
def conversation_create_roundtrips_fields():
    name = unique_name()
    attributes = {"ticket": 42, "tags": ["a", "b"], "nested": {"x": None}}
    conv = new_conversation(friendly_name="Full " + name, unique_name=name,
                            attributes=json.dumps(attributes))
    assert conv.friendly_name == "Full " + name
    assert conv.unique_name == name
    assert attrs(conv.attributes) == attributes, "attributes %r" % conv.attributes


@check
def conversation_fetch_by_sid_and_unique_name():
    name = unique_name()
    conv = new_conversation(unique_name=name)
    by_sid = ok(V1.conversations(conv.sid).fetch_with_http_info())
    by_name = ok(V1.conversations(name).fetch_with_http_info())
    assert by_sid.sid == by_name.sid == conv.sid
    assert by_name.unique_name == name
    assert_dt(by_sid.date_created)


@check
def conversation_update_200():
    conv = new_conversation()
    updated = ok(V1.conversations(conv.sid).update_with_http_info(
        friendly_name="renamed", attributes='{"k":"v"}', state="inactive"))
    assert updated.sid == conv.sid
    assert updated.friendly_name == "renamed"
    assert attrs(updated.attributes) == {"k": "v"}
    assert updated.state == "inactive"
    assert_dt(updated.date_updated, "date_updated")
    again = V1.conversations(conv.sid).fetch()
    assert (again.friendly_name, attrs(again.attributes), again.state) == \
        ("renamed", {"k": "v"}, "inactive")
    back = V1.conversations(conv.sid).update(state="active")
    assert back.state == "active"


@check
def conversation_timers_on_create():
    conv = new_conversation(timers_inactive="PT5M", timers_closed="PT10M")
    assert_dt(conv.date_created)
    timers = conv.timers
    assert isinstance(timers, dict), "timers %r" % timers
    for key in ("date_inactive", "date_closed"):
        assert isinstance(timers.get(key), str) and V1_DATE_RE.match(timers[key]), \
            "timers.%s %r" % (key, timers.get(key))
    inactive = parse_instant(timers["date_inactive"], "date_inactive")
    closed = parse_instant(timers["date_closed"], "date_closed")
    slack = timedelta(minutes=2)
    assert abs(inactive - (conv.date_created + timedelta(minutes=5))) < slack, \
        "date_inactive %s is not ~5 min after date_created %s" % (inactive, conv.date_created)
    assert abs(closed - (conv.date_created + timedelta(minutes=10))) < slack, \
        "date_closed %s is not ~10 min after date_created %s" % (closed, conv.date_created)
    fetched = V1.conversations(conv.sid).fetch()
    assert fetched.timers == timers, "fetched timers %r != %r" % (fetched.timers, timers)


@check
def conversation_list_paged_in_creation_order():
    mine = [new_conversation().sid for _ in range(5)]
    listed = V1.conversations.list(page_size=2)
    assert only_mine(listed, mine) == mine, "list(page_size=2) gave %s, created %s" % (
        only_mine(listed, mine), mine)
    streamed = list(V1.conversations.stream(page_size=2))
    assert only_mine(streamed, mine) == mine, "stream(page_size=2) lost or reordered"
    for conv in listed:
        assert_sid(conv.sid, "CH")
        assert_dt(conv.date_created)


@check
def conversation_list_limit_stops_early():
    for _ in range(3):
        new_conversation()
    got = V1.conversations.list(page_size=2, limit=3)
    assert len(got) == 3, "list(page_size=2, limit=3) returned %d" % len(got)
    assert len(V1.conversations.list(limit=1)) == 1


@check
def conversation_page_then_next_page():
    for _ in range(3):
        new_conversation()
    page = V1.conversations.page(page_size=2)
    meta = page._payload.get("meta", {})
    assert meta.get("key") == "conversations", "meta.key %r" % meta.get("key")
    assert meta.get("page_size") == 2, "meta.page_size %r" % meta.get("page_size")
    for key in ("url", "first_page_url", "next_page_url"):
        assert_url(meta.get(key), what="meta." + key)
    first = list(page)
    assert len(first) == 2, "first page has %d records" % len(first)
    second_page = page.next_page()
    assert second_page is not None, "next_page() is None with more records left"
    second = list(second_page)
    assert second and not set(sids(first)) & set(sids(second)), "pages overlap or are empty"
    prev = second_page._payload["meta"].get("previous_page_url")
    assert_url(prev, what="meta.previous_page_url of page 2")


@check
def conversation_list_filtered_by_state():
    active = new_conversation()
    closed = new_conversation()
    close(closed)
    got = V1.conversations.list(state="closed")
    assert closed.sid in sids(got), "closed conversation missing from state=closed"
    assert active.sid not in sids(got), "active conversation listed under state=closed"
    assert all(c.state == "closed" for c in got), "state=closed lists %s" % {c.state for c in got}
    got = V1.conversations.list(state="active")
    assert active.sid in sids(got) and closed.sid not in sids(got)


@check
def conversation_duplicate_unique_name_is_409_50353():
    name = unique_name()
    new_conversation(unique_name=name)
    expect_error(lambda: V1.conversations.create(unique_name=name), 409, 50353)


@check
def conversation_create_closed_is_400_50384():
    expect_error(lambda: V1.conversations.create(friendly_name="x", state="closed"), 400, 50384)


@check
def conversation_bad_state_is_400_20001_naming_State():
    expect_error(lambda: V1.conversations.create(state="bogus"), 400, 20001, mentions="State")
    conv = new_conversation()
    expect_error(lambda: V1.conversations(conv.sid).update(state="bogus"), 400, 20001,
                 mentions="State", what="update")


@check
def conversation_bad_attributes_is_400_20001_naming_Attributes():
    expect_error(lambda: V1.conversations.create(attributes="not json"), 400, 20001,
                 mentions="Attributes")


@check
def malformed_attributes_is_400_20001_on_participant_message_user():
    conv = new_conversation()
    c = V1.conversations(conv.sid)
    expect_error(lambda: c.participants.create(identity="p-" + tag(), attributes="not json"),
                 400, 20001, mentions="Attributes", what="participant")
    expect_error(lambda: c.messages.create(body="x", attributes="{oops"),
                 400, 20001, mentions="Attributes", what="message")
    expect_error(lambda: V1.users.create(identity="u-" + tag(), attributes="[1,"),
                 400, 20001, mentions="Attributes", what="user")


@check
def closed_conversation_update_is_400_50377():
    conv = new_conversation()
    close(conv)
    expect_error(lambda: V1.conversations(conv.sid).update(friendly_name="nope"), 400, 50377)


@check
def closed_conversation_add_participant_is_400_50377():
    conv = new_conversation()
    close(conv)
    c = V1.conversations(conv.sid)
    expect_error(lambda: c.participants.create(identity="late-" + tag()), 400, 50377,
                 what="chat participant")
    expect_error(lambda: c.participants.create(messaging_binding_address=phone(),
                                               messaging_binding_proxy_address=phone()),
                 400, 50377, what="SMS participant")


@check
def closed_conversation_add_message_is_400_50377():
    conv = new_conversation()
    close(conv)
    expect_error(lambda: V1.conversations(conv.sid).messages.create(body="late"), 400, 50377)


@check
def conversation_delete_204_then_404():
    conv = new_conversation()
    deleted(V1.conversations(conv.sid).delete_with_http_info())
    expect_error(lambda: V1.conversations(conv.sid).fetch(), 404, 20404, what="fetch")
    assert conv.sid not in sids(V1.conversations.list()), "deleted conversation still listed"


# ---------------------------------------------------------------------------------------------
# Participants

@check
def participant_chat_create_201():
    conv = new_conversation()
    identity = "alice-" + tag()
    p = add_chat(conv, identity=identity)
    assert_sid(p.sid, "MB")
    assert p.account_sid == ACCOUNT_SID
    assert p.conversation_sid == conv.sid
    assert p.identity == identity
    assert p.messaging_binding is None, "messaging_binding %r" % p.messaging_binding
    assert p.attributes == "{}", "default attributes %r" % p.attributes
    if p.role_sid is not None:
        assert_sid(p.role_sid, "RL", "role_sid")
    assert_dt(p.date_created, near_now=True)
    assert_dt(p.date_updated, "date_updated")
    assert_url(p.url, endswith=p.sid)


@check
def participant_sms_create_has_messaging_binding():
    conv = new_conversation()
    address, proxy = phone(), phone()
    p = add_sms(conv, address, proxy)
    assert_sid(p.sid, "MB")
    assert p.identity is None, "identity %r" % p.identity
    assert p.messaging_binding == {"type": "sms", "address": address, "proxy_address": proxy}, \
        "messaging_binding %r" % p.messaging_binding
    again = V1.conversations(conv.sid).participants(p.sid).fetch()
    assert again.messaging_binding == p.messaging_binding


@check
def participant_fetch_by_sid_and_identity():
    conv = new_conversation()
    p = add_chat(conv)
    by_sid = ok(V1.conversations(conv.sid).participants(p.sid).fetch_with_http_info())
    by_identity = ok(V1.conversations(conv.sid).participants(p.identity).fetch_with_http_info())
    assert by_sid.sid == by_identity.sid == p.sid
    name = unique_name()
    conv2 = new_conversation(unique_name=name)
    p2 = add_chat(conv2)
    assert V1.conversations(name).participants(p2.identity).fetch().sid == p2.sid, \
        "fetch via conversation unique_name + identity"


@check
def participant_update_attributes_and_read_horizon():
    conv = new_conversation()
    p = add_chat(conv)
    V1.conversations(conv.sid).messages.create(body="one")
    stamp = "2024-05-06T07:08:09Z"
    updated = ok(V1.conversations(conv.sid).participants(p.sid).update_with_http_info(
        attributes='{"vip":true}', last_read_message_index=0, last_read_timestamp=stamp))
    assert attrs(updated.attributes) == {"vip": True}
    assert updated.last_read_message_index == 0, \
        "last_read_message_index %r" % updated.last_read_message_index
    assert parse_instant(updated.last_read_timestamp, "last_read_timestamp") == \
        parse_instant(stamp, "sent"), "last_read_timestamp %r" % updated.last_read_timestamp
    fetched = V1.conversations(conv.sid).participants(p.sid).fetch()
    assert fetched.last_read_message_index == 0 and attrs(fetched.attributes) == {"vip": True}


@check
def participant_pair_in_use_is_409_50416():
    address, proxy = phone(), phone()
    add_sms(new_conversation(), address, proxy)
    other = new_conversation()
    expect_error(lambda: V1.conversations(other.sid).participants.create(
        messaging_binding_address=address, messaging_binding_proxy_address=proxy), 409, 50416)


@check
def participant_same_address_with_other_proxy_is_allowed():
    address = phone()
    add_sms(new_conversation(), address, phone())
    p = add_sms(new_conversation(), address, phone())
    assert p.messaging_binding["address"] == address


@check
def participant_pair_freed_by_closing_conversation():
    address, proxy = phone(), phone()
    first = new_conversation()
    add_sms(first, address, proxy)
    close(first)
    p = add_sms(new_conversation(), address, proxy)
    assert p.messaging_binding["proxy_address"] == proxy


@check
def participant_pair_freed_by_removing_participant():
    address, proxy = phone(), phone()
    first = new_conversation()
    p = add_sms(first, address, proxy)
    deleted(V1.conversations(first.sid).participants(p.sid).delete_with_http_info())
    add_sms(new_conversation(), address, proxy)


@check
def participant_identity_twice_is_409_50437():
    conv = new_conversation()
    p = add_chat(conv)
    expect_error(lambda: V1.conversations(conv.sid).participants.create(identity=p.identity),
                 409, 50437)


@check
def participant_address_equal_to_proxy_is_400_50409():
    conv = new_conversation()
    number = phone()
    expect_error(lambda: V1.conversations(conv.sid).participants.create(
        messaging_binding_address=number, messaging_binding_proxy_address=number), 400, 50409)


@check
def participant_list_paged_in_creation_order():
    conv = new_conversation()
    mine = [add_chat(conv).sid for _ in range(3)] + [add_sms(conv).sid for _ in range(2)]
    got = V1.conversations(conv.sid).participants.list(page_size=2)
    assert sids(got) == mine, "list(page_size=2) gave %s, created %s" % (sids(got), mine)
    page = V1.conversations(conv.sid).participants.page(page_size=2)
    assert page._payload["meta"]["key"] == "participants"
    assert len(list(page)) == 2 and page.next_page() is not None


@check
def participant_delete_204_then_404():
    conv = new_conversation()
    p = add_chat(conv)
    deleted(V1.conversations(conv.sid).participants(p.sid).delete_with_http_info())
    expect_error(lambda: V1.conversations(conv.sid).participants(p.sid).fetch(), 404, 20404)
    assert p.sid not in sids(V1.conversations(conv.sid).participants.list())


# ---------------------------------------------------------------------------------------------
# Messages

@check
def message_create_201_indexes_in_order():
    conv = new_conversation()
    msgs = []
    for i in range(3):
        msgs.append(created(V1.conversations(conv.sid).messages.create_with_http_info(
            author="bob-" + tag(), body="body %d" % i, attributes='{"n":%d}' % i)))
    assert [m.index for m in msgs] == [0, 1, 2], "indexes %s" % [m.index for m in msgs]
    m = msgs[1]
    assert_sid(m.sid, "IM")
    assert m.account_sid == ACCOUNT_SID and m.conversation_sid == conv.sid
    assert m.body == "body 1" and attrs(m.attributes) == {"n": 1}
    assert m.author.startswith("bob-")
    assert m.media is None, "media %r" % m.media
    assert_dt(m.date_created, near_now=True)
    assert m.date_updated is None, "date_updated %r before any edit" % m.date_updated
    assert_url(m.url, endswith=m.sid)
    assert_links(m.links, ["delivery_receipts"])


@check
def message_participant_sid_from_author_identity_or_address():
    conv = new_conversation()
    chat = add_chat(conv)
    sms = add_sms(conv)
    c = V1.conversations(conv.sid)
    assert c.messages.create(author=chat.identity, body="a").participant_sid == chat.sid
    assert c.messages.create(author=sms.messaging_binding["address"], body="b") \
        .participant_sid == sms.sid
    stranger = c.messages.create(author="stranger-" + tag(), body="c")
    assert stranger.participant_sid is None, "participant_sid %r" % stranger.participant_sid


@check
def message_default_author_is_system():
    conv = new_conversation()
    m = V1.conversations(conv.sid).messages.create(body="hi")
    assert m.author == "system", "author %r" % m.author
    assert m.participant_sid is None and m.attributes == "{}"


@check
def message_delivery_is_none_without_sms_participants():
    conv = new_conversation()
    add_chat(conv)
    m = V1.conversations(conv.sid).messages.create(body="chat only")
    assert m.delivery is None, "delivery %r" % m.delivery


@check
def message_delivery_counts_sms_recipients():
    conv = new_conversation()
    chat = add_chat(conv)
    sms1, sms2 = add_sms(conv), add_sms(conv)
    c = V1.conversations(conv.sid)
    m = c.messages.create(author=chat.identity, body="to both")
    assert isinstance(m.delivery, dict), "delivery %r" % m.delivery
    assert m.delivery.get("total") == 2, "delivery.total %r" % m.delivery.get("total")
    assert "sent" in m.delivery, "delivery lacks 'sent': %r" % m.delivery
    m = c.messages.create(author=sms1.messaging_binding["address"], body="from sms1")
    assert isinstance(m.delivery, dict) and m.delivery.get("total") == 1, \
        "delivery for a message authored by an SMS participant %r" % m.delivery


@check
def message_fetch_and_update_body():
    conv = new_conversation()
    m = V1.conversations(conv.sid).messages.create(author="a", body="first")
    got = ok(V1.conversations(conv.sid).messages(m.sid).fetch_with_http_info())
    assert got.sid == m.sid and got.body == "first" and got.index == m.index
    upd = ok(V1.conversations(conv.sid).messages(m.sid).update_with_http_info(body="second"))
    assert upd.body == "second" and upd.index == m.index and upd.author == "a"
    assert_dt(upd.date_updated, "date_updated after edit")
    assert upd.date_updated >= upd.date_created
    assert V1.conversations(conv.sid).messages(m.sid).fetch().body == "second"


@check
def message_list_order_and_paging():
    conv = new_conversation()
    c = V1.conversations(conv.sid)
    mine = [c.messages.create(body="m%d" % i).sid for i in range(5)]
    assert sids(c.messages.list()) == mine, "default order is not ascending"
    assert sids(c.messages.list(order="asc", page_size=2)) == mine, "asc, page_size=2"
    assert sids(c.messages.list(order="desc", page_size=2)) == mine[::-1], "desc, page_size=2"
    assert [m.index for m in c.messages.list(order="desc", limit=2)] == [4, 3]
    page = c.messages.page(page_size=2)
    assert page._payload["meta"]["key"] == "messages"
    first = sids(page)
    second = sids(page.next_page())
    assert first + second == mine[:4], "pages %s + %s" % (first, second)


@check
def message_body_over_1600_with_sms_participant_is_400_21617():
    conv = new_conversation()
    add_sms(conv)
    c = V1.conversations(conv.sid)
    expect_error(lambda: c.messages.create(body="x" * 1601), 400, 21617)
    assert len(c.messages.create(body="y" * 1600).body) == 1600, "1600 characters must pass"


@check
def message_body_over_1600_chat_only_is_allowed():
    conv = new_conversation()
    add_chat(conv)
    m = V1.conversations(conv.sid).messages.create(body="z" * 2000)
    assert len(m.body) == 2000


@check
def message_delete_204_then_404_and_index_not_reused():
    conv = new_conversation()
    c = V1.conversations(conv.sid)
    c.messages.create(body="0")
    last = c.messages.create(body="1")
    deleted(c.messages(last.sid).delete_with_http_info())
    expect_error(lambda: c.messages(last.sid).fetch(), 404, 20404)
    assert last.sid not in sids(c.messages.list())
    nxt = c.messages.create(body="2")
    assert nxt.index > last.index, "index %s reused after deleting %s" % (nxt.index, last.index)


# ---------------------------------------------------------------------------------------------
# Delivery receipts

def _receipts(conv_sid, msg_sid, expected):
    return wait_for(lambda: V1.conversations(conv_sid).messages(msg_sid).delivery_receipts.list(),
                    lambda r: len(r) >= expected)


@check
def receipts_one_per_sms_recipient():
    conv = new_conversation()
    chat = add_chat(conv)
    sms = [add_sms(conv), add_sms(conv)]
    m = V1.conversations(conv.sid).messages.create(author=chat.identity, body="receipts")
    receipts = _receipts(conv.sid, m.sid, 2)
    assert sorted(r.participant_sid for r in receipts) == sorted(sids(sms)), \
        "receipt participants %s, SMS participants %s" % (
            [r.participant_sid for r in receipts], sids(sms))
    for r in receipts:
        assert_sid(r.sid, "DY")
        assert r.message_sid == m.sid and r.conversation_sid == conv.sid
        assert r.account_sid == ACCOUNT_SID
        assert isinstance(r.status, str) and r.status, "status %r" % r.status
        assert_dt(r.date_created)
        assert_url(r.url, endswith=r.sid)
    one = receipts[0]
    got = ok(V1.conversations(conv.sid).messages(m.sid).delivery_receipts(one.sid)
             .fetch_with_http_info())
    assert got.sid == one.sid and got.participant_sid == one.participant_sid


@check
def receipts_exclude_the_sms_author():
    conv = new_conversation()
    a, b = add_sms(conv), add_sms(conv)
    m = V1.conversations(conv.sid).messages.create(author=a.messaging_binding["address"],
                                                   body="from a")
    receipts = _receipts(conv.sid, m.sid, 1)
    assert [r.participant_sid for r in receipts] == [b.sid], \
        "receipts for %s" % [r.participant_sid for r in receipts]


@check
def receipts_empty_for_chat_only_conversation():
    conv = new_conversation()
    add_chat(conv)
    m = V1.conversations(conv.sid).messages.create(body="chat")
    assert V1.conversations(conv.sid).messages(m.sid).delivery_receipts.list() == []


# ---------------------------------------------------------------------------------------------
# Users

@check
def user_create_201_and_fetch_by_sid_and_identity():
    identity = "user-" + tag()
    u = created(V1.users.create_with_http_info(identity=identity, friendly_name="Alice",
                                               attributes='{"tier":"gold"}'))
    assert_sid(u.sid, "US")
    assert u.account_sid == ACCOUNT_SID and u.chat_service_sid == default_service()
    assert u.identity == identity and u.friendly_name == "Alice"
    assert attrs(u.attributes) == {"tier": "gold"}
    if u.role_sid is not None:
        assert_sid(u.role_sid, "RL", "role_sid")
    assert_dt(u.date_created, near_now=True)
    assert_url(u.url, endswith=u.sid)
    assert_links(u.links, ["user_conversations"])
    assert ok(V1.users(u.sid).fetch_with_http_info()).identity == identity
    assert ok(V1.users(identity).fetch_with_http_info()).sid == u.sid


@check
def user_update_friendly_name():
    u = V1.users.create(identity="user-" + tag())
    upd = ok(V1.users(u.sid).update_with_http_info(friendly_name="Renamed",
                                                   attributes='{"a":1}'))
    assert upd.friendly_name == "Renamed" and attrs(upd.attributes) == {"a": 1}
    assert V1.users(u.identity).fetch().friendly_name == "Renamed"


@check
def user_duplicate_identity_is_409_50201():
    u = V1.users.create(identity="user-" + tag())
    expect_error(lambda: V1.users.create(identity=u.identity), 409, 50201)


@check
def user_list_paged_in_creation_order():
    mine = [V1.users.create(identity="user-" + tag()).sid for _ in range(5)]
    got = V1.users.list(page_size=2)
    assert only_mine(got, mine) == mine, "list(page_size=2) gave %s, created %s" % (
        only_mine(got, mine), mine)


@check
def user_delete_204_then_404():
    u = V1.users.create(identity="user-" + tag())
    deleted(V1.users(u.sid).delete_with_http_info())
    expect_error(lambda: V1.users(u.sid).fetch(), 404, 20404)


# ---------------------------------------------------------------------------------------------
# User Conversations

def _user_in_two_conversations():
    user = V1.users.create(identity="uc-" + tag())
    convs, parts = [], []
    for _ in range(2):
        conv = new_conversation(unique_name=unique_name("uc"))
        convs.append(conv)
        parts.append(add_chat(conv, identity=user.identity))
    return user, convs, parts


@check
def user_conversations_list_both():
    user, convs, parts = _user_in_two_conversations()
    ucs = V1.users(user.sid).user_conversations.list(page_size=1)
    got = {uc.conversation_sid: uc for uc in ucs}
    assert sorted(got) == sorted(sids(convs)), "lists %s, expected %s" % (
        sorted(got), sorted(sids(convs)))
    for conv, part in zip(convs, parts):
        uc = got[conv.sid]
        assert uc.participant_sid == part.sid, "participant_sid %r" % uc.participant_sid
        assert uc.user_sid == user.sid and uc.chat_service_sid == default_service()
        assert uc.conversation_state == "active", "conversation_state %r" % uc.conversation_state
        assert uc.unique_name == conv.unique_name and uc.friendly_name == conv.friendly_name
        assert uc.unread_messages_count is None or isinstance(uc.unread_messages_count, int), \
            "unread_messages_count %r" % uc.unread_messages_count
        assert_url(uc.url, endswith=conv.sid)


@check
def user_conversation_fetch_by_sids_and_by_names():
    user, convs, parts = _user_in_two_conversations()
    uc = ok(V1.users(user.sid).user_conversations(convs[0].sid).fetch_with_http_info())
    assert uc.conversation_sid == convs[0].sid and uc.participant_sid == parts[0].sid
    by_names = V1.users(user.identity).user_conversations(convs[0].unique_name).fetch()
    assert by_names.conversation_sid == convs[0].sid, "fetch by identity + unique_name"


@check
def user_conversation_update_notification_level_and_horizon():
    user, convs, parts = _user_in_two_conversations()
    c = V1.conversations(convs[0].sid)
    for i in range(3):
        c.messages.create(body="m%d" % i)
    upd = ok(V1.users(user.sid).user_conversations(convs[0].sid).update_with_http_info(
        notification_level="muted", last_read_message_index=1))
    assert upd.notification_level == "muted", "notification_level %r" % upd.notification_level
    assert upd.last_read_message_index == 1, "last_read_message_index %r" % (
        upd.last_read_message_index)
    again = V1.users(user.sid).user_conversations(convs[0].sid).fetch()
    assert again.notification_level == "muted" and again.last_read_message_index == 1
    assert again.unread_messages_count == 1, \
        "unread_messages_count %r with messages 0..2 read up to 1" % again.unread_messages_count
    part = c.participants(parts[0].sid).fetch()
    assert part.last_read_message_index == 1, \
        "the participant's last_read_message_index %r" % part.last_read_message_index


@check
def user_conversation_delete_leaves_the_conversation():
    user, convs, parts = _user_in_two_conversations()
    deleted(V1.users(user.sid).user_conversations(convs[0].sid).delete_with_http_info())
    expect_error(lambda: V1.conversations(convs[0].sid).participants(parts[0].sid).fetch(),
                 404, 20404, what="participant after leaving")
    left = [uc.conversation_sid for uc in V1.users(user.sid).user_conversations.list()]
    assert left == [convs[1].sid], "user conversations after leaving: %s" % left
    assert V1.conversations(convs[0].sid).fetch().sid == convs[0].sid, \
        "the conversation itself must survive"


# ---------------------------------------------------------------------------------------------
# Address Configurations

def _new_address_configuration(address=None, **kw):
    return created(V1.address_configurations.create_with_http_info(
        type="sms", address=address or phone(), friendly_name=kw.pop("friendly_name", "ac " + tag()),
        auto_creation_enabled=True, auto_creation_type="webhook",
        auto_creation_webhook_url="https://example.com/hook",
        auto_creation_webhook_method="post",
        auto_creation_webhook_filters=["onParticipantAdded", "onMessageAdded"], **kw),
        "address configuration create")


@check
def address_configuration_create_201_and_fetch():
    address = phone()
    ac = _new_address_configuration(address, friendly_name="inbound line")
    assert_sid(ac.sid, "IG")
    assert ac.account_sid == ACCOUNT_SID
    assert ac.type == "sms" and ac.address == address and ac.friendly_name == "inbound line"
    auto = ac.auto_creation
    assert isinstance(auto, dict), "auto_creation %r" % auto
    assert auto.get("enabled") is True and auto.get("type") == "webhook", "auto_creation %r" % auto
    assert auto.get("conversation_service_sid") == default_service(), \
        "auto_creation.conversation_service_sid %r" % auto.get("conversation_service_sid")
    assert auto.get("webhook_url") == "https://example.com/hook"
    assert str(auto.get("webhook_method")).lower() == "post", "webhook_method %r" % (
        auto.get("webhook_method"))
    assert auto.get("webhook_filters") == ["onParticipantAdded", "onMessageAdded"], \
        "webhook_filters %r" % auto.get("webhook_filters")
    assert_dt(ac.date_created, near_now=True)
    assert_url(ac.url, endswith=ac.sid)
    got = ok(V1.address_configurations(ac.sid).fetch_with_http_info())
    assert got.sid == ac.sid and got.auto_creation == auto


@check
def address_configuration_update():
    ac = _new_address_configuration()
    upd = ok(V1.address_configurations(ac.sid).update_with_http_info(
        friendly_name="renamed", auto_creation_enabled=False))
    assert upd.friendly_name == "renamed"
    assert upd.auto_creation.get("enabled") is False, "auto_creation %r" % upd.auto_creation
    assert upd.address == ac.address and upd.type == "sms"
    assert V1.address_configurations(ac.sid).fetch().auto_creation.get("enabled") is False


@check
def address_configuration_list_filtered_by_type():
    mine = [_new_address_configuration().sid for _ in range(3)]
    got = V1.address_configurations.list(type="sms", page_size=2)
    assert only_mine(got, mine) == mine, "list(type=sms, page_size=2) gave %s, created %s" % (
        only_mine(got, mine), mine)
    assert all(ac.type == "sms" for ac in got), "types %s" % {ac.type for ac in got}


@check
def address_configuration_duplicate_address_is_409():
    ac = _new_address_configuration()
    expect_error(lambda: V1.address_configurations.create(type="sms", address=ac.address), 409)


@check
def address_configuration_delete_204_then_404():
    ac = _new_address_configuration()
    deleted(V1.address_configurations(ac.sid).delete_with_http_info())
    expect_error(lambda: V1.address_configurations(ac.sid).fetch(), 404, 20404)


# ---------------------------------------------------------------------------------------------
# Roles

KNOWN_DEFAULT_ROLES = {"service admin", "service user", "channel admin", "channel user"}


@check
def roles_list_has_the_defaults():
    roles = V1.roles.list(page_size=2)
    types = {r.type for r in roles}
    assert {"service", "conversation"} <= types, "role types %s" % types
    names = {r.friendly_name for r in roles}
    assert names & KNOWN_DEFAULT_ROLES, "no default role among %s" % sorted(names)
    for role in roles:
        assert_sid(role.sid, "RL")
        assert role.chat_service_sid == default_service()
        assert isinstance(role.permissions, list) and role.permissions, \
            "%s has permissions %r" % (role.friendly_name, role.permissions)


@check
def role_create_update_delete():
    name = "contract role " + tag()
    role = created(V1.roles.create_with_http_info(
        friendly_name=name, type="conversation",
        permission=["sendMessage", "leaveConversation"]))
    assert_sid(role.sid, "RL")
    assert role.friendly_name == name and role.type == "conversation"
    assert sorted(role.permissions) == ["leaveConversation", "sendMessage"], \
        "permissions %r" % role.permissions
    assert_dt(role.date_created, near_now=True)
    assert_url(role.url, endswith=role.sid)
    upd = ok(V1.roles(role.sid).update_with_http_info(permission=["sendMessage"]))
    assert upd.permissions == ["sendMessage"], "permissions after update %r" % upd.permissions
    assert V1.roles(role.sid).fetch().permissions == ["sendMessage"]
    assert role.sid in sids(V1.roles.list())
    deleted(V1.roles(role.sid).delete_with_http_info())
    expect_error(lambda: V1.roles(role.sid).fetch(), 404, 20404)


@check
def role_bad_type_is_400_20001_naming_Type():
    expect_error(lambda: V1.roles.create(friendly_name="r " + tag(), type="bogus",
                                         permission=["sendMessage"]),
                 400, 20001, mentions="Type")


# ---------------------------------------------------------------------------------------------
# Participant Conversations

@check
def participant_conversations_by_address():
    address = phone()
    proxies = [phone(), phone()]
    convs, parts = [], []
    for proxy in proxies:
        conv = new_conversation(friendly_name="pc " + tag())
        convs.append(conv)
        parts.append(add_sms(conv, address, proxy))
    got = V1.participant_conversations.list(address=address, page_size=1)
    by_conv = {pc.conversation_sid: pc for pc in got}
    assert sorted(by_conv) == sorted(sids(convs)), "lists %s, expected %s" % (
        sorted(by_conv), sorted(sids(convs)))
    for conv, part, proxy in zip(convs, parts, proxies):
        pc = by_conv[conv.sid]
        assert pc.participant_sid == part.sid
        binding = pc.participant_messaging_binding
        assert isinstance(binding, dict) and binding.get("address") == address \
            and binding.get("proxy_address") == proxy, "participant_messaging_binding %r" % binding
        assert pc.conversation_state == "active" and pc.conversation_friendly_name == \
            conv.friendly_name
        assert pc.chat_service_sid == default_service()
        assert_dt(pc.conversation_date_created, "conversation_date_created")
        assert_links(pc.links, ["participant", "conversation"])


@check
def participant_conversations_by_identity():
    identity = "alice-" + tag()
    convs = [new_conversation(), new_conversation()]
    parts = [add_chat(conv, identity=identity) for conv in convs]
    got = V1.participant_conversations.list(identity=identity)
    assert sorted((pc.conversation_sid, pc.participant_sid) for pc in got) == \
        sorted(zip(sids(convs), sids(parts))), "lists %s" % [
            (pc.conversation_sid, pc.participant_sid) for pc in got]
    assert all(pc.participant_identity == identity for pc in got)
    assert all(pc.participant_messaging_binding is None for pc in got), \
        "chat participants have no binding"


# ---------------------------------------------------------------------------------------------
# ConversationWithParticipants

@check
def conversation_with_participants_creates_both():
    address, proxy, identity = phone(), phone(), "bob-" + tag()
    response = V1.conversation_with_participants.create_with_http_info(
        friendly_name="cwp " + tag(), unique_name=unique_name("cwp"),
        participant=[json.dumps({"messaging_binding": {"address": address,
                                                       "proxy_address": proxy}}),
                     json.dumps({"identity": identity})])
    assert response.status_code in (201, 202), "HTTP %s" % response.status_code
    conv = response.data
    assert_sid(conv.sid, "CH")
    assert conv.chat_service_sid == default_service()
    assert_links(conv.links, ["participants", "messages"])
    parts = V1.conversations(conv.sid).participants.list()
    assert len(parts) == 2, "%d participants" % len(parts)
    bindings = [p.messaging_binding for p in parts if p.messaging_binding]
    assert bindings == [{"type": "sms", "address": address, "proxy_address": proxy}], \
        "bindings %r" % bindings
    assert [p.identity for p in parts if p.identity] == [identity]


@check
def conversation_with_participants_pair_in_use_is_409_50425_and_leaves_nothing():
    address, proxy = phone(), phone()
    add_sms(new_conversation(), address, proxy)
    friendly, name = "cwp-fail " + tag(), unique_name("cwp")
    expect_error(lambda: V1.conversation_with_participants.create(
        friendly_name=friendly, unique_name=name,
        participant=[json.dumps({"identity": "carol-" + tag()}),
                     json.dumps({"messaging_binding": {"address": address,
                                                       "proxy_address": proxy}})]),
        409, 50425)
    expect_error(lambda: V1.conversations(name).fetch(), 404, 20404,
                 what="fetch by the failed call's unique_name")
    leftovers = [c.sid for c in V1.conversations.list() if c.friendly_name == friendly]
    assert not leftovers, "conversations left behind: %s" % leftovers


# ---------------------------------------------------------------------------------------------
# Conversation-scoped webhooks

@check
def conversation_webhook_crud():
    conv = new_conversation()
    hooks = V1.conversations(conv.sid).webhooks
    wh = created(hooks.create_with_http_info(
        target="webhook", configuration_url="https://example.com/scoped",
        configuration_method="post", configuration_filters=["onMessageAdded"]))
    assert_sid(wh.sid, "WH")
    assert wh.conversation_sid == conv.sid and wh.account_sid == ACCOUNT_SID
    assert wh.target == "webhook"
    cfg = wh.configuration
    assert isinstance(cfg, dict), "configuration %r" % cfg
    assert cfg.get("url") == "https://example.com/scoped", "configuration %r" % cfg
    assert str(cfg.get("method")).lower() == "post", "configuration.method %r" % cfg.get("method")
    assert cfg.get("filters") == ["onMessageAdded"], "configuration.filters %r" % cfg.get("filters")
    assert_dt(wh.date_created, near_now=True)
    assert_url(wh.url, endswith=wh.sid)

    got = ok(V1.conversations(conv.sid).webhooks(wh.sid).fetch_with_http_info())
    assert got.sid == wh.sid and got.configuration.get("url") == cfg["url"]

    upd = ok(V1.conversations(conv.sid).webhooks(wh.sid).update_with_http_info(
        configuration_url="https://example.com/scoped2",
        configuration_filters=["onMessageAdded", "onParticipantAdded"]))
    assert upd.configuration.get("url") == "https://example.com/scoped2"
    assert upd.configuration.get("filters") == ["onMessageAdded", "onParticipantAdded"], \
        "filters after update %r" % upd.configuration.get("filters")
    assert upd.target == "webhook"

    assert sids(hooks.list()) == [wh.sid]
    assert hooks.page()._payload["meta"]["key"] == "webhooks"
    deleted(V1.conversations(conv.sid).webhooks(wh.sid).delete_with_http_info())
    expect_error(lambda: V1.conversations(conv.sid).webhooks(wh.sid).fetch(), 404, 20404)
    assert hooks.list() == []


# ---------------------------------------------------------------------------------------------
# Auth

@check
def api_key_client_creates_and_fetches():
    client = make_client(API_KEY_SID, API_KEY_SECRET, account_sid=ACCOUNT_SID)
    v1 = client.conversations.v1
    conv = created(v1.conversations.create_with_http_info(friendly_name="via api key"))
    assert conv.account_sid == ACCOUNT_SID, "account_sid %r" % conv.account_sid
    assert v1.conversations(conv.sid).fetch().friendly_name == "via api key"
    assert V1.conversations(conv.sid).fetch().sid == conv.sid, "not visible to the token client"


def _wrong_token_v1():
    return make_client(ACCOUNT_SID, "wrong" + secrets.token_hex(14)).conversations.v1


@check
def wrong_token_list_is_401_20003():
    expect_error(lambda: _wrong_token_v1().conversations.list(), 401, 20003)


@check
def wrong_token_fetch_existing_is_401_20003():
    conv = new_conversation()
    expect_error(lambda: _wrong_token_v1().conversations(conv.sid).fetch(), 401, 20003)


@check
def wrong_token_fetch_missing_is_401_20003_not_404():
    expect_error(lambda: _wrong_token_v1().conversations("CH" + MISSING).fetch(), 401, 20003)
    expect_error(lambda: _wrong_token_v1().conversations("no-such-unique-name").fetch(),
                 401, 20003, what="by unique_name")


@check
def wrong_token_create_is_401_and_creates_nothing():
    name = unique_name()
    expect_error(lambda: _wrong_token_v1().conversations.create(unique_name=name), 401, 20003)
    expect_error(lambda: V1.conversations(name).fetch(), 404, 20404,
                 what="the rejected create left a conversation")


@check
def wrong_api_key_secret_is_401_20003():
    v1 = make_client(API_KEY_SID, "wrong" + secrets.token_hex(14),
                     account_sid=ACCOUNT_SID).conversations.v1
    expect_error(lambda: v1.conversations.list(), 401, 20003)


@check
def unknown_account_sid_is_401_20003():
    v1 = make_client("AC" + secrets.token_hex(16), AUTH_TOKEN).conversations.v1
    expect_error(lambda: v1.conversations.list(), 401, 20003)


# ---------------------------------------------------------------------------------------------
# Configuration (account-wide settings change here: these run last)

@check
def service_configuration_roundtrip():
    svc = new_service()
    cfg_list = V1.services(svc.sid).configuration
    cfg = ok(cfg_list().fetch_with_http_info())
    assert cfg.chat_service_sid == svc.sid, "chat_service_sid %r" % cfg.chat_service_sid
    assert_url(cfg.url, endswith="Configuration")
    role_sids = set(sids(V1.services(svc.sid).roles.list()))
    for key in ("default_conversation_creator_role_sid", "default_conversation_role_sid",
                "default_chat_service_role_sid"):
        value = getattr(cfg, key)
        if value is not None:
            assert_sid(value, "RL", key)
            assert value in role_sids, "%s %s is not one of the service's roles" % (key, value)
    upd = ok(cfg_list().update_with_http_info(reachability_enabled=True))
    assert upd.reachability_enabled is True, "reachability_enabled %r" % upd.reachability_enabled
    assert cfg_list().fetch().reachability_enabled is True
    assert cfg_list().update(reachability_enabled=False).reachability_enabled is False


@check
def service_webhook_configuration_roundtrip():
    svc = new_service()
    hooks = V1.services(svc.sid).configuration.webhooks
    before = ok(hooks().fetch_with_http_info())
    assert before.chat_service_sid == svc.sid
    filters = ["onMessageAdded", "onConversationAdded"]
    upd = ok(hooks().update_with_http_info(post_webhook_url="https://example.com/svc-post",
                                           filters=filters, method="POST"))
    assert upd.post_webhook_url == "https://example.com/svc-post"
    assert upd.filters == filters, "filters %r" % upd.filters
    assert upd.method == "POST", "method %r" % upd.method
    again = hooks().fetch()
    assert (again.post_webhook_url, again.filters, again.method) == \
        ("https://example.com/svc-post", filters, "POST")
    assert_url(again.url)


@check
def configuration_fetch():
    cfg = ok(V1.configuration().fetch_with_http_info())
    assert cfg.account_sid == ACCOUNT_SID, "account_sid %r" % cfg.account_sid
    assert_sid(cfg.default_chat_service_sid, "IS", "default_chat_service_sid")
    assert_url(cfg.url, endswith="Configuration")
    assert_links(cfg.links, ["service", "webhooks"])


@check
def configuration_update_timers_roundtrip():
    original = V1.configuration().fetch()
    try:
        upd = ok(V1.configuration().update_with_http_info(default_inactive_timer="PT1M",
                                                          default_closed_timer="PT10M"))
        assert upd.default_inactive_timer == "PT1M", "default_inactive_timer %r" % (
            upd.default_inactive_timer)
        assert upd.default_closed_timer == "PT10M", "default_closed_timer %r" % (
            upd.default_closed_timer)
        assert upd.default_chat_service_sid == original.default_chat_service_sid
        again = V1.configuration().fetch()
        assert (again.default_inactive_timer, again.default_closed_timer) == ("PT1M", "PT10M")
    finally:
        restore = {k: getattr(original, k) for k in ("default_inactive_timer",
                                                     "default_closed_timer")
                   if getattr(original, k) is not None}
        if restore:
            V1.configuration().update(**restore)


@check
def configuration_webhooks_roundtrip():
    hooks = V1.configuration.webhooks
    before = ok(hooks().fetch_with_http_info())
    assert before.account_sid == ACCOUNT_SID
    filters = ["onMessageAdded", "onConversationUpdated"]
    upd = ok(hooks().update_with_http_info(pre_webhook_url="https://example.com/acct-pre",
                                           post_webhook_url="https://example.com/acct-post",
                                           filters=filters, method="POST"))
    assert upd.pre_webhook_url == "https://example.com/acct-pre"
    assert upd.post_webhook_url == "https://example.com/acct-post"
    assert upd.filters == filters, "filters %r" % upd.filters
    assert upd.method == "POST", "method %r" % upd.method
    again = hooks().fetch()
    assert (again.pre_webhook_url, again.post_webhook_url, again.filters, again.method) == \
        ("https://example.com/acct-pre", "https://example.com/acct-post", filters, "POST")
    assert_url(again.url)


# ---------------------------------------------------------------------------------------------
# Runner

def describe(exc):
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) == THIS_FILE]
    # frames[0] is the runner, frames[1] the check's own line, frames[-1] where it was raised
    where = ""
    if frames:
        outer = frames[1] if len(frames) > 1 else frames[-1]
        where = " [%s line %d" % (outer.name, outer.lineno)
        if frames[-1] is not outer:
            where += ", raised in %s line %d" % (frames[-1].name, frames[-1].lineno)
        where += "]"
    if isinstance(exc, AssertionError):
        text = str(exc) or "assertion failed: %s" % (frames[-1].line if frames else "?")
    elif isinstance(exc, TwilioRestException):
        text = "unexpected TwilioRestException HTTP %s code %s: %s (%s %s)" % (
            exc.status, exc.code, exc.msg, exc.method, exc.uri)
    elif api_error(exc) is not None:
        status, code, message = api_error(exc)
        text = "unexpected list error HTTP %s code %s: %s" % (status, code, message)
    else:
        text = "%s: %s" % (type(exc).__name__, exc)
    text = " ".join(text.split())
    if len(text) > 400:
        text = text[:400] + "..."
    return text + where


def main():
    global BASE, ACCOUNT_SID, AUTH_TOKEN, API_KEY_SID, API_KEY_SECRET, CLIENT, V1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="SUBSTRING",
                        help="run only checks whose name contains SUBSTRING (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the check names and exit")
    args = parser.parse_args()

    selected = [fn for fn in CHECKS
                if not args.only or any(s in fn.__name__ for s in args.only)]
    if args.list:
        for fn in selected:
            print(fn.__name__)
        return 0
    if not selected:
        print("no check matches %s" % args.only, file=sys.stderr)
        return 2

    env = {k: os.environ.get(k, "") for k in ("TANDEM_URL", "TANDEM_ACCOUNT_SID",
                                              "TANDEM_AUTH_TOKEN", "TANDEM_API_KEY_SID",
                                              "TANDEM_API_KEY_SECRET")}
    missing = [k for k, v in env.items() if not v]
    if missing:
        print("twilio_contract: set %s" % ", ".join(missing), file=sys.stderr)
        return 2
    BASE = env["TANDEM_URL"].rstrip("/")
    ACCOUNT_SID = env["TANDEM_ACCOUNT_SID"]
    AUTH_TOKEN = env["TANDEM_AUTH_TOKEN"]
    API_KEY_SID = env["TANDEM_API_KEY_SID"]
    API_KEY_SECRET = env["TANDEM_API_KEY_SECRET"]
    CLIENT = make_client(ACCOUNT_SID, AUTH_TOKEN)
    V1 = CLIENT.conversations.v1

    passed = failed = 0
    for fn in selected:
        try:
            fn()
        except Exception as exc:  # AssertionError, TwilioRestException, connection errors...
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, describe(exc)), flush=True)
        else:
            passed += 1
            print("ok  %s" % fn.__name__, flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

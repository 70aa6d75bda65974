#!/usr/bin/env python3
"""Prints a message's delivery summary and receipts as the official twilio client reads them.

    TANDEM_URL=… TANDEM_ACCOUNT_SID=… TANDEM_AUTH_TOKEN=… .venv/bin/python scripts/api/delivery_status.py CH… IM…

Output: one JSON object {"delivery": {...}, "receipts": [{"status", "participant_sid",
"channel_message_sid", "error_code"}, ...]}.
"""
import json
import os
import sys

from twilio.rest import Client


def main():
    conversation, message = sys.argv[1], sys.argv[2]
    client = Client(os.environ["TANDEM_ACCOUNT_SID"], os.environ["TANDEM_AUTH_TOKEN"], environment={})
    client.conversations.base_url = os.environ["TANDEM_URL"]
    fetched = client.conversations.v1.conversations(conversation).messages(message).fetch()
    receipts = client.conversations.v1.conversations(conversation).messages(message).delivery_receipts.list()
    print(json.dumps({
        "delivery": fetched.delivery,
        "receipts": [{"status": r.status, "participant_sid": r.participant_sid,
                      "channel_message_sid": r.channel_message_sid, "error_code": r.error_code} for r in receipts],
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Local development helpers for `make run`: seed the Twilio secret, the call-context token
and table into a local moto_server, and print example requests signed the way Twilio signs
them, then the call-context request Synthflow's pre-call action would make.

    python scripts/local_webhook.py seed     --endpoint http://127.0.0.1:5055 --secret-id ID --token TOKEN \
                                             [--table T --context-secret-id ID --context-token TOKEN]
    python scripts/local_webhook.py examples --url http://localhost:9000/lambda-url/redirect-call/redirect_call --token TOKEN \
                                             [--context-url URL --context-token TOKEN]
    python scripts/local_webhook.py ports-free 9000 5055   # fails when one is already taken
"""

import argparse
import json
import shlex
import socket
import sys
from urllib.parse import urlencode

import boto3

from local_provision import local_client, store, wait_until_up
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC00000000000000000000000000000000"
CALL_SID = "CA0123456789abcdef0123456789abcdef"
# The GET example is another call: its dial must not overwrite the first call's context,
# which the last example fetches.
GET_CALL_SID = "CAfedcba9876543210fedcba9876543210"
NUMBER = "+14155550123"


def seed(args):
    client = local_client(args.endpoint)
    wait_until_up(client)
    store(client, args.secret_id, {"account_sid": ACCOUNT_SID, "auth_token": args.token})
    if args.table:
        store(client, args.context_secret_id, {"token": args.context_token})
        create_table(args.endpoint, args.table)


def create_table(endpoint, name):
    """The call-context table as template.yaml declares it: keyed by CallSid, TTL on expires_at."""
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test")
    try:
        dynamodb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "CallSid", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "CallSid", "KeyType": "HASH"}])
    except dynamodb.exceptions.ResourceInUseException:
        return
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"AttributeName": "expires_at", "Enabled": True})


def examples(args):
    validator = RequestValidator(args.token)
    form = [("CallSid", CALL_SID), ("Called", NUMBER), ("Direction", "inbound"), ("From", "+16175551212")]
    body = urlencode(form)
    get_url = f"{args.url}?{urlencode([('CallSid', GET_CALL_SID), ('Called', NUMBER)])}"
    get_signature = validator.compute_signature(get_url, {})
    q = shlex.quote
    print("  # Twilio's default: POST with a form body, signed")
    post(args.url, form, validator)
    print()
    print("  # GET with the parameters in the query, signed")
    print(f"  curl -i {q(get_url)} -H {q('X-Twilio-Signature: ' + get_signature)}")
    print()
    print("  # unsigned: 403")
    print(f"  curl -i -X POST {q(args.url)} -H 'Content-Type: application/x-www-form-urlencoded' --data {q(body)}")
    base = args.url.removesuffix("/redirect_call")
    for comment, route, extra in (
        ("# a transfer Synthflow asked for (SIP REFER) to a number no allow-list names: refused, "
         "the agent again", "/refer", [("ReferTransferTarget", "tel:+19005550100")]),
        ("# the agent leg ended busy: the fallback", "/dial_status",
         [("DialCallStatus", "busy"), ("DialSipResponseCode", "486")]),
    ):
        print()
        print(f"  {comment}")
        post(f"{base}{route}", form + extra, validator)
    if args.context_url:
        print()
        print("  # after the first request has dialed: that call's context, as Synthflow's pre-call action asks for it")
        print(f"  curl -i -X POST {q(args.context_url)} \\")
        print(f"    -H {q('Authorization: Bearer ' + args.context_token)} \\")
        print("    -H 'Content-Type: application/json' \\")
        print(f"    --data {q(json.dumps({'twilio_call_sid': CALL_SID}))}")


def post(url, form, validator):
    """Prints a signed form POST to `url`."""
    q = shlex.quote
    signature = validator.compute_signature(url, dict(form))
    print(f"  curl -i -X POST {q(url)} \\")
    print("    -H 'Content-Type: application/x-www-form-urlencoded; charset=utf-8' \\")
    print(f"    -H {q('X-Twilio-Signature: ' + signature)} \\")
    print(f"    --data {q(urlencode(form))}")


def ports_free(args):
    """Fails, naming them, when loopback ports are already taken (another `make run`)."""
    taken = []
    for port in args.ports:
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.socket(family, socket.SOCK_STREAM) as s:
                try:
                    s.bind((host, port))
                except OSError as e:
                    if e.errno != 99:  # EADDRNOTAVAIL: no IPv6 on this machine
                        taken.append(port)
                        break
    if taken:
        print(f"port {', '.join(map(str, sorted(set(taken))))} already in use (another run?); "
              "pick others, e.g. WATCH_PORT=9123 MOTO_PORT=5066", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--endpoint", required=True)
    p.add_argument("--secret-id", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--table")
    p.add_argument("--context-secret-id")
    p.add_argument("--context-token")
    p = sub.add_parser("examples")
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--context-url")
    p.add_argument("--context-token")
    p = sub.add_parser("ports-free")
    p.add_argument("ports", type=int, nargs="+")
    args = parser.parse_args()
    return {"seed": seed, "examples": examples, "ports-free": ports_free}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

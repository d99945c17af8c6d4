#!/usr/bin/env python3
"""Writes the redirect-call test cases: API Gateway HTTP API (payload 2.0) events and the answer
each must get, with the expected TwiML rendered by twilio-python's VoiceResponse.

    python scripts/redirect_call_cases.py          # (re)write events/redirect-call/
    python scripts/redirect_call_cases.py --check  # fail if the committed files differ

Nothing here calls the project's code. Expected SIP URIs follow the rules as published:
  - user part: the call's E.164 number (Called, else To; From for outbound calls),
  - `X-EI={CallSid}` first, then `X-Direction`/`X-Callee` for outbound calls, then configured
    headers, values percent-escaped (every character that is not alphanumeric;
    https://www.twilio.com/docs/voice/twiml/sip),
  - `;transport=tcp|tls` after the port when configured.
Each event is signed with twilio-python's RequestValidator (token TEST_AUTH_TOKEN) for the URL
Twilio would have called, so the cases also hold with signature validation on.
"""

import base64
import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "events" / "redirect-call"

TEST_AUTH_TOKEN = "7f3a9c2e5b1d4f8a6c0e2b4d6f8a0c1e"
PREVIOUS_AUTH_TOKEN = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
OTHER_AUTH_TOKEN = "ffffffffffffffffffffffffffffffff"
ACCOUNT_SID = "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0"
API_ID = "h3x9k2m4p1"
HOST = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
CALL_SID = "CA0123456789abcdef0123456789abcdef"
OUR_NUMBER = "+14155550123"  # the Twilio number, imported into Synthflow and bound to the agent
CALLER = "+16175551212"
DEFAULT_ENDPOINT = "sipin.synthflow.ai:32681"
TWIML = "text/xml"
TEXT = "text/plain; charset=utf-8"
FORM = "application/x-www-form-urlencoded; charset=utf-8"

# Every parameter Twilio sends on a real inbound call
# (https://www.twilio.com/docs/voice/twiml#request-parameters and recorded payloads).
FULL_INBOUND = [
    ("AccountSid", ACCOUNT_SID),
    ("ApiVersion", "2010-04-01"),
    ("CallSid", CALL_SID),
    ("CallStatus", "ringing"),
    ("CallToken", "%7B%22parentCallInfoToken%22%3A%22eyJhbGciOiJFUzI1NiJ9.eyJjYWxsU2lkIjoi%22%7D"),
    ("Called", OUR_NUMBER),
    ("CalledCity", "SAN FRANCISCO"),
    ("CalledCountry", "US"),
    ("CalledState", "CA"),
    ("CalledZip", "94105"),
    ("Caller", CALLER),
    ("CallerCity", "BOSTON"),
    ("CallerCountry", "US"),
    ("CallerState", "MA"),
    ("CallerZip", ""),
    ("Direction", "inbound"),
    ("From", CALLER),
    ("FromCity", "BOSTON"),
    ("FromCountry", "US"),
    ("FromState", "MA"),
    ("FromZip", ""),
    ("StirVerstat", "TN-Validation-Passed-A"),
    ("To", OUR_NUMBER),
    ("ToCity", "SAN FRANCISCO"),
    ("ToCountry", "US"),
    ("ToState", "CA"),
    ("ToZip", "94105"),
]

MINIMAL_INBOUND = [
    ("AccountSid", ACCOUNT_SID),
    ("CallSid", CALL_SID),
    ("Called", OUR_NUMBER),
    ("Caller", CALLER),
    ("Direction", "inbound"),
    ("From", CALLER),
    ("To", OUR_NUMBER),
]


def outbound(direction):
    # An outbound call: our number is From, the party Twilio dialed is To/Called.
    return [
        ("AccountSid", ACCOUNT_SID),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", CALL_SID),
        ("CallStatus", "in-progress"),
        ("Called", CALLER),
        ("Caller", OUR_NUMBER),
        ("Direction", direction),
        ("From", OUR_NUMBER),
        ("To", CALLER),
    ]


def replace(params, **changes):
    """params with the named values replaced (None removes the parameter)."""
    out = []
    for k, v in params:
        if k in changes:
            if changes[k] is not None:
                out.append((k, changes[k]))
        else:
            out.append((k, v))
    return out


class MultiDict(dict):
    """name -> [values], read by RequestValidator through getall() as it reads Flask's MultiDict."""

    def getall(self, name):
        return self[name]


def form_encode(params):
    # Twilio's encoding: application/x-www-form-urlencoded, space as '+', '+' as '%2B'.
    from urllib.parse import urlencode

    return urlencode(params)


def pct(value):
    """Every character that is not an ASCII letter or digit, as %XX of its UTF-8 bytes."""
    return "".join(
        c if c.isascii() and c.isalnum() else "".join(f"%{b:02X}" for b in c.encode())
        for c in value
    )


def sip_uri(number, call_sid, headers=(), endpoint=DEFAULT_ENDPOINT, transport=None):
    uri = f"sip:{number}@{endpoint}"
    if transport in ("tcp", "tls"):
        uri += f";transport={transport}"
    pairs = [("X-EI", call_sid), *headers]
    uri += "?" + "&".join(f"{n}={pct(v)}" for n, v in pairs)
    assert len(uri) < 255, "Twilio's limit"
    return uri


def twiml(uri, env=None, **sip_kwargs):
    """twilio-python's rendering of <Dial><Sip>uri</Sip></Dial> with the env's Dial attributes
    (and <Sip> attributes such as username/password)."""
    env = env or {}
    kwargs = {}
    if "DIAL_ACTION" in env:
        kwargs["action"] = env["DIAL_ACTION"]
    if "DIAL_ANSWER_ON_BRIDGE" in env:
        kwargs["answer_on_bridge"] = env["DIAL_ANSWER_ON_BRIDGE"] == "true"
    if "DIAL_CALLER_ID" in env:
        kwargs["caller_id"] = env["DIAL_CALLER_ID"]
    if "DIAL_RECORD" in env:
        kwargs["record"] = env["DIAL_RECORD"]
    if "DIAL_TIME_LIMIT" in env:
        kwargs["time_limit"] = int(env["DIAL_TIME_LIMIT"])
    if "DIAL_TIMEOUT" in env:
        kwargs["timeout"] = int(env["DIAL_TIMEOUT"])
    response = VoiceResponse()
    response.dial(**kwargs).sip(uri, **sip_kwargs)
    return str(response)


SEED_TWIML = twiml(sip_uri(OUR_NUMBER, CALL_SID))


def event(name, method, params=None, *, query=None, raw_body=None, base64_body=True,
          content_type=FORM, stage="$default", path="/redirect_call", host=HOST,
          sign=True, token=TEST_AUTH_TOKEN, signed_url=None, signed_params=None,
          extra_headers=None):
    """An HTTP API payload 2.0 event as API Gateway delivers it to the function, signed as
    Twilio signs the URL it called (https://{host}{raw path}{?query} unless signed_url says
    otherwise) and, for POST, the body's parameters (or signed_params)."""
    if method == "GET" and query is None and params is not None:
        query = form_encode(params)
    body = raw_body
    if body is None and method != "GET" and params is not None:
        body = form_encode(params)
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    url = signed_url or f"https://{host}{raw_path}" + (f"?{query}" if query else "")
    headers = {
        "accept": "*/*",
        "cache-control": "max-age=259200",
        "host": host,
        "i-twilio-idempotency-token": "5d0e9f4b-8c2a-4e6f-b1d3-7a9c5e2f0b84",
        "user-agent": "TwilioProxy/1.1",
        "x-amzn-trace-id": "Root=1-6749f3a1-0123456789abcdef01234567",
        "x-forwarded-for": "54.172.60.1",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "x-home-region": "us1",
    }
    if body is not None:
        headers["content-length"] = str(len(body.encode()))
        if content_type:
            headers["content-type"] = content_type
    if sign:
        signed = MultiDict()
        if method == "POST" and body is not None:
            pairs = signed_params if signed_params is not None else parse_qsl(
                body, keep_blank_values=True)
            for k, v in pairs:
                signed.setdefault(k, []).append(v)
        headers["x-twilio-signature"] = RequestValidator(token).compute_signature(url, signed)
    headers.update(extra_headers or {})
    # API Gateway invokes the function for its two routes only; anything else would come
    # through a $default route.
    webhook_route = path.endswith("/redirect_call") and method in ("GET", "POST")
    route_key = f"{method} /redirect_call" if webhook_route else "$default"
    ev = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": query or "",
        "headers": headers,
    }
    if query:
        qsp = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            qsp[k] = f"{qsp[k]},{v}" if k in qsp else v
        ev["queryStringParameters"] = qsp
    ev["requestContext"] = {
        "accountId": "123456789012",
        "apiId": API_ID,
        "domainName": host,
        "domainPrefix": host.split(".")[0],
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": "54.172.60.1",
            "userAgent": "TwilioProxy/1.1",
        },
        "requestId": f"{name}-0000",
        "routeKey": route_key,
        "stage": stage,
        "time": "29/Nov/2026:17:34:27 +0000",
        "timeEpoch": 1795974867000,
    }
    if body is not None:
        ev["body"] = base64.b64encode(body.encode()).decode() if base64_body else body
        ev["isBase64Encoded"] = base64_body
    else:
        ev["isBase64Encoded"] = False
    return ev


def twilio_secret(**extra):
    """The JSON of the Twilio secret in Secrets Manager (see README, Deploying)."""
    return {"account_sid": ACCOUNT_SID, "auth_token": TEST_AUTH_TOKEN, **extra}


def ok(name, description, ev, body, env=None, secret=None):
    return {"name": name, "description": description, "event": ev, "env": env or {},
            "secret": secret or twilio_secret(),
            "status": 200, "content_type": TWIML, "body": body}


def rejected(name, description, ev, status, mentions, env=None, secret=None):
    return {"name": name, "description": description, "event": ev, "env": env or {},
            "secret": secret or twilio_secret(),
            "status": status, "content_type": TEXT, "mentions": mentions}


def cases():
    configured_env = {
        "SYNTHFLOW_SIP_ENDPOINT": "sip.us.synthflow.ai:32681",
        "SIP_TRANSPORT": "tcp",
        "SIP_EXTRA_HEADERS": "X-Caller={From},X-Account={AccountSid},X-Env=prod",
        "DIAL_ACTION": "https://hooks.example.com/dial-status?src=twilio&leg=sip",
        "DIAL_ANSWER_ON_BRIDGE": "true",
        "DIAL_CALLER_ID": OUR_NUMBER,
        "DIAL_RECORD": "record-from-answer",
        "DIAL_TIME_LIMIT": "3600",
        "DIAL_TIMEOUT": "45",
    }
    long_name = "Dr. " + "Bartholomew-Alexander " * 9 + "O'Neill-Featherstonehaugh"
    overflow_env = {"SIP_EXTRA_HEADERS": "X-Caller-Name={CallerName},X-Env=prod"}

    yield ok("get-inbound", "GET with the parameters in the query: the seed's form",
             event("get-inbound", "GET", [("Called", OUR_NUMBER), ("CallSid", CALL_SID)]),
             SEED_TWIML)
    yield ok("get-hand-typed-plus",
             "GET typed by hand: Called=+1415… arrives as ' 1415…' after form decoding",
             event("get-hand-typed-plus", "GET", query=f"Called={OUR_NUMBER}&CallSid={CALL_SID}"),
             SEED_TWIML)
    yield ok("post-inbound", "Twilio's default: POST, form body base64-encoded by API Gateway",
             event("post-inbound", "POST", MINIMAL_INBOUND), SEED_TWIML)
    yield ok("post-inbound-full", "POST with every parameter Twilio sends on a real inbound call",
             event("post-inbound-full", "POST", FULL_INBOUND), SEED_TWIML)
    yield ok("post-inbound-text-body", "POST whose form body arrives as plain text",
             event("post-inbound-text-body", "POST", MINIMAL_INBOUND, base64_body=False), SEED_TWIML)
    yield ok("post-inbound-sip-called", "Called is a SIP URI: its E.164 user part is dialed",
             event("post-inbound-sip-called", "POST", replace(
                 MINIMAL_INBOUND,
                 Called=f"sip:{OUR_NUMBER}@acme.sip.twilio.com",
                 To=f"sip:{OUR_NUMBER}@acme.sip.twilio.com;transport=udp")),
             SEED_TWIML)
    yield ok("post-inbound-to-only", "No Called: To is used",
             event("post-inbound-to-only", "POST", replace(MINIMAL_INBOUND, Called=None)), SEED_TWIML)
    yield ok("post-named-stage", "A named API Gateway stage in front of the route",
             event("post-named-stage", "POST", MINIMAL_INBOUND, stage="prod"), SEED_TWIML)
    for direction in ("outbound-api", "outbound-dial"):
        yield ok(f"post-{direction}",
                 f"{direction}: our number (From) is dialed, the callee travels in X-Callee",
                 event(f"post-{direction}", "POST", outbound(direction)),
                 twiml(sip_uri(OUR_NUMBER, CALL_SID,
                               [("X-Direction", direction), ("X-Callee", CALLER)])))
    yield ok("post-configured",
             "Regional endpoint, TCP, extra headers and every Dial attribute configured",
             event("post-configured", "POST", FULL_INBOUND),
             twiml(sip_uri(OUR_NUMBER, CALL_SID,
                           [("X-Caller", CALLER), ("X-Account", ACCOUNT_SID), ("X-Env", "prod")],
                           endpoint="sip.us.synthflow.ai:32681", transport="tcp"),
                   configured_env),
             configured_env)
    yield ok("post-header-overflow",
             "An optional header that would push the URI past 254 characters is dropped; "
             "later ones that fit are kept",
             event("post-header-overflow", "POST", MINIMAL_INBOUND + [("CallerName", long_name)]),
             twiml(sip_uri(OUR_NUMBER, CALL_SID, [("X-Env", "prod")])),
             overflow_env)
    yield ok("post-extra-header-absent",
             "A configured header whose parameter was not sent is left out",
             event("post-extra-header-absent", "POST", MINIMAL_INBOUND),
             twiml(sip_uri(OUR_NUMBER, CALL_SID, [("X-Env", "prod")])),
             overflow_env)

    # Signatures (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
    yield ok("get-named-stage", "GET through a named stage: the stage is part of the signed URL",
             event("get-named-stage", "GET", [("Called", OUR_NUMBER), ("CallSid", CALL_SID)],
                   stage="prod"),
             SEED_TWIML)
    yield ok("post-custom-domain",
             "Custom domain with an API mapping: Twilio signed https://voice.example.com/twilio/…",
             event("post-custom-domain", "POST", MINIMAL_INBOUND, host="voice.example.com",
                   path="/twilio/redirect_call"),
             SEED_TWIML)
    yield ok("post-behind-proxy",
             "A proxy in front: the signed URL comes from PUBLIC_BASE_URL, not from the event",
             event("post-behind-proxy", "POST", MINIMAL_INBOUND,
                   signed_url="https://voice.example.com/twilio/redirect_call"),
             SEED_TWIML, {"PUBLIC_BASE_URL": "https://voice.example.com/twilio"})
    yield ok("post-previous-token", "Signed with the token before rotation, still in the secret",
             event("post-previous-token", "POST", MINIMAL_INBOUND, token=PREVIOUS_AUTH_TOKEN),
             SEED_TWIML, secret=twilio_secret(previous_auth_token=PREVIOUS_AUTH_TOKEN))
    sip_user, sip_password = "synthflow-acme", "p&ss<wo>rd\"'%"
    yield ok("post-sip-credentials",
             "SIP digest credentials from the secret become <Sip username password>",
             event("post-sip-credentials", "POST", MINIMAL_INBOUND),
             twiml(sip_uri(OUR_NUMBER, CALL_SID), username=sip_user, password=sip_password),
             secret=twilio_secret(sip_username=sip_user, sip_password=sip_password))
    yield ok("post-validation-off", "TWILIO_SIGNATURE_VALIDATION=off answers unsigned requests",
             event("post-validation-off", "POST", MINIMAL_INBOUND, sign=False),
             SEED_TWIML, {"TWILIO_SIGNATURE_VALIDATION": "off"})

    forbidden = "X-Twilio-Signature"
    yield rejected("forbidden-unsigned", "No X-Twilio-Signature",
                   event("forbidden-unsigned", "POST", MINIMAL_INBOUND, sign=False), 403, forbidden)
    yield rejected("forbidden-wrong-token", "Signed with another account's token",
                   event("forbidden-wrong-token", "POST", MINIMAL_INBOUND, token=OTHER_AUTH_TOKEN),
                   403, forbidden)
    yield rejected("forbidden-tampered-body", "Called changed after signing",
                   event("forbidden-tampered-body", "POST",
                         replace(MINIMAL_INBOUND, Called="+14155550999"),
                         signed_params=MINIMAL_INBOUND),
                   403, forbidden)
    yield rejected("forbidden-tampered-query", "GET whose query changed after signing",
                   event("forbidden-tampered-query", "GET",
                         query=f"Called=%2B14155550999&CallSid={CALL_SID}",
                         signed_url=f"https://{HOST}/redirect_call?Called=%2B14155550123&CallSid={CALL_SID}"),
                   403, forbidden)
    yield rejected("forbidden-stage-missing", "Named stage, signature made without the stage",
                   event("forbidden-stage-missing", "POST", MINIMAL_INBOUND, stage="prod",
                         signed_url=f"https://{HOST}/redirect_call"),
                   403, forbidden)
    yield rejected("forbidden-blank-dropped", "Signature computed with the blank CalledCity dropped",
                   event("forbidden-blank-dropped", "POST", MINIMAL_INBOUND + [("CalledCity", "")],
                         signed_params=MINIMAL_INBOUND),
                   403, forbidden)
    yield rejected("forbidden-shared-key", "Signed with a webhook shared key (HMAC-SHA256)",
                   event("forbidden-shared-key", "POST", MINIMAL_INBOUND, extra_headers={
                       "x-twilio-webhooks-signature-settings": "key=KS0123,algorithm=HMAC_SHA256"}),
                   403, forbidden)

    bad_called = {
        "at": "+1415@evil.example:5060;x=",
        "semicolon": f"{OUR_NUMBER};transport=tcp",
        "question": f"{OUR_NUMBER}?X-Foo=bar",
        "colon": f"{OUR_NUMBER}:5060",
        "angle": f"<sip:{OUR_NUMBER}@evil.example>",
        "spaces": "+1 415 555 0123",
        "crlf": f"{OUR_NUMBER}\r\nX-Injected: 1",
        "national": "4155550123",
        "anonymous": "anonymous",
        "sip-user": "sip:alice@evil.example",
    }
    for kind, value in bad_called.items():
        yield rejected(f"bad-called-{kind}", f"Called {value!r}: 400, nothing dialed",
                       event(f"bad-called-{kind}", "POST", replace(MINIMAL_INBOUND, Called=value)),
                       400, "Called")
    yield rejected("bad-called-missing", "Neither Called nor To",
                   event("bad-called-missing", "POST", replace(MINIMAL_INBOUND, Called=None, To=None)),
                   400, "Called")
    yield rejected("bad-called-conflict", "Called twice with different values",
                   event("bad-called-conflict", "POST", MINIMAL_INBOUND + [("Called", "+14155550999")]),
                   400, "Called")
    yield rejected("bad-callsid-short", "CallSid not of Twilio's shape",
                   event("bad-callsid-short", "POST", replace(MINIMAL_INBOUND, CallSid="CA123")),
                   400, "CallSid")
    yield rejected("bad-callsid-injection", "CallSid carrying an extra SIP header",
                   event("bad-callsid-injection", "POST",
                         replace(MINIMAL_INBOUND, CallSid=CALL_SID + "&X-Foo=bar")),
                   400, "CallSid")
    yield rejected("bad-callsid-missing", "No CallSid",
                   event("bad-callsid-missing", "POST", replace(MINIMAL_INBOUND, CallSid=None)),
                   400, "CallSid")
    yield rejected("bad-direction", "Direction Twilio never sends",
                   event("bad-direction", "POST", replace(MINIMAL_INBOUND, Direction="sideways")),
                   400, "Direction")
    yield rejected("bad-from-outbound", "Outbound call whose From is not E.164",
                   event("bad-from-outbound", "POST",
                         replace(outbound("outbound-api"), From="client:alice")),
                   400, "From")
    yield rejected("bad-path", "Any other path",
                   event("bad-path", "POST", MINIMAL_INBOUND, path="/voice"), 404, "/redirect_call")
    yield rejected("bad-path-dot-segments", "A path that only resolves to the route",
                   event("bad-path-dot-segments", "POST", MINIMAL_INBOUND,
                         path="/x/../redirect_call/.."),
                   404, "/redirect_call")
    yield rejected("bad-method", "PUT",
                   event("bad-method", "PUT", MINIMAL_INBOUND), 405, "GET or POST")
    yield rejected("bad-content-type", "POST with a JSON body",
                   event("bad-content-type", "POST", raw_body=json.dumps(dict(MINIMAL_INBOUND)),
                         content_type="application/json", base64_body=False),
                   415, "Content-Type")
    yield rejected("bad-charset", "POST form in another charset",
                   event("bad-charset", "POST", MINIMAL_INBOUND,
                         content_type="application/x-www-form-urlencoded; charset=iso-8859-1"),
                   415, "Content-Type")
    yield rejected("bad-raw-query", "Query string with characters no client may send raw",
                   event("bad-raw-query", "GET",
                         query=f'Called=<{OUR_NUMBER}>&CallSid={CALL_SID}&x="a b"'),
                   400, "query string")
    yield rejected("bad-uri-too-long", "A query string far longer than any webhook's",
                   event("bad-uri-too-long", "GET",
                         query=f"Called=%2B14155550123&CallSid={CALL_SID}&Pad={'a' * 20000}"),
                   414, "URI too long")
    not_utf8 = event("bad-body-not-utf8", "POST", MINIMAL_INBOUND)
    not_utf8["body"] = base64.b64encode(form_encode(MINIMAL_INBOUND).encode() + b"&X=\xff\xfe").decode()
    yield rejected("bad-body-not-utf8", "Form body that is not UTF-8", not_utf8, 415, "UTF-8")
    bad_b64 = event("bad-base64", "POST", MINIMAL_INBOUND)
    bad_b64["body"] = "Q2FsbFNpZD1DQT%%%not-base64"
    yield rejected("bad-base64", "Body flagged base64 that is not", bad_b64, 400, "body")


def render():
    files = {}
    manifest = []
    for case in cases():
        file = f"{case['name']}.json"
        files[file] = json.dumps(case.pop("event"), indent=2) + "\n"
        manifest.append({"event": file, **case})
    files["cases.json"] = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    return files


def main():
    check = "--check" in sys.argv[1:]
    files = render()
    stale = []
    for name, text in files.items():
        path = OUT / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    extra = sorted(p.name for p in OUT.glob("*.json") if p.name not in files) if OUT.exists() else []
    if check and (stale or extra):
        print(f"events/redirect-call is out of date ({', '.join(stale + extra)}); "
              "run: .venv/bin/python scripts/redirect_call_cases.py", file=sys.stderr)
        return 1
    if not check:
        for name in extra:
            (OUT / name).unlink()
        print(f"wrote {len(files)} files to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

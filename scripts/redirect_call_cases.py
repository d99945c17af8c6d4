#!/usr/bin/env python3
"""Writes the redirect-call test cases: API Gateway HTTP API (payload 2.0) events and the answer
each must get, with the expected TwiML rendered by twilio-python's VoiceResponse.

    python scripts/redirect_call_cases.py          # (re)write events/redirect-call/
    python scripts/redirect_call_cases.py --check  # fail if the committed files differ

Nothing here calls the project's code. The routes and what each answers (issue #11):
  - /redirect_call, the voice webhook: <Dial action=…/dial_status referUrl=…/refer
    referMethod=POST><Sip>…</Sip></Dial> by default (DIAL_ACTION / DIAL_REFER change or drop
    them; both off gives the seed's plain <Dial><Sip>). Expected SIP URIs follow the rules as
    published:
      - user part: the call's E.164 number (Called, else To; From for outbound calls),
      - `X-EI={CallSid}` first (X_EI_FORMAT=tokens: `E.{CallSid};`,
        https://docs.synthflow.ai/x-ei-sip-header), then `X-Direction`/`X-Callee` for outbound
        calls, then configured headers, values percent-escaped (every character that is not
        alphanumeric; https://www.twilio.com/docs/voice/twiml/sip),
      - `;transport=tcp|tls` after the port when configured.
  - /refer, Twilio's request after Synthflow's SIP REFER
    (https://www.twilio.com/docs/voice/api/refer-to-twilio): ReferTransferTarget is dialed
    (<Number> for tel:/E.164, <Sip> for sip:/sips:) when the allow lists or Synthflow's own hosts
    allow it; anything else, including every injection attempt, is refused with a <Say> and the
    webhook's own <Dial> back to the agent (or <Hangup />).
  - /dial_status, the <Dial action> (https://www.twilio.com/docs/voice/twiml/dial): a finished
    call hangs up, a failed agent leg (DialCallStatus, or a SIP code >= 400) gets the fallback.
  - /fallback, the number's Voice fallback URL: the fallback (say, forward, redirect, hangup).
The URLs written into <Dial> are the request's public base (PUBLIC_BASE_URL, else https://{Host}
+ named stage + custom-domain prefix, as Twilio called it) + the route's path. The expected
transfer targets are written out by hand per case, from the rules, not computed.
Each event is signed with twilio-python's RequestValidator (token TEST_AUTH_TOKEN) for the URL
Twilio would have called, so the cases also hold with signature validation on.
"""

import base64
import json
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

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
DIAL_CALL_SID = "CAfedcba9876543210fedcba9876543210"  # the agent leg <Dial> created
OUR_NUMBER = "+14155550123"  # the Twilio number, imported into Synthflow and bound to the agent
CALLER = "+16175551212"
DEFAULT_ENDPOINT = "sipin.synthflow.ai:32681"
TWIML = "text/xml"
TEXT = "text/plain; charset=utf-8"
FORM = "application/x-www-form-urlencoded; charset=utf-8"

# The function's routes and the methods the template declares for each.
ROUTES = {
    "/redirect_call": ("GET", "POST"),
    "/refer": ("POST",),
    "/dial_status": ("POST",),
    "/fallback": ("GET", "POST"),
}
NOT_FOUND = "not found: the routes are /redirect_call, /refer, /dial_status, /fallback"
GET_OR_POST = "method not allowed: use GET or POST"
POST_ONLY = "method not allowed: use POST"
DEFAULT_REFUSED_MESSAGE = "Sorry, I can't transfer your call to that destination."
DEFAULT_FALLBACK_MESSAGE = "Sorry, our assistant is not available right now. Please call again later."

# The seed examples' answer for a plain inbound call (what DIAL_ACTION=none DIAL_REFER=off keeps).
SEED_TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>'
    f"sip:{OUR_NUMBER}@{DEFAULT_ENDPOINT}?X-EI={CALL_SID}</Sip></Dial></Response>"
)

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

# The parent call's parameters on the requests Twilio makes while the call is up (<Dial
# referUrl>, <Dial action>).
IN_PROGRESS = [
    ("AccountSid", ACCOUNT_SID),
    ("ApiVersion", "2010-04-01"),
    ("CallSid", CALL_SID),
    ("CallStatus", "in-progress"),
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


def refer_params(target, params=IN_PROGRESS):
    """Twilio's request to <Dial referUrl>: the parent call's parameters and the Refer-To URI
    (https://www.twilio.com/docs/voice/api/refer-to-twilio)."""
    return [*params, ("ReferTransferTarget", target)]


def dial_status_params(status, sip_code=None):
    """Twilio's request to <Dial action> after a <Sip> leg
    (https://www.twilio.com/docs/voice/twiml/dial, https://www.twilio.com/docs/voice/api/receiving-sip)."""
    params = [*IN_PROGRESS, ("DialCallSid", DIAL_CALL_SID), ("DialCallStatus", status)]
    if status in ("completed", "answered"):
        params.append(("DialCallDuration", "42"))
    params.append(("DialSipCallId", "3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e@0.0.0.0"))
    if sip_code is not None:
        params.append(("DialSipResponseCode", sip_code))
    return params


def fallback_params():
    """Twilio's request to the number's Voice fallback URL after the webhook failed
    (https://www.twilio.com/docs/errors/11205)."""
    return [*FULL_INBOUND, ("ErrorCode", "11205"), ("ErrorUrl", f"https://{HOST}/redirect_call")]


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
    return urlencode(params)


def pct(value):
    """Every character that is not an ASCII letter or digit, as %XX of its UTF-8 bytes."""
    return "".join(
        c if c.isascii() and c.isalnum() else "".join(f"%{b:02X}" for b in c.encode())
        for c in value
    )


def x_ei(call_sid, env=None):
    """The X-EI value: the bare CallSid (X_EI_FORMAT=callsid, the default, as Synthflow's
    direct-SIP page shows), or Synthflow's token form `E.{CallSid};` (X_EI_FORMAT=tokens)."""
    if (env or {}).get("X_EI_FORMAT") == "tokens":
        return f"E.{call_sid};"
    return call_sid


def sip_uri(number, call_sid, headers=(), endpoint=DEFAULT_ENDPOINT, transport=None, env=None):
    uri = f"sip:{number}@{endpoint}"
    if transport in ("tcp", "tls"):
        uri += f";transport={transport}"
    pairs = [("X-EI", x_ei(call_sid, env)), *headers]
    uri += "?" + "&".join(f"{n}={pct(v)}" for n, v in pairs)
    assert len(uri) < 255, "Twilio's limit"
    return uri


def public_base(ev, env=None):
    """The public base of a request: PUBLIC_BASE_URL, else the URL Twilio called (host, named
    stage, custom-domain prefix: the event's raw path) without the route's path and the query."""
    env = env or {}
    if "PUBLIC_BASE_URL" in env:
        return env["PUBLIC_BASE_URL"]
    raw_path = ev["rawPath"]
    route = next(r for r in ROUTES if raw_path.endswith(r))
    return f"https://{ev['headers']['host']}{raw_path[: -len(route)]}"


def action_attribute(base, env):
    """<Dial action>: the /dial_status URL unless DIAL_ACTION says otherwise (`none`: no action)."""
    action = env.get("DIAL_ACTION")
    if action is None:
        return {"action": f"{base}/dial_status"}
    if action == "none":
        return {}
    return {"action": action}


def refer_attributes(base, env):
    """<Dial referUrl referMethod>: the /refer URL, unless DIAL_REFER=off."""
    if env.get("DIAL_REFER") == "off":
        return {}
    return {"refer_url": f"{base}/refer", "refer_method": "POST"}


def dial_attributes(base, env):
    """The webhook's <Dial> attributes: action and referUrl from the route URLs, the rest from
    the env's DIAL_* settings."""
    kwargs = {**action_attribute(base, env), **refer_attributes(base, env)}
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
    return kwargs


def webhook_dial(response, uri, base, env, **sip_kwargs):
    """Appends the webhook's <Dial><Sip>uri</Sip></Dial> (with <Sip> attributes such as
    username/password) to response."""
    response.dial(**dial_attributes(base, env)).sip(uri, **sip_kwargs)


def twiml(uri, base, env=None, **sip_kwargs):
    """twilio-python's rendering of the webhook's answer for a request whose public base is
    base."""
    response = VoiceResponse()
    webhook_dial(response, uri, base, env or {}, **sip_kwargs)
    return str(response)


def say(response, message, env):
    """<Say> with SAY_VOICE / SAY_LANGUAGE when set."""
    kwargs = {}
    if "SAY_VOICE" in env:
        kwargs["voice"] = env["SAY_VOICE"]
    if "SAY_LANGUAGE" in env:
        kwargs["language"] = env["SAY_LANGUAGE"]
    response.say(message, **kwargs)


def transfer_dial(response, base, env, caller):
    """The <Dial> of an allowed transfer: action and referUrl as the webhook's, callerId only
    when From is E.164 (caller=None otherwise)."""
    kwargs = {**action_attribute(base, env), **refer_attributes(base, env)}
    if caller is not None:
        kwargs["caller_id"] = caller
    return response.dial(**kwargs)


def transfer_to_number(number, base, env=None, caller=CALLER):
    response = VoiceResponse()
    transfer_dial(response, base, env or {}, caller).number(number)
    return str(response)


def transfer_to_sip(uri, base, env=None, caller=CALLER, **sip_kwargs):
    response = VoiceResponse()
    transfer_dial(response, base, env or {}, caller).sip(uri, **sip_kwargs)
    return str(response)


def refused(base, env=None, reconnect_uri=None, **sip_kwargs):
    """A refused transfer: the message, then the webhook's own <Dial> back to the agent
    (TRANSFER_REFUSED=reconnect, when the call's parameters give one: reconnect_uri) or
    <Hangup />."""
    env = env or {}
    response = VoiceResponse()
    say(response, env.get("TRANSFER_REFUSED_MESSAGE", DEFAULT_REFUSED_MESSAGE), env)
    if env.get("TRANSFER_REFUSED", "reconnect") == "reconnect" and reconnect_uri is not None:
        webhook_dial(response, reconnect_uri, base, env, **sip_kwargs)
    else:
        response.hangup()
    return str(response)


def fallback(env=None):
    """What a failed agent leg and the fallback URL get, per FALLBACK_ACTION."""
    env = env or {}
    response = VoiceResponse()
    action = env.get("FALLBACK_ACTION", "say")
    if action == "say":
        say(response, env.get("FALLBACK_MESSAGE", DEFAULT_FALLBACK_MESSAGE), env)
        response.hangup()
    elif action == "forward":
        response.dial().number(env["FALLBACK_NUMBER"])
    elif action == "redirect":
        response.redirect(env["FALLBACK_URL"])
    elif action == "hangup":
        response.hangup()
    else:
        raise ValueError(action)
    return str(response)


def hangup():
    response = VoiceResponse()
    response.hangup()
    return str(response)


def route_key(method, path):
    """API Gateway's routeKey: the declared route and method the path ends with (a custom
    domain's mapping prefix comes before it), else the $default route."""
    for route, methods in ROUTES.items():
        if path.endswith(route) and method in methods:
            return f"{method} {route}"
    return "$default"


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
    key = route_key(method, path)
    ev = {
        "version": "2.0",
        "routeKey": key,
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
        "routeKey": key,
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


def rejected(name, description, ev, status, mentions, env=None, secret=None, allow=None):
    case = {"name": name, "description": description, "event": ev, "env": env or {},
            "secret": secret or twilio_secret(),
            "status": status, "content_type": TEXT, "mentions": mentions}
    if allow is not None:
        case["allow"] = allow  # the Allow header a 405 carries
    return case


SIP_USER, SIP_PASSWORD = "synthflow-acme", "p&ss<wo>rd\"'%"
TRANSFER_ENV = {
    "TRANSFER_ALLOWED_NUMBERS": "+14155550100,+1628*",
    "TRANSFER_ALLOWED_SIP_HOSTS": "pbx.example.com,*.acme.example",
}


def webhook_cases():
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
    plain_uri = sip_uri(OUR_NUMBER, CALL_SID)

    def webhook(name, description, ev, uri=plain_uri, env=None, secret=None, **sip_kwargs):
        return ok(name, description, ev, twiml(uri, public_base(ev, env), env, **sip_kwargs),
                  env, secret)

    yield webhook("get-inbound", "GET with the parameters in the query: the seed's form",
                  event("get-inbound", "GET", [("Called", OUR_NUMBER), ("CallSid", CALL_SID)]))
    yield webhook("get-hand-typed-plus",
                  "GET typed by hand: Called=+1415… arrives as ' 1415…' after form decoding",
                  event("get-hand-typed-plus", "GET",
                        query=f"Called={OUR_NUMBER}&CallSid={CALL_SID}"))
    yield webhook("post-inbound", "Twilio's default: POST, form body base64-encoded by API Gateway",
                  event("post-inbound", "POST", MINIMAL_INBOUND))
    yield webhook("post-inbound-full",
                  "POST with every parameter Twilio sends on a real inbound call",
                  event("post-inbound-full", "POST", FULL_INBOUND))
    yield webhook("post-inbound-text-body", "POST whose form body arrives as plain text",
                  event("post-inbound-text-body", "POST", MINIMAL_INBOUND, base64_body=False))
    yield webhook("post-inbound-sip-called", "Called is a SIP URI: its E.164 user part is dialed",
                  event("post-inbound-sip-called", "POST", replace(
                      MINIMAL_INBOUND,
                      Called=f"sip:{OUR_NUMBER}@acme.sip.twilio.com",
                      To=f"sip:{OUR_NUMBER}@acme.sip.twilio.com;transport=udp")))
    yield webhook("post-inbound-to-only", "No Called: To is used",
                  event("post-inbound-to-only", "POST", replace(MINIMAL_INBOUND, Called=None)))
    yield webhook("post-named-stage",
                  "A named API Gateway stage in front of the route: the Dial's URLs carry it",
                  event("post-named-stage", "POST", MINIMAL_INBOUND, stage="prod"))
    for direction in ("outbound-api", "outbound-dial"):
        yield webhook(f"post-{direction}",
                      f"{direction}: our number (From) is dialed, the callee travels in X-Callee",
                      event(f"post-{direction}", "POST", outbound(direction)),
                      sip_uri(OUR_NUMBER, CALL_SID,
                              [("X-Direction", direction), ("X-Callee", CALLER)]))
    yield webhook("post-configured",
                  "Regional endpoint, TCP, extra headers and every Dial attribute configured "
                  "(DIAL_ACTION replaces the /dial_status URL; referUrl stays)",
                  event("post-configured", "POST", FULL_INBOUND),
                  sip_uri(OUR_NUMBER, CALL_SID,
                          [("X-Caller", CALLER), ("X-Account", ACCOUNT_SID), ("X-Env", "prod")],
                          endpoint="sip.us.synthflow.ai:32681", transport="tcp"),
                  configured_env)
    yield webhook("post-header-overflow",
                  "An optional header that would push the URI past 254 characters is dropped; "
                  "later ones that fit are kept",
                  event("post-header-overflow", "POST",
                        MINIMAL_INBOUND + [("CallerName", long_name)]),
                  sip_uri(OUR_NUMBER, CALL_SID, [("X-Env", "prod")]), overflow_env)
    yield webhook("post-extra-header-absent",
                  "A configured header whose parameter was not sent is left out",
                  event("post-extra-header-absent", "POST", MINIMAL_INBOUND),
                  sip_uri(OUR_NUMBER, CALL_SID, [("X-Env", "prod")]), overflow_env)

    # The Dial attributes and X-EI format of issue #11.
    plain_env = {"DIAL_ACTION": "none", "DIAL_REFER": "off"}
    plain = event("post-inbound-plain-dial", "POST", MINIMAL_INBOUND)
    assert twiml(plain_uri, public_base(plain, plain_env), plain_env) == SEED_TWIML
    yield ok("post-inbound-plain-dial",
             "DIAL_ACTION=none and DIAL_REFER=off: exactly the seed's plain <Dial><Sip>",
             plain, SEED_TWIML, plain_env)
    yield webhook("post-dial-action-none", "DIAL_ACTION=none: referUrl only, no action",
                  event("post-dial-action-none", "POST", MINIMAL_INBOUND),
                  env={"DIAL_ACTION": "none"})
    yield webhook("post-dial-refer-off", "DIAL_REFER=off: action only, no referUrl/referMethod",
                  event("post-dial-refer-off", "POST", MINIMAL_INBOUND),
                  env={"DIAL_REFER": "off"})
    tokens_env = {"X_EI_FORMAT": "tokens"}
    tokens_uri = sip_uri(OUR_NUMBER, CALL_SID, env=tokens_env)
    assert tokens_uri.endswith(f"?X-EI=E%2E{CALL_SID}%3B"), tokens_uri
    yield webhook("post-x-ei-tokens",
                  "X_EI_FORMAT=tokens: X-EI is Synthflow's token form E.<CallSid>; percent-encoded",
                  event("post-x-ei-tokens", "POST", MINIMAL_INBOUND), tokens_uri, tokens_env)
    yield webhook("post-x-ei-callsid", "X_EI_FORMAT=callsid, set explicitly: the bare CallSid",
                  event("post-x-ei-callsid", "POST", MINIMAL_INBOUND),
                  env={"X_EI_FORMAT": "callsid"})

    # Signatures (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
    yield webhook("get-named-stage",
                  "GET through a named stage: the stage is part of the signed URL",
                  event("get-named-stage", "GET", [("Called", OUR_NUMBER), ("CallSid", CALL_SID)],
                        stage="prod"))
    yield webhook("post-custom-domain",
                  "Custom domain with an API mapping: Twilio signed "
                  "https://voice.example.com/twilio/…, the Dial's URLs keep the prefix",
                  event("post-custom-domain", "POST", MINIMAL_INBOUND, host="voice.example.com",
                        path="/twilio/redirect_call"))
    proxy_env = {"PUBLIC_BASE_URL": "https://voice.example.com/twilio"}
    yield webhook("post-behind-proxy",
                  "A proxy in front: the signed URL and the Dial's URLs come from "
                  "PUBLIC_BASE_URL, not from the event",
                  event("post-behind-proxy", "POST", MINIMAL_INBOUND,
                        signed_url="https://voice.example.com/twilio/redirect_call"),
                  env=proxy_env)
    yield webhook("post-previous-token",
                  "Signed with the token before rotation, still in the secret",
                  event("post-previous-token", "POST", MINIMAL_INBOUND, token=PREVIOUS_AUTH_TOKEN),
                  secret=twilio_secret(previous_auth_token=PREVIOUS_AUTH_TOKEN))
    yield webhook("post-sip-credentials",
                  "SIP digest credentials from the secret become <Sip username password>",
                  event("post-sip-credentials", "POST", MINIMAL_INBOUND),
                  secret=twilio_secret(sip_username=SIP_USER, sip_password=SIP_PASSWORD),
                  username=SIP_USER, password=SIP_PASSWORD)
    yield webhook("post-validation-off",
                  "TWILIO_SIGNATURE_VALIDATION=off answers unsigned requests",
                  event("post-validation-off", "POST", MINIMAL_INBOUND, sign=False),
                  env={"TWILIO_SIGNATURE_VALIDATION": "off"})

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
        "sip-host-crlf": f"sip:{OUR_NUMBER}@acme.sip.twilio.com\r\nX-Injected: 1",
        "sip-host-second-at": f"sip:{OUR_NUMBER}@acme.sip.twilio.com@evil.example",
        "sip-host-headers": f"sip:{OUR_NUMBER}@acme.sip.twilio.com?X-EI=CAevil",
        "sip-host-empty": f"sip:{OUR_NUMBER}@",
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
    yield rejected("bad-path", "Any other path: 404 listing the routes",
                   event("bad-path", "POST", MINIMAL_INBOUND, path="/voice"), 404, NOT_FOUND)
    yield rejected("bad-path-dot-segments", "A path that only resolves to the route",
                   event("bad-path-dot-segments", "POST", MINIMAL_INBOUND,
                         path="/x/../redirect_call/.."),
                   404, "/redirect_call")
    yield rejected("bad-method", "PUT",
                   event("bad-method", "PUT", MINIMAL_INBOUND), 405, GET_OR_POST,
                   allow="GET, POST")
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


def refer_event(name, target, params=None, **kwargs):
    """A signed POST /refer carrying target (params: the whole form instead)."""
    return event(name, "POST", params if params is not None else refer_params(target),
                 path="/refer", **kwargs)


def refer_cases():
    """POST /refer (https://www.twilio.com/docs/voice/api/refer-to-twilio): each target with the
    transfer written out by hand from the rules (number or SIP URI, or refused)."""
    base = f"https://{HOST}"
    reconnect = sip_uri(OUR_NUMBER, CALL_SID)

    # Allowed: tel:/E.164 → <Number>.
    numbers = [
        ("refer-tel", "tel: URI of a listed number", "tel:+14155550100", "+14155550100"),
        ("refer-tel-separators", "tel: with RFC 3966 visual separators '-'",
         "tel:+1-415-555-0100", "+14155550100"),
        ("refer-tel-parens-dots", "tel: with visual separators '(' ')' '.'",
         "tel:+1(415)555.0100", "+14155550100"),
        ("refer-e164", "A bare E.164 number, no scheme", "+14155550100", "+14155550100"),
        ("refer-number-prefix", "A number under the +1628* prefix entry",
         "tel:+16285550100", "+16285550100"),
    ]
    numbers.append(("refer-tel-scheme-case",
                    "Schemes are case-insensitive (RFC 3966 §3): TEL: is read as tel:",
                    "TEL:+1-415-555-0100", "+14155550100"))
    for name, description, target, number in numbers:
        yield ok(name, f"{description}: <Dial><Number>", refer_event(name, target),
                 transfer_to_number(number, base, TRANSFER_ENV), TRANSFER_ENV)

    # Allowed: sip:/sips: → <Sip>, the URI rebuilt (host as given, kept X- headers re-encoded).
    sips = [
        ("refer-sip", "SIP URI on a listed host",
         "sip:agent@pbx.example.com", "sip:agent@pbx.example.com"),
        ("refer-sip-port-transport", "Port and ;transport= kept",
         "sip:agent@pbx.example.com:5061;transport=tls",
         "sip:agent@pbx.example.com:5061;transport=tls"),
        ("refer-sip-user-phone", "E.164 user with ;user=phone: still a SIP transfer",
         "sip:+14155550100@pbx.example.com;user=phone",
         "sip:+14155550100@pbx.example.com;user=phone"),
        ("refer-sip-headers",
         "X- headers kept (decoded, then every non-alphanumeric re-encoded), Replaces dropped",
         "sip:agent@pbx.example.com?X-Ref=abc%20123&X-Team=sales&Replaces=xyz",
         "sip:agent@pbx.example.com?X-Ref=" + pct("abc 123") + "&X-Team=sales"),
        ("refer-sip-headers-dropped",
         "X-Twilio… header and a header whose decoded value holds CR/LF are dropped",
         "sip:agent@pbx.example.com?X-Twilio-Foo=1&X-Bad=a%0D%0Ab&X-Num=%2B1%2E5",
         "sip:agent@pbx.example.com?X-Num=" + pct("+1.5")),
        ("refer-sip-angle", "One pair of <…> around the URI is removed",
         "<sip:agent@pbx.example.com>", "sip:agent@pbx.example.com"),
        ("refer-sip-subdomain", "A subdomain under the *.acme.example entry",
         "sip:desk@sales.acme.example", "sip:desk@sales.acme.example"),
        ("refer-sip-host-case", "Hosts match case-insensitively; the URI keeps the host as given",
         "sip:agent@PBX.Example.COM", "sip:agent@PBX.Example.COM"),
        ("refer-sips", "sips: scheme kept", "sips:agent@pbx.example.com:5061",
         "sips:agent@pbx.example.com:5061"),
        ("refer-sip-scheme-case",
         "Schemes are case-insensitive (RFC 3261 §19.1.4): SIP: is read as sip: and written so",
         "SIP:agent@pbx.example.com;transport=tcp", "sip:agent@pbx.example.com;transport=tcp"),
        ("refer-sip-headers-control",
         "A header whose decoded value holds a control character (ESC, tab, DEL, NEL) or a "
         "Unicode line separator is dropped; the others are kept",
         "sip:agent@pbx.example.com?X-Esc=a%1B%5B2Jb&X-Tab=a%09b&X-Del=%7F&X-Nel=%C2%85"
         "&X-Ls=a%E2%80%A8b&X-Name=Zo%C3%AB",
         "sip:agent@pbx.example.com?X-Name=" + pct("Zoë")),
    ]
    for name, description, target, uri in sips:
        yield ok(name, f"{description}: <Dial><Sip>", refer_event(name, target),
                 transfer_to_sip(uri, base, TRANSFER_ENV), TRANSFER_ENV)

    target = "sip:agent@sip.us.synthflow.ai:32681"
    yield ok("refer-synthflow-host",
             "Synthflow's own SIP host is allowed with the default (empty) allow lists",
             refer_event("refer-synthflow-host", target), transfer_to_sip(target, base))
    endpoint_env = {"SYNTHFLOW_SIP_ENDPOINT": "sip.acme-voice.example:5060"}
    target = "sip:agent@sip.acme-voice.example:5060"
    yield ok("refer-endpoint-host",
             "The configured SYNTHFLOW_SIP_ENDPOINT's host is allowed with the default lists",
             refer_event("refer-endpoint-host", target),
             transfer_to_sip(target, base, endpoint_env), endpoint_env)
    credentials = twilio_secret(sip_username=SIP_USER, sip_password=SIP_PASSWORD)
    target = f"sip:agent@{DEFAULT_ENDPOINT}"
    yield ok("refer-credentials-endpoint-host",
             "Target on the SYNTHFLOW_SIP_ENDPOINT host: the secret's SIP credentials are written",
             refer_event("refer-credentials-endpoint-host", target),
             transfer_to_sip(target, base, username=SIP_USER, password=SIP_PASSWORD),
             secret=credentials)
    target = "sip:agent@sip.eu.synthflow.ai:32681"
    yield ok("refer-credentials-other-synthflow-host",
             "Another Synthflow host (allowed, not the endpoint's): no credentials written",
             refer_event("refer-credentials-other-synthflow-host", target),
             transfer_to_sip(target, base), secret=credentials)
    target = "sip:agent@pbx.example.com"
    yield ok("refer-credentials-other-host",
             "Target on a listed host that is not the endpoint's: no credentials written",
             refer_event("refer-credentials-other-host", target),
             transfer_to_sip(target, base, TRANSFER_ENV), TRANSFER_ENV, credentials)
    yield ok("refer-from-anonymous", "From is not E.164 ('anonymous'): no callerId",
             refer_event("refer-from-anonymous", None, refer_params(
                 "tel:+14155550100", replace(IN_PROGRESS, From="anonymous", Caller="anonymous"))),
             transfer_to_number("+14155550100", base, TRANSFER_ENV, caller=None), TRANSFER_ENV)
    plain_env = {**TRANSFER_ENV, "DIAL_ACTION": "none", "DIAL_REFER": "off"}
    yield ok("refer-dial-plain",
             "DIAL_ACTION=none and DIAL_REFER=off: the transfer's <Dial> has callerId only",
             refer_event("refer-dial-plain", "tel:+14155550100"),
             transfer_to_number("+14155550100", base, plain_env), plain_env)
    custom_env = {**TRANSFER_ENV, "DIAL_ACTION": "/calls/after-transfer"}
    yield ok("refer-dial-action-custom", "DIAL_ACTION set: the transfer's action is that value",
             refer_event("refer-dial-action-custom", "sip:agent@pbx.example.com"),
             transfer_to_sip("sip:agent@pbx.example.com", base, custom_env), custom_env)
    ev = refer_event("refer-named-stage", "tel:+14155550100", stage="prod")
    yield ok("refer-named-stage", "Named stage: signed with it, and the Dial's URLs carry it",
             ev, transfer_to_number("+14155550100", f"https://{HOST}/prod", TRANSFER_ENV),
             TRANSFER_ENV)
    ev = event("refer-custom-domain", "POST", refer_params("tel:+14155550100"),
               host="voice.example.com", path="/twilio/refer")
    yield ok("refer-custom-domain",
             "Custom domain with an API mapping: the Dial's URLs keep the /twilio prefix",
             ev, transfer_to_number("+14155550100", "https://voice.example.com/twilio",
                                    TRANSFER_ENV), TRANSFER_ENV)
    proxy_env = {**TRANSFER_ENV, "PUBLIC_BASE_URL": "https://voice.example.com/twilio"}
    yield ok("refer-behind-proxy",
             "PUBLIC_BASE_URL: signed URL and the Dial's URLs come from it",
             refer_event("refer-behind-proxy", "tel:+14155550100",
                         signed_url="https://voice.example.com/twilio/refer"),
             transfer_to_number("+14155550100", "https://voice.example.com/twilio", proxy_env),
             proxy_env)

    # Refused: 200, the message, then the agent again (the webhook's own <Dial>).
    refusals = [
        ("refer-refused-premium-882", "International network number not listed",
         "tel:+882345678901"),
        ("refer-refused-premium-900", "Premium-rate number not listed", "+90055501000"),
        ("refer-refused-prefix-boundary", "+1629… is not under +1628*", "tel:+16295550100"),
        ("refer-refused-not-e164", "Under the +1628* prefix but too short for E.164 (7–15 digits)",
         "tel:+162855"),
        ("refer-refused-apex-domain", "acme.example itself is not matched by *.acme.example",
         "sip:agent@acme.example"),
        ("refer-refused-other-host", "A host on no list", "sip:agent@evil.example"),
        ("refer-refused-double-at", "Two '@': the real host would be evil.example",
         "sip:agent@pbx.example.com@evil.example"),
        ("refer-refused-maddr", "maddr= would send the INVITE elsewhere",
         "sip:agent@pbx.example.com;maddr=evil.example"),
        ("refer-refused-lr", "Any URI parameter but transport/user", "sip:agent@pbx.example.com;lr"),
        ("refer-refused-angle-injection", "'>' closing the URI early, a second URI after it",
         "sip:a@pbx.example.com>;x=<sip:b@evil.example"),
        ("refer-refused-tel-param", "tel: with a ;param",
         "tel:+14155550100;phone-context=evil"),
        ("refer-refused-crlf", "CR/LF injecting a header",
         "sip:agent@pbx.example.com\r\nX-Injected: 1"),
        ("refer-refused-space", "A space in the target", "sip:agent smith@pbx.example.com"),
        ("refer-refused-password", "user:password in the URI",
         "sip:agent:password@pbx.example.com"),
        ("refer-refused-too-long", "A target over 1024 characters",
         "sip:agent@pbx.example.com?X-Pad=" + "a" * 1100),
        ("refer-refused-http", "Not a sip:/sips:/tel: target", "http://evil.example/"),
        ("refer-refused-empty-user", "Empty user part", "sip:@pbx.example.com"),
        ("refer-refused-scheme-case-premium", "TEL: in capitals, a number on no list",
         "TEL:+882345678901"),
        ("refer-refused-allowed-host-as-prefix", "An allowed host followed by another domain",
         "sip:agent@pbx.example.com.evil.example"),
        ("refer-refused-allowed-host-as-suffix", "An allowed host with letters in front",
         "sip:agent@evilpbx.example.com"),
        ("refer-refused-synthflow-host-as-prefix", "Synthflow's host followed by another domain",
         "sip:agent@sipin.synthflow.ai.evil.example"),
        ("refer-refused-synthflow-host-as-suffix", "Synthflow's host with letters in front",
         "sip:agent@evilsipin.synthflow.ai"),
        ("refer-refused-encoded-at", "%40 standing for a second '@'",
         "sip:agent@pbx.example.com%40evil.example"),
        ("refer-refused-encoded-semicolon", "%3B standing for a ';maddr=' parameter",
         "sip:agent@pbx.example.com%3Bmaddr=evil.example"),
        ("refer-refused-encoded-crlf", "%0D%0A after the host",
         "sip:agent@pbx.example.com%0D%0AX-Injected:%201"),
        ("refer-refused-ipv6", "An IPv6 literal host", "sip:agent@[2001:db8::1]:5060"),
        ("refer-refused-trailing-dot", "An allowed host with a trailing dot (not matched)",
         "sip:agent@pbx.example.com."),
        ("refer-refused-tel-ext", "tel: with ;ext=", "tel:+1-415-555-0100;ext=12"),
        ("refer-refused-tel-no-plus", "tel: without '+': a national number is never guessed",
         "tel:14155550100"),
        ("refer-refused-bare-national", "Digits without '+' or scheme", "14155550100"),
        ("refer-refused-nul", "A NUL after an allowed number", "tel:+14155550100\x00"),
        ("refer-refused-encoded-number", "%2B for the '+' of a listed number",
         "tel:%2B14155550100"),
        ("refer-refused-display-name", "A display name before <…>",
         '"Front desk" <sip:agent@pbx.example.com>'),
        ("refer-refused-sips-password", "user:password with a port",
         "sips:agent:secret@pbx.example.com:5061"),
    ]
    for name, description, target in refusals:
        yield ok(name, f"{description}: refused, the caller goes back to the agent",
                 refer_event(name, target), refused(base, TRANSFER_ENV, reconnect), TRANSFER_ENV)
    yield ok("refer-refused-default-lists",
             "Default (empty) allow lists: a number is refused",
             refer_event("refer-refused-default-lists", "tel:+14155550100"),
             refused(base, {}, reconnect))
    hangup_env = {**TRANSFER_ENV, "TRANSFER_REFUSED": "hangup"}
    yield ok("refer-refused-hangup", "TRANSFER_REFUSED=hangup: the message, then <Hangup />",
             refer_event("refer-refused-hangup", "sip:agent@evil.example"),
             refused(base, hangup_env), hangup_env)
    voice_env = {**TRANSFER_ENV, "SAY_VOICE": "Polly.Joanna", "SAY_LANGUAGE": "en-US"}
    yield ok("refer-refused-voice", "SAY_VOICE and SAY_LANGUAGE on the <Say>",
             refer_event("refer-refused-voice", "sip:agent@evil.example"),
             refused(base, voice_env, reconnect), voice_env)
    message_env = {**TRANSFER_ENV,
                   "TRANSFER_REFUSED_MESSAGE": "Transfers go through R&D <desk 5> only."}
    yield ok("refer-refused-custom-message",
             "A custom TRANSFER_REFUSED_MESSAGE with '&' and '<': escaped in the <Say>",
             refer_event("refer-refused-custom-message", "sip:agent@evil.example"),
             refused(base, message_env, reconnect), message_env)
    reconnect_env = {**TRANSFER_ENV, "X_EI_FORMAT": "tokens", "DIAL_TIMEOUT": "45"}
    yield ok("refer-refused-reconnect-configured",
             "The reconnect is exactly the webhook's <Dial>: X-EI format, Dial settings, "
             "SIP credentials",
             refer_event("refer-refused-reconnect-configured", "sip:agent@evil.example"),
             refused(base, reconnect_env, sip_uri(OUR_NUMBER, CALL_SID, env=reconnect_env),
                     username=SIP_USER, password=SIP_PASSWORD),
             reconnect_env, credentials)
    yield ok("refer-refused-no-called",
             "Refused, and no Called/To to reconnect the agent with: the message, then <Hangup />",
             refer_event("refer-refused-no-called", None, refer_params(
                 "sip:agent@evil.example", replace(IN_PROGRESS, Called=None, To=None))),
             refused(base, TRANSFER_ENV), TRANSFER_ENV)

    # 4xx: the request itself is wrong.
    yield rejected("refer-missing-target", "No ReferTransferTarget",
                   refer_event("refer-missing-target", None, IN_PROGRESS),
                   400, "ReferTransferTarget", TRANSFER_ENV)
    yield rejected("refer-blank-target", "ReferTransferTarget empty",
                   refer_event("refer-blank-target", ""), 400, "ReferTransferTarget", TRANSFER_ENV)
    yield rejected("refer-conflicting-targets",
                   "ReferTransferTarget twice, a listed number and another: 400, nothing dialed",
                   refer_event("refer-conflicting-targets", None, refer_params(
                       "tel:+14155550100") + [("ReferTransferTarget", "tel:+882345678901")]),
                   400, "ReferTransferTarget", TRANSFER_ENV)
    yield rejected("refer-bad-callsid", "CallSid not of Twilio's shape",
                   refer_event("refer-bad-callsid", None, refer_params(
                       "tel:+14155550100", replace(IN_PROGRESS, CallSid="CA123"))),
                   400, "CallSid", TRANSFER_ENV)
    yield rejected("refer-unsigned", "No X-Twilio-Signature",
                   refer_event("refer-unsigned", "tel:+14155550100", sign=False),
                   403, "X-Twilio-Signature", TRANSFER_ENV)
    yield rejected("refer-wrong-token", "Signed with another account's token",
                   refer_event("refer-wrong-token", "tel:+14155550100", token=OTHER_AUTH_TOKEN),
                   403, "X-Twilio-Signature", TRANSFER_ENV)
    yield rejected("refer-get", "GET /refer: the route takes POST only",
                   event("refer-get", "GET", refer_params("tel:+14155550100"), path="/refer"),
                   405, POST_ONLY, TRANSFER_ENV, allow="POST")


def dial_status_event(name, params, **kwargs):
    return event(name, "POST", params, path="/dial_status", **kwargs)


def dial_status_cases():
    """POST /dial_status (https://www.twilio.com/docs/voice/twiml/dial): the agent leg ended."""
    for status in ("completed", "answered"):
        name = f"dial-status-{status}"
        yield ok(name, f"DialCallStatus={status}: the call is over, <Hangup />",
                 dial_status_event(name, dial_status_params(status)), hangup())
    for status in ("busy", "no-answer", "failed", "canceled"):
        name = f"dial-status-{status}"
        yield ok(name, f"DialCallStatus={status}: the agent leg failed, the fallback (say)",
                 dial_status_event(name, dial_status_params(status)), fallback())
    for code in ("486", "503", "603"):
        name = f"dial-status-completed-{code}"
        yield ok(name, f"completed with DialSipResponseCode={code} (>= 400): the fallback",
                 dial_status_event(name, dial_status_params("completed", code)), fallback())
    yield ok("dial-status-answered-200", "answered with DialSipResponseCode=200: <Hangup />",
             dial_status_event("dial-status-answered-200", dial_status_params("answered", "200")),
             hangup())
    yield ok("dial-status-named-stage", "Named stage: the signed URL carries it",
             dial_status_event("dial-status-named-stage", dial_status_params("completed"),
                               stage="prod"), hangup())

    actions = [
        ("dial-status-fallback-say-custom", "FALLBACK_MESSAGE spoken, then <Hangup />",
         {"FALLBACK_MESSAGE": "The assistant is busy & will call you back."}),
        ("dial-status-fallback-voice", "SAY_VOICE and SAY_LANGUAGE on the fallback's <Say>",
         {"SAY_VOICE": "Polly.Joanna", "SAY_LANGUAGE": "en-US"}),
        ("dial-status-fallback-forward", "FALLBACK_ACTION=forward: <Dial><Number>, no action",
         {"FALLBACK_ACTION": "forward", "FALLBACK_NUMBER": "+14155550100"}),
        ("dial-status-fallback-redirect", "FALLBACK_ACTION=redirect: <Redirect>",
         {"FALLBACK_ACTION": "redirect", "FALLBACK_URL": "https://hooks.example.com/voicemail"}),
        ("dial-status-fallback-hangup", "FALLBACK_ACTION=hangup: <Hangup /> only",
         {"FALLBACK_ACTION": "hangup"}),
    ]
    for name, description, env in actions:
        yield ok(name, f"A failed agent leg: {description}",
                 dial_status_event(name, dial_status_params("failed")), fallback(env), env)

    bad = [
        ("dial-status-missing-status", "No DialCallStatus",
         replace(dial_status_params("completed"), DialCallStatus=None), "DialCallStatus"),
        ("dial-status-unknown-status", "DialCallStatus Twilio never sends",
         dial_status_params("sideways"), "DialCallStatus"),
        ("dial-status-sip-code-abc", "DialSipResponseCode not a number",
         dial_status_params("completed", "abc"), "DialSipResponseCode"),
        ("dial-status-sip-code-99", "DialSipResponseCode below 100",
         dial_status_params("completed", "99"), "DialSipResponseCode"),
        ("dial-status-sip-code-700", "DialSipResponseCode above 699",
         dial_status_params("completed", "700"), "DialSipResponseCode"),
        ("dial-status-bad-callsid", "CallSid not of Twilio's shape",
         replace(dial_status_params("completed"), CallSid="CA123"), "CallSid"),
    ]
    for name, description, params, mentions in bad:
        yield rejected(name, description, dial_status_event(name, params), 400, mentions)
    yield rejected("dial-status-unsigned", "No X-Twilio-Signature",
                   dial_status_event("dial-status-unsigned", dial_status_params("failed"),
                                     sign=False),
                   403, "X-Twilio-Signature")
    yield rejected("dial-status-wrong-token", "Signed with another account's token",
                   dial_status_event("dial-status-wrong-token", dial_status_params("failed"),
                                     token=OTHER_AUTH_TOKEN),
                   403, "X-Twilio-Signature")
    yield rejected("dial-status-conflicting-status", "DialCallStatus twice with different values",
                   dial_status_event("dial-status-conflicting-status",
                                     dial_status_params("failed") + [("DialCallStatus", "completed")]),
                   400, "DialCallStatus")
    yield rejected("dial-status-get", "GET /dial_status: the route takes POST only",
                   event("dial-status-get", "GET", dial_status_params("failed"),
                         path="/dial_status"),
                   405, POST_ONLY, allow="POST")


def fallback_cases():
    """GET|POST /fallback: the number's Voice fallback URL, requested after the webhook failed."""
    yield ok("fallback-post", "POST with ErrorCode=11205 and ErrorUrl: the fallback (say)",
             event("fallback-post", "POST", fallback_params(), path="/fallback"), fallback())
    yield ok("fallback-get", "GET with the parameters in the query (signed with the query)",
             event("fallback-get", "GET", fallback_params(), path="/fallback"), fallback())
    env = {"FALLBACK_ACTION": "forward", "FALLBACK_NUMBER": "+14155550100"}
    yield ok("fallback-forward", "FALLBACK_ACTION=forward: <Dial><Number>, no action",
             event("fallback-forward", "POST", fallback_params(), path="/fallback"),
             fallback(env), env)
    env = {"FALLBACK_ACTION": "redirect", "FALLBACK_URL": "https://hooks.example.com/voicemail"}
    yield ok("fallback-redirect", "FALLBACK_ACTION=redirect: <Redirect>",
             event("fallback-redirect", "POST", fallback_params(), path="/fallback"),
             fallback(env), env)
    env = {"FALLBACK_ACTION": "hangup"}
    yield ok("fallback-hangup", "FALLBACK_ACTION=hangup: <Hangup /> only",
             event("fallback-hangup", "POST", fallback_params(), path="/fallback"),
             fallback(env), env)
    yield rejected("fallback-missing-callsid", "No CallSid",
                   event("fallback-missing-callsid", "POST",
                         replace(fallback_params(), CallSid=None), path="/fallback"),
                   400, "CallSid")
    yield rejected("fallback-unsigned", "No X-Twilio-Signature",
                   event("fallback-unsigned", "POST", fallback_params(), path="/fallback",
                         sign=False),
                   403, "X-Twilio-Signature")
    yield rejected("fallback-wrong-token", "Signed with another account's token",
                   event("fallback-wrong-token", "POST", fallback_params(), path="/fallback",
                         token=OTHER_AUTH_TOKEN),
                   403, "X-Twilio-Signature")
    yield rejected("fallback-get-unsigned", "GET without X-Twilio-Signature",
                   event("fallback-get-unsigned", "GET", fallback_params(), path="/fallback",
                         sign=False),
                   403, "X-Twilio-Signature")
    yield rejected("fallback-bad-error-code", "ErrorCode that is not Twilio's numeric code",
                   event("fallback-bad-error-code", "POST",
                         replace(fallback_params(), ErrorCode="11205;x"), path="/fallback"),
                   400, "ErrorCode")
    yield rejected("fallback-put", "PUT /fallback: the route takes GET or POST",
                   event("fallback-put", "PUT", fallback_params(), path="/fallback"),
                   405, GET_OR_POST, allow="GET, POST")


def cases():
    yield from webhook_cases()
    yield from refer_cases()
    yield from dial_status_cases()
    yield from fallback_cases()


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

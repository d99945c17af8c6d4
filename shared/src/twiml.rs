//! TwiML answers — `<Dial>` with a `<Sip>` or `<Number>`, `<Say>`, `<Redirect>`, `<Hangup>` —
//! written the way Twilio's helper libraries write them.
//!
//! The output matches twilio-python's `VoiceResponse` byte for byte: the XML declaration
//! `<?xml version="1.0" encoding="UTF-8"?>` directly followed by the root, no whitespace,
//! attributes sorted by name, booleans as `true`/`false`, text escaping `& < >`, attribute
//! escaping `& < > "`, an element without content as `<Hangup />`.
//! Sources: <https://www.twilio.com/docs/voice/twiml/dial>,
//! <https://www.twilio.com/docs/voice/twiml/sip>, <https://www.twilio.com/docs/voice/twiml/number>,
//! <https://www.twilio.com/docs/voice/twiml/say>, <https://www.twilio.com/docs/voice/twiml/redirect>,
//! <https://www.twilio.com/docs/voice/twiml/hangup>, twilio-python `twilio/twiml/__init__.py`.

use std::borrow::Cow;
use std::fmt;

use quick_xml::escape::partial_escape;

/// The XML declaration Twilio's libraries write.
const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// `<Dial record="…">`: whether and how Twilio records the dialed call.
/// Source: <https://www.twilio.com/docs/voice/twiml/dial#record>.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantNames,
)]
#[strum(serialize_all = "kebab-case")]
pub enum Record {
    /// `do-not-record` (Twilio's default); `false` is Twilio's alias.
    #[strum(to_string = "do-not-record", serialize = "false")]
    DoNotRecord,
    /// `record-from-answer`; `true` is Twilio's alias.
    #[strum(to_string = "record-from-answer", serialize = "true")]
    RecordFromAnswer,
    /// `record-from-ringing`.
    RecordFromRinging,
    /// `record-from-answer-dual`.
    RecordFromAnswerDual,
    /// `record-from-ringing-dual`.
    RecordFromRingingDual,
}

impl Record {
    /// Twilio's spelling.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Attributes of `<Dial>`; `None` leaves an attribute out (Twilio's default applies).
/// Source: <https://www.twilio.com/docs/voice/twiml/dial>.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DialAttributes {
    /// `action`: URL Twilio requests when the dialed leg ends (absolute, or relative to the
    /// webhook URL).
    pub action: Option<String>,
    /// `referUrl`: URL Twilio requests when the dialed SIP endpoint sends a REFER (a transfer);
    /// without it Twilio refuses the REFER (error 13802).
    /// Source: <https://www.twilio.com/docs/voice/api/refer-to-twilio>.
    pub refer_url: Option<String>,
    /// `referMethod`: `GET` or `POST` for `referUrl` (Twilio's default `POST`).
    pub refer_method: Option<&'static str>,
    /// `answerOnBridge`: keep the caller hearing ringback until the agent answers.
    pub answer_on_bridge: Option<bool>,
    /// `callerId`: the caller id presented on the SIP leg (letters, digits, `+ - _ .`).
    pub caller_id: Option<String>,
    /// `record`.
    pub record: Option<Record>,
    /// `timeLimit`: longest the dialed leg may last, in seconds (Twilio's default 14400).
    pub time_limit: Option<u32>,
    /// `timeout`: how long to ring, in seconds, 5–600 (Twilio's default 30).
    pub timeout: Option<u32>,
}

impl DialAttributes {
    fn attributes(&self) -> Vec<(&'static str, Cow<'_, str>)> {
        let mut attrs: Vec<(&'static str, Cow<'_, str>)> = Vec::new();
        if let Some(v) = &self.action {
            attrs.push(("action", v.into()));
        }
        if let Some(v) = self.answer_on_bridge {
            attrs.push(("answerOnBridge", bool_str(v).into()));
        }
        if let Some(v) = &self.caller_id {
            attrs.push(("callerId", v.into()));
        }
        if let Some(v) = self.record {
            attrs.push(("record", v.as_str().into()));
        }
        if let Some(v) = self.refer_method {
            attrs.push(("referMethod", v.into()));
        }
        if let Some(v) = &self.refer_url {
            attrs.push(("referUrl", v.into()));
        }
        if let Some(v) = self.time_limit {
            attrs.push(("timeLimit", v.to_string().into()));
        }
        if let Some(v) = self.timeout {
            attrs.push(("timeout", v.to_string().into()));
        }
        attrs
    }
}

/// Attributes of `<Sip>`: digest credentials Twilio answers the endpoint's challenge with.
/// Borrowed from the cached secret for the time it takes to write one answer.
/// Source: <https://www.twilio.com/docs/voice/twiml/sip#attributes>.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct SipAttributes<'a> {
    /// `username`.
    pub username: Option<&'a str>,
    /// `password`.
    pub password: Option<&'a str>,
}

impl fmt::Debug for SipAttributes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipAttributes")
            .field("username", &self.username)
            .field("password", &self.password.map(|_| "[REDACTED]"))
            .finish()
    }
}

impl SipAttributes<'_> {
    fn attributes(&self) -> Vec<(&'static str, Cow<'_, str>)> {
        let mut attrs = Vec::new();
        if let Some(v) = self.password {
            attrs.push(("password", v.into()));
        }
        if let Some(v) = self.username {
            attrs.push(("username", v.into()));
        }
        attrs
    }
}

/// `<Say>` attributes: the voice and language Twilio speaks with; `None` leaves Twilio's
/// default. Source: <https://www.twilio.com/docs/voice/twiml/say>.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SayAttributes {
    /// `voice`, e.g. `Polly.Joanna` or `alice`.
    pub voice: Option<String>,
    /// `language`, e.g. `en-US`.
    pub language: Option<String>,
}

impl SayAttributes {
    fn attributes(&self) -> Vec<(&'static str, Cow<'_, str>)> {
        let mut attrs = Vec::new();
        if let Some(v) = &self.language {
            attrs.push(("language", v.into()));
        }
        if let Some(v) = &self.voice {
            attrs.push(("voice", v.into()));
        }
        attrs
    }
}

/// A TwiML `<Response>` written verb by verb, e.g.
/// `Response::new().say(&attrs, "Sorry.").hangup().into_twiml()`.
#[derive(Debug)]
pub struct Response {
    out: String,
}

impl Default for Response {
    fn default() -> Self {
        Response::new()
    }
}

impl Response {
    /// The declaration and `<Response>`.
    pub fn new() -> Response {
        let mut out = String::with_capacity(256);
        out.push_str(DECLARATION);
        out.push_str("<Response>");
        Response { out }
    }

    /// `<Dial …><Sip …>{uri}</Sip></Dial>`: `uri` is written as element text (so `&` between
    /// headers becomes `&amp;`).
    pub fn dial_sip(mut self, dial: &DialAttributes, sip: &SipAttributes<'_>, uri: &str) -> Self {
        open_tag(&mut self.out, "Dial", dial.attributes());
        open_tag(&mut self.out, "Sip", sip.attributes());
        self.out.push_str(&partial_escape(uri));
        self.out.push_str("</Sip></Dial>");
        self
    }

    /// `<Dial …><Number>{number}</Number></Dial>`.
    pub fn dial_number(mut self, dial: &DialAttributes, number: &str) -> Self {
        open_tag(&mut self.out, "Dial", dial.attributes());
        self.out.push_str("<Number>");
        self.out.push_str(&partial_escape(number));
        self.out.push_str("</Number></Dial>");
        self
    }

    /// `<Say …>{text}</Say>`.
    pub fn say(mut self, say: &SayAttributes, text: &str) -> Self {
        open_tag(&mut self.out, "Say", say.attributes());
        self.out.push_str(&partial_escape(text));
        self.out.push_str("</Say>");
        self
    }

    /// `<Redirect>{url}</Redirect>` (Twilio requests `url` with `POST`, its default).
    pub fn redirect(mut self, url: &str) -> Self {
        self.out.push_str("<Redirect>");
        self.out.push_str(&partial_escape(url));
        self.out.push_str("</Redirect>");
        self
    }

    /// `<Hangup />`.
    pub fn hangup(mut self) -> Self {
        self.out.push_str("<Hangup />");
        self
    }

    /// The document, `</Response>` closed.
    pub fn into_twiml(mut self) -> String {
        self.out.push_str("</Response>");
        self.out
    }
}

/// Writes `<?xml …?><Response><Dial …><Sip …>{uri}</Sip></Dial></Response>`.
///
/// `uri` is written as element text (so `&` between headers becomes `&amp;`); attribute values
/// are escaped. Attribute values must not contain line breaks or tabs: Twilio's libraries write
/// those as character references, this writer does not, and configuration refuses them.
pub fn dial_sip(dial: &DialAttributes, sip: &SipAttributes<'_>, uri: &str) -> String {
    Response::new().dial_sip(dial, sip, uri).into_twiml()
}

fn open_tag(out: &mut String, name: &str, mut attrs: Vec<(&'static str, Cow<'_, str>)>) {
    attrs.sort_unstable_by_key(|(k, _)| *k);
    out.push('<');
    out.push_str(name);
    for (key, value) in attrs {
        out.push(' ');
        out.push_str(key);
        out.push_str("=\"");
        out.push_str(&escape_attribute(&value));
        out.push('"');
    }
    out.push('>');
}

/// `& < >` as for text, plus `"`: what ElementTree does for attribute values.
fn escape_attribute(value: &str) -> Cow<'_, str> {
    let escaped = partial_escape(value);
    if escaped.contains('"') {
        Cow::Owned(escaped.replace('"', "&quot;"))
    } else {
        escaped
    }
}

fn bool_str(v: bool) -> &'static str {
    if v { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings are twilio-python's, quoted in ../shared/reference/twilio.md §4.

    #[test]
    fn plain_dial_matches_twilio_python() {
        let out = dial_sip(
            &DialAttributes::default(),
            &SipAttributes::default(),
            "sip:+15005550006@agent.example.net:5060?X-EI=CA11111111111111111111111111111111",
        );
        assert_eq!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip>sip:+15005550006@agent.example.net:5060?X-EI=CA11111111111111111111111111111111</Sip></Dial></Response>"#
        );
    }

    #[test]
    fn sip_credentials_match_twilio_python() {
        let out = dial_sip(
            &DialAttributes::default(),
            &SipAttributes {
                username: Some("foo"),
                password: Some("bar"),
            },
            "foo@example.com",
        );
        assert_eq!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Sip password="bar" username="foo">foo@example.com</Sip></Dial></Response>"#
        );
    }

    #[test]
    fn dial_attributes_are_sorted() {
        let out = dial_sip(
            &DialAttributes {
                answer_on_bridge: Some(true),
                timeout: Some(30),
                caller_id: Some("+14155550199".into()),
                ..Default::default()
            },
            &SipAttributes::default(),
            "sip:x",
        );
        assert!(
            out.contains(r#"<Dial answerOnBridge="true" callerId="+14155550199" timeout="30">"#)
        );
    }

    #[test]
    fn ampersand_is_escaped_in_text() {
        let out = dial_sip(
            &DialAttributes::default(),
            &SipAttributes::default(),
            "sip:+1@h:1?X-EI=CA1&X-N=a%20b",
        );
        assert!(out.contains("<Sip>sip:+1@h:1?X-EI=CA1&amp;X-N=a%20b</Sip>"));
    }

    #[test]
    fn other_verbs_match_twilio_python() {
        // twilio-python 9.11: r.say("Sorry & <goodbye>", voice="Polly.Joanna",
        // language="en-US"); r.hangup()
        let say = SayAttributes {
            voice: Some("Polly.Joanna".into()),
            language: Some("en-US".into()),
        };
        assert_eq!(
            Response::new()
                .say(&say, "Sorry & <goodbye>")
                .hangup()
                .into_twiml(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US" voice="Polly.Joanna">Sorry &amp; &lt;goodbye&gt;</Say><Hangup /></Response>"#
        );
        // r.dial(action=…, caller_id=…, refer_url=…, refer_method="POST").number(…)
        let dial = DialAttributes {
            action: Some("https://h/dial_status".into()),
            caller_id: Some("+16175551212".into()),
            refer_url: Some("https://h/refer".into()),
            refer_method: Some("POST"),
            ..Default::default()
        };
        assert_eq!(
            Response::new()
                .dial_number(&dial, "+14155550100")
                .into_twiml(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="https://h/dial_status" callerId="+16175551212" referMethod="POST" referUrl="https://h/refer"><Number>+14155550100</Number></Dial></Response>"#
        );
        // r.redirect("https://hooks.example.com/vm?a=1&b=2")
        assert_eq!(
            Response::new()
                .redirect("https://hooks.example.com/vm?a=1&b=2")
                .into_twiml(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Redirect>https://hooks.example.com/vm?a=1&amp;b=2</Redirect></Response>"#
        );
    }

    #[test]
    fn password_is_not_in_debug() {
        let s = SipAttributes {
            username: Some("u"),
            password: Some("hunter2"),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}

//! TwiML for `<Response><Dial><Sip>…</Sip></Dial></Response>`, written the way Twilio's
//! helper libraries write it.
//!
//! The output matches twilio-python's `VoiceResponse().dial(**attrs).sip(uri, **attrs)` byte for
//! byte: the XML declaration `<?xml version="1.0" encoding="UTF-8"?>` directly followed by the
//! root, no whitespace, attributes sorted by name, booleans as `true`/`false`, text escaping
//! `& < >`, attribute escaping `& < > "`.
//! Sources: <https://www.twilio.com/docs/voice/twiml/dial>,
//! <https://www.twilio.com/docs/voice/twiml/sip>, twilio-python `twilio/twiml/__init__.py`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use quick_xml::escape::partial_escape;

/// The XML declaration Twilio's libraries write.
const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// `<Dial record="…">`: whether and how Twilio records the dialed call.
/// Source: <https://www.twilio.com/docs/voice/twiml/dial#record>.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// `do-not-record` (Twilio's default).
    DoNotRecord,
    /// `record-from-answer`.
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
        match self {
            Record::DoNotRecord => "do-not-record",
            Record::RecordFromAnswer => "record-from-answer",
            Record::RecordFromRinging => "record-from-ringing",
            Record::RecordFromAnswerDual => "record-from-answer-dual",
            Record::RecordFromRingingDual => "record-from-ringing-dual",
        }
    }
}

impl FromStr for Record {
    type Err = &'static str;

    /// Accepts Twilio's five values, and its aliases `true` (`record-from-answer`) and `false`
    /// (`do-not-record`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "do-not-record" | "false" => Record::DoNotRecord,
            "record-from-answer" | "true" => Record::RecordFromAnswer,
            "record-from-ringing" => Record::RecordFromRinging,
            "record-from-answer-dual" => Record::RecordFromAnswerDual,
            "record-from-ringing-dual" => Record::RecordFromRingingDual,
            _ => {
                return Err(
                    "expected do-not-record, record-from-answer, record-from-ringing, \
                     record-from-answer-dual or record-from-ringing-dual",
                );
            }
        })
    }
}

/// Attributes of `<Dial>`; `None` leaves an attribute out (Twilio's default applies).
/// Source: <https://www.twilio.com/docs/voice/twiml/dial>.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DialAttributes {
    /// `action`: URL Twilio requests when the dialed leg ends (absolute, or relative to the
    /// webhook URL).
    pub action: Option<String>,
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

/// Writes `<?xml …?><Response><Dial …><Sip …>{uri}</Sip></Dial></Response>`.
///
/// `uri` is written as element text (so `&` between headers becomes `&amp;`); attribute values
/// are escaped. Attribute values must not contain line breaks or tabs: Twilio's libraries write
/// those as character references, this writer does not, and configuration refuses them.
pub fn dial_sip(dial: &DialAttributes, sip: &SipAttributes<'_>, uri: &str) -> String {
    let mut out = String::with_capacity(DECLARATION.len() + 64 + uri.len());
    out.push_str(DECLARATION);
    out.push_str("<Response>");
    open_tag(&mut out, "Dial", dial.attributes());
    open_tag(&mut out, "Sip", sip.attributes());
    out.push_str(&partial_escape(uri));
    out.push_str("</Sip></Dial></Response>");
    out
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
    fn password_is_not_in_debug() {
        let s = SipAttributes {
            username: Some("u"),
            password: Some("hunter2"),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}

//! The environment of `redirect-call` → [`RedirectCallConfig`], validated once at cold start.
//!
//! An empty variable counts as unset (SAM passes blank template parameters as empty strings).
//! Every error names the variable and says what it expects, never echoing a secret.

use shared::Error;
use shared::env::{Env, check_http_url, is_printable};
pub use shared::env::{SIP_TRANSPORT, SYNTHFLOW_SIP_ENDPOINT};
use shared::phone::E164;
use shared::sip::{HeaderName, HeaderTemplate, MAX_URI_LEN, SipEndpoint, SipUri, Transport};
use shared::twiml::{DialAttributes, Record, SayAttributes};

use crate::context_recording::ContextRecording;
use crate::dial::{CALLEE_HEADER, DIRECTION_HEADER};
use crate::external_id::ExternalIdFormat;
use crate::fallback::{DEFAULT_FALLBACK_MESSAGE, FallbackAction, FallbackKind};
use crate::refer::{DEFAULT_REFUSED_MESSAGE, TransferRefused};
use crate::transfer_allow_list::TransferAllowList;
/// Comma-separated `X-Name=value` pairs; `{Param}` in a value is replaced by the webhook
/// parameter of that name, e.g. `X-Caller={From},X-Env=prod`.
pub const SIP_EXTRA_HEADERS: &str = "SIP_EXTRA_HEADERS";
/// `true`/`false` → `<Dial answerOnBridge>`.
pub const DIAL_ANSWER_ON_BRIDGE: &str = "DIAL_ANSWER_ON_BRIDGE";
/// Seconds, 5–600 → `<Dial timeout>`.
pub const DIAL_TIMEOUT: &str = "DIAL_TIMEOUT";
/// Seconds, 1–86400 → `<Dial timeLimit>`.
pub const DIAL_TIME_LIMIT: &str = "DIAL_TIME_LIMIT";
/// Letters, digits, `+ - _ .` → `<Dial callerId>`.
pub const DIAL_CALLER_ID: &str = "DIAL_CALLER_ID";
/// One of Twilio's `record` values → `<Dial record>`.
pub const DIAL_RECORD: &str = "DIAL_RECORD";
/// `<Dial action>`: unset → this function's `/dial_status` route; an absolute http(s) URL or a
/// path starting with `/` → that; `none` → no action.
pub const DIAL_ACTION: &str = "DIAL_ACTION";
/// `on` (default) or `off`: `<Dial referUrl>` pointing at this function's `/refer` route, so
/// that Synthflow's transfers (SIP REFER) reach Twilio.
pub const DIAL_REFER: &str = "DIAL_REFER";
/// `callsid` (default) or `tokens`: the form of the `X-EI` value ([`ExternalIdFormat`]).
pub const X_EI_FORMAT: &str = "X_EI_FORMAT";
/// Comma-separated E.164 numbers or `+prefix*` a transfer may dial.
pub const TRANSFER_ALLOWED_NUMBERS: &str = "TRANSFER_ALLOWED_NUMBERS";
/// Comma-separated SIP hosts (or `*.domain`) a transfer may dial, besides Synthflow's.
pub const TRANSFER_ALLOWED_SIP_HOSTS: &str = "TRANSFER_ALLOWED_SIP_HOSTS";
/// `reconnect` (default) or `hangup`: what follows the message when a transfer is refused.
pub const TRANSFER_REFUSED: &str = "TRANSFER_REFUSED";
/// What the caller hears when a transfer is refused.
pub const TRANSFER_REFUSED_MESSAGE: &str = "TRANSFER_REFUSED_MESSAGE";
/// `say` (default), `forward`, `redirect` or `hangup` ([`FallbackAction`]).
pub const FALLBACK_ACTION: &str = "FALLBACK_ACTION";
/// E.164 number `FALLBACK_ACTION=forward` dials.
pub const FALLBACK_NUMBER: &str = "FALLBACK_NUMBER";
/// Absolute http(s) URL `FALLBACK_ACTION=redirect` hands the call to.
pub const FALLBACK_URL: &str = "FALLBACK_URL";
/// What `FALLBACK_ACTION=say` says.
pub const FALLBACK_MESSAGE: &str = "FALLBACK_MESSAGE";
/// `<Say voice>` of the messages, e.g. `Polly.Joanna`.
pub const SAY_VOICE: &str = "SAY_VOICE";
/// `<Say language>` of the messages, e.g. `en-US`.
pub const SAY_LANGUAGE: &str = "SAY_LANGUAGE";

/// Id (name or ARN) of the Secrets Manager secret holding the Twilio credentials
/// ([`crate::twilio_secret::TwilioSecret`]). Required while signature validation is on.
pub const TWILIO_SECRET_ID: &str = "TWILIO_SECRET_ID";
/// `on` (default) or `off`. Off accepts unsigned requests: for local development only.
pub const TWILIO_SIGNATURE_VALIDATION: &str = "TWILIO_SIGNATURE_VALIDATION";
/// The public URL Twilio calls, without the `/redirect_call` path: `https://host[/prefix]`.
/// Needed only when it cannot be rebuilt from the API Gateway event (a proxy in front).
pub const PUBLIC_BASE_URL: &str = "PUBLIC_BASE_URL";

/// Header names the function writes itself, which configuration may not reuse.
pub const RESERVED_HEADERS: [&str; 3] = [HeaderName::EXTERNAL_ID, DIRECTION_HEADER, CALLEE_HEADER];
/// Longest spoken message accepted (Twilio's `<Say>` takes up to 4,096 characters).
const MAX_MESSAGE_LEN: usize = 1000;

/// Where `<Dial action>` points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialAction {
    /// This function's `/dial_status` route (the default).
    StatusRoute,
    /// A URL or path of the user's.
    Url(String),
    /// No `action`: the call ends with the agent leg.
    Off,
}

/// A header added to every dialed URI, from [`SIP_EXTRA_HEADERS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraHeader {
    /// The header name.
    pub name: HeaderName,
    /// Its value, with `{Param}` placeholders.
    pub value: HeaderTemplate,
}

/// Configuration of the `redirect-call` function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectCallConfig {
    /// Where calls are dialed.
    pub sip_endpoint: SipEndpoint,
    /// SIP transport.
    pub sip_transport: Transport,
    /// Headers added after `X-EI` (and, for outbound calls, `X-Direction` and `X-Callee`).
    pub extra_headers: Vec<ExtraHeader>,
    /// `<Dial>` attributes set by configuration (`action` and `referUrl` are per request).
    pub dial: DialAttributes,
    /// Where `<Dial action>` points.
    pub dial_action: DialAction,
    /// Whether `<Dial referUrl>` points at `/refer`.
    pub dial_refer: bool,
    /// The form of `X-EI`.
    pub external_id_format: ExternalIdFormat,
    /// Which transfer targets may be dialed.
    pub transfer_allow_list: TransferAllowList,
    /// What a refused transfer does after its message.
    pub transfer_refused: TransferRefused,
    /// What a refused transfer says.
    pub transfer_refused_message: String,
    /// What a failed agent leg, or Twilio's fallback request, gets.
    pub fallback: FallbackAction,
    /// Voice and language of every `<Say>`.
    pub say: SayAttributes,
    /// The Twilio secret's id, when one is configured.
    pub twilio_secret_id: Option<String>,
    /// Whether `X-Twilio-Signature` is checked.
    pub signature_validation: bool,
    /// The public base URL signatures are checked against, without a trailing `/`.
    pub public_base_url: Option<String>,
    /// What is recorded of each dialed call for Synthflow's pre-call action, when
    /// `CALL_CONTEXT_TABLE` is set.
    pub call_context: Option<ContextRecording>,
}

impl RedirectCallConfig {
    /// Reads the process environment.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable that is invalid.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `get`, which returns a variable's value if set.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first variable that is invalid.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let env = Env::from_lookup(get);

        let sip_endpoint = env.sip_endpoint()?;
        let sip_transport = env.sip_transport(&sip_endpoint)?;
        let extra_headers = env
            .checked(SIP_EXTRA_HEADERS, |spec| parse_extra_headers(&spec))?
            .unwrap_or_default();

        let dial_action = match env.checked(DIAL_ACTION, check_action)? {
            None => DialAction::StatusRoute,
            Some(v) if v == "none" => DialAction::Off,
            Some(v) => DialAction::Url(v),
        };
        let dial = DialAttributes {
            answer_on_bridge: env.bool(DIAL_ANSWER_ON_BRIDGE)?,
            caller_id: env.checked(DIAL_CALLER_ID, check_caller_id)?,
            record: env.choice::<Record>(DIAL_RECORD)?,
            time_limit: env.whole_number(DIAL_TIME_LIMIT, 1, 86_400)?,
            timeout: env.whole_number(DIAL_TIMEOUT, 5, 600)?,
            ..DialAttributes::default()
        };

        let signature_validation = env
            .checked(TWILIO_SIGNATURE_VALIDATION, |v| match v.as_str() {
                "on" => Ok(true),
                "off" => Ok(false),
                _ => Err("expected on or off"),
            })?
            .unwrap_or(true);
        let twilio_secret_id = env.secret_id(TWILIO_SECRET_ID)?;
        if signature_validation && twilio_secret_id.is_none() {
            return Err(Error::config(
                TWILIO_SECRET_ID,
                "required while signature validation is on (the secret holds the auth token); \
                 TWILIO_SIGNATURE_VALIDATION=off turns validation off for local development",
            ));
        }
        let public_base_url = env.checked(PUBLIC_BASE_URL, |v| check_public_base_url(&v))?;

        let dial_refer = env
            .checked(DIAL_REFER, |v| match v.as_str() {
                "on" => Ok(true),
                "off" => Ok(false),
                _ => Err("expected on or off"),
            })?
            .unwrap_or(true);
        let transfer_allow_list = TransferAllowList::parse(
            env.get(TRANSFER_ALLOWED_NUMBERS).as_deref(),
            env.get(TRANSFER_ALLOWED_SIP_HOSTS).as_deref(),
            sip_endpoint.host(),
        )
        .map_err(|(variable, reason)| Error::config(variable, reason))?;
        let message = |name, default: &str| {
            env.checked(name, check_message)
                .map(|v| v.unwrap_or_else(|| default.to_owned()))
        };
        let fallback = match env.choice(FALLBACK_ACTION)?.unwrap_or(FallbackKind::Say) {
            FallbackKind::Say => {
                FallbackAction::Say(message(FALLBACK_MESSAGE, DEFAULT_FALLBACK_MESSAGE)?)
            }
            FallbackKind::Forward => FallbackAction::Forward(
                env.checked(FALLBACK_NUMBER, |v| E164::parse(&v))?
                    .ok_or(Error::config(
                        FALLBACK_NUMBER,
                        "required by FALLBACK_ACTION=forward: the E.164 number to forward to",
                    ))?,
            ),
            FallbackKind::Redirect => FallbackAction::Redirect(
                env.checked(FALLBACK_URL, |v| check_http_url(&v).map(|_| v))?
                    .ok_or(Error::config(
                        FALLBACK_URL,
                        "required by FALLBACK_ACTION=redirect: the absolute http(s) URL of your TwiML",
                    ))?,
            ),
            FallbackKind::Hangup => FallbackAction::Hangup,
        };
        check_fallback_settings_used(|name| env.get(name).is_some(), &fallback)?;
        let say = SayAttributes {
            voice: env.checked(SAY_VOICE, check_say_attribute)?,
            language: env.checked(SAY_LANGUAGE, check_say_attribute)?,
        };

        let config = RedirectCallConfig {
            sip_endpoint,
            sip_transport,
            extra_headers,
            dial,
            dial_action,
            dial_refer,
            external_id_format: env.choice(X_EI_FORMAT)?.unwrap_or_default(),
            transfer_allow_list,
            transfer_refused: env.choice(TRANSFER_REFUSED)?.unwrap_or_default(),
            transfer_refused_message: message(TRANSFER_REFUSED_MESSAGE, DEFAULT_REFUSED_MESSAGE)?,
            fallback,
            say,
            twilio_secret_id,
            signature_validation,
            public_base_url,
            call_context: ContextRecording::from_env(&env)?,
        };
        config.check_lengths()?;
        Ok(config)
    }

    /// Refuses an endpoint, or constant headers, that could never fit Twilio's URI limit.
    fn check_lengths(&self) -> Result<(), Error> {
        let external_id = HeaderName::parse(HeaderName::EXTERNAL_ID).expect("valid name");
        let mut required = vec![(external_id, self.external_id_format.encoded_len())];
        let longest =
            SipUri::longest_required_len(&self.sip_endpoint, self.sip_transport, &required);
        if longest >= MAX_URI_LEN {
            return Err(Error::config(
                SYNTHFLOW_SIP_ENDPOINT,
                format!(
                    "too long: the dialed URI could reach {longest} characters, Twilio's limit is {}",
                    MAX_URI_LEN - 1
                ),
            ));
        }
        for header in &self.extra_headers {
            if let Some(len) = header.value.literal_len() {
                // Percent-encoding at most triples a value.
                required.push((header.name.clone(), len * 3));
            }
        }
        let longest =
            SipUri::longest_required_len(&self.sip_endpoint, self.sip_transport, &required);
        if longest >= MAX_URI_LEN {
            return Err(Error::config(
                SIP_EXTRA_HEADERS,
                format!(
                    "constant headers are too long: the dialed URI could reach {longest} characters, \
                     Twilio's limit is {}",
                    MAX_URI_LEN - 1
                ),
            ));
        }
        Ok(())
    }
}

/// Refuses a fallback setting the chosen `FALLBACK_ACTION` would ignore: a `FALLBACK_NUMBER`
/// without `forward` means a forward was wanted and callers would hear the message instead,
/// found only when the agent is down. `is_set` says whether a variable is set (not empty).
fn check_fallback_settings_used(
    is_set: impl Fn(&str) -> bool,
    fallback: &FallbackAction,
) -> Result<(), Error> {
    let action = fallback.name();
    for (variable, used_by) in [
        (FALLBACK_NUMBER, "forward"),
        (FALLBACK_URL, "redirect"),
        (FALLBACK_MESSAGE, "say"),
    ] {
        if is_set(variable) && action != used_by {
            return Err(Error::config(
                variable,
                format!(
                    "set, but FALLBACK_ACTION is {action}: only FALLBACK_ACTION={used_by} uses it; \
                     set FALLBACK_ACTION={used_by} or leave {variable} empty"
                ),
            ));
        }
    }
    Ok(())
}

fn check_caller_id(v: String) -> Result<String, &'static str> {
    let ok = v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-_.".contains(&b));
    if ok {
        Ok(v)
    } else {
        Err("expected up to 64 letters, digits and + - _ . (Twilio's rule for <Sip> caller ids)")
    }
}

/// An absolute http(s) URL, or a path on the webhook's own host.
fn check_action(v: String) -> Result<String, &'static str> {
    const EXPECTED: &str =
        "expected an absolute http(s) URL, a path starting with / (no spaces), or none";
    if v == "none" {
        return Ok(v);
    }
    if v.starts_with('/') && !v.starts_with("//") {
        return if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            Err(EXPECTED)
        } else {
            Ok(v)
        };
    }
    check_http_url(&v).map(|_| v).map_err(|_| EXPECTED)
}

/// Text to speak: printable, at most [`MAX_MESSAGE_LEN`] characters.
fn check_message(v: String) -> Result<String, String> {
    if is_printable(&v) && v.chars().count() <= MAX_MESSAGE_LEN {
        Ok(v)
    } else {
        Err(format!(
            "expected a message of 1 to {MAX_MESSAGE_LEN} characters without line breaks"
        ))
    }
}

/// A `<Say>` voice or language: letters, digits, `.` and `-`.
fn check_say_attribute(v: String) -> Result<String, &'static str> {
    if (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
    {
        Ok(v)
    } else {
        Err("expected up to 64 letters, digits, . and - (e.g. Polly.Joanna, en-US)")
    }
}

fn check_public_base_url(v: &str) -> Result<String, &'static str> {
    let base = v.trim_end_matches('/');
    match check_http_url(base) {
        Ok(url) if url.query().is_none() && url.fragment().is_none() => Ok(base.to_owned()),
        _ => Err(
            "expected the public http(s) URL without /redirect_call, query or fragment, \
             e.g. https://voice.example.com/twilio",
        ),
    }
}

fn parse_extra_headers(spec: &str) -> Result<Vec<ExtraHeader>, String> {
    let mut headers: Vec<ExtraHeader> = Vec::new();
    for item in spec.split(',').map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let (name, value) = item.split_once('=').ok_or_else(|| {
            format!("expected X-Name=value pairs separated by commas, got {item:?}")
        })?;
        let name = name.trim();
        let name = HeaderName::parse(name).map_err(|reason| format!("{name:?}: {reason}"))?;
        if RESERVED_HEADERS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(name.as_str()))
        {
            return Err(format!("{name} is written by the function itself"));
        }
        if headers
            .iter()
            .any(|h| h.name.as_str().eq_ignore_ascii_case(name.as_str()))
        {
            return Err(format!("{name} is given twice"));
        }
        let value =
            HeaderTemplate::parse(value.trim()).map_err(|reason| format!("{name}: {reason}"))?;
        headers.push(ExtraHeader { name, value });
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Configuration from `vars`, on top of a Twilio secret id (required by default).
    fn config(vars: &[(&str, &str)]) -> Result<RedirectCallConfig, Error> {
        RedirectCallConfig::from_lookup(|name| {
            vars.iter()
                .chain(&[(TWILIO_SECRET_ID, "synthflow-sip-bridge/twilio")])
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    fn variable_of(err: Error) -> &'static str {
        match err {
            Error::Config { variable, .. } => variable,
            other => panic!("not a config error: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.sip_endpoint.to_string(), "sipin.synthflow.ai:32681");
        assert_eq!(c.sip_transport, Transport::Udp);
        assert!(c.extra_headers.is_empty());
        assert_eq!(c.dial, DialAttributes::default());
        assert!(c.signature_validation);
        assert_eq!(
            c.twilio_secret_id.as_deref(),
            Some("synthflow-sip-bridge/twilio")
        );
        assert_eq!(c.public_base_url, None);
    }

    #[test]
    fn validation_needs_a_secret_unless_off() {
        let none = |_: &str| None;
        let err = RedirectCallConfig::from_lookup(none).unwrap_err();
        assert!(
            err.to_string().starts_with("TWILIO_SECRET_ID: required"),
            "{err}"
        );
        let off = RedirectCallConfig::from_lookup(|k| {
            (k == TWILIO_SIGNATURE_VALIDATION).then(|| "off".to_owned())
        })
        .unwrap();
        assert!(!off.signature_validation);
        assert_eq!(off.twilio_secret_id, None);
        let c = config(&[(PUBLIC_BASE_URL, "https://voice.example.com/twilio/")]).unwrap();
        assert_eq!(
            c.public_base_url.as_deref(),
            Some("https://voice.example.com/twilio")
        );
    }

    #[test]
    fn empty_means_unset() {
        let all_empty: Vec<(&str, &str)> = [
            SYNTHFLOW_SIP_ENDPOINT,
            SIP_TRANSPORT,
            SIP_EXTRA_HEADERS,
            DIAL_ANSWER_ON_BRIDGE,
            DIAL_TIMEOUT,
            DIAL_TIME_LIMIT,
            DIAL_CALLER_ID,
            DIAL_RECORD,
            DIAL_ACTION,
            PUBLIC_BASE_URL,
            TWILIO_SIGNATURE_VALIDATION,
        ]
        .iter()
        .map(|k| (*k, ""))
        .collect();
        assert_eq!(config(&all_empty).unwrap(), config(&[]).unwrap());
    }

    #[test]
    fn everything_set() {
        let c = config(&[
            (SYNTHFLOW_SIP_ENDPOINT, "sip.eu.synthflow.ai:32682"),
            (SIP_TRANSPORT, "TLS"),
            (SIP_EXTRA_HEADERS, " X-Caller={From} , X-Env=prod,"),
            (DIAL_ANSWER_ON_BRIDGE, "true"),
            (DIAL_TIMEOUT, "45"),
            (DIAL_TIME_LIMIT, "3600"),
            (DIAL_CALLER_ID, "+14155550199"),
            (DIAL_RECORD, "record-from-answer-dual"),
            (DIAL_ACTION, "https://hooks.example.com/dial-status?x=1"),
        ])
        .unwrap();
        assert_eq!(c.sip_transport, Transport::Tls);
        assert_eq!(c.extra_headers.len(), 2);
        assert_eq!(c.extra_headers[1].name.as_str(), "X-Env");
        assert_eq!(c.dial.timeout, Some(45));
        assert_eq!(c.dial.time_limit, Some(3600));
        assert_eq!(c.dial.record, Some(Record::RecordFromAnswerDual));
        assert_eq!(c.dial.answer_on_bridge, Some(true));
        assert_eq!(
            config(&[(DIAL_ACTION, "/dial-status")])
                .unwrap()
                .dial_action,
            DialAction::Url("/dial-status".into())
        );
        assert_eq!(
            config(&[(DIAL_ACTION, "none")]).unwrap().dial_action,
            DialAction::Off
        );
        assert_eq!(config(&[]).unwrap().dial_action, DialAction::StatusRoute);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let long_host = format!(
            "{}.example:5060",
            "a".repeat(60) + "." + &"b".repeat(60) + "." + &"c".repeat(60) + "." + &"d".repeat(40)
        );
        let long_const = format!("X-Pad={}", "p".repeat(80));
        let cases: Vec<(&str, &str)> = vec![
            (SYNTHFLOW_SIP_ENDPOINT, "sipin.synthflow.ai"),
            (SYNTHFLOW_SIP_ENDPOINT, "evil.example;x=:5060"),
            (SYNTHFLOW_SIP_ENDPOINT, &long_host),
            (SIP_TRANSPORT, "quic"),
            (SIP_TRANSPORT, "tls"),
            (SIP_EXTRA_HEADERS, "X-Twilio-Foo={From}"),
            (SIP_EXTRA_HEADERS, "Caller={From}"),
            (SIP_EXTRA_HEADERS, "X-EI={From}"),
            (SIP_EXTRA_HEADERS, "x-callee={To}"),
            (SIP_EXTRA_HEADERS, "X-A={From},X-a={To}"),
            (SIP_EXTRA_HEADERS, "X-A"),
            (SIP_EXTRA_HEADERS, "X-A={From"),
            (SIP_EXTRA_HEADERS, "X-A="),
            (SIP_EXTRA_HEADERS, &long_const),
            (DIAL_ANSWER_ON_BRIDGE, "yes"),
            (DIAL_TIMEOUT, "4"),
            (DIAL_TIMEOUT, "601"),
            (DIAL_TIMEOUT, "30s"),
            (DIAL_TIME_LIMIT, "0"),
            (DIAL_TIME_LIMIT, "-1"),
            (DIAL_CALLER_ID, "+1 415"),
            (DIAL_CALLER_ID, "a\"b"),
            (DIAL_RECORD, "always"),
            (DIAL_ACTION, "ftp://example.com/x"),
            (DIAL_ACTION, "https://exa mple.com/"),
            (DIAL_ACTION, "//evil.example/x"),
            (DIAL_ACTION, "dial-status"),
            (TWILIO_SIGNATURE_VALIDATION, "false"),
            (TWILIO_SECRET_ID, "my secret"),
            (PUBLIC_BASE_URL, "voice.example.com"),
            (PUBLIC_BASE_URL, "https://voice.example.com/x?y=1"),
            (PUBLIC_BASE_URL, "ftp://voice.example.com"),
            (X_EI_FORMAT, "E"),
            (DIAL_REFER, "true"),
            (TRANSFER_ALLOWED_NUMBERS, "*"),
            (TRANSFER_ALLOWED_NUMBERS, "+1415555010x"),
            (TRANSFER_ALLOWED_SIP_HOSTS, "*"),
            (TRANSFER_ALLOWED_SIP_HOSTS, "pbx.example.com;maddr=x"),
            (TRANSFER_REFUSED, "stay"),
            (TRANSFER_REFUSED_MESSAGE, "line\nbreak"),
            (FALLBACK_ACTION, "voicemail"),
            (FALLBACK_ACTION, "forward"),
            (FALLBACK_ACTION, "redirect"),
            (FALLBACK_MESSAGE, " "),
            (SAY_VOICE, "Polly Joanna"),
            (SAY_LANGUAGE, "en_US\""),
        ];
        for (var, value) in cases {
            let err = config(&[(var, value)]).expect_err(value);
            let message = err.to_string();
            let named = match (var, value) {
                (FALLBACK_ACTION, "forward") => FALLBACK_NUMBER,
                (FALLBACK_ACTION, "redirect") => FALLBACK_URL,
                _ => var,
            };
            assert!(message.starts_with(&format!("{named}: ")), "{message}");
            assert_eq!(variable_of(err), named);
        }
        let long = "a".repeat(1001);
        assert_eq!(
            variable_of(config(&[(FALLBACK_MESSAGE, long.as_str())]).unwrap_err()),
            FALLBACK_MESSAGE
        );
    }

    #[test]
    fn call_flow_settings() {
        let c = config(&[
            (X_EI_FORMAT, "tokens"),
            (DIAL_REFER, "off"),
            (FALLBACK_ACTION, "forward"),
            (FALLBACK_NUMBER, "+14155550100"),
            (TRANSFER_REFUSED, "hangup"),
            (SAY_VOICE, "Polly.Joanna"),
        ])
        .unwrap();
        assert_eq!(c.external_id_format, ExternalIdFormat::Tokens);
        assert!(!c.dial_refer);
        assert_eq!(c.fallback.name(), "forward");
        assert_eq!(c.transfer_refused, TransferRefused::Hangup);
        assert_eq!(c.say.voice.as_deref(), Some("Polly.Joanna"));
        let d = config(&[]).unwrap();
        assert!(d.dial_refer);
        assert_eq!(
            d.fallback,
            FallbackAction::Say(DEFAULT_FALLBACK_MESSAGE.into())
        );
        assert_eq!(d.transfer_refused_message, DEFAULT_REFUSED_MESSAGE);
    }

    #[test]
    fn a_fallback_setting_the_action_ignores_names_itself() {
        for (vars, named) in [
            (vec![(FALLBACK_NUMBER, "+14155550100")], FALLBACK_NUMBER),
            (
                vec![(FALLBACK_ACTION, "say"), (FALLBACK_NUMBER, "+14155550100")],
                FALLBACK_NUMBER,
            ),
            (
                vec![
                    (FALLBACK_ACTION, "hangup"),
                    (FALLBACK_URL, "https://x.example/"),
                ],
                FALLBACK_URL,
            ),
            (
                vec![
                    (FALLBACK_ACTION, "forward"),
                    (FALLBACK_NUMBER, "+14155550100"),
                    (FALLBACK_URL, "https://x.example/"),
                ],
                FALLBACK_URL,
            ),
            (
                vec![(FALLBACK_ACTION, "hangup"), (FALLBACK_MESSAGE, "Goodbye.")],
                FALLBACK_MESSAGE,
            ),
            (
                vec![
                    (FALLBACK_ACTION, "redirect"),
                    (FALLBACK_URL, "https://x.example/"),
                    (FALLBACK_MESSAGE, "Goodbye."),
                ],
                FALLBACK_MESSAGE,
            ),
        ] {
            let err = config(&vars).unwrap_err();
            assert_eq!(variable_of(err), named, "{vars:?}");
        }
        let message = config(&[(FALLBACK_NUMBER, "+14155550100")])
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("FALLBACK_NUMBER: set, but FALLBACK_ACTION is say"),
            "{message}"
        );
        for vars in [
            vec![(FALLBACK_ACTION, "say"), (FALLBACK_MESSAGE, "Goodbye.")],
            vec![(FALLBACK_MESSAGE, "Goodbye.")],
            vec![
                (FALLBACK_ACTION, "forward"),
                (FALLBACK_NUMBER, "+14155550100"),
            ],
            vec![
                (FALLBACK_ACTION, "redirect"),
                (FALLBACK_URL, "https://x.example/"),
            ],
            vec![(FALLBACK_ACTION, "hangup"), (FALLBACK_NUMBER, "")],
        ] {
            assert!(config(&vars).is_ok(), "{vars:?}");
        }
    }

    #[test]
    fn tls_port_mismatch_names_the_transport() {
        assert!(config(&[(SYNTHFLOW_SIP_ENDPOINT, "sip.us.synthflow.ai:32682")]).is_err());
        assert!(
            config(&[
                (SYNTHFLOW_SIP_ENDPOINT, "sip.us.synthflow.ai:32682"),
                (SIP_TRANSPORT, "tls")
            ])
            .is_ok()
        );
        assert!(
            config(&[
                (SYNTHFLOW_SIP_ENDPOINT, "pbx.example.com:5061"),
                (SIP_TRANSPORT, "tls")
            ])
            .is_ok()
        );
    }
}

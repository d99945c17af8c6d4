//! Request bodies and answers of the Synthflow endpoints used for provisioning.
//!
//! Requests are typed after the field tables of the API reference, so that a value Synthflow
//! would refuse (or silently ignore) is refused while the request is built. Answers are read
//! leniently: the `status` text of the envelope is ignored (success is the HTTP status), unknown
//! fields are tolerated, and fields the reference marks as shape-varying accept every documented
//! shape.
//!
//! Sources:
//! - numbers: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/create-custom-number>,
//!   <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/get-phone-number>;
//! - agents: <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>,
//!   <https://docs.synthflow.ai/api-reference/platform-api/agents/update-assistant>,
//!   <https://docs.synthflow.ai/api-reference/platform-api/agents/list-assistant>.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use secrecy::{ExposeSecret as _, SecretString};
use shared::phone::E164;

/// Declares an enum of strings: each variant is written as, and read only from, its string.
/// Reading accepts nothing but a JSON string (serde's derive would also take `{"<variant>": …}`).
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// The value as Synthflow writes it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                match text.as_str() {
                    $($text => Ok($name::$variant),)+
                    other => Err(serde::de::Error::unknown_variant(other, &[$($text),+])),
                }
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Phone numbers
// ---------------------------------------------------------------------------------------------

string_enum!(
    /// The carrier a custom number comes from (`provider_name`). Omitted or
    /// [`ProviderName::Custom`] means a bring-your-own SIP trunk.
    /// Source: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/create-custom-number>.
    ProviderName {
        Twilio = "twilio",
        Telnyx = "telnyx",
        Vonage = "vonage",
        RingCentral = "ring_central",
        Ringcx = "ringcx",
        Custom = "custom",
        Zoom = "zoom",
        Five9 = "five9",
        EightByEight = "8x8",
    }
);

impl ProviderName {
    /// Whether Synthflow answers 400 to an import without `termination_uri` (since 2026-08-05,
    /// for `custom`, `twilio`, `telnyx`, `vonage`, `ring_central`; an omitted provider counts as
    /// `custom`). Synthflow fills it in itself for the others.
    /// Source: <https://docs.synthflow.ai/changelog/2026/8/5>.
    pub fn requires_termination_uri(provider: Option<ProviderName>) -> bool {
        !matches!(
            provider,
            Some(
                ProviderName::Five9
                    | ProviderName::Ringcx
                    | ProviderName::Zoom
                    | ProviderName::EightByEight
            )
        )
    }
}

/// Body of `POST /v2/custom-numbers`: imports a number the workspace owns elsewhere.
///
/// Optional fields are left out of the JSON when unset. `trunk_pwd` is held as a secret: `Debug`
/// shows it redacted, and only serialization for the request writes it.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/create-custom-number>.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
pub struct CreateCustomNumber {
    /// The owning workspace.
    pub workspace_id: String,
    /// The number, E.164.
    #[serde(serialize_with = "serialize_e164")]
    pub phone_number: E164,
    /// A label.
    pub friendly_name: Option<String>,
    /// The carrier; omitted means a bring-your-own SIP trunk.
    pub provider_name: Option<ProviderName>,
    /// SIP domain Synthflow uses for outbound calls (stored as `sip_term_uri`); required unless
    /// [`ProviderName::requires_termination_uri`] says otherwise.
    pub termination_uri: Option<String>,
    /// SIP trunk user name (needed when `uac_enabled`).
    pub trunk_username: Option<String>,
    /// SIP trunk password (needed when `uac_enabled`).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_secret"
    )]
    pub trunk_pwd: Option<SecretString>,
    /// Proxy for outbound calls and REGISTER, e.g. `sip:host:5065` or `…;transport=tcp`.
    pub sip_outbound_proxy: Option<String>,
    /// REGISTER user when it differs from `trunk_username`.
    pub sip_auth_username: Option<String>,
    /// `true`: Synthflow registers (SIP REGISTER) with the carrier. Synthflow's default: false.
    pub uac_enabled: Option<bool>,
    /// Registration lifetime in seconds, 60–3600 (Synthflow's default 300).
    pub uac_register_expires: Option<u32>,
}

/// `response` of a successful `POST /v2/custom-numbers`:
/// `{"status": "ok", "response": {"key": "<uuid>", "phone_number": "<as imported>"}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CustomNumberCreated {
    /// UUID of the custom-number record. `None` when the number was found by a lookup after
    /// an answer was lost, or when Synthflow left it out.
    #[serde(default)]
    pub key: Option<String>,
    /// The number as imported.
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// A number of the workspace, as `GET /v2/numbers/{slug}?workspace=…` returns it (a bare object,
/// no envelope). Only the fields provisioning reads are kept. All are optional and read
/// leniently: a field that is missing, `null` or of another type than documented is `None`, and
/// never fails the lookup.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/get-phone-number>.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PhoneNumber {
    /// The number without `+`.
    #[serde(default, deserialize_with = "lenient")]
    pub slug: Option<String>,
    /// The number, E.164.
    #[serde(default, deserialize_with = "lenient")]
    pub phone_number: Option<String>,
    /// Its label.
    #[serde(default, deserialize_with = "lenient")]
    pub friendly_name: Option<String>,
    /// The carrier, as Synthflow writes it.
    #[serde(default, deserialize_with = "lenient")]
    pub provider_name: Option<String>,
    /// The SIP domain for outbound calls (`termination_uri` on import).
    #[serde(default, deserialize_with = "lenient")]
    pub sip_term_uri: Option<String>,
    /// Proxy for outbound calls and REGISTER (string or null).
    #[serde(default, deserialize_with = "lenient")]
    pub sip_outbound_proxy: Option<String>,
    /// REGISTER user when it differs from the trunk user (string or null).
    #[serde(default, deserialize_with = "lenient")]
    pub sip_auth_username: Option<String>,
    /// Whether Synthflow registers with the carrier.
    #[serde(default, deserialize_with = "lenient")]
    pub uac_enabled: Option<bool>,
    /// Registration lifetime in seconds (int or null).
    #[serde(default, deserialize_with = "lenient")]
    pub uac_register_expires: Option<u32>,
    /// The owning workspace.
    #[serde(default, deserialize_with = "lenient")]
    pub workspace_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Agents ("assistants")
// ---------------------------------------------------------------------------------------------

/// `type` of an agent. A number serves at most one `inbound` agent.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>,
/// <https://docs.synthflow.ai/phone-numbers>.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssistantType {
    /// Answers calls to its numbers.
    Inbound,
    /// Places calls.
    Outbound,
    /// Web widget.
    Widget,
}

impl AssistantType {
    /// The value as Synthflow writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            AssistantType::Inbound => "inbound",
            AssistantType::Outbound => "outbound",
            AssistantType::Widget => "widget",
        }
    }
}

/// The `voice_engine_version` Synthflow's direct-SIP guides ask for on V2 agents. It is absent
/// from the OpenAPI schema and is sent on create only.
/// Source: <https://docs.synthflow.ai/dial-to-the-sip-endpoint>.
pub const VOICE_ENGINE_VERSION: &str = "2.0";

/// Top-level settings of an agent besides `type`, `phone_number` and `agent` (create/update
/// schema). Unset fields are left out of the JSON.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistantFields {
    /// The agent's name (required on create).
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// URL Synthflow posts to after each call (transcript etc.).
    #[serde(default)]
    pub external_webhook_url: Option<String>,
    /// URL Synthflow calls before an inbound call.
    #[serde(default)]
    pub inbound_call_webhook_url: Option<String>,
    /// Record calls.
    #[serde(default)]
    pub is_recording: Option<bool>,
    /// Longest call.
    #[serde(default)]
    pub max_duration: Option<MaxDuration>,
    /// What to say to a voicemail box (needs `greeting_message_mode` `human`).
    #[serde(default)]
    pub voicemail_message: Option<VoicemailMessage>,
}

/// `max_duration`: `{duration_seconds, is_enabled}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxDuration {
    /// Seconds.
    pub duration_seconds: u32,
    /// Whether the limit applies.
    pub is_enabled: bool,
}

/// `voicemail_message`: `{enabled, mode, exact_message, prompt}`.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicemailMessage {
    /// Whether a message is left.
    pub enabled: bool,
    /// `exact_message` or `prompt`.
    #[serde(default)]
    pub mode: Option<VoicemailMode>,
    /// The message, for mode `exact_message`.
    #[serde(default)]
    pub exact_message: Option<String>,
    /// The prompt, for mode `prompt`.
    #[serde(default)]
    pub prompt: Option<String>,
}

string_enum!(
    /// `voicemail_message.mode`: say `exact_message`, or generate the message from `prompt`.
    VoicemailMode { ExactMessage = "exact_message", Prompt = "prompt" }
);
string_enum!(
    /// `agent.greeting_message_mode`.
    GreetingMessageMode { Human = "human", AgentStatic = "agent_static", AgentDynamic = "agent_dynamic" }
);
string_enum!(
    /// `agent.patience_level`.
    PatienceLevel { Low = "low", Medium = "medium", High = "high" }
);
string_enum!(
    /// `agent.voice_synthesizer`.
    VoiceSynthesizer {
        ElevenMultilingualV2 = "eleven_multilingual_v2",
        ElevenTurboV2 = "eleven_turbo_v2",
        ElevenTurboV2_5 = "eleven_turbo_v2_5",
        ElevenFlashV2 = "eleven_flash_v2",
        ElevenFlashV2_5 = "eleven_flash_v2_5",
        ElevenV3 = "eleven_v3",
    }
);
string_enum!(
    /// `agent.min_words_to_interrupt`: a string, `"0"` to `"5"`.
    MinWordsToInterrupt { Zero = "0", One = "1", Two = "2", Three = "3", Four = "4", Five = "5" }
);
string_enum!(
    /// `agent.transcriber_provider`.
    TranscriberProvider { Deepgram = "deepgram", DeepgramNova3 = "deepgram-nova-3", SynthflowStt = "synthflow-stt" }
);
string_enum!(
    /// `agent.transcriber_speech_recognition`.
    SpeechRecognition { Faster = "faster", HighAccuracy = "high_accuracy" }
);
string_enum!(
    /// `agent.noise_cancellation`.
    NoiseCancellation { Standard = "standard", Advanced = "advanced" }
);
string_enum!(
    /// `agent.fallback_provider`.
    FallbackProvider { Elevenlabs = "elevenlabs", Deepgram = "deepgram", Synthflow = "synthflow" }
);
string_enum!(
    /// `agent.background_noise.type`.
    BackgroundNoiseType { Cafe = "cafe", Office = "office" }
);
string_enum!(
    /// `agent.end_call_reasons_v2[].closing_message_mode`.
    ClosingMessageMode { Static = "static", Prompt = "prompt", None = "none" }
);

/// `agent.background_noise`: `{enabled, type, volume}`.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundNoise {
    /// Whether background noise is played.
    pub enabled: bool,
    /// `cafe` or `office`.
    #[serde(rename = "type", default)]
    pub kind: Option<BackgroundNoiseType>,
    /// Volume.
    #[serde(default)]
    pub volume: Option<i64>,
}

/// One of `agent.end_call_reasons_v2`.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndCallReason {
    /// When to end the call.
    pub reason: String,
    /// `static`, `prompt` or `none`.
    #[serde(default)]
    pub closing_message_mode: Option<ClosingMessageMode>,
    /// What to say before hanging up.
    #[serde(default)]
    pub closing_message: Option<String>,
}

/// The `agent` object of an agent: voice, model and conversation settings. Every field is
/// optional in Synthflow's schema; provisioning always sends `llm`, `language`, `prompt`,
/// `greeting_message` and `voice_id`, as every guide does. Unset fields are left out.
/// Units: `*_seconds` and `greeting_message_human_talk_timeout` in seconds,
/// `interruption_fade_out` in 20 ms frames.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSettings {
    /// Model, e.g. `gpt-4.1` (free text: the documented values drift).
    #[serde(default)]
    pub llm: Option<String>,
    /// Language code, e.g. `en-US`, `de-DE`, `multi`.
    #[serde(default)]
    pub language: Option<String>,
    /// The prompt; `{variable}` placeholders (e.g. `{X-Account-Ref}`) are filled per call.
    #[serde(default)]
    pub prompt: Option<String>,
    /// First sentence; `{variable}` placeholders allowed.
    #[serde(default)]
    pub greeting_message: Option<String>,
    /// Who speaks first and how.
    #[serde(default)]
    pub greeting_message_mode: Option<GreetingMessageMode>,
    /// Seconds to wait for the caller (mode `human`).
    #[serde(default)]
    pub greeting_message_human_talk_timeout: Option<u32>,
    /// Voice, from Synthflow's voices endpoint.
    #[serde(default)]
    pub voice_id: Option<String>,
    /// IANA time zone (Synthflow's default `Europe/Berlin`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// `low`, `medium` or `high`.
    #[serde(default)]
    pub patience_level: Option<PatienceLevel>,
    /// Speech synthesizer.
    #[serde(default)]
    pub voice_synthesizer: Option<VoiceSynthesizer>,
    /// Speaking rate.
    #[serde(default)]
    pub voice_speed: Option<f64>,
    /// Volume.
    #[serde(default)]
    pub voice_volume: Option<f64>,
    /// Noise suppression level.
    #[serde(default)]
    pub suppression_level: Option<f64>,
    /// 0–1.
    #[serde(default)]
    pub voice_stability: Option<f64>,
    /// 0–1.
    #[serde(default)]
    pub voice_similarity_boost: Option<f64>,
    /// 0–1.
    #[serde(default)]
    pub voice_style: Option<f64>,
    /// 0–4.
    #[serde(default)]
    pub voice_optimise_streaming_latency: Option<u8>,
    /// Speaker boost.
    #[serde(default)]
    pub voice_use_speaker_boost: Option<bool>,
    /// Filler words ("um", "uh").
    #[serde(default)]
    pub realistic_filler_words: Option<bool>,
    /// No transcript is kept.
    #[serde(default)]
    pub is_transcript_disabled: Option<bool>,
    /// Personal data is redacted.
    #[serde(default)]
    pub redact_pii: Option<bool>,
    /// Voice direction.
    #[serde(default)]
    pub voice_prompt: Option<String>,
    /// Audio tags (`eleven_v3` only).
    #[serde(default)]
    pub global_audio_tags: Option<String>,
    /// Model used when `llm` fails.
    #[serde(default)]
    pub fallback_model: Option<String>,
    /// Words the caller must say to interrupt, `"0"`–`"5"`.
    #[serde(default)]
    pub min_words_to_interrupt: Option<MinWordsToInterrupt>,
    /// Seconds of silence before the call ends.
    #[serde(default)]
    pub allowed_idle_time_seconds: Option<u32>,
    /// Seconds before the agent starts.
    #[serde(default)]
    pub initial_pause_seconds: Option<u32>,
    /// Seconds of ringing before answering.
    #[serde(default)]
    pub ring_pause_seconds: Option<u32>,
    /// Fade-out on interruption, in 20 ms frames.
    #[serde(default)]
    pub interruption_fade_out: Option<u32>,
    /// Remind an idle caller (Synthflow's default false).
    #[serde(default)]
    pub send_user_idle_reminders: Option<bool>,
    /// Seconds of silence before a reminder.
    #[serde(default)]
    pub reminder_after_idle_time_seconds: Option<u32>,
    /// The reminder.
    #[serde(default)]
    pub reminder_after_idle_message: Option<String>,
    /// Speech-to-text provider.
    #[serde(default)]
    pub transcriber_provider: Option<TranscriberProvider>,
    /// `faster` or `high_accuracy`.
    #[serde(default)]
    pub transcriber_speech_recognition: Option<SpeechRecognition>,
    /// Words the transcriber should expect.
    #[serde(default)]
    pub transcriber_keywords: Option<Vec<String>>,
    /// Words never spoken.
    #[serde(default)]
    pub synthesizer_filter_words: Option<Vec<String>>,
    /// Background noise.
    #[serde(default)]
    pub background_noise: Option<BackgroundNoise>,
    /// `standard` or `advanced`.
    #[serde(default)]
    pub noise_cancellation: Option<NoiseCancellation>,
    /// When to end calls.
    #[serde(default)]
    pub end_call_reasons_v2: Option<Vec<EndCallReason>>,
    /// Voice used when `voice_id` fails.
    #[serde(default)]
    pub fallback_voice_id: Option<String>,
    /// Provider of `fallback_voice_id`.
    #[serde(default)]
    pub fallback_provider: Option<FallbackProvider>,
    /// Consent message (create schema only: sent on create, never compared or updated).
    #[serde(default)]
    pub consent_message: Option<String>,
    /// Ask for consent (create schema only: sent on create, never compared or updated).
    #[serde(default)]
    pub is_consent_enabled: Option<bool>,
}

/// The top-level fields of [`AssistantFields`], in the schema's names: in a flat agent block
/// (provisioning's event), every other key belongs to the `agent` object ([`AgentSettings`]).
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>.
pub const ASSISTANT_FIELDS: [&str; 7] = [
    "name",
    "description",
    "external_webhook_url",
    "inbound_call_webhook_url",
    "is_recording",
    "max_duration",
    "voicemail_message",
];

/// Fields of [`AgentSettings`] an agent needs to answer a call: the create schema requires only
/// `name`, but every Synthflow guide sends these five, and an agent without them cannot speak.
/// Source: <https://docs.synthflow.ai/route-sip-calls>.
pub const REQUIRED_AGENT_SETTINGS: [&str; 5] =
    ["llm", "language", "prompt", "greeting_message", "voice_id"];

/// The agent fields whose value is a JSON object (`max_duration`, `voicemail_message` at the
/// top level, `background_noise` in `agent`); `end_call_reasons_v2` is an array of objects.
pub const OBJECT_AGENT_FIELDS: [&str; 3] =
    ["max_duration", "voicemail_message", "background_noise"];

/// Fields of [`AgentSettings`] that only the create schema has: sent on create, never compared
/// or sent in an update.
pub const CREATE_ONLY_AGENT_FIELDS: [&str; 2] = ["consent_message", "is_consent_enabled"];

/// Body of `POST /v2/assistants`.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/create-assistant>.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
pub struct CreateAssistant {
    /// The agent's type.
    #[serde(rename = "type")]
    pub kind: AssistantType,
    /// The number to bind, E.164. It must already exist in the workspace.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_opt_e164"
    )]
    pub phone_number: Option<E164>,
    /// See [`VOICE_ENGINE_VERSION`]; left out when `None`.
    pub voice_engine_version: Option<String>,
    /// `name` and the other top-level settings.
    #[serde(flatten)]
    pub fields: AssistantFields,
    /// The `agent` object.
    pub agent: AgentSettings,
}

/// Body of `PUT /v2/assistants/{model_id}`: a partial update, only the fields present change.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/update-assistant>.
pub type UpdateAssistant = Map<String, Value>;

/// `response` of a successful create or update:
/// `{"status": "ok", "response": {"model_id": "<id>"}, "details": {…}}`. `model_id` is opaque
/// (both `1726559381711x108708587477942990`-style ids and UUIDs occur).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct AssistantCreated {
    /// The agent's id.
    pub model_id: String,
}

/// A number bound to an agent (`attached_phone_numbers[]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AttachedNumber {
    /// The number, E.164.
    #[serde(default)]
    pub number: Option<String>,
    /// The number without `+`.
    #[serde(default)]
    pub slug: Option<String>,
}

/// An agent as `GET /v2/assistants/` lists it: the create fields, plus `model_id` and
/// `attached_phone_numbers`. Everything but `model_id` is optional; fields not modelled here are
/// kept in [`Assistant::settings`] for comparison.
/// Source: <https://docs.synthflow.ai/api-reference/platform-api/agents/list-assistant>.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Assistant {
    /// The agent's id.
    pub model_id: String,
    /// `inbound`, `outbound` or `widget`, as Synthflow writes it.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Numbers the agent answers on.
    #[serde(default, deserialize_with = "null_as_default")]
    pub attached_phone_numbers: Vec<AttachedNumber>,
    /// Every other field: `name`, `agent`, `description`, …
    #[serde(flatten)]
    pub settings: Map<String, Value>,
}

impl Assistant {
    /// Whether the agent is of `kind`.
    pub fn is(&self, kind: AssistantType) -> bool {
        self.kind.as_deref() == Some(kind.as_str())
    }

    /// The agent's `name`, if it is a string.
    pub fn name(&self) -> Option<&str> {
        self.settings.get("name").and_then(Value::as_str)
    }

    /// Whether `number` is among the agent's numbers (by E.164 number or by slug).
    pub fn is_bound_to(&self, number: &E164) -> bool {
        self.attached_phone_numbers.iter().any(|attached| {
            attached.number.as_deref() == Some(number.as_str())
                || attached.slug.as_deref() == Some(number.slug())
        })
    }
}

/// `pagination` of list answers: `{total_records, limit, offset}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Pagination {
    /// Items in all pages.
    #[serde(default)]
    pub total_records: Option<u64>,
}

/// `response` of `GET /v2/assistants/` (and of `GET /v2/assistants/{model_id}`).
/// The schema types `assistants` as one object while the examples show an array: both are read.
#[derive(Clone, Debug, Deserialize)]
pub struct AssistantPage {
    /// The page's position.
    #[serde(default)]
    pub pagination: Pagination,
    /// The page's agents.
    #[serde(default, deserialize_with = "one_or_many")]
    pub assistants: Vec<Assistant>,
}

/// The envelope of most answers, `{"status": …, "response": T}`. `status` (`"ok"`, sometimes
/// `"success"`) is not read: success is the HTTP status.
#[derive(Clone, Debug, Deserialize)]
pub struct Envelope<T> {
    /// The payload.
    pub response: T,
}

/// An answer that is documented bare but may come in an [`Envelope`].
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum MaybeEnveloped<T> {
    /// `{"response": T, …}`
    Enveloped(Envelope<T>),
    /// `T`
    Bare(T),
}

impl<T> MaybeEnveloped<T> {
    /// The payload.
    pub fn into_inner(self) -> T {
        match self {
            MaybeEnveloped::Enveloped(e) => e.response,
            MaybeEnveloped::Bare(t) => t,
        }
    }
}

/// What Synthflow says in an error body, whatever its shape:
/// `{"detail": "Not Found"}`, `{"detail": {"description", "status", "category", "request_id"}}`,
/// FastAPI's `{"detail": [{"loc", "msg"}]}`, `{"error": "<slug>", "message": "…"}`, or text.
/// Returns `None` for an empty body. The result is one line of at most 500 characters.
pub fn error_message(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let message = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => object_message(&object).unwrap_or_else(|| text.to_owned()),
        Ok(Value::String(s)) => s,
        _ => text.to_owned(),
    };
    let one_line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(500)
        .collect();
    Some(one_line)
}

fn object_message(object: &Map<String, Value>) -> Option<String> {
    let str_of = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    match object.get("detail") {
        Some(Value::String(s)) => return Some(s.clone()),
        Some(Value::Object(detail)) => {
            let text = str_of(detail.get("description"))
                .or_else(|| str_of(detail.get("message")))
                .or_else(|| str_of(detail.get("status")))?;
            let mut out = text;
            if let Some(category) = str_of(detail.get("category")) {
                out.push_str(&format!(" (category {category})"));
            }
            if let Some(id) = str_of(detail.get("request_id")) {
                out.push_str(&format!(" (request_id {id})"));
            }
            return Some(out);
        }
        Some(Value::Array(items)) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(|item| {
                    let msg = str_of(item.get("msg"))?;
                    let loc = item.get("loc").and_then(Value::as_array).map(|loc| {
                        loc.iter()
                            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join(".")
                    });
                    Some(match loc {
                        Some(loc) => format!("{loc}: {msg}"),
                        None => msg,
                    })
                })
                .collect();
            if !parts.is_empty() {
                return Some(parts.join("; "));
            }
        }
        _ => {}
    }
    match (str_of(object.get("error")), str_of(object.get("message"))) {
        (Some(error), Some(message)) => Some(format!("{error}: {message}")),
        (None, Some(message)) => Some(message),
        (Some(error), None) => Some(error),
        (None, None) => str_of(object.get("description")),
    }
}

fn serialize_e164<S: Serializer>(number: &E164, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(number.as_str())
}

fn serialize_opt_e164<S: Serializer>(number: &Option<E164>, s: S) -> Result<S::Ok, S::Error> {
    match number {
        Some(number) => s.serialize_str(number.as_str()),
        None => s.serialize_none(),
    }
}

fn serialize_secret<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => s.serialize_str(secret.expose_secret()),
        None => s.serialize_none(),
    }
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `Some` when the value has the expected type, `None` for anything else (`null`, another type).
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(T::deserialize(Value::deserialize(d)?).ok())
}

fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
    }
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        Some(OneOrMany::Many(items)) => items,
        Some(OneOrMany::One(item)) => vec![item],
        None => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_bodies_of_every_documented_shape() {
        let cases = [
            (json!({"detail": "Not Found"}), "Not Found"),
            (
                json!({"detail": {"status": "error", "description": "Invalid voice_id", "request_id": "r1", "category": "validation"}}),
                "Invalid voice_id (category validation) (request_id r1)",
            ),
            (
                json!({"error": "not_found", "message": "No such number"}),
                "not_found: No such number",
            ),
            (
                json!({"detail": [{"loc": ["query", "workspace"], "msg": "field required", "type": "value_error.missing"}]}),
                "query.workspace: field required",
            ),
            (json!({"unexpected": 1}), r#"{"unexpected":1}"#),
        ];
        for (body, expected) in cases {
            let bytes = serde_json::to_vec(&body).unwrap();
            assert_eq!(error_message(&bytes).as_deref(), Some(expected), "{body}");
        }
        assert_eq!(
            error_message(b"upstream\r\nerror").as_deref(),
            Some("upstream  error")
        );
        assert_eq!(error_message(b"  "), None);
    }

    #[test]
    fn assistants_as_array_or_single_object() {
        let page: Envelope<AssistantPage> = serde_json::from_value(json!({
            "status": "success",
            "response": {"pagination": {"total_records": 1, "limit": 20, "offset": 0},
                         "assistants": {"model_id": "m1", "type": "inbound", "name": "a",
                                        "attached_phone_numbers": null}}
        }))
        .unwrap();
        assert_eq!(page.response.assistants.len(), 1);
        assert_eq!(page.response.assistants[0].name(), Some("a"));
        assert!(
            page.response.assistants[0]
                .attached_phone_numbers
                .is_empty()
        );
    }

    #[test]
    fn number_answer_bare_or_enveloped() {
        let bare: MaybeEnveloped<PhoneNumber> =
            serde_json::from_value(json!({"slug": "14155550123", "created_at": {}})).unwrap();
        assert_eq!(bare.into_inner().slug.as_deref(), Some("14155550123"));
        let wrapped: MaybeEnveloped<PhoneNumber> =
            serde_json::from_value(json!({"status": "ok", "response": {"slug": "1"}})).unwrap();
        assert_eq!(wrapped.into_inner().slug.as_deref(), Some("1"));
    }

    /// The reference's GET shape (§3.4), and the same with fields missing, `null` or of
    /// another type: read without failing.
    #[test]
    fn number_answer_fields_are_read_leniently() {
        let documented: PhoneNumber = serde_json::from_value(json!({
            "slug": "14155550123", "address_requirement": "none",
            "phone_number": "+14155550123", "friendly_name": "main line",
            "is_sms_capable": false, "is_voice_capable": true, "iso_country": "US",
            "locality": "", "sip_auth_username": "acme-register",
            "sip_outbound_proxy": "sip:proxy.acme.example:5065", "assistants": ["m1"],
            "sip_term_uri": "acme-trunk.pstn.twilio.com", "uac_enabled": true,
            "uac_register_expires": 600, "sid": "", "provider_name": "twilio", "region": "",
            "is_available": false, "agency_workspace_id": null, "workspace_id": "ws",
            "created_at": {}, "updated_at": null
        }))
        .unwrap();
        assert_eq!(
            documented,
            PhoneNumber {
                slug: Some("14155550123".into()),
                phone_number: Some("+14155550123".into()),
                friendly_name: Some("main line".into()),
                provider_name: Some("twilio".into()),
                sip_term_uri: Some("acme-trunk.pstn.twilio.com".into()),
                sip_outbound_proxy: Some("sip:proxy.acme.example:5065".into()),
                sip_auth_username: Some("acme-register".into()),
                uac_enabled: Some(true),
                uac_register_expires: Some(600),
                workspace_id: Some("ws".into()),
            }
        );
        let odd: MaybeEnveloped<PhoneNumber> = serde_json::from_value(json!({
            "slug": "14155550123", "friendly_name": 5, "sip_outbound_proxy": null,
            "uac_enabled": "yes", "uac_register_expires": -1
        }))
        .unwrap();
        assert_eq!(
            odd.into_inner(),
            PhoneNumber {
                slug: Some("14155550123".into()),
                ..PhoneNumber::default()
            }
        );
    }

    /// Enums of the event are written and read as their strings only: serde's derive would
    /// also read `{"twilio": null}` as `twilio`.
    #[test]
    fn string_enums_are_read_from_their_strings_only() {
        assert_eq!(
            serde_json::from_value::<ProviderName>(json!("8x8")).unwrap(),
            ProviderName::EightByEight
        );
        assert_eq!(
            serde_json::to_value(ProviderName::RingCentral).unwrap(),
            "ring_central"
        );
        assert_eq!(ProviderName::RingCentral.as_str(), "ring_central");
        for bad in [
            json!({"twilio": null}),
            json!(["twilio"]),
            json!("Twilio"),
            json!(1),
        ] {
            assert!(
                serde_json::from_value::<ProviderName>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        assert!(serde_json::from_value::<GreetingMessageMode>(json!({"human": null})).is_err());
        assert!(serde_json::from_value::<VoicemailMode>(json!({"prompt": {}})).is_err());
        assert_eq!(
            serde_json::from_value::<VoicemailMode>(json!("exact_message")).unwrap(),
            VoicemailMode::ExactMessage
        );
    }

    #[test]
    fn trunk_password_is_redacted_in_debug() {
        let body = CreateCustomNumber {
            workspace_id: "ws".into(),
            phone_number: E164::parse("+14155550123").unwrap(),
            friendly_name: None,
            provider_name: None,
            termination_uri: None,
            trunk_username: Some("user".into()),
            trunk_pwd: Some(SecretString::from("hunter2")),
            sip_outbound_proxy: None,
            sip_auth_username: None,
            uac_enabled: Some(true),
            uac_register_expires: None,
        };
        assert!(!format!("{body:?}").contains("hunter2"));
        assert!(!format!("{body:?}").contains("4155550123"));
        assert_eq!(serde_json::to_value(&body).unwrap()["trunk_pwd"], "hunter2");
    }
}

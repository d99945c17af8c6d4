//! `make bench`: what a call costs in `redirect-call`, beside a baseline measured in the same
//! run (`bench-baseline`, a `lambda_http` function answering a fixed TwiML string).
//!
//! - Cold start: the release binary spawned with `AWS_LAMBDA_RUNTIME_API` pointing at a
//!   loopback Runtime API emulator that already holds one invocation
//!   (`events/redirect-call/post-inbound-full.json`); timed from spawn to the TwiML response
//!   posted, split at the first `GET …/invocation/next`. `redirect-call` runs without the
//!   secret fetch (validation off) and with it, the AWS SDK trusting the operating system's CA
//!   store (`SDK_TRUST_ROOTS=native`, the SDK's default and what the function did before) and
//!   Amazon's compiled-in roots (the default). `provision`'s cold start (its Synthflow secret
//!   fetched, its Synthflow client built) is timed from spawn to its first poll, with both trust
//!   stores. Runs are serial; each round runs every arm once, in a rotating order.
//! - The call-context write: `redirect-call` with `CALL_CONTEXT_TABLE` set, cold (in the
//!   cold-start arms) and warm (invocation queued → TwiML posted through the emulator, beside
//!   the same arm with the write off), against moto_server and against an endpoint that
//!   answers at once.
//! - Warm cost: read from the medians `cargo bench -p bench --bench warm` (criterion) leaves in
//!   `target/criterion/warm/`.
//! - Memory: `VmHWM` of one process at every 1,000th of its invocations; its growth per 1,000
//!   from the 1,000th to the last, with a new trace id each invocation (as Lambda sends) and
//!   with one constant trace id (which `lambda_runtime`'s per-invocation `setenv` of
//!   `_X_AMZN_TRACE_ID` then stops leaking).
//! - Size: the arm64 `bootstrap` files and zips `cargo lambda build` wrote to `--lambda-dir`.
//! - Provisioning: `provision` applying 50 numbers to the fake Synthflow API, every call of
//!   which answers after 50 ms — with `PROVISION_CONCURRENCY` at its default and at 1
//!   (sequential), each a first run and a re-run; wall time and the calls the fake received.
//!
//! Prints Markdown tables on stdout. Only loopback traffic; every process it starts is stopped.

mod instant_secrets;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use fake_synthflow::{FakeSynthflow, Fault, FaultRule, Route};
use instant_secrets::InstantSecrets;
use lambda_emulator::{Emulator, Outcome};
use moto_harness::MotoServer;
use provision::config::DEFAULT_CONCURRENCY;
use serde_json::{Value, json};

/// The secret id `redirect-call` reads in the signed configuration.
const SECRET_ID: &str = "bench/twilio";
/// The call-context table `redirect-call` writes to in the recording arms.
const CONTEXT_TABLE: &str = "bench-call-context";
/// Warm invocations timed per arm through the Runtime API, after [`WARM_LATENCY_SKIPPED`].
const WARM_LATENCY_INVOCATIONS: usize = 500;
const WARM_LATENCY_SKIPPED: usize = 20;
/// The arms whose warm invocations are timed: the call-context write off and on.
const WARM_LATENCY_ARMS: [Arm; 4] = [
    Arm::Signed,
    Arm::Recording,
    Arm::SignedInstant,
    Arm::RecordingInstant,
];
/// The committed event every invocation carries: a real inbound call, signed.
const EVENT: &str = "post-inbound-full.json";
/// Longest wait for one answer before the run is declared failed.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);
/// Cold starts per arm run before measuring (page cache, moto's first requests).
const WARM_UP_ROUNDS: usize = 3;
/// `GetSecretValue` calls timed from a warm client, for moto's own share.
const MOTO_PROBES: usize = 30;
const MB: f64 = 1e6;

/// The secret id `provision` reads Synthflow's API key from, and the key and workspace in it.
const SYNTHFLOW_SECRET_ID: &str = "bench/synthflow";
const SYNTHFLOW_API_KEY: &str = "bench-synthflow-key";
const SYNTHFLOW_WORKSPACE: &str = "ws_bench";
/// Numbers in the provisioning event.
const PROVISION_NUMBERS: usize = 50;
/// Latency the fake Synthflow API adds to every call.
const SYNTHFLOW_LATENCY: Duration = Duration::from_millis(50);
/// Every route of the fake, each slowed down by [`SYNTHFLOW_LATENCY`].
const SYNTHFLOW_ROUTES: [Route; 10] = [
    Route::ListNumbers,
    Route::GetNumber,
    Route::UpdateNumber,
    Route::DeleteNumber,
    Route::CreateCustomNumber,
    Route::ListAssistants,
    Route::GetAssistant,
    Route::CreateAssistant,
    Route::UpdateAssistant,
    Route::DeleteAssistant,
];
/// Longest wait for one provisioning answer.
const PROVISION_TIMEOUT: Duration = Duration::from_secs(60);

struct Args {
    cold_runs: usize,
    invocations: usize,
    lambda_dir: Option<PathBuf>,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut args = Args {
            cold_runs: 40,
            invocations: 10_000,
            lambda_dir: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let mut value = || it.next().ok_or(format!("{flag}: a value is required"));
            match flag.as_str() {
                "--cold-runs" => args.cold_runs = number(&flag, &value()?)?,
                "--invocations" => args.invocations = number(&flag, &value()?)?,
                "--lambda-dir" => args.lambda_dir = Some(value()?.into()),
                _ => {
                    return Err(format!(
                        "unknown argument {flag}; usage: bench [--cold-runs N] \
                         [--invocations N (a multiple of 1000, ≥ 2000)] [--lambda-dir DIR]"
                    ));
                }
            }
        }
        if args.invocations < 2 * MEMORY_STEP || !args.invocations.is_multiple_of(MEMORY_STEP) {
            return Err(format!(
                "--invocations: a multiple of {MEMORY_STEP}, at least {}",
                2 * MEMORY_STEP
            ));
        }
        if args.cold_runs == 0 {
            return Err("--cold-runs: at least 1".into());
        }
        Ok(args)
    }
}

fn number(flag: &str, value: &str) -> Result<usize, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a number"))
}

/// One way of running a function binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arm {
    /// `bench-baseline`.
    Baseline,
    /// `redirect-call` with `TWILIO_SIGNATURE_VALIDATION=off` and no secret.
    Unsigned,
    /// As [`Arm::Signed`], the AWS SDK trusting the operating system's CA store
    /// (`SDK_TRUST_ROOTS=native`): the SDK's default client, as the function was before it got
    /// its own trust store.
    SignedNative,
    /// `redirect-call` as deployed: validation on, the Twilio secret from moto, the AWS SDK
    /// trusting Amazon's compiled-in root CAs.
    Signed,
    /// As [`Arm::Signed`], the secret answered at once by [`InstantSecrets`] instead of moto:
    /// the function's own cost of the fetch, without moto's Python answering time.
    SignedInstant,
    /// As [`Arm::Signed`], recording each call's context in moto's DynamoDB table
    /// (`CALL_CONTEXT_TABLE`): one `PutItem` before the TwiML.
    Recording,
    /// As [`Arm::SignedInstant`], recording the context through the same instant endpoint:
    /// the function's own cost of the write.
    RecordingInstant,
    /// `provision`'s cold start (configuration, Synthflow secret from moto, Synthflow client),
    /// the AWS SDK trusting the operating system's CA store.
    ProvisionNative,
    /// `provision`'s cold start as deployed: Amazon's root CAs.
    Provision,
}

const ARMS: [Arm; 9] = [
    Arm::Baseline,
    Arm::Unsigned,
    Arm::SignedNative,
    Arm::Signed,
    Arm::SignedInstant,
    Arm::Recording,
    Arm::RecordingInstant,
    Arm::ProvisionNative,
    Arm::Provision,
];

impl Arm {
    fn label(self) -> &'static str {
        match self {
            Arm::Baseline => "baseline",
            Arm::Unsigned => "redirect-call, validation off, no secret",
            Arm::SignedNative => {
                "redirect-call, secret from moto, OS CA store (`SDK_TRUST_ROOTS=native`: before)"
            }
            Arm::Signed => "redirect-call, secret from moto, Amazon roots compiled in (after)",
            Arm::SignedInstant => {
                "redirect-call, secret from a loopback endpoint answering at once, Amazon roots \
                 compiled in (after)"
            }
            Arm::Recording => {
                "redirect-call, secret from moto, call context written to moto's DynamoDB"
            }
            Arm::RecordingInstant => {
                "redirect-call, secret and call-context write answered at once by a loopback \
                 endpoint"
            }
            Arm::ProvisionNative => {
                "provision, secret from moto, OS CA store (`SDK_TRUST_ROOTS=native`: before)"
            }
            Arm::Provision => "provision, secret from moto, Amazon roots compiled in (after)",
        }
    }

    /// `provision` is timed to its first poll: its first invocation is a provisioning run.
    fn is_provision(self) -> bool {
        matches!(self, Arm::ProvisionNative | Arm::Provision)
    }
}

struct Bench {
    bin_dir: PathBuf,
    event: String,
    expected_body: String,
    moto: MotoServer,
    instant: InstantSecrets,
    logs: PathBuf,
}

impl Bench {
    /// Starts `arm` against `emulator`.
    fn spawn(&self, arm: Arm, emulator: &Emulator) -> Result<Child, String> {
        let mut vars = match arm {
            Arm::Baseline => vec![],
            Arm::Unsigned => vec![("TWILIO_SIGNATURE_VALIDATION", "off".into())],
            Arm::SignedNative | Arm::Signed => {
                let mut vars = self.moto.env();
                vars.push(("TWILIO_SECRET_ID", SECRET_ID.into()));
                vars
            }
            Arm::Recording => {
                let mut vars = self.moto.env();
                vars.push(("TWILIO_SECRET_ID", SECRET_ID.into()));
                vars.push(("CALL_CONTEXT_TABLE", CONTEXT_TABLE.into()));
                vars
            }
            Arm::SignedInstant | Arm::RecordingInstant => {
                let mut vars = self.moto.env();
                for (name, value) in &mut vars {
                    if matches!(
                        *name,
                        "AWS_ENDPOINT_URL_SECRETS_MANAGER" | "AWS_ENDPOINT_URL_DYNAMODB"
                    ) {
                        *value = self.instant.endpoint();
                    }
                }
                vars.push(("TWILIO_SECRET_ID", SECRET_ID.into()));
                if arm == Arm::RecordingInstant {
                    vars.push(("CALL_CONTEXT_TABLE", CONTEXT_TABLE.into()));
                }
                vars
            }
            Arm::ProvisionNative | Arm::Provision => {
                let mut vars = self.moto.env();
                vars.push(("SYNTHFLOW_SECRET_ID", SYNTHFLOW_SECRET_ID.into()));
                vars
            }
        };
        if matches!(arm, Arm::SignedNative | Arm::ProvisionNative) {
            vars.push(("SDK_TRUST_ROOTS", "native".into()));
        }
        let bin = match arm {
            Arm::Baseline => "bench-baseline",
            Arm::Unsigned
            | Arm::SignedNative
            | Arm::Signed
            | Arm::SignedInstant
            | Arm::Recording
            | Arm::RecordingInstant => "redirect-call",
            Arm::ProvisionNative | Arm::Provision => "provision",
        };
        self.start(bin, emulator, &vars)
    }

    /// Starts the function binary `bin` against `emulator`, with only the environment Lambda
    /// would give it and `vars`; its output goes to [`Bench::logs`].
    fn start(
        &self,
        bin: &str,
        emulator: &Emulator,
        vars: &[(&str, String)],
    ) -> Result<Child, String> {
        let log = std::fs::File::create(&self.logs)
            .and_then(|log| Ok((log.try_clone()?, log)))
            .map_err(|e| format!("{}: {e}", self.logs.display()))?;
        let path = self.bin_dir.join(bin);
        Command::new(&path)
            .env_clear()
            .envs(emulator.env(bin))
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.0)
            .stderr(log.1)
            .spawn()
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.logs).unwrap_or_default()
    }

    /// Waits for the next answer and checks it is the expected TwiML. On failure, stops
    /// `child` and returns what went wrong with the function's output.
    async fn answer(
        &self,
        arm: Arm,
        emulator: &mut Emulator,
        child: &mut Child,
    ) -> Result<Instant, String> {
        self.expect_twiml(emulator.timed_outcome(ANSWER_TIMEOUT).await)
            .map_err(|what| {
                let _ = child.kill();
                let _ = child.wait();
                format!("{arm:?}: {what}; its output:\n{}", self.output())
            })
    }

    fn expect_twiml(&self, answer: Option<(Instant, Outcome)>) -> Result<Instant, String> {
        let (at, json) = match answer {
            Some((at, Outcome::Response(json))) => (at, json),
            Some((_, other)) => return Err(format!("answered {other:?}")),
            None => return Err(format!("no answer within {ANSWER_TIMEOUT:?}")),
        };
        let response: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| format!("answer not JSON: {e}"))?;
        if response["statusCode"] != 200 || response["body"] != self.expected_body.as_str() {
            return Err(format!("unexpected answer {json}"));
        }
        Ok(at)
    }

    /// One cold start: spawn → first `/next` poll → TwiML posted; for `provision`, spawn →
    /// first poll.
    async fn cold_start(&self, arm: Arm) -> Result<ColdStart, String> {
        if arm.is_provision() {
            return self.init(arm).await;
        }
        let mut emulator = Emulator::start().await;
        emulator.invoke(self.event.clone());
        let spawned = Instant::now();
        let mut child = self.spawn(arm, &emulator)?;
        let answered = self.answer(arm, &mut emulator, &mut child).await?;
        stop(child);
        let polled = emulator
            .first_poll()
            .ok_or(format!("{arm:?}: answered without polling"))?;
        Ok(ColdStart {
            init: polled - spawned,
            first_invocation: answered - polled,
        })
    }

    /// Spawn → first `/next` poll, no invocation.
    async fn init(&self, arm: Arm) -> Result<ColdStart, String> {
        let emulator = Emulator::start().await;
        let spawned = Instant::now();
        let mut child = self.spawn(arm, &emulator)?;
        let polled = loop {
            if let Some(polled) = emulator.first_poll() {
                break polled;
            }
            let exited = child.try_wait().ok().flatten();
            if exited.is_some() || spawned.elapsed() > ANSWER_TIMEOUT {
                stop(child);
                return Err(format!(
                    "{arm:?}: no poll for an invocation ({exited:?}); its output:\n{}",
                    self.output()
                ));
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        stop(child);
        Ok(ColdStart {
            init: polled - spawned,
            first_invocation: Duration::ZERO,
        })
    }

    /// `VmHWM` at every [`MEMORY_STEP`]th of `invocations` serial invocations of one process,
    /// each with a new trace id or all with one.
    async fn memory(&self, arm: Arm, invocations: usize, trace: Trace) -> Result<Memory, String> {
        let mut emulator = Emulator::start().await;
        if trace == Trace::Constant {
            emulator.use_constant_trace_id();
        }
        let mut child = self.spawn(arm, &emulator)?;
        let mut samples = Vec::new();
        for n in 1..=invocations {
            emulator.invoke(self.event.clone());
            self.answer(arm, &mut emulator, &mut child).await?;
            if n.is_multiple_of(MEMORY_STEP) {
                samples.push(vm_hwm(child.id())?);
            }
        }
        stop(child);
        Ok(Memory {
            arm,
            trace,
            samples,
        })
    }

    /// Milliseconds from each invocation queued to its TwiML posted, over
    /// [`WARM_LATENCY_INVOCATIONS`] serial invocations of one warm process (the first
    /// [`WARM_LATENCY_SKIPPED`] left out).
    async fn warm_latency(&self, arm: Arm) -> Result<Stats, String> {
        let mut emulator = Emulator::start().await;
        let mut child = self.spawn(arm, &emulator)?;
        let mut samples = Vec::new();
        for n in 0..WARM_LATENCY_SKIPPED + WARM_LATENCY_INVOCATIONS {
            let queued = Instant::now();
            emulator.invoke(self.event.clone());
            let answered = self.answer(arm, &mut emulator, &mut child).await?;
            if n >= WARM_LATENCY_SKIPPED {
                samples.push(ms(answered - queued));
            }
        }
        stop(child);
        Ok(Stats::of(samples))
    }
}

impl Bench {
    /// `provision` applying [`PROVISION_NUMBERS`] numbers twice (a first run, then a re-run
    /// that finds everything done) against a fresh fake Synthflow API.
    async fn provision(&self, concurrency: usize) -> Result<[Provisioning; 2], String> {
        let fake = FakeSynthflow::start(SYNTHFLOW_API_KEY, SYNTHFLOW_WORKSPACE)
            .await
            .map_err(|e| format!("fake Synthflow: {e}"))?;
        for route in SYNTHFLOW_ROUTES {
            fake.inject(FaultRule::new(route, Fault::Delay(SYNTHFLOW_LATENCY)));
        }
        let mut emulator = Emulator::start().await;
        let mut vars = self.moto.env();
        vars.push(("SYNTHFLOW_SECRET_ID", SYNTHFLOW_SECRET_ID.into()));
        vars.push(("SYNTHFLOW_API_BASE", fake.base_url()));
        vars.push(("PROVISION_CONCURRENCY", concurrency.to_string()));
        let mut child = self.start("provision", &emulator, &vars)?;
        let result = async {
            // Time the invocations only, not the cold start.
            let polling = Instant::now();
            while emulator.first_poll().is_none() {
                if polling.elapsed() > ANSWER_TIMEOUT {
                    return Err("no poll for an invocation".to_owned());
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let mut runs = Vec::new();
            for expected_changes in [2 * PROVISION_NUMBERS, 0] {
                fake.clear_requests();
                let invoked = Instant::now();
                emulator.invoke(provision_event().to_string());
                let (answered, answer) = match emulator.timed_outcome(PROVISION_TIMEOUT).await {
                    Some((at, Outcome::Response(json))) => (at, json),
                    other => return Err(format!("answered {other:?}")),
                };
                let answer: Value = serde_json::from_str(&answer).map_err(|e| e.to_string())?;
                let summary = &answer["summary"];
                if summary["succeeded"] != PROVISION_NUMBERS
                    || summary["changes"] != expected_changes
                {
                    return Err(format!("unexpected summary {summary}"));
                }
                let requests = fake.requests();
                runs.push(Provisioning {
                    wall: answered - invoked,
                    calls: requests.len(),
                    writes: requests.iter().filter(|r| r.is_write()).count(),
                });
            }
            Ok([runs[0], runs[1]])
        }
        .await;
        let _ = child.kill();
        let _ = child.wait();
        result.map_err(|what| {
            format!(
                "provision (PROVISION_CONCURRENCY={concurrency}): {what}; its output:\n{}",
                self.output()
            )
        })
    }
}

/// One provisioning invocation.
#[derive(Clone, Copy)]
struct Provisioning {
    wall: Duration,
    /// Requests the fake Synthflow API received.
    calls: usize,
    /// Of them, those that change state.
    writes: usize,
}

/// `numbers` for +14155550100 and up, each with an inbound agent.
fn provision_event() -> Value {
    let numbers: Vec<Value> = (0..PROVISION_NUMBERS)
        .map(|i| {
            let number = format!("+1415555{:04}", 100 + i);
            json!({
                "phone_number": number,
                "friendly_name": format!("bench line {i}"),
                "provider_name": "twilio",
                "termination_uri": "bench-trunk.pstn.twilio.com",
                "agent": {
                    "name": format!("bench inbound {number}"),
                    "llm": "gpt-4.1-mini",
                    "language": "en-US",
                    "prompt": "You answer calls for the benchmark.",
                    "greeting_message": "Hello, how can I help?",
                    "voice_id": "bench-voice"
                }
            })
        })
        .collect();
    json!({"mode": "apply", "numbers": numbers})
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// `VmHWM` (peak resident set) of `pid`, in bytes.
fn vm_hwm(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or(format!("/proc/{pid}/status has no VmHWM"))
}

#[derive(Clone, Copy)]
struct ColdStart {
    init: Duration,
    first_invocation: Duration,
}

impl ColdStart {
    fn total(&self) -> Duration {
        self.init + self.first_invocation
    }
}

/// The trace ids of a memory run's invocations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trace {
    /// A new one each, as Lambda sends.
    PerInvocation,
    /// The same for all.
    Constant,
}

/// Invocations between two `VmHWM` samples.
const MEMORY_STEP: usize = 1000;

/// The memory runs: every `redirect-call` configuration and the baseline as Lambda drives them,
/// then the baseline and the deployed configuration with one constant trace id.
const MEMORY_RUNS: [(Arm, Trace); 6] = [
    (Arm::Baseline, Trace::PerInvocation),
    (Arm::Unsigned, Trace::PerInvocation),
    (Arm::SignedNative, Trace::PerInvocation),
    (Arm::Signed, Trace::PerInvocation),
    (Arm::Baseline, Trace::Constant),
    (Arm::Signed, Trace::Constant),
];

/// One memory run.
struct Memory {
    arm: Arm,
    trace: Trace,
    /// `VmHWM` in bytes after every [`MEMORY_STEP`]th invocation.
    samples: Vec<u64>,
}

impl Memory {
    fn peak(&self) -> u64 {
        self.samples.last().copied().unwrap_or_default()
    }

    /// Average growth of `VmHWM` per [`MEMORY_STEP`] invocations, in bytes, from the first
    /// sample to the last.
    fn growth_per_step(&self) -> f64 {
        let first = self.samples.first().copied().unwrap_or_default();
        let steps = self.samples.len().saturating_sub(1).max(1);
        (self.peak() as f64 - first as f64) / steps as f64
    }
}

/// Median and spread of a sample.
#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    p10: f64,
    p90: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn of(values: impl IntoIterator<Item = f64>) -> Stats {
        let mut v: Vec<f64> = values.into_iter().collect();
        assert!(!v.is_empty(), "no samples");
        v.sort_by(f64::total_cmp);
        let n = v.len();
        // Nearest rank.
        let rank = |p: f64| v[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Stats {
            median,
            p10: rank(0.10),
            p90: rank(0.90),
            min: v[0],
            max: v[n - 1],
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `12.34 ms (p10 11.20–p90 15.02)`.
fn spread(s: Stats, unit: &str) -> String {
    format!("{:.2} {unit} (p10 {:.2}–p90 {:.2})", s.median, s.p10, s.p90)
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// Criterion's median for `warm/<id>`, in ns, with its 95 % confidence interval.
fn criterion_median(target: &Path, id: &str) -> Option<(f64, f64, f64)> {
    let path = target
        .join("criterion/warm")
        .join(id)
        .join("new/estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let median = &json["median"];
    Some((
        median["point_estimate"].as_f64()?,
        median["confidence_interval"]["lower_bound"].as_f64()?,
        median["confidence_interval"]["upper_bound"].as_f64()?,
    ))
}

/// Sizes of `<dir>/<bin>/bootstrap` and `bootstrap.zip`, when both are there.
fn sizes(dir: &Path, bin: &str) -> Option<(u64, u64)> {
    let size = |name: &str| {
        std::fs::metadata(dir.join(bin).join(name))
            .ok()
            .map(|m| m.len())
    };
    Some((size("bootstrap")?, size("bootstrap.zip")?))
}

/// Processes named `rustc` or `cargo` running now (other builds competing for the CPU).
fn compilers() -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
        .filter(|comm| matches!(comm.trim(), "rustc" | "cargo"))
        .count()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn machine(workspace: &Path) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".into(), |(_, v)| v.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let ram = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().strip_suffix("kB"))
                .and_then(|kb| kb.trim().parse::<f64>().ok())
        })
        .map_or("?".into(), |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("?".into(), |k| k.trim().to_owned());
    let rustc = Command::new("rustc")
        .arg("--version")
        .current_dir(workspace)
        .output()
        .ok()
        .map_or("?".into(), |o| {
            String::from_utf8_lossy(&o.stdout).trim().to_owned()
        });
    format!("{cpu}, {cores} cores, {ram} RAM, Linux {kernel}, {rustc}")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run_benchmarks(&args).await {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_benchmarks(args: &Args) -> Result<String, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin_dir = exe.parent().ok_or("no executable directory")?.to_owned();
    let target = bin_dir.parent().ok_or("no target directory")?.to_owned();
    for bin in ["redirect-call", "bench-baseline", "provision"] {
        if !bin_dir.join(bin).is_file() {
            return Err(format!(
                "{} is missing: build it first (`make bench` does)",
                bin_dir.join(bin).display()
            ));
        }
    }
    let events = workspace.join("events/redirect-call");
    let read =
        |name: &str| std::fs::read_to_string(events.join(name)).map_err(|e| format!("{name}: {e}"));
    let cases: serde_json::Value =
        serde_json::from_str(&read("cases.json")?).map_err(|e| e.to_string())?;
    let case = cases
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["event"] == EVENT))
        .ok_or(format!("cases.json has no case for {EVENT}"))?;
    let expected_body = case["body"]
        .as_str()
        .ok_or("the case has no body")?
        .to_owned();
    if expected_body != bench_baseline::TWIML {
        return Err(format!(
            "bench-baseline must answer what {EVENT} gets: {expected_body}"
        ));
    }

    let quiet_before = Quiet::now();
    let started = Instant::now();
    eprintln!("bench: starting moto_server");
    let moto = MotoServer::start();
    moto.create_secret(SECRET_ID, &case["secret"].to_string())
        .await;
    moto.create_secret(
        SYNTHFLOW_SECRET_ID,
        &json!({"api_key": SYNTHFLOW_API_KEY, "workspace_id": SYNTHFLOW_WORKSPACE}).to_string(),
    )
    .await;
    let scratch = std::env::temp_dir().join(format!("bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    moto.create_table(CONTEXT_TABLE, "CallSid", "expires_at")
        .await;
    let instant = InstantSecrets::start(SECRET_ID, &case["secret"].to_string()).await?;
    let bench = Bench {
        bin_dir,
        event: read(EVENT)?,
        expected_body,
        moto,
        instant,
        logs: scratch.join("function.log"),
    };
    let measured = measure(&bench, args).await;
    drop(bench);
    let _ = std::fs::remove_dir_all(&scratch);
    let mut m = measured?;
    m.quiet[0] = quiet_before;
    m.quiet[2] = Quiet::now();
    m.elapsed = started.elapsed();
    Ok(report(args, &workspace, &target, &m))
}

/// Load and competing compilers at one moment of the run.
#[derive(Clone, Default)]
struct Quiet {
    load: String,
    compilers: usize,
}

impl Quiet {
    fn now() -> Quiet {
        Quiet {
            load: load_average(),
            compilers: compilers(),
        }
    }
}

struct Measured {
    /// Cold starts per arm, in [`ARMS`] order.
    cold: Vec<Vec<ColdStart>>,
    /// `GetSecretValue` calls moto received during the cold starts, and the signed cold starts.
    fetches: (usize, usize),
    moto_rtt: Stats,
    /// One per [`WARM_LATENCY_ARMS`], in its order.
    warm_latency: Vec<Stats>,
    /// One per [`MEMORY_RUNS`], in its order.
    memory: Vec<Memory>,
    /// First run and re-run, at the default concurrency and sequentially.
    provisioning: [[Provisioning; 2]; 2],
    /// Before, midway, after.
    quiet: [Quiet; 3],
    elapsed: Duration,
}

async fn measure(bench: &Bench, args: &Args) -> Result<Measured, String> {
    eprintln!(
        "bench: {WARM_UP_ROUNDS} warm-up and {} measured cold starts per arm, serial",
        args.cold_runs
    );
    let mut cold = vec![Vec::new(); ARMS.len()];
    let fetches_before = bench.moto.calls("GetSecretValue");
    let mut midway = Quiet::default();
    for round in 0..WARM_UP_ROUNDS + args.cold_runs {
        for k in 0..ARMS.len() {
            let i = (round + k) % ARMS.len();
            let sample = bench.cold_start(ARMS[i]).await?;
            if round >= WARM_UP_ROUNDS {
                cold[i].push(sample);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if round == WARM_UP_ROUNDS + args.cold_runs / 2 {
            midway = Quiet::now();
        }
    }
    let fetches = bench.moto.calls("GetSecretValue") - fetches_before;
    let fetching_arms = ARMS
        .iter()
        .filter(|a| {
            !matches!(
                a,
                Arm::Baseline | Arm::Unsigned | Arm::SignedInstant | Arm::RecordingInstant
            )
        })
        .count();
    let signed_runs = fetching_arms * (WARM_UP_ROUNDS + args.cold_runs);
    if fetches != signed_runs {
        return Err(format!(
            "expected one GetSecretValue per cold start with a secret ({signed_runs}), moto saw \
             {fetches}"
        ));
    }
    let instant_runs = 2 * (WARM_UP_ROUNDS + args.cold_runs);
    let rounds = WARM_UP_ROUNDS + args.cold_runs;
    let puts = (bench.moto.calls("PutItem"), bench.instant.put_items());
    if puts != (rounds, rounds) {
        return Err(format!(
            "expected one PutItem per cold start of each recording arm ({rounds}), moto saw {}, \
             the instant endpoint {}",
            puts.0, puts.1
        ));
    }
    if bench.instant.answered() != instant_runs {
        return Err(format!(
            "expected one GetSecretValue per cold start of {:?} and {:?} ({instant_runs}), the \
             endpoint answered {}",
            Arm::SignedInstant,
            Arm::RecordingInstant,
            bench.instant.answered()
        ));
    }

    eprintln!("bench: moto's own GetSecretValue time, {MOTO_PROBES} calls from a warm client");
    let client = bench.moto.client();
    let mut probes = Vec::new();
    for n in 0..3 + MOTO_PROBES {
        let t = Instant::now();
        client
            .get_secret_value()
            .secret_id(SECRET_ID)
            .send()
            .await
            .map_err(|e| format!("GetSecretValue: {e}"))?;
        if n >= 3 {
            probes.push(ms(t.elapsed()));
        }
    }

    eprintln!(
        "bench: warm latency through the Runtime API, {WARM_LATENCY_INVOCATIONS} invocations per \
         arm, call-context write off and on"
    );
    let mut warm_latency = Vec::new();
    for arm in WARM_LATENCY_ARMS {
        warm_latency.push(bench.warm_latency(arm).await?);
    }

    eprintln!(
        "bench: {} serial invocations per process for VmHWM, {} processes",
        args.invocations,
        MEMORY_RUNS.len()
    );
    let mut memory = Vec::new();
    for (arm, trace) in MEMORY_RUNS {
        memory.push(bench.memory(arm, args.invocations, trace).await?);
    }

    eprintln!(
        "bench: provision, {PROVISION_NUMBERS} numbers, Synthflow answering after \
         {SYNTHFLOW_LATENCY:?}: concurrency {DEFAULT_CONCURRENCY}, then sequential"
    );
    let provisioning = [
        bench.provision(DEFAULT_CONCURRENCY).await?,
        bench.provision(1).await?,
    ];
    Ok(Measured {
        cold,
        warm_latency,
        provisioning,
        fetches: (fetches, signed_runs),
        moto_rtt: Stats::of(probes),
        memory,
        quiet: [Quiet::default(), midway, Quiet::default()],
        elapsed: Duration::ZERO,
    })
}

fn report(args: &Args, workspace: &Path, target: &Path, m: &Measured) -> String {
    let arm = |a: Arm| ARMS.iter().position(|x| *x == a).expect("an arm");
    let stats =
        |a: Arm, f: fn(&ColdStart) -> Duration| Stats::of(m.cold[arm(a)].iter().map(|c| ms(f(c))));
    let base = stats(Arm::Baseline, ColdStart::total);
    let mut out = String::new();
    let w = &mut out;

    let _ = writeln!(w, "Machine: {}", machine(workspace));
    let [before, midway, after] = &m.quiet;
    let busy = before.compilers + midway.compilers + after.compilers;
    let _ = writeln!(
        w,
        "Load average {} before, {} after ({:.0} s); rustc/cargo processes running: {} before, \
         {} midway, {} after{}",
        before.load,
        after.load,
        m.elapsed.as_secs_f64(),
        before.compilers,
        midway.compilers,
        after.compilers,
        if busy == 0 {
            " (quiet)"
        } else {
            " (NOT quiet: timings are noisy)"
        }
    );
    let _ = writeln!(w);
    let _ = writeln!(w, "| Measure | function | baseline | ratio | target |");
    let _ = writeln!(w, "|---|---|---|---|---|");
    for (a, label, limit) in [
        (
            Arm::Unsigned,
            "`redirect-call` without the secret fetch: validation off, no secret, no Secrets \
             Manager (stands in for \"secrets from the environment\", which the function has no \
             mode for)",
            Some(1.5),
        ),
        (
            Arm::SignedNative,
            "`redirect-call` with the secret fetch, **before**: validation on, Twilio secret \
             from moto_server (one GetSecretValue through the AWS SDK), the SDK reading the OS CA \
             store (`SDK_TRUST_ROOTS=native`, the SDK's default)",
            None,
        ),
        (
            Arm::Signed,
            "`redirect-call` with the secret fetch, **after**: the same, the SDK trusting \
             Amazon's root CAs compiled in (the default, as deployed); includes moto_server's own \
             time to answer (below)",
            None,
        ),
        (
            Arm::SignedInstant,
            "`redirect-call` with the secret fetch, **after**, the function's own cost: the \
             same, GetSecretValue answered at once by a loopback endpoint instead of moto_server",
            Some(2.5),
        ),
    ] {
        let s = stats(a, ColdStart::total);
        let ratio = s.median / base.median;
        let _ = writeln!(
            w,
            "| Cold start, spawn → TwiML posted ({} runs): {label} | {} | {} | {ratio:.2}× | {} |",
            args.cold_runs,
            spread(s, "ms"),
            spread(base, "ms"),
            limit.map_or(String::new(), |limit| format!(
                "≤ {limit}×: {}",
                verdict(ratio <= limit)
            ))
        );
    }
    for (a, without, label) in [
        (
            Arm::Recording,
            Arm::Signed,
            "`redirect-call` with the fetch and the **call-context write on**: one PutItem to \
             moto_server's DynamoDB before the TwiML (a new connection: the cold write)",
        ),
        (
            Arm::RecordingInstant,
            Arm::SignedInstant,
            "`redirect-call` with the fetch and the **call-context write on**, the function's own \
             cost: GetSecretValue and PutItem answered at once by a loopback endpoint",
        ),
    ] {
        let s = stats(a, ColdStart::total);
        let off = stats(without, ColdStart::total);
        let _ = writeln!(
            w,
            "| Cold start, spawn → TwiML posted ({} runs): {label}; the write adds {:+.2} ms \
             (median) to the same arm with it off | {} | {} | {:.2}× | |",
            args.cold_runs,
            s.median - off.median,
            spread(s, "ms"),
            spread(base, "ms"),
            s.median / base.median,
        );
    }
    let base_init = stats(Arm::Baseline, |c| c.init);
    for (a, when) in [
        (
            Arm::ProvisionNative,
            "**before** (`SDK_TRUST_ROOTS=native`)",
        ),
        (Arm::Provision, "**after** (Amazon's root CAs)"),
    ] {
        let s = stats(a, |c| c.init);
        let _ = writeln!(
            w,
            "| Cold start, spawn → first poll for an invocation ({} runs): `provision` (Synthflow \
             secret from moto_server, Synthflow client built), {when}; baseline to its first poll \
             | {} | {} | {:.2}× | |",
            args.cold_runs,
            spread(s, "ms"),
            spread(base_init, "ms"),
            s.median / base_init.median,
        );
    }

    let warm = |id| criterion_median(target, id);
    match (
        warm("redirect-call"),
        warm("redirect-call-logged"),
        warm("baseline"),
    ) {
        (Some(plain), Some(logged), Some(baseline)) => {
            let us = |(m, lo, hi): (f64, f64, f64)| {
                format!(
                    "{:.2} µs (95 % CI {:.2}–{:.2})",
                    m / 1e3,
                    lo / 1e3,
                    hi / 1e3
                )
            };
            for (label, figure) in [
                ("with its JSON log line, written to a sink", logged),
                ("no log subscriber", plain),
            ] {
                let _ = writeln!(
                    w,
                    "| Warm, per invocation (criterion median): event JSON parsed, signature \
                     checked, TwiML rendered, answer serialised; **{label}** | {} | {} | {:.1}× | \
                     < 20 µs: {} |",
                    us(figure),
                    us(baseline),
                    figure.0 / baseline.0,
                    verdict(figure.0 < 20_000.0)
                );
            }
        }
        _ => {
            let _ = writeln!(
                w,
                "| Warm, per invocation | not measured: run `cargo bench -p bench --bench warm` \
                 first | | | < 20 µs |"
            );
        }
    }

    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Warm invocations through the Runtime API emulator, invocation queued → TwiML posted, \
         {WARM_LATENCY_INVOCATIONS} serial invocations of one process per arm (the first \
         {WARM_LATENCY_SKIPPED} left out); the call-context write off and on:"
    );
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "| Secrets Manager and DynamoDB | write off | write on | added (median) |"
    );
    let _ = writeln!(w, "|---|---|---|---|");
    let warm_arm = |a: Arm| {
        m.warm_latency[WARM_LATENCY_ARMS
            .iter()
            .position(|x| *x == a)
            .expect("a warm arm")]
    };
    for (label, off, on) in [
        ("moto_server", Arm::Signed, Arm::Recording),
        (
            "a loopback endpoint answering at once (the function's own cost)",
            Arm::SignedInstant,
            Arm::RecordingInstant,
        ),
    ] {
        let (off, on) = (warm_arm(off), warm_arm(on));
        let _ = writeln!(
            w,
            "| {label} | {} | {} | {:+.3} ms |",
            spread(off, "ms"),
            spread(on, "ms"),
            on.median - off.median
        );
    }
    let _ = writeln!(w);
    let mb = |b: u64| b as f64 / MB;
    let run = |a: Arm, t: Trace| {
        m.memory
            .iter()
            .find(|r| r.arm == a && r.trace == t)
            .expect("a memory run")
    };
    let (mem, mem_base) = (
        run(Arm::Signed, Trace::PerInvocation),
        run(Arm::Baseline, Trace::PerInvocation),
    );
    let n = args.invocations;
    let _ = writeln!(
        w,
        "| Peak memory (VmHWM) after {n} invocations: `redirect-call` as deployed | {:.2} MB | \
         {:.2} MB | {:.2}× | ≤ 12 MB: {} |",
        mb(mem.peak()),
        mb(mem_base.peak()),
        mem.peak() as f64 / mem_base.peak() as f64,
        verdict(mem.peak() as f64 <= 12.0 * MB),
    );
    // VmHWM moves by whole 4 KiB pages: over the run, one page is its resolution.
    let page_per_step = 4096.0 / (n / MEMORY_STEP - 1) as f64;
    let per_step = |r: &Memory| {
        let g = r.growth_per_step();
        format!(
            "{:+.1} kB ({:.0} B per invocation)",
            g / 1e3,
            g / MEMORY_STEP as f64
        )
    };
    for (trace, label) in [
        (
            Trace::PerInvocation,
            "a new trace id each invocation, as Lambda sends",
        ),
        (Trace::Constant, "one constant trace id"),
    ] {
        let (ours, base) = (run(Arm::Signed, trace), run(Arm::Baseline, trace));
        let extra = ours.growth_per_step() - base.growth_per_step();
        // With a new trace id each invocation, both grow by `lambda_runtime`'s `setenv`; only
        // with one constant id is what remains the functions' own.
        let target = match trace {
            Trace::PerInvocation => {
                "`lambda_runtime`'s `setenv` of `_X_AMZN_TRACE_ID` (README)".into()
            }
            Trace::Constant => format!(
                "ours adds none (≤ baseline + one page over the run): {}",
                verdict(extra <= page_per_step)
            ),
        };
        let _ = writeln!(
            w,
            "| VmHWM growth per 1,000 invocations, the 1,000th → the {n}th, {label}: \
             `redirect-call` as deployed | {} | {} | {:+.1} kB | {target} |",
            per_step(ours),
            per_step(base),
            extra / 1e3,
        );
    }

    match args.lambda_dir.as_deref() {
        Some(dir) => {
            let (base_raw, base_zip) = sizes(dir, "bench-baseline").unwrap_or_default();
            for bin in ["redirect-call", "provision", "call-context"] {
                let Some((raw, zip)) = sizes(dir, bin) else {
                    continue;
                };
                let target = if bin == "redirect-call" {
                    format!("≤ 4 MB zipped: {}", verdict(zip as f64 <= 4.0 * MB))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    w,
                    "| Size, arm64 `bootstrap` / its zip: `{bin}` | {:.2} MB / {:.2} MB | {:.2} \
                     MB / {:.2} MB | {:.1}× / {:.1}× | {target} |",
                    mb(raw),
                    mb(zip),
                    mb(base_raw),
                    mb(base_zip),
                    raw as f64 / base_raw as f64,
                    zip as f64 / base_zip as f64,
                );
            }
        }
        None => {
            let _ = writeln!(
                w,
                "| Size | not measured: pass `--lambda-dir` | | | ≤ 4 MB zipped |"
            );
        }
    }

    let [bounded, sequential] = &m.provisioning;
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Provisioning: `provision` applying {PROVISION_NUMBERS} numbers (import + inbound agent \
         each) to the fake Synthflow API, every call answered after {} ms; one process, timed \
         from the invocation to its answer:",
        SYNTHFLOW_LATENCY.as_millis()
    );
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "| | `PROVISION_CONCURRENCY={DEFAULT_CONCURRENCY}` (default) | sequential \
         (`PROVISION_CONCURRENCY=1`) | ratio |"
    );
    let _ = writeln!(w, "|---|---|---|---|");
    for (i, run) in ["first run", "re-run"].iter().enumerate() {
        let (b, s) = (bounded[i], sequential[i]);
        let _ = writeln!(
            w,
            "| {run}: wall time | {:.2} s | {:.2} s | {:.1}× faster |",
            b.wall.as_secs_f64(),
            s.wall.as_secs_f64(),
            s.wall.as_secs_f64() / b.wall.as_secs_f64()
        );
        let _ = writeln!(
            w,
            "| {run}: Synthflow API calls (writes) | {} ({}) | {} ({}) | |",
            b.calls, b.writes, s.calls, s.writes
        );
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Where the time and memory go (medians; init = spawn → first `GET …/invocation/next`, \
         first invocation = that poll → TwiML posted; VmHWM after {} invocations):",
        args.invocations
    );
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "| Arm | init | first invocation | cold start (min–max) | VmHWM |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|");
    for a in ARMS {
        let t = stats(a, ColdStart::total);
        let memory = m
            .memory
            .iter()
            .find(|r| r.arm == a && r.trace == Trace::PerInvocation);
        let first = if a.is_provision() {
            "—".to_owned()
        } else {
            format!("{:.2} ms", stats(a, |c| c.first_invocation).median)
        };
        let _ = writeln!(
            w,
            "| {} | {:.2} ms | {first} | {:.2} ms ({:.2}–{:.2}) | {} |",
            a.label(),
            stats(a, |c| c.init).median,
            t.median,
            t.min,
            t.max,
            memory.map_or("—".into(), |m| format!("{:.2} MB", mb(m.peak()))),
        );
    }
    let init = |a| stats(a, |c| c.init).median;
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Secret fetch at cold start (init with the secret − init without): {:.2} ms before, {:.2} \
         ms after, {:.2} ms after with the answer at once; the OS CA store (native − Amazon roots): {:.2} ms in `redirect-call`, {:.2} ms \
         in `provision`; moto_server answering GetSecretValue to a warm client: {} \
         ({MOTO_PROBES} calls). One GetSecretValue per cold start with a secret (moto counted {} \
         for {}).",
        init(Arm::SignedNative) - init(Arm::Unsigned),
        init(Arm::Signed) - init(Arm::Unsigned),
        init(Arm::SignedInstant) - init(Arm::Unsigned),
        init(Arm::SignedNative) - init(Arm::Signed),
        init(Arm::ProvisionNative) - init(Arm::Provision),
        spread(m.moto_rtt, "ms"),
        m.fetches.0,
        m.fetches.1,
    );

    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "VmHWM (MB) every {MEMORY_STEP} invocations of one process, and its growth per \
         {MEMORY_STEP} from the first sample to the last:"
    );
    let _ = writeln!(w);
    let steps = n / MEMORY_STEP;
    let _ = write!(w, "| Run |");
    for k in 1..=steps {
        let _ = write!(w, " {}k |", k * MEMORY_STEP / 1000);
    }
    let _ = writeln!(w, " per {MEMORY_STEP} |");
    let _ = writeln!(w, "|---|{}---|", "---|".repeat(steps));
    for r in &m.memory {
        let trace = match r.trace {
            Trace::PerInvocation => "new trace id each",
            Trace::Constant => "constant trace id",
        };
        let _ = write!(w, "| {}; {trace} |", r.arm.label());
        for sample in &r.samples {
            let _ = write!(w, " {:.3} |", mb(*sample));
        }
        let _ = writeln!(w, " {} |", per_step(r));
    }
    out
}

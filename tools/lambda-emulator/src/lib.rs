//! A minimal Lambda Runtime API on loopback, to run a function binary as Lambda runs it:
//! the binary is started with `AWS_LAMBDA_RUNTIME_API` pointing here, polls
//! `GET /2018-06-01/runtime/invocation/next` for events, and posts each answer to
//! `…/invocation/{id}/response` (or `…/error`, or `/runtime/init/error` at cold start).
//!
//! Source: <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::sync::{Mutex, mpsc};

/// What a function posted back for one invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /runtime/invocation/{id}/response`: the handler's answer (JSON).
    Response(String),
    /// `POST /runtime/invocation/{id}/error`: the handler failed.
    Error(String),
    /// `POST /runtime/init/error`: the cold start failed.
    InitError(String),
}

/// A running emulator. Invocations are queued with [`Emulator::invoke`]; answers arrive in
/// order through [`Emulator::outcome`] (or [`Emulator::timed_outcome`], with the time each
/// arrived).
pub struct Emulator {
    addr: SocketAddr,
    events: mpsc::UnboundedSender<String>,
    outcomes: mpsc::UnboundedReceiver<(Instant, Outcome)>,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

struct Shared {
    events: Mutex<mpsc::UnboundedReceiver<String>>,
    outcomes: mpsc::UnboundedSender<(Instant, Outcome)>,
    next_id: Mutex<u64>,
    first_poll: OnceLock<Instant>,
    constant_trace_id: AtomicBool,
}

impl Emulator {
    /// Listens on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start() -> Emulator {
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let (outcome_tx, outcome_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            events: Mutex::new(event_rx),
            outcomes: outcome_tx,
            next_id: Mutex::new(0),
            first_poll: OnceLock::new(),
            constant_trace_id: AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("bound address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("emulator serves");
        });
        Emulator {
            addr,
            events: event_tx,
            outcomes: outcome_rx,
            shared,
            server,
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API` for the function.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// Environment Lambda gives a function, pointed at this emulator.
    pub fn env(&self, function_name: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_LAMBDA_RUNTIME_API", self.runtime_api()),
            ("AWS_LAMBDA_FUNCTION_NAME", function_name.to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "emulator".to_owned()),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function_name}"),
            ),
        ]
    }

    /// Queues one invocation with `event` (JSON) as its payload.
    pub fn invoke(&self, event: impl Into<String>) {
        let _ = self.events.send(event.into());
    }

    /// The next answer, or `None` after `timeout`.
    pub async fn outcome(&mut self, timeout: Duration) -> Option<Outcome> {
        self.timed_outcome(timeout)
            .await
            .map(|(_, outcome)| outcome)
    }

    /// The next answer and when the function posted it, or `None` after `timeout`.
    pub async fn timed_outcome(&mut self, timeout: Duration) -> Option<(Instant, Outcome)> {
        tokio::time::timeout(timeout, self.outcomes.recv())
            .await
            .ok()
            .flatten()
    }

    /// From now on, every invocation carries the same `Lambda-Runtime-Trace-Id` instead of a
    /// new one each (as Lambda sends), to tell memory the runtime keeps per trace id apart from
    /// the rest.
    pub fn use_constant_trace_id(&self) {
        self.shared.constant_trace_id.store(true, Ordering::Relaxed);
    }

    /// When the function first asked for an invocation (`GET …/invocation/next`): the end of
    /// its cold start.
    pub fn first_poll(&self) -> Option<Instant> {
        self.shared.first_poll.get().copied()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    shared.first_poll.get_or_init(Instant::now);
    let Some(event) = shared.events.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), String::new());
    };
    let id = {
        let mut next_id = shared.next_id.lock().await;
        *next_id += 1;
        *next_id
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let deadline = (now + Duration::from_secs(30)).as_millis();
    let (epoch, trace) = if shared.constant_trace_id.load(Ordering::Relaxed) {
        (0, 0)
    } else {
        (now.as_secs() as u32, id)
    };
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("ASCII header"));
    };
    set("lambda-runtime-aws-request-id", format!("emulated-{id}"));
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:emulated".to_owned(),
    );
    // X-Ray's header, of the length Lambda sends (without `Lineage`): a root with the epoch
    // time and 96 random bits, a parent segment id, the sampling decision.
    // Source: <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html> (example),
    // <https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader>.
    set(
        "lambda-runtime-trace-id",
        format!("Root=1-{epoch:08x}-{trace:024x};Parent={trace:016x};Sampled=0"),
    );
    (StatusCode::OK, headers, event)
}

/// `…/invocation/{id}/response` or `…/invocation/{id}/error`.
async fn answer(
    State(shared): State<Arc<Shared>>,
    Path((_id, kind)): Path<(String, String)>,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    let body = String::from_utf8_lossy(&body).into_owned();
    match kind.as_str() {
        "response" => record(&shared, at, Outcome::Response(body)),
        "error" => record(&shared, at, Outcome::Error(body)),
        _ => StatusCode::NOT_FOUND,
    }
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    record(
        &shared,
        Instant::now(),
        Outcome::InitError(String::from_utf8_lossy(&body).into_owned()),
    )
}

fn record(shared: &Shared, at: Instant, outcome: Outcome) -> StatusCode {
    let _ = shared.outcomes.send((at, outcome));
    StatusCode::ACCEPTED
}

/// Runs the function binary `bin` with only `vars` in its environment (and JSON logs) until it
/// exits on its own, as a failed cold start does. Returns whether it exited successfully, and
/// its output lines (stdout, then stderr).
///
/// # Panics
/// When the binary cannot be run.
pub fn run_to_exit(bin: &str, vars: &[(&str, String)]) -> (bool, Vec<String>) {
    let output = std::process::Command::new(bin)
        .env_clear()
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("the binary runs");
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&output.stderr).lines())
        .map(str::to_owned)
        .collect();
    (output.status.success(), lines)
}

/// Runs `bin` as [`run_to_exit`] does, for a cold start that must fail: the binary must exit
/// unsuccessfully after exactly one log line, a JSON line at level `ERROR`. Returns its message.
///
/// # Panics
/// When the binary succeeds, or logs anything else.
pub fn failed_cold_start(bin: &str, vars: &[(&str, String)]) -> String {
    let (success, lines) = run_to_exit(bin, vars);
    assert!(!success, "the cold start must fail: {lines:#?}");
    let [line] = lines.as_slice() else {
        panic!("one log line expected: {lines:#?}");
    };
    let line: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    assert_eq!(line["level"], "ERROR", "{line}");
    line["fields"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A function binary running against an [`Emulator`], its output collected as it comes (a
/// full pipe would block the function).
pub struct Function {
    child: tokio::process::Child,
    output: Vec<tokio::task::JoinHandle<String>>,
}

impl Emulator {
    /// Starts `bin` as the function `name`, with only the emulator's environment, `vars` and
    /// JSON logs.
    ///
    /// # Panics
    /// When the binary cannot be started.
    pub fn spawn(&self, bin: &str, name: &str, vars: &[(&str, String)]) -> Function {
        let mut child = tokio::process::Command::new(bin)
            .env_clear()
            .envs(self.env(name))
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let output = vec![
            drain(child.stdout.take().map(|p| Box::new(p) as Pipe)),
            drain(child.stderr.take().map(|p| Box::new(p) as Pipe)),
        ];
        Function { child, output }
    }
}

impl Function {
    /// Stops the function; returns everything it wrote (stdout, then stderr).
    pub async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        let mut logs = String::new();
        for output in self.output {
            logs.push_str(&output.await.unwrap_or_default());
        }
        logs
    }
}

type Pipe = Box<dyn tokio::io::AsyncRead + Unpin + Send>;

fn drain(pipe: Option<Pipe>) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let mut out = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut pipe, &mut out).await;
        }
        String::from_utf8_lossy(&out).into_owned()
    })
}

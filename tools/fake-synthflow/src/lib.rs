//! A local fake of Synthflow's Platform API, for tests and local runs.
//!
//! It follows the endpoints, query parameters, bodies, envelopes and pagination documented in
//! Synthflow's API reference (see `shared/reference/synthflow-api.md` §3–4) and keeps state:
//! numbers per workspace, agents per workspace (an API key belongs to one workspace). It
//! checks `Authorization: Bearer <key>` (401 otherwise), records every request (method, path,
//! query, JSON body), and injects faults per route: latency, an error status (429, 500, …), a
//! dropped connection, or a write that succeeds but whose answer never arrives in time.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fake_synthflow::{Fault, FaultRule, FakeSynthflow, Route};
//! let fake = FakeSynthflow::start("test-key", "ws_test").await?;
//! fake.inject(FaultRule::new(Route::GetNumber, Fault::Status(500)).times(1));
//! let base = fake.base_url(); // http://127.0.0.1:<port>/v2
//! # Ok(()) }
//! ```
//!
//! Where the reference leaves behaviour open, the fake picks one and says so: an unknown number
//! slug answers `404 {"detail": "Not Found"}`; importing a number twice, binding a second
//! inbound agent to a number, or naming another workspace than the key's answer 400/403;
//! `voice_engine_version` is accepted on create but not echoed (it is not in the schema);
//! `PUT` merges the fields of `agent` into the stored ones.

mod api;
mod server;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

pub use api::Route;

/// A request the fake received.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, e.g. `/v2/numbers/14155550123`.
    pub path: String,
    /// Query parameters in order, decoded.
    pub query: Vec<(String, String)>,
    /// The body parsed as JSON, if it was JSON.
    pub body: Option<Value>,
    /// The route it matched, if any.
    pub route: Option<Route>,
    /// Whether it carried a valid API key.
    pub authorized: bool,
}

impl RecordedRequest {
    /// The first query parameter named `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request changes state (anything but `GET`).
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

/// What goes wrong on a matching request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Answer this status without doing anything: 429 with `{"detail": "Too Many Requests"}`,
    /// others with `{"error": …, "message": …}` (the gateway's shape).
    Status(u16),
    /// Close the connection without answering, without doing anything.
    Drop,
    /// Do the work (e.g. create the number), then wait this long before answering — longer
    /// than the client's timeout, so that the client never sees the answer.
    CommitThenDelay(Duration),
    /// Do the work, then close the connection without answering.
    CommitThenDrop,
}

/// A fault, the route it applies to, and which requests it hits.
#[derive(Clone, Debug)]
pub struct FaultRule {
    route: Route,
    fault: Fault,
    matching: Option<String>,
    times: Option<usize>,
}

impl FaultRule {
    /// `fault` on every request to `route`.
    pub fn new(route: Route, fault: Fault) -> Self {
        FaultRule {
            route,
            fault,
            matching: None,
            times: None,
        }
    }

    /// Only requests whose path, query or body contains `text` (e.g. a number's digits).
    pub fn matching(mut self, text: impl Into<String>) -> Self {
        self.matching = Some(text.into());
        self
    }

    /// Only the first `n` matching requests.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }
}

/// The fake's state.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) keys: BTreeMap<String, String>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) faults: Vec<FaultRule>,
    /// workspace → slug → number object.
    pub(crate) numbers: BTreeMap<String, BTreeMap<String, Value>>,
    /// workspace → agents, oldest first.
    pub(crate) assistants: BTreeMap<String, Vec<Value>>,
    pub(crate) next_id: u64,
}

impl State {
    /// Takes the first fault rule for `route` that matches `haystack`, counting it down.
    pub(crate) fn take_fault(&mut self, route: Route, haystack: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|rule| {
            rule.route == route
                && rule.times != Some(0)
                && rule
                    .matching
                    .as_deref()
                    .is_none_or(|m| haystack.contains(m))
        })?;
        let rule = &mut self.faults[index];
        if let Some(times) = &mut rule.times {
            *times -= 1;
        }
        Some(rule.fault.clone())
    }
}

pub(crate) type Shared = Arc<Mutex<State>>;

pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running fake. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct FakeSynthflow {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeSynthflow {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeSynthflow {
    /// Starts a fake on `127.0.0.1` and a free port, where `api_key` belongs to `workspace_id`.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(api_key: &str, workspace_id: &str) -> std::io::Result<Self> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), api_key, workspace_id).await
    }

    /// Starts a fake on `addr`.
    ///
    /// # Errors
    /// When `addr` cannot be bound.
    pub async fn bind(
        addr: SocketAddr,
        api_key: &str,
        workspace_id: &str,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared: Shared = Arc::default();
        lock(&shared)
            .keys
            .insert(api_key.to_owned(), workspace_id.to_owned());
        let task = tokio::spawn(server::serve(listener, api::router(shared.clone())));
        Ok(FakeSynthflow { addr, shared, task })
    }

    /// Lets `api_key` in too, for `workspace_id`.
    pub fn add_key(&self, api_key: &str, workspace_id: &str) {
        lock(&self.shared)
            .keys
            .insert(api_key.to_owned(), workspace_id.to_owned());
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, `http://127.0.0.1:<port>/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// Adds a fault rule. Rules are tried in the order added; the first that matches applies.
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.shared).faults.push(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared).faults.clear();
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }

    /// The requests that change state (anything but `GET`), oldest first.
    pub fn writes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(RecordedRequest::is_write)
            .collect()
    }

    /// The requests to `route`, oldest first.
    pub fn requests_to(&self, route: Route) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.route == Some(route))
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared).requests.clear();
    }

    /// The numbers of `workspace_id`, as `GET /v2/numbers/{slug}` shows them, by slug.
    pub fn numbers(&self, workspace_id: &str) -> Vec<Value> {
        lock(&self.shared)
            .numbers
            .get(workspace_id)
            .map(|n| n.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The agents of `workspace_id`, as `GET /v2/assistants/` shows them, oldest first.
    pub fn assistants(&self, workspace_id: &str) -> Vec<Value> {
        lock(&self.shared)
            .assistants
            .get(workspace_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Changes a stored agent directly (not recorded), e.g. to make it drift from its event.
    /// Returns whether the agent exists.
    pub fn edit_assistant(&self, model_id: &str, edit: impl FnOnce(&mut Value)) -> bool {
        let mut state = lock(&self.shared);
        let found = state
            .assistants
            .values_mut()
            .flat_map(|list| list.iter_mut())
            .find(|a| a["model_id"] == model_id);
        match found {
            Some(assistant) => {
                edit(assistant);
                true
            }
            None => false,
        }
    }
}

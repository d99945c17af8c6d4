//! The endpoints, after Synthflow's API reference:
//! numbers <https://docs.synthflow.ai/api-reference/platform-api/phone-numbers/llms.txt>,
//! agents <https://docs.synthflow.ai/api-reference/platform-api/agents/llms.txt>.

use std::collections::HashMap;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::server::DropConnection;
use crate::{Fault, RecordedRequest, Shared, State as FakeState, lock};

/// The routes faults can be attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Route {
    /// `GET /v2/numbers?workspace=…`
    ListNumbers,
    /// `GET /v2/numbers/{slug}?workspace=…`
    GetNumber,
    /// `PATCH /v2/numbers/{slug}`
    UpdateNumber,
    /// `DELETE /v2/numbers/{slug}`
    DeleteNumber,
    /// `POST /v2/custom-numbers`
    CreateCustomNumber,
    /// `GET /v2/assistants/` (also without the trailing slash)
    ListAssistants,
    /// `GET /v2/assistants/{model_id}`
    GetAssistant,
    /// `POST /v2/assistants`
    CreateAssistant,
    /// `PUT /v2/assistants/{model_id}`
    UpdateAssistant,
    /// `DELETE /v2/assistants/{model_id}`
    DeleteAssistant,
}

impl Route {
    fn of(method: &Method, path: &str) -> Option<Route> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        Some(match (method.as_str(), segments.as_slice()) {
            ("GET", ["v2", "numbers"]) => Route::ListNumbers,
            ("GET", ["v2", "numbers", _]) => Route::GetNumber,
            ("PATCH", ["v2", "numbers", _]) => Route::UpdateNumber,
            ("DELETE", ["v2", "numbers", _]) => Route::DeleteNumber,
            ("POST", ["v2", "custom-numbers"]) => Route::CreateCustomNumber,
            ("GET", ["v2", "assistants"] | ["v2", "assistants", ""]) => Route::ListAssistants,
            ("GET", ["v2", "assistants", _]) => Route::GetAssistant,
            ("POST", ["v2", "assistants"]) => Route::CreateAssistant,
            ("PUT", ["v2", "assistants", _]) => Route::UpdateAssistant,
            ("DELETE", ["v2", "assistants", _]) => Route::DeleteAssistant,
            _ => return None,
        })
    }
}

/// The workspace the request's API key belongs to.
#[derive(Clone, Debug)]
struct Workspace(String);

/// Providers Synthflow accepts, and those whose `termination_uri` it fills in itself.
const PROVIDERS: [&str; 9] = [
    "twilio",
    "telnyx",
    "vonage",
    "ring_central",
    "ringcx",
    "custom",
    "zoom",
    "five9",
    "8x8",
];
const AUTO_TERMINATION: [&str; 4] = ["five9", "ringcx", "zoom", "8x8"];

pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v2/numbers", get(list_numbers))
        .route(
            "/v2/numbers/{slug}",
            get(get_number).patch(update_number).delete(delete_number),
        )
        .route("/v2/custom-numbers", post(create_custom_number))
        .route(
            "/v2/assistants",
            get(list_assistants).post(create_assistant),
        )
        .route("/v2/assistants/", get(list_assistants))
        .route(
            "/v2/assistants/{model_id}",
            get(get_assistant)
                .put(update_assistant)
                .delete(delete_assistant),
        )
        .route("/__fake/requests", get(recorded_requests))
        .route("/__fake/state", get(state_dump))
        .fallback(|| async { detail(StatusCode::NOT_FOUND, "Not Found") })
        .layer(middleware::from_fn_with_state(shared.clone(), intercept))
        .with_state(shared)
}

/// Records the request, checks the key, applies faults.
async fn intercept(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/__fake/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_owned();
    let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let route = Route::of(&parts.method, &path);
    let workspace = bearer_workspace(&shared, &parts.headers);
    let haystack = format!(
        "{path}?{}\n{}",
        parts.uri.query().unwrap_or(""),
        String::from_utf8_lossy(&bytes)
    );
    let fault = {
        let mut state = lock(&shared);
        state.requests.push(RecordedRequest {
            method: parts.method.to_string(),
            path,
            query,
            body: serde_json::from_slice(&bytes).ok(),
            route,
            authorized: workspace.is_some(),
        });
        match (&workspace, route) {
            (Some(_), Some(route)) => state.take_fault(route, &haystack),
            _ => None,
        }
    };
    let Some(workspace) = workspace else {
        return detail(StatusCode::UNAUTHORIZED, "Invalid or missing API key").into_response();
    };
    match &fault {
        Some(Fault::Delay(delay)) => tokio::time::sleep(*delay).await,
        Some(Fault::Status(status)) => return fault_status(*status),
        Some(Fault::Drop) => return dropped(),
        _ => {}
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(Workspace(workspace));
    let response = next.run(request).await;
    match fault {
        Some(Fault::CommitThenDelay(delay)) => {
            tokio::time::sleep(delay).await;
            response
        }
        Some(Fault::CommitThenDrop) => dropped(),
        _ => response,
    }
}

fn bearer_workspace(shared: &Shared, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let key = value.strip_prefix("Bearer ")?;
    lock(shared).keys.get(key).cloned()
}

fn dropped() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

fn fault_status(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = status.canonical_reason().unwrap_or("Error");
    if status == StatusCode::TOO_MANY_REQUESTS {
        detail(status, text).into_response()
    } else {
        let slug = text.to_ascii_lowercase().replace(' ', "_");
        Reply(status, json!({"error": slug, "message": text})).into_response()
    }
}

/// An error answer: a status and a JSON body.
struct Reply(StatusCode, Value);

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.1)).into_response()
    }
}

/// `{"detail": "<message>"}`
fn detail(status: StatusCode, message: &str) -> Reply {
    Reply(status, json!({ "detail": message }))
}

/// `400 {"detail": {"status", "description", "request_id", "category"}}`, the agents' shape.
fn detail_object(description: &str) -> Reply {
    Reply(
        StatusCode::BAD_REQUEST,
        json!({"detail": {
            "status": "error",
            "description": description,
            "request_id": "fake-request",
            "category": "validation",
        }}),
    )
}

/// FastAPI's `422` for a missing or invalid parameter.
fn unprocessable(location: &str, name: &str, message: &str) -> Reply {
    Reply(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"detail": [{"loc": [location, name], "msg": message, "type": "value_error"}]}),
    )
}

fn ok(response: Value) -> Response {
    let body = Map::from_iter([
        ("status".to_owned(), Value::from("ok")),
        ("response".to_owned(), response),
    ]);
    axum::Json(Value::Object(body)).into_response()
}

fn json_object(bytes: &Bytes) -> Result<Map<String, Value>, Reply> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(unprocessable("body", "body", "expected a JSON object")),
    }
}

/// The `workspace` query parameter, which must be the key's workspace.
fn workspace_param(
    query: &HashMap<String, String>,
    workspace: &Workspace,
) -> Result<String, Reply> {
    match query.get("workspace") {
        None => Err(unprocessable("query", "workspace", "field required")),
        Some(w) if *w != workspace.0 => Err(detail(
            StatusCode::FORBIDDEN,
            "The API key does not belong to this workspace",
        )),
        Some(w) => Ok(w.clone()),
    }
}

fn paging(query: &HashMap<String, String>) -> Result<(usize, usize), Reply> {
    let number = |name: &str, default: usize| match query.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| unprocessable("query", name, "value is not a valid integer")),
    };
    Ok((number("limit", 20)?, number("offset", 0)?))
}

fn pagination(total: usize, limit: usize, offset: usize) -> Value {
    json!({"total_records": total, "limit": limit, "offset": offset})
}

// ------------------------------------------------------------------------------------------
// Numbers
// ------------------------------------------------------------------------------------------

async fn list_numbers(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Reply> {
    let workspace = workspace_param(&query, &workspace)?;
    let (limit, offset) = paging(&query)?;
    let available = query.get("is_available").map(|v| v == "true");
    let state = lock(&shared);
    let all: Vec<&Value> = state
        .numbers
        .get(&workspace)
        .into_iter()
        .flat_map(|n| n.values())
        .filter(|n| available.is_none_or(|a| n["is_available"] == a))
        .collect();
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|n| json!({"number": n["phone_number"], "sid": null, "is_available": n["is_available"]}))
        .collect();
    Ok(ok(
        json!({"pagination": pagination(all.len(), limit, offset), "phone_numbers": page}),
    ))
}

async fn get_number(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    Path(slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Reply> {
    let workspace = workspace_param(&query, &workspace)?;
    match lock(&shared)
        .numbers
        .get(&workspace)
        .and_then(|n| n.get(&slug))
    {
        // The one answer without an envelope.
        Some(number) => Ok(axum::Json(number.clone()).into_response()),
        None => Err(detail(StatusCode::NOT_FOUND, "Not Found")),
    }
}

async fn create_custom_number(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    body: Bytes,
) -> Result<Response, Reply> {
    let body = json_object(&body)?;
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let Some(workspace_id) = text("workspace_id") else {
        return Err(unprocessable("body", "workspace_id", "field required"));
    };
    if workspace_id != workspace.0 {
        return Err(detail(
            StatusCode::FORBIDDEN,
            "The API key does not belong to this workspace",
        ));
    }
    let provider = text("provider_name");
    if let Some(p) = &provider
        && !PROVIDERS.contains(&p.as_str())
    {
        return Err(unprocessable(
            "body",
            "provider_name",
            "not a valid provider",
        ));
    }
    let provider = provider.unwrap_or_else(|| "custom".to_owned());
    let phone_number = match text("phone_number") {
        Some(n) => n,
        None if provider == "8x8" => {
            let mut state = lock(&shared);
            state.next_id += 1;
            format!("{:012}", state.next_id)
        }
        None => return Err(unprocessable("body", "phone_number", "field required")),
    };
    let termination_uri = text("termination_uri");
    if termination_uri.is_none() && !AUTO_TERMINATION.contains(&provider.as_str()) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            &format!("termination_uri is required for provider {provider}"),
        ));
    }
    let uac_enabled = body
        .get("uac_enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if uac_enabled && (text("trunk_username").is_none() || text("trunk_pwd").is_none()) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "trunk_username and trunk_pwd are required when uac_enabled is true",
        ));
    }
    let expires = body.get("uac_register_expires").and_then(Value::as_u64);
    if expires.is_some_and(|e| !(60..=3600).contains(&e)) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "uac_register_expires must be between 60 and 3600",
        ));
    }
    let slug = phone_number.trim_start_matches('+').to_owned();
    let mut state = lock(&shared);
    let FakeState {
        numbers, next_id, ..
    } = &mut *state;
    let numbers = numbers.entry(workspace_id.clone()).or_default();
    if numbers.contains_key(&slug) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "Phone number already exists",
        ));
    }
    *next_id += 1;
    let key = format!("00000000-0000-4000-8000-{:012x}", *next_id);
    numbers.insert(
        slug.clone(),
        json!({
            "slug": slug,
            "address_requirement": "none",
            "phone_number": phone_number,
            "friendly_name": text("friendly_name").unwrap_or_default(),
            "is_sms_capable": false,
            "is_voice_capable": true,
            "iso_country": "",
            "locality": "",
            "sip_auth_username": text("sip_auth_username"),
            "sip_outbound_proxy": text("sip_outbound_proxy"),
            "assistants": [],
            "sip_term_uri": termination_uri.unwrap_or_else(|| format!("{provider}.sip.synthflow.ai")),
            "uac_enabled": uac_enabled,
            "uac_register_expires": if uac_enabled { Some(expires.unwrap_or(300)) } else { None },
            "sid": "",
            "provider_name": provider,
            "region": "",
            "is_available": true,
            "agency_workspace_id": null,
            "workspace_id": workspace_id,
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": null,
        }),
    );
    Ok(ok(json!({"key": key, "phone_number": phone_number})))
}

async fn update_number(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, Reply> {
    let body = json_object(&body)?;
    let mut state = lock(&shared);
    let Some(number) = state
        .numbers
        .get_mut(&workspace.0)
        .and_then(|n| n.get_mut(&slug))
    else {
        return Err(detail(StatusCode::NOT_FOUND, "Not Found"));
    };
    for (key, value) in body {
        let key = if key == "termination_uri" {
            "sip_term_uri".to_owned()
        } else {
            key
        };
        if key != "trunk_pwd" && key != "trunk_username" {
            number[key] = value;
        }
    }
    Ok(axum::Json(json!({"status": "ok"})).into_response())
}

async fn delete_number(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    Path(slug): Path<String>,
) -> Result<Response, Reply> {
    let mut state = lock(&shared);
    let removed = state
        .numbers
        .get_mut(&workspace.0)
        .and_then(|n| n.remove(&slug));
    if removed.is_none() {
        return Err(detail(StatusCode::NOT_FOUND, "Not Found"));
    }
    for assistant in state.assistants.entry(workspace.0).or_default() {
        if let Some(attached) = assistant["attached_phone_numbers"].as_array_mut() {
            attached.retain(|a| a["slug"] != slug.as_str());
        }
    }
    Ok(axum::Json(json!({"status": "ok"})).into_response())
}

// ------------------------------------------------------------------------------------------
// Agents
// ------------------------------------------------------------------------------------------

async fn list_assistants(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Reply> {
    let (limit, offset) = paging(&query)?;
    let state = lock(&shared);
    let all = state
        .assistants
        .get(&workspace.0)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let page: Vec<&Value> = all.iter().skip(offset).take(limit).collect();
    Ok(ok(
        json!({"pagination": pagination(all.len(), limit, offset), "assistants": page}),
    ))
}

async fn get_assistant(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    Path(model_id): Path<String>,
) -> Result<Response, Reply> {
    let state = lock(&shared);
    let found = state
        .assistants
        .get(&workspace.0)
        .and_then(|list| list.iter().find(|a| a["model_id"] == model_id.as_str()));
    match found {
        Some(assistant) => Ok(ok(
            json!({"pagination": pagination(1, 1, 0), "assistants": [assistant]}),
        )),
        None => Err(detail(StatusCode::NOT_FOUND, "Not Found")),
    }
}

async fn create_assistant(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    body: Bytes,
) -> Result<Response, Reply> {
    let mut body = json_object(&body)?;
    let kind = body.get("type").and_then(Value::as_str).unwrap_or_default();
    if !["inbound", "outbound", "widget"].contains(&kind) {
        return Err(detail_object(
            "type must be one of inbound, outbound, widget",
        ));
    }
    let inbound = kind == "inbound";
    if body
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(detail_object("name is required"));
    }
    if !body.get("agent").is_some_and(Value::is_object) {
        return Err(detail_object("agent is required"));
    }
    let mut state = lock(&shared);
    let FakeState {
        numbers,
        assistants,
        next_id,
        ..
    } = &mut *state;
    let numbers = numbers.entry(workspace.0.clone()).or_default();
    let assistants = assistants.entry(workspace.0).or_default();
    let attached = match body.get("phone_number") {
        None | Some(Value::Null) => None,
        Some(Value::String(number)) => {
            let slug = number.trim_start_matches('+').to_owned();
            let Some(stored) = numbers.get(&slug) else {
                return Err(detail_object("Phone number not found in this workspace"));
            };
            let taken = inbound
                && assistants.iter().any(|a| {
                    a["type"] == "inbound"
                        && a["attached_phone_numbers"]
                            .as_array()
                            .is_some_and(|l| l.iter().any(|n| n["slug"] == slug.as_str()))
                });
            if taken {
                return Err(detail_object(
                    "Phone number is already attached to another inbound agent",
                ));
            }
            Some((slug, stored["phone_number"].clone()))
        }
        Some(_) => return Err(detail_object("phone_number must be a string")),
    };
    *next_id += 1;
    let model_id = format!("{}x{:018}", 1_726_559_381_711u64 + *next_id, *next_id);
    // Not in the schema: accepted, not kept.
    body.remove("voice_engine_version");
    body.insert("model_id".into(), json!(model_id));
    body.insert(
        "attached_phone_numbers".into(),
        json!(
            attached
                .iter()
                .map(|(slug, number)| json!({"number": number, "sid": null, "slug": slug}))
                .collect::<Vec<_>>()
        ),
    );
    body.insert("actions".into(), json!([]));
    body.insert("input_variables".into(), json!([]));
    let voice = body["agent"]["voice_id"].as_str().unwrap_or("").to_owned();
    if let Some((slug, _)) = &attached
        && let Some(number) = numbers.get_mut(slug)
    {
        if let Some(ids) = number["assistants"].as_array_mut() {
            ids.push(json!(model_id));
        }
        if inbound {
            number["is_available"] = json!(false);
        }
    }
    assistants.push(Value::Object(body));
    let phone = attached
        .map(|(_, number)| number)
        .unwrap_or_else(|| json!(""));
    Ok(axum::Json(json!({
        "status": "ok",
        "response": {"model_id": model_id},
        "details": {"phone": phone, "voice": voice},
    }))
    .into_response())
}

async fn update_assistant(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Result<Response, Reply> {
    let body = json_object(&body)?;
    if body.get("agent").is_some_and(|a| !a.is_object()) {
        return Err(detail_object("agent must be an object"));
    }
    let mut state = lock(&shared);
    let Some(assistant) = state
        .assistants
        .get_mut(&workspace.0)
        .and_then(|list| list.iter_mut().find(|a| a["model_id"] == model_id.as_str()))
    else {
        return Err(detail(StatusCode::NOT_FOUND, "Not Found"));
    };
    for (key, value) in body {
        match key.as_str() {
            // Not in the update schema.
            "type" | "phone_number" | "model_id" | "voice_engine_version" => {}
            "agent" => {
                if let (Some(stored), Value::Object(changes)) =
                    (assistant["agent"].as_object_mut(), value)
                {
                    stored.extend(changes);
                }
            }
            _ => assistant[key] = value,
        }
    }
    let voice = assistant["agent"]["voice_id"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    Ok(axum::Json(json!({
        "status": "ok",
        "response": {"model_id": model_id},
        "details": {"phone": "", "voice": voice},
    }))
    .into_response())
}

async fn delete_assistant(
    State(shared): State<Shared>,
    Extension(workspace): Extension<Workspace>,
    Path(model_id): Path<String>,
) -> Result<Response, Reply> {
    let mut state = lock(&shared);
    let Some(list) = state.assistants.get_mut(&workspace.0) else {
        return Err(detail(StatusCode::NOT_FOUND, "Not Found"));
    };
    let before = list.len();
    list.retain(|a| a["model_id"] != model_id.as_str());
    if list.len() == before {
        return Err(detail(StatusCode::NOT_FOUND, "Not Found"));
    }
    for number in state
        .numbers
        .get_mut(&workspace.0)
        .into_iter()
        .flat_map(|n| n.values_mut())
    {
        if let Some(ids) = number["assistants"].as_array_mut() {
            ids.retain(|id| *id != model_id.as_str());
        }
    }
    Ok(ok(json!({"answer": "Assistant deleted"})))
}

// ------------------------------------------------------------------------------------------
// Inspection (not part of Synthflow's API; no key needed)
// ------------------------------------------------------------------------------------------

async fn recorded_requests(State(shared): State<Shared>) -> Response {
    axum::Json(json!(lock(&shared).requests)).into_response()
}

async fn state_dump(State(shared): State<Shared>) -> Response {
    let state = lock(&shared);
    axum::Json(json!({"numbers": state.numbers, "assistants": state.assistants})).into_response()
}

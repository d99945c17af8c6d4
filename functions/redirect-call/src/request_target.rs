//! Where a request was sent: the route it is for, and the public URL Twilio called, which its
//! signature covers. The one place that reads the request's host, stage, path and API Gateway
//! route.

use lambda_http::http::header::HOST;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use lambda_http::http::Method;

/// The webhook's path, as in the seed examples (existing Twilio configurations keep working).
pub const WEBHOOK_PATH: &str = "/redirect_call";

/// The function's routes, each requested by Twilio and signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The voice webhook: `GET`/`POST` [`WEBHOOK_PATH`].
    RedirectCall,
    /// `<Dial referUrl>`: `POST /refer`, a transfer requested by the dialed SIP endpoint.
    Refer,
    /// `<Dial action>`: `POST /dial_status`, the dialed leg ended.
    DialStatus,
    /// The number's fallback URL: `GET`/`POST /fallback`, the webhook failed.
    Fallback,
}

impl Route {
    /// Every route.
    pub const ALL: [Route; 4] = [
        Route::RedirectCall,
        Route::Refer,
        Route::DialStatus,
        Route::Fallback,
    ];

    /// The route's path.
    pub fn path(self) -> &'static str {
        match self {
            Route::RedirectCall => WEBHOOK_PATH,
            Route::Refer => "/refer",
            Route::DialStatus => "/dial_status",
            Route::Fallback => "/fallback",
        }
    }

    /// The methods the route answers, as `Allow` lists them: the URLs Twilio is configured
    /// with by hand take either method; those this function writes into TwiML are POSTed.
    pub fn allow(self) -> &'static str {
        match self {
            Route::RedirectCall | Route::Fallback => "GET, POST",
            Route::Refer | Route::DialStatus => "POST",
        }
    }

    /// Whether the route answers `method`.
    pub fn accepts(self, method: &Method) -> bool {
        *method == Method::POST || (*method == Method::GET && self.allow().contains("GET"))
    }

    fn for_path(path: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|route| route.path() == path)
    }
}

/// Where a request was sent, read once from the request and its API Gateway context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestTarget {
    /// The route the request is for; `None` for any other path.
    pub route: Option<Route>,
    /// The URL Twilio called, query string included, as its signature covers it.
    pub url: String,
}

impl RequestTarget {
    /// Reads the target of `request`.
    ///
    /// The route: the API Gateway route that matched (whatever prefix a custom domain's API
    /// mapping puts in the raw path), else the raw path without the stage (direct invocations,
    /// `cargo lambda watch`, a `$default` route). The raw path is used, never the URI's path,
    /// in which `.` and `..` segments have been resolved.
    ///
    /// The URL: `public_base_url` + the route's path when configured (a proxy in front),
    /// else `https://` + `Host` (or the context's domain name) + the stage, for named stages
    /// not already in the raw path, + the raw path; then the raw query string exactly as
    /// received.
    pub fn of(request: &Request, public_base_url: Option<&str>) -> RequestTarget {
        let context = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => Some(ctx),
            _ => None,
        };
        let raw_path = Some(request.raw_http_path())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| request.uri().path());
        let stage = context
            .and_then(|c| c.stage.as_deref())
            .filter(|s| *s != "$default");

        let matched_route = context
            .and_then(|c| c.route_key.as_deref())
            .and_then(|key| key.split_once(' '))
            .filter(|(method, _)| matches!(*method, "GET" | "POST"))
            .and_then(|(_, path)| Route::for_path(path));
        let path_without_stage = match stage {
            Some(stage) => raw_path
                .strip_prefix('/')
                .and_then(|p| p.strip_prefix(stage))
                .filter(|p| p.starts_with('/'))
                .unwrap_or(raw_path),
            None => raw_path,
        };
        let route = matched_route.or_else(|| Route::for_path(path_without_stage));

        let mut url = match (public_base_url, route) {
            (Some(base), Some(route)) => format!("{base}{}", route.path()),
            (Some(base), None) => format!("{base}{path_without_stage}"),
            (None, _) => {
                let host = request
                    .headers()
                    .get(HOST)
                    .and_then(|h| h.to_str().ok())
                    .or_else(|| context.and_then(|c| c.domain_name.as_deref()))
                    .unwrap_or_default();
                match stage.filter(|s| !raw_path.starts_with(&format!("/{s}/"))) {
                    Some(stage) => format!("https://{host}/{stage}{raw_path}"),
                    None => format!("https://{host}{raw_path}"),
                }
            }
        };
        if let Some(query) = request.uri().query().filter(|q| !q.is_empty()) {
            url.push('?');
            url.push_str(query);
        }
        RequestTarget { route, url }
    }

    /// [`RequestTarget::url`] without its query string.
    pub fn url_without_query(&self) -> &str {
        self.url.split('?').next().unwrap_or_default()
    }

    /// The public URL of `route`, for URLs written into TwiML (`referUrl`, `action`): the
    /// request's URL without its query, with the path of the route it was sent to replaced
    /// by `route`'s. The same rules as [`RequestTarget::url`], so Twilio signs what is checked.
    pub fn url_of(&self, route: Route) -> String {
        let url = self.url_without_query();
        let base = self
            .route
            .and_then(|current| url.strip_suffix(current.path()))
            .unwrap_or(url);
        format!("{base}{}", route.path())
    }
}

//! Optional transport: sends built requests with the global `fetch` (browsers, Node ≥ 18).

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{Headers, Request, RequestInit, Response};

use super::{
    error::{invalid_input, optional_string_arg, string_arg, JsResult},
    requests::matrix_error_to_js,
};
use crate::core::{matrix_error::parse_error, Action};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(input: &Request) -> js_sys::Promise;
}

/// Sends requests to a homeserver with an access token, using the global `fetch`.
#[wasm_bindgen]
pub struct HttpClient {
    base_url: String,
    access_token: String,
}

fn field(object: &JsValue, name: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &name.into())
        .ok()
        .filter(|v| !v.is_undefined())
}

/// Thrown for an error response: an `Error` named `MatrixError` with `code` `"MATRIX_ERROR"` and
/// the `MatrixErrorInfo` fields (`status`, `errcode`, `meaning`, `retryAfterMs`, …).
fn matrix_error(
    action: Option<Action>,
    status: u16,
    text: &str,
    retry_after: Option<u64>,
) -> JsValue {
    let info = parse_error(action, status, text, retry_after);
    let error = js_sys::Error::new(&format!(
        "{} {}: {}",
        info.status, info.errcode, info.description
    ));
    error.set_name("MatrixError");
    let _ = js_sys::Reflect::set(&error, &"code".into(), &"MATRIX_ERROR".into());
    if let Ok(fields) = matrix_error_to_js(&info) {
        let _ = js_sys::Object::assign(&error, &js_sys::Object::from(fields));
    }
    error.into()
}

/// Sends a request; resolves with the response text on 2xx, else a `MatrixError`.
async fn send(
    base: String,
    token: String,
    method: String,
    url: String,
    body: Option<String>,
    action: Option<Action>,
) -> JsResult<String> {
    let headers = Headers::new()?;
    if !token.is_empty() {
        headers.set("Authorization", &format!("Bearer {token}"))?;
    }
    let init = RequestInit::new();
    init.set_method(&method);
    if let Some(body) = body {
        headers.set("Content-Type", "application/json")?;
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&headers);
    let request =
        Request::new_with_str_and_init(&format!("{}{}", base.trim_end_matches('/'), url), &init)?;
    let response: Response = JsFuture::from(global_fetch(&request)).await?.dyn_into()?;
    let text = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(text);
    }
    let retry_after = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|s| s.trim().parse().ok());
    Err(matrix_error(action, status, &text, retry_after))
}

#[wasm_bindgen]
impl HttpClient {
    /// A client for `baseUrl` (e.g. `"https://matrix.example.org"`) with an access token.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = baseUrl, unchecked_param_type = "string")] base_url: JsValue,
        #[wasm_bindgen(js_name = accessToken, unchecked_param_type = "string")]
        access_token: JsValue,
    ) -> JsResult<HttpClient> {
        Ok(HttpClient {
            base_url: string_arg(&base_url, "baseUrl")?,
            access_token: string_arg(&access_token, "accessToken")?,
        })
    }

    /// Sends an `OutgoingRequest`; resolves with the response body, rejects with a `MatrixError`.
    #[wasm_bindgen(unchecked_return_type = "Promise<{ room_id?: string }>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OutgoingRequest")] request: JsValue,
    ) -> JsResult<js_sys::Promise> {
        let url = field(&request, "url")
            .and_then(|v| v.as_string())
            .ok_or_else(|| invalid_input("request.url must be a string"))?;
        // Only paths on this homeserver: the access token never goes to another host.
        if !url.starts_with("/_matrix/") {
            return Err(invalid_input(
                "request.url must be a path starting with /_matrix/",
            ));
        }
        let method = field(&request, "method")
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| "POST".to_owned());
        let body = match field(&request, "body") {
            Some(body) => Some(super::error::stringify(&body, "request.body")?),
            None => Some("{}".to_owned()),
        };
        let action = field(&request, "action")
            .and_then(|v| v.as_string())
            .and_then(|a| Action::parse(&a).ok());
        let (base, token) = (self.base_url.clone(), self.access_token.clone());
        Ok(future_to_promise(async move {
            let text = send(base, token, method, url, body, action).await?;
            Ok(js_sys::JSON::parse(&text).unwrap_or(JsValue::from_str(&text)))
        }))
    }

    /// `GET /sync` (optionally `since` and a long-poll `timeoutMs`); resolves with the JSON
    /// text, ready for `KnockSession.ingestSync`.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn sync(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] since: JsValue,
        #[wasm_bindgen(js_name = timeoutMs, unchecked_optional_param_type = "number")]
        timeout_ms: JsValue,
    ) -> JsResult<js_sys::Promise> {
        let since = optional_string_arg(&since, "since")?;
        let timeout = timeout_ms
            .as_f64()
            .filter(|t| t.is_finite() && *t >= 0.0)
            .unwrap_or(0.0)
            .min(3.6e6) as u32;
        let mut url = format!("/_matrix/client/v3/sync?timeout={timeout}");
        if let Some(since) = since {
            url.push_str("&since=");
            url.push_str(&crate::core::request::encode(&since));
        }
        Ok(self.get_text(url))
    }

    /// `GET /rooms/{roomId}/state`; resolves with the JSON text, ready for `Room.fromStateJson`.
    #[wasm_bindgen(js_name = roomState, unchecked_return_type = "Promise<string>")]
    pub fn room_state(
        &self,
        #[wasm_bindgen(js_name = roomId, unchecked_param_type = "string")] room_id: JsValue,
    ) -> JsResult<js_sys::Promise> {
        let room_id = string_arg(&room_id, "roomId")?;
        let url = format!(
            "/_matrix/client/v3/rooms/{}/state",
            crate::core::request::encode(&room_id)
        );
        Ok(self.get_text(url))
    }

    fn get_text(&self, url: String) -> js_sys::Promise {
        let (base, token) = (self.base_url.clone(), self.access_token.clone());
        future_to_promise(async move {
            Ok(send(base, token, "GET".to_owned(), url, None, None)
                .await?
                .into())
        })
    }
}

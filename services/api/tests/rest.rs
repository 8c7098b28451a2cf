//! The REST framework and the plugins resource through the router, as a client sees them: every spelling of a
//! path, Sahara's error bodies (404, 405, malformed and non-JSON bodies, panics), v2 microversions and
//! parameter whitelists, and the plugin JSON compared with what real Sahara 19 answers
//! (`fixtures/sahara_plugins_fake.json`, made by `fixtures/gen_sahara_plugins.py`).

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use sahara_api::rest::{Data, FileData, Render, Routes};
use sahara_api::{ApiState, router};
use sahara_config::ConfigOpts;
use serde_json::{Value, json};
use tower::ServiceExt;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const OTHER_PROJECT: &str = "fedcba9876543210fedcba9876543210";

fn state(ini: &str) -> ApiState {
    let ini = format!("[DEFAULT]\nauth_strategy = noauth\n{ini}");
    common::without_conductor(&ConfigOpts::from_ini_str(&ini).unwrap())
}

fn fake_state() -> ApiState {
    state("plugins = fake\n")
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// `(error_code, error_name, error_message without its Error ID)`.
    fn error(&self) -> (u64, String, String) {
        let v = self.json();
        let msg = v["error_message"]
            .as_str()
            .unwrap()
            .split("\nError ID: ")
            .next()
            .unwrap();
        (
            v["error_code"].as_u64().unwrap(),
            v["error_name"].as_str().unwrap().to_string(),
            msg.to_string(),
        )
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn send(app: axum::Router, req: Request<Body>) -> Reply {
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        text: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn request(method: Method, path: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(path)
        .header("x-tenant-id", PROJECT)
        .header("x-user-id", "u1")
        .header("x-roles", "admin")
}

async fn call(state: &ApiState, method: Method, path: &str) -> Reply {
    send(
        router(state.clone()),
        request(method, path).body(Body::empty()).unwrap(),
    )
    .await
}

async fn get(state: &ApiState, path: &str) -> Reply {
    call(state, Method::GET, path).await
}

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/sahara_plugins_fake.json")).unwrap()
}

/// Every spelling Sahara registers for `rule` under `prefix`.
fn spellings(prefix: &str, rule: &str) -> Vec<String> {
    vec![
        format!("{prefix}{rule}"),
        format!("{prefix}{rule}.json"),
        format!("{prefix}/{PROJECT}{rule}"),
        format!("{prefix}/{PROJECT}{rule}.json"),
        format!("{prefix}/not-a-uuid{rule}"),
    ]
}

#[tokio::test]
async fn plugin_json_equals_real_saharas_on_every_prefix_and_spelling() {
    let s = fake_state();
    let f = fixture();
    for prefix in ["/v1.0", "/v1.1", "/v2"] {
        for (rule, key) in [
            ("/plugins", "GET /plugins"),
            ("/plugins/fake", "GET /plugins/fake"),
            ("/plugins/fake/0.1", "GET /plugins/fake/0.1"),
        ] {
            for path in spellings(prefix, rule) {
                let r = get(&s, &path).await;
                assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
                assert_eq!(r.json(), f[key], "{path}");
                // Same key order as Sahara, too.
                assert_eq!(r.text, serde_json::to_string(&f[key]).unwrap(), "{path}");
                assert_eq!(r.header("content-type"), Some("application/json"));
            }
        }
    }
}

#[tokio::test]
async fn sahara_default_plugin_list_enables_none_of_ours() {
    let s = state("");
    assert_eq!(get(&s, "/v1.1/plugins").await.json(), json!({"plugins": []}));
    let r = get(&s, "/v2/plugins/fake").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.error(),
        (
            404,
            "NOT_FOUND".into(),
            "Object with {'plugin_name': 'fake'} not found".into()
        )
    );
}

#[tokio::test]
async fn unknown_plugin_or_version_is_check_exists_404() {
    let s = fake_state();
    for prefix in ["/v1.1", "/v2"] {
        let r = get(&s, &format!("{prefix}/plugins/vanilla")).await;
        assert_eq!(
            r.error(),
            (
                404,
                "NOT_FOUND".into(),
                "Object with {'plugin_name': 'vanilla'} not found".into()
            )
        );
        assert!(r.json()["error_message"].as_str().unwrap().contains("\nError ID: "));
        let r = get(&s, &format!("{prefix}/plugins/fake/9.9")).await;
        assert_eq!(
            r.error(),
            (
                404,
                "NOT_FOUND".into(),
                "Object with {'plugin_name': 'fake', 'version': '9.9'} not found".into()
            )
        );
    }
}

#[tokio::test]
async fn convert_config_is_always_refused_on_v1() {
    let s = fake_state();
    for prefix in ["/v1.0", "/v1.1"] {
        let req = request(
            Method::POST,
            &format!("{prefix}/{PROJECT}/plugins/fake/0.1/convert-config/t1"),
        )
        .header("content-type", "application/octet-stream")
        .body(Body::from("<xml/>"))
        .unwrap();
        let r = send(router(s.clone()), req).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            r.error(),
            (
                400,
                "INVALID_REFERENCE".into(),
                "Requested plugin 'fake' doesn't support converting config files to cluster templates".into()
            )
        );
        let r = call(
            &s,
            Method::POST,
            &format!("{prefix}/plugins/fake/0.2/convert-config/t1"),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        call(&s, Method::POST, "/v2/plugins/fake/0.1/convert-config/t1")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_answer_in_saharas_body() {
    let s = fake_state();
    for path in [
        "/v1.1/no-such-thing",
        "/v2/plugins/",
        "/v3/plugins",
        "/v1.0/a/b/plugins",
        "/v2",
    ] {
        let r = get(&s, path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.error().1, "NOT_FOUND");
    }
    let r = call(&s, Method::DELETE, &format!("/v1.1/{PROJECT}/plugins/fake.json")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        r.error(),
        (
            405,
            "METHOD_NOT_ALLOWED".into(),
            "The method is not allowed for the requested URL.".into()
        )
    );
    let allow = r.header("allow").unwrap();
    assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
    let r = call(&s, Method::POST, "/v2/plugins").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("vary"), Some("OpenStack-API-Version"));
}

#[tokio::test]
async fn request_bodies_as_saharas_request_data() {
    let s = fake_state();
    let patch = |ct: Option<&str>, body: &'static str| {
        let mut b = request(Method::PATCH, "/v1.1/plugins/fake");
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(Body::from(body)).unwrap()
    };
    let r = send(router(s.clone()), patch(Some("application/json"), "{not json")).await;
    assert_eq!(
        r.error(),
        (
            400,
            "MALFORMED_REQUEST_BODY".into(),
            "Malformed message body: cannot understand JSON".into()
        )
    );
    let r = send(router(s.clone()), patch(Some("text/plain; charset=utf-8"), "{}")).await;
    assert_eq!(
        r.error(),
        (
            400,
            "INVALID_DATA".into(),
            "Content type 'text/plain' isn't supported".into()
        )
    );
    // No content type, or a JSON one, parses; an empty body is `{}`: valid, then stored through the conductor,
    // which this state has not (500).
    for (ct, body) in [(None, "{}"), (Some("application/json"), ""), (Some("*/*"), "{}")] {
        let r = send(router(s.clone()), patch(ct, body)).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{ct:?} {body:?}");
        assert_eq!(r.error().1, "INTERNAL_SERVER_ERROR");
    }
    let r = send(
        router(s.clone()),
        patch(None, r#"{"plugin_labels": {"enabled": {"status": "no"}}}"#),
    )
    .await;
    assert_eq!(
        r.error(),
        (
            400,
            "VALIDATION_ERROR".into(),
            "plugin_labels[enabled][status]: 'no' is not of type 'boolean'".into()
        )
    );
    let r = send(
        router(s.clone()),
        patch(None, r#"{"plugin_labels": {"stable": {"status": true}}}"#),
    )
    .await;
    assert_eq!(r.error().1, "INVALID_DATA");
    // A missing plugin is checked before the body is validated.
    let req = request(Method::PATCH, "/v2/plugins/nope")
        .body(Body::from(r#"{"x": 1}"#))
        .unwrap();
    assert_eq!(send(router(s.clone()), req).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn v2_microversions() {
    let s = fake_state();
    let with = |v: &str| {
        request(Method::GET, "/v2/plugins")
            .header("OpenStack-API-Version", v)
            .body(Body::empty())
            .unwrap()
    };
    let r = get(&s, "/v2/plugins").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("vary"), Some("OpenStack-API-Version"));
    assert_eq!(r.header("openstack-api-version"), Some("data-processing 2.0"));
    for ok in ["data-processing 2.0", "data-processing latest", "compute 2.9"] {
        let r = send(router(s.clone()), with(ok)).await;
        assert_eq!(r.status, StatusCode::OK, "{ok}");
        assert_eq!(r.header("openstack-api-version"), Some("data-processing 2.0"));
    }
    let r = send(router(s.clone()), with("data-processing 2.5")).await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(
        r.json(),
        json!({"error_code": 406, "error_name": "NOT_ACCEPTABLE",
               "error_message": "Version 2.5 is not supported by the API. Minimum is 2.0 and maximum is 2.0.",
               "max_version": "2.0", "min_version": "2.0"})
    );
    assert_eq!(r.header("openstack-api-version"), Some("data-processing 2.5"));
    assert_eq!(r.header("vary"), Some("OpenStack-API-Version"));
    let r = send(router(s.clone()), with("data-processing two")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json(),
        json!({"error_code": 400, "error_name": "BAD_REQUEST",
               "error_message": "API Version String two is of invalid format. Must be of format MajorNum.MinorNum.",
               "max_version": "2.0", "min_version": "2.0"})
    );
    // v1 ignores the header and gets no v2 headers; unknown v2 paths still carry them.
    let req = request(Method::GET, "/v1.1/plugins")
        .header("OpenStack-API-Version", "data-processing two")
        .body(Body::empty())
        .unwrap();
    let r = send(router(s.clone()), req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("vary"), None);
    assert_eq!(
        get(&s, "/v2/nothing").await.header("vary"),
        Some("OpenStack-API-Version")
    );
}

#[tokio::test]
async fn v2_rejects_unknown_query_parameters() {
    let s = fake_state();
    for (path, func) in [
        ("/v2/plugins?name=fake", "plugins_list"),
        ("/v2/plugins/fake?x=1", "plugins_get"),
        ("/v2/plugins/fake/0.1.json?detail=true", "plugins_get_version"),
    ] {
        let r = get(&s, path).await;
        assert_eq!(
            r.error(),
            (
                400,
                "INVALID_PARAMS_ON_REQUEST".into(),
                format!("The only valid params for {func} are [] and ['marker', 'limit', 'sort_by']")
            ),
            "{path}"
        );
        assert_eq!(r.header("vary"), Some("OpenStack-API-Version"));
    }
    assert_eq!(
        get(&s, "/v2/plugins?limit=1&marker=x&sort_by=name").await.status,
        StatusCode::OK
    );
    assert_eq!(get(&s, "/v1.1/plugins?name=fake").await.status, StatusCode::OK);
    // check_exists runs before the whitelist.
    assert_eq!(get(&s, "/v2/plugins/nope?x=1").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn project_segment_must_be_the_tokens_project() {
    let s = fake_state();
    assert_eq!(
        get(&s, &format!("/v1.1/{PROJECT}/plugins")).await.status,
        StatusCode::OK
    );
    for path in [
        format!("/v1.1/{OTHER_PROJECT}/plugins"),
        format!("/v2/{OTHER_PROJECT}/plugins/fake.json"),
        format!("/v2/{OTHER_PROJECT}/nothing-here"),
    ] {
        let r = get(&s, &path).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.error().2, "Token tenant != requested tenant");
    }
}

async fn boom() -> Render {
    panic!("handler bug")
}

async fn echo(Data(data): Data) -> Render {
    Render(data)
}

async fn upload(FileData(bytes): FileData) -> Render {
    Render(json!({"size": bytes.len()}))
}

async fn gone() -> Render {
    Render(json!({}))
}

async fn tags() -> Render {
    Render(json!({"tags": []}))
}

/// A router over test-only routes, declared as resources declare theirs, behind the (noauth) authentication
/// layer; they borrow a rule of Sahara's that is open to everyone (policies must be registered).
fn test_app() -> axum::Router {
    let s = fake_state();
    const OPEN: &str = "data-processing:plugin:list";
    let routes = sahara_api::rest::service(
        s.clone(),
        vec![
            Routes::v2()
                .get("/boom", OPEN, boom)
                .post("/echo", OPEN, echo)
                .put_file("/upload/{name}", OPEN, upload)
                .delete("/echo", OPEN, gone)
                .put("/tags", OPEN, tags)
                .status(StatusCode::OK),
            Routes::v11().get("/edp-only", OPEN, gone),
        ],
    );
    sahara_api::with_auth(routes, &s)
}

#[tokio::test]
async fn framework_statuses_bodies_and_panics() {
    let r = send(
        test_app(),
        request(Method::GET, "/v2/boom").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.json(),
        json!({"error_code": 500, "error_name": "INTERNAL_SERVER_ERROR", "error_message": "Internal Server Error"})
    );
    assert_eq!(r.header("vary"), Some("OpenStack-API-Version"));

    let req = request(Method::POST, "/v2/echo.json")
        .body(Body::from(r#"{"a": [1, 2]}"#))
        .unwrap();
    let r = send(test_app(), req).await;
    assert_eq!((r.status, r.json()), (StatusCode::ACCEPTED, json!({"a": [1, 2]})));
    let r = send(
        test_app(),
        request(Method::POST, "/v2/echo").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!((r.status, r.json()), (StatusCode::ACCEPTED, json!({})));

    let req = request(Method::PUT, &format!("/v2/{PROJECT}/upload/x.jar"))
        .header("content-type", "text/plain")
        .body(Body::from("not json at all"))
        .unwrap();
    let r = send(test_app(), req).await;
    assert_eq!((r.status, r.json()), (StatusCode::ACCEPTED, json!({"size": 15})));

    let r = send(
        test_app(),
        request(Method::DELETE, "/v2/echo").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::NO_CONTENT, ""));
    let r = send(
        test_app(),
        request(Method::PUT, "/v2/tags").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    // v1.1-only routes are not served under /v1.0.
    let r = send(
        test_app(),
        request(Method::GET, "/v1.1/edp-only").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send(
        test_app(),
        request(Method::GET, "/v1.0/edp-only").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Replays `fixtures/sahara_rest_cases.json` (real Sahara 19's answers, made by
/// `fixtures/gen_sahara_rest_cases.py`): same status, same body (Error IDs cut), same v2 headers; the cases
/// marked `ours_differs` keep Sahara's status and answer our error body instead.
#[tokio::test]
async fn answers_match_real_saharas_recorded_ones() {
    let cases: Value = serde_json::from_str(include_str!("fixtures/sahara_rest_cases.json")).unwrap();
    let s = fake_state();
    for case in cases.as_array().unwrap() {
        let rq = &case["request"];
        let (method, path) = (rq["method"].as_str().unwrap(), rq["path"].as_str().unwrap());
        let mut b = request(method.parse().unwrap(), path);
        if let Some(ct) = rq["content_type"].as_str() {
            b = b.header("content-type", ct);
        }
        for (k, v) in rq["headers"].as_object().unwrap() {
            b = b.header(k.as_str(), v.as_str().unwrap());
        }
        let body = rq["body"].as_str().map_or(Body::empty(), |t| Body::from(t.to_string()));
        let r = send(router(s.clone()), b.body(body).unwrap()).await;
        let what = format!("{method} {path} {rq}");
        let mut ours = r.json();
        if let Some(m) = ours
            .get_mut("error_message")
            .and_then(|m| m.as_str().map(str::to_string))
        {
            ours["error_message"] = json!(m.split("\nError ID: ").next().unwrap());
        }
        match case["ours_differs"].as_str() {
            None => {
                assert_eq!(u64::from(r.status.as_u16()), case["status"].as_u64().unwrap(), "{what}");
                assert_eq!(ours, case["body"], "{what}");
                for h in ["Vary", "OpenStack-API-Version"] {
                    assert_eq!(r.header(h), case["headers"][h].as_str(), "{what}: {h}");
                }
            }
            Some(why) if why.starts_with("Sahara stores") => {
                // The generator stubbed the conductor's `plugin_get` to "nothing stored", so Sahara answered the
                // defaults; ours stores the labels (over a real conductor) and answers them.
                let h = common::with_conductor(&common::conf("")).await;
                let mut b = request(method.parse().unwrap(), path).header("content-type", "application/json");
                for (k, v) in rq["headers"].as_object().unwrap() {
                    b = b.header(k.as_str(), v.as_str().unwrap());
                }
                let body = rq["body"].as_str().map_or(Body::empty(), |t| Body::from(t.to_string()));
                let r = send(router(h.state.clone()), b.body(body).unwrap()).await;
                assert_eq!(u64::from(r.status.as_u16()), case["status"].as_u64().unwrap(), "{what}");
                let sent: Value = serde_json::from_str(rq["body"].as_str().unwrap()).unwrap();
                let ours = r.json();
                for (label, state) in sent["plugin_labels"].as_object().unwrap() {
                    assert_eq!(
                        ours["plugin"]["plugin_labels"][label]["status"], state["status"],
                        "{what}"
                    );
                }
                let mut expected = case["body"].clone();
                for (label, state) in sent["plugin_labels"].as_object().unwrap() {
                    expected["plugin"]["plugin_labels"][label]["status"] = state["status"].clone();
                }
                assert_eq!(ours, expected, "{what}");
            }
            Some(_) => {
                assert_eq!(u64::from(r.status.as_u16()), case["status"].as_u64().unwrap(), "{what}");
                assert_eq!(ours["error_code"], case["status"], "{what}");
                assert!(ours["error_name"].is_string(), "{what}");
            }
        }
    }
}

/// A request as a member (no admin role) of the test project.
fn member_request(method: Method, path: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("x-tenant-id", PROJECT)
        .header("x-user-id", "u2")
        .header("x-roles", "member,reader")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"plugin_labels": {"enabled": {"status": false}}}"#))
        .unwrap()
}

#[tokio::test]
async fn policies_guard_every_route_with_saharas_defaults_and_file_overrides() {
    // Default rules: reading plugins is open to anyone, changing their labels needs the admin role.
    let s = fake_state();
    let r = send(router(s.clone()), member_request(Method::GET, "/v2/plugins")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for path in ["/v2/plugins/fake", "/v1.1/plugins/fake"] {
        let r = send(router(s.clone()), member_request(Method::PATCH, path)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        assert_eq!(
            r.error(),
            (
                403,
                "FORBIDDEN".to_string(),
                "You are not authorized to complete this action".to_string()
            )
        );
    }
    let admin = send(
        router(s.clone()),
        request(Method::PATCH, "/v2/plugins/fake")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"plugin_labels": {"enabled": {"status": false}}}"#))
            .unwrap(),
    )
    .await;
    assert_ne!(admin.status, StatusCode::FORBIDDEN, "{}", admin.text);

    // An operator's policy file: listing plugins needs the reader role; getting one is closed to everyone.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.yaml");
    std::fs::write(
        &file,
        "\"data-processing:plugin:list\": \"role:reader\"\n\"data-processing:plugin:get\": \"!\"\n",
    )
    .unwrap();
    let s = state(&format!(
        "plugins = fake\n[oslo_policy]\npolicy_file = {}\n",
        file.display()
    ));
    let r = send(router(s.clone()), member_request(Method::GET, "/v2/plugins")).await;
    assert_eq!(r.status, StatusCode::OK, "reader may list: {}", r.text);
    let r = get(&s, "/v2/plugins").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "admin without reader may not list: {}",
        r.text
    );
    let r = send(router(s.clone()), member_request(Method::GET, "/v2/plugins/fake")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    // v1.1's own rule names are untouched by the file.
    let r = get(&s, "/v1.1/plugins/fake").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn images_without_a_catalog_are_unavailable_not_a_server_error() {
    // noauth: no token and no service catalog travel with the request, so Glance cannot be asked.
    let s = fake_state();
    for (method, path) in [
        (Method::GET, "/v2/images"),
        (Method::GET, "/v2/images/0123"),
        (Method::GET, "/v2/images/0123/tags"),
        (Method::DELETE, "/v2/images/0123"),
        (Method::GET, &*format!("/v1.1/{PROJECT}/images")),
    ] {
        let r = call(&s, method.clone(), path).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{method} {path}: {}", r.text);
        let (code, name, message) = r.error();
        assert_eq!((code, name.as_str()), (503, "SERVICE_UNAVAILABLE"), "{method} {path}");
        assert!(message.contains("no token or service catalog"), "{message}");
    }
}

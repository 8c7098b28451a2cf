//! Endpoints and dispatch by namespace, version and method, as oslo's `RPCDispatcher`.

use crate::context::RequestContext;
use crate::failure::RemoteError;
use crate::message::Request;
use crate::target::version_is_compatible;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a method returns: a JSON result or a remote exception for the caller.
pub type MethodResult = Result<Value, RemoteError>;

/// A boxed method future.
pub type MethodFuture = Pin<Box<dyn Future<Output = MethodResult> + Send>>;

/// A method's result as the server sends it: a value, or JSON text the method wrote itself
/// ([`Endpoint::json_method`]), sent as it is.
#[derive(Debug)]
pub enum MethodOutput {
    /// A value.
    Value(Value),
    /// JSON text (checked to be one JSON value).
    Json(Box<serde_json::value::RawValue>),
}

/// What a method's future yields inside the server.
pub type OutputResult = Result<MethodOutput, RemoteError>;

/// A method implementation: context and keyword arguments in, result out.
pub type Method =
    Arc<dyn Fn(RequestContext, Map<String, Value>) -> Pin<Box<dyn Future<Output = OutputResult> + Send>> + Send + Sync>;

/// A set of RPC methods sharing a namespace and version (an oslo endpoint object).
#[derive(Clone)]
pub struct Endpoint {
    namespace: Option<String>,
    legacy_namespaces: Vec<Option<String>>,
    version: String,
    methods: BTreeMap<String, Method>,
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            namespace: None,
            legacy_namespaces: Vec::new(),
            version: "1.0".into(),
            methods: BTreeMap::new(),
        }
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("namespace", &self.namespace)
            .field("version", &self.version)
            .field("methods", &self.methods.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Endpoint {
    /// An endpoint in no namespace at version 1.0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the highest message version the endpoint implements.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Puts the endpoint in a namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Also accepts messages of an older namespace (`None` = no namespace).
    pub fn with_legacy_namespace(mut self, namespace: Option<String>) -> Self {
        self.legacy_namespaces.push(namespace);
        self
    }

    /// Adds a method taking typed keyword arguments `A` and returning `R`.
    ///
    /// Arguments that do not fit `A` are answered with a `TypeError`, as Python would.
    /// Names starting with `_` are private in oslo and are refused here.
    pub fn method<A, R, F, Fut>(self, name: &str, f: F) -> Self
    where
        A: DeserializeOwned + Send + 'static,
        R: Serialize + Send + 'static,
        F: Fn(RequestContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, RemoteError>> + Send + 'static,
    {
        let f = Arc::new(f);
        let owned = name.to_string();
        self.raw_method(name, move |ctx, args| {
            let f = f.clone();
            let name = owned.clone();
            async move {
                let typed: A = serde_json::from_value(Value::Object(args))
                    .map_err(|e| RemoteError::builtin("TypeError", format!("{name}() got invalid arguments: {e}")))?;
                let out = f(ctx, typed).await?;
                serde_json::to_value(out).map_err(|e| {
                    RemoteError::builtin("TypeError", format!("{name}() returned a value that is not JSON: {e}"))
                })
            }
        })
    }

    /// Adds a method working on the raw kwargs object.
    pub fn raw_method<F, Fut>(mut self, name: &str, f: F) -> Self
    where
        F: Fn(RequestContext, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = MethodResult> + Send + 'static,
    {
        assert!(
            !name.starts_with('_'),
            "RPC method names starting with '_' are private in oslo.messaging"
        );
        self.methods.insert(
            name.to_string(),
            Arc::new(move |ctx, args| {
                let fut = f(ctx, args);
                Box::pin(async move { fut.await.map(MethodOutput::Value) })
            }),
        );
        self
    }

    /// Adds a method working on the raw kwargs object that answers with JSON text of its own making (a page
    /// written straight from database rows, say), sent as the result without being read into a value first.
    /// Text that is not one JSON value is answered with a `RuntimeError`.
    pub fn json_method<F, Fut>(mut self, name: &str, f: F) -> Self
    where
        F: Fn(RequestContext, Map<String, Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, RemoteError>> + Send + 'static,
    {
        assert!(
            !name.starts_with('_'),
            "RPC method names starting with '_' are private in oslo.messaging"
        );
        let owned = name.to_string();
        self.methods.insert(
            name.to_string(),
            Arc::new(move |ctx, args| {
                let (fut, name) = (f(ctx, args), owned.clone());
                Box::pin(async move {
                    let text = fut.await?;
                    serde_json::value::RawValue::from_string(text)
                        .map(MethodOutput::Json)
                        .map_err(|e| {
                            RemoteError::builtin(
                                "RuntimeError",
                                format!("{name}() returned text that is not JSON: {e}"),
                            )
                        })
                })
            }),
        );
        self
    }

    /// Method names, sorted.
    pub fn method_names(&self) -> impl Iterator<Item = &str> {
        self.methods.keys().map(String::as_str)
    }

    fn accepts_namespace(&self, ns: Option<&str>) -> bool {
        self.namespace.as_deref() == ns || self.legacy_namespaces.iter().any(|l| l.as_deref() == ns)
    }
}

/// Finds the method a request names, or the exception oslo would reply with.
pub fn lookup<'a>(endpoints: &'a [Endpoint], request: &Request) -> Result<&'a Method, RemoteError> {
    let version = request.version.as_deref().unwrap_or("1.0");
    let mut compatible = false;
    for ep in endpoints {
        if !ep.accepts_namespace(request.namespace.as_deref()) || !version_is_compatible(&ep.version, version) {
            continue;
        }
        if let Some(m) = ep.methods.get(&request.method) {
            return Ok(m);
        }
        compatible = true;
    }
    if compatible {
        Err(RemoteError::no_such_method(&request.method))
    } else {
        Err(RemoteError::unsupported_version(version, &request.method))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, version: Option<&str>, ns: Option<&str>) -> Request {
        Request {
            method: method.into(),
            args: Map::new(),
            namespace: ns.map(str::to_string),
            version: version.map(str::to_string),
            call: None,
            unique_id: String::new(),
            context: Map::new(),
        }
    }

    #[test]
    fn dispatch_rules_follow_oslo() {
        let eps = vec![
            Endpoint::new()
                .with_version("1.3")
                .method("echo", |_, v: Value| async move { Ok(v) }),
            Endpoint::new()
                .with_namespace("admin")
                .method("reset", |_, _: Value| async move { Ok(true) }),
        ];
        assert!(lookup(&eps, &request("echo", None, None)).is_ok());
        assert!(lookup(&eps, &request("echo", Some("1.2"), None)).is_ok());
        let e = lookup(&eps, &request("nope", Some("1.0"), None)).err().unwrap();
        assert!(e.is_no_such_method());
        assert_eq!(e.message, "Endpoint does not support RPC method nope");
        let e = lookup(&eps, &request("echo", Some("2.0"), None)).err().unwrap();
        assert!(e.is_unsupported_version());
        assert_eq!(
            e.message,
            "Endpoint does not support RPC version 2.0. Attempted method: echo"
        );
        assert!(lookup(&eps, &request("reset", None, Some("admin"))).is_ok());
        assert!(
            lookup(&eps, &request("reset", None, None))
                .err()
                .unwrap()
                .is_no_such_method()
        );
        assert!(
            lookup(&eps, &request("echo", None, Some("other")))
                .err()
                .unwrap()
                .is_unsupported_version()
        );
    }

    #[tokio::test]
    async fn typed_arguments_give_type_errors() {
        #[derive(serde::Deserialize)]
        struct Args {
            value: i64,
        }
        let ep = Endpoint::new().method("double", |_, a: Args| async move { Ok(a.value * 2) });
        let m = lookup(std::slice::from_ref(&ep), &request("double", None, None)).unwrap();
        let mut args = Map::new();
        args.insert("value".into(), Value::from(21));
        match m(RequestContext::new(), args).await.unwrap() {
            MethodOutput::Value(v) => assert_eq!(v, Value::from(42)),
            other => panic!("expected a value, got {other:?}"),
        }
        let mut bad = Map::new();
        bad.insert("value".into(), Value::from("x"));
        let err = m(RequestContext::new(), bad).await.unwrap_err();
        assert_eq!(err.class, "TypeError");
        assert_eq!(err.module, "builtins");
    }

    #[tokio::test]
    async fn json_methods_answer_their_text_if_it_is_json() {
        let ep = Endpoint::new().json_method("page", |_, a: Map<String, Value>| async move {
            Ok(a["text"].as_str().unwrap().to_string())
        });
        let m = lookup(std::slice::from_ref(&ep), &request("page", None, None)).unwrap();
        let args = |t: &str| Map::from_iter([("text".to_string(), Value::from(t))]);
        match m(
            RequestContext::new(),
            args(r#"{"items": ["h\u00e9", "é"], "next": null}"#),
        )
        .await
        .unwrap()
        {
            MethodOutput::Json(raw) => assert_eq!(raw.get(), r#"{"items": ["h\u00e9", "é"], "next": null}"#),
            other => panic!("expected JSON text, got {other:?}"),
        }
        let err = m(RequestContext::new(), args(r#"{"items": ["#)).await.unwrap_err();
        assert_eq!(err.class, "RuntimeError");
        assert!(
            err.message.starts_with("page() returned text that is not JSON"),
            "{}",
            err.message
        );
    }
}

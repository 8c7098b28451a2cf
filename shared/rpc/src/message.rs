//! The oslo.messaging envelope and the shapes of requests, replies and notifications.
//!
//! Every body is `{"oslo.version": "2.0", "oslo.message": "<JSON string>"}`; the inner
//! message is a flat object whose keys and key order follow oslo.messaging 18.x.

use crate::error::{Result, RpcError};
use crate::json::{to_python_json, to_python_json_string};
use serde_json::{Map, Value};

/// Envelope version oslo.messaging writes.
pub const OSLO_VERSION: &str = "2.0";
/// Prefix of flattened context keys.
pub const CONTEXT_PREFIX: &str = "_context_";

/// A fresh id as oslo makes them: uuid4 without dashes.
pub fn new_hex_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Wraps an inner message in the 2.0 envelope.
pub fn serialize_msg(msg: &Map<String, Value>) -> Vec<u8> {
    let mut env = Map::with_capacity(2);
    env.insert("oslo.version".into(), Value::String(OSLO_VERSION.into()));
    env.insert("oslo.message".into(), Value::String(to_python_json_string(msg)));
    to_python_json(&env)
}

/// Encodes an inner message without envelope (the 1.0 format of the `messaging` notifier).
pub fn serialize_bare(msg: &Map<String, Value>) -> Vec<u8> {
    to_python_json(msg)
}

/// Decodes a body: a 2.0 envelope is unwrapped (its major version must be 2), any other
/// JSON object is taken as a 1.0 message as-is.
pub fn deserialize_msg(body: &[u8]) -> Result<Map<String, Value>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| RpcError::Malformed(format!("body is not JSON: {e}")))?;
    let Value::Object(mut outer) = value else {
        return Err(RpcError::Malformed("body is not a JSON object".into()));
    };
    if !(outer.contains_key("oslo.version") && outer.contains_key("oslo.message")) {
        return Ok(outer);
    }
    let version = match outer.get("oslo.version") {
        Some(Value::String(v)) => v.clone(),
        other => return Err(RpcError::UnsupportedEnvelopeVersion(format!("{other:?}"))),
    };
    if version.split('.').next() != Some("2") {
        return Err(RpcError::UnsupportedEnvelopeVersion(version));
    }
    let Some(Value::String(inner)) = outer.remove("oslo.message") else {
        return Err(RpcError::Malformed("oslo.message is not a string".into()));
    };
    match serde_json::from_str::<Value>(&inner) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(RpcError::Malformed("oslo.message is not a JSON object".into())),
        Err(e) => Err(RpcError::Malformed(format!("oslo.message is not JSON: {e}"))),
    }
}

/// Splits the `_context_*` keys off a message into a context dict (prefix removed).
pub fn unpack_context(msg: &mut Map<String, Value>) -> Map<String, Value> {
    let keys: Vec<String> = msg.keys().filter(|k| k.starts_with(CONTEXT_PREFIX)).cloned().collect();
    let mut ctx = Map::with_capacity(keys.len());
    for k in keys {
        if let Some(v) = msg.shift_remove(&k) {
            ctx.insert(k[CONTEXT_PREFIX.len()..].to_string(), v);
        }
    }
    ctx
}

/// Appends a context dict to a message as `_context_<key>` entries.
pub fn pack_context(msg: &mut Map<String, Value>, ctx: &Map<String, Value>) {
    for (k, v) in ctx {
        msg.insert(format!("{CONTEXT_PREFIX}{k}"), v.clone());
    }
}

/// The reply half of a call, as the server sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The method's return value (null for failures and heartbeats).
    pub result: Value,
    /// The serialised remote exception, if the method failed.
    pub failure: Option<String>,
    /// `false` only for call-monitor heartbeats (and the first of the legacy two messages).
    pub ending: bool,
    /// The `_msg_id` of the request.
    pub msg_id: String,
    /// A fresh id for duplicate detection.
    pub unique_id: String,
}

impl Reply {
    /// The inner message in oslo's key order.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::with_capacity(5);
        m.insert("result".into(), self.result.clone());
        m.insert(
            "failure".into(),
            self.failure.clone().map(Value::String).unwrap_or(Value::Null),
        );
        m.insert("ending".into(), Value::Bool(self.ending));
        m.insert("_msg_id".into(), Value::String(self.msg_id.clone()));
        m.insert("_unique_id".into(), Value::String(self.unique_id.clone()));
        m
    }

    /// Reads a reply; a missing `ending` means `false` (the legacy first message).
    pub fn from_map(m: &Map<String, Value>) -> Result<Reply> {
        let msg_id = match m.get("_msg_id") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(RpcError::Malformed("reply without _msg_id".into())),
        };
        let failure = match m.get("failure") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        Ok(Reply {
            result: m.get("result").cloned().unwrap_or(Value::Null),
            failure,
            ending: matches!(m.get("ending"), Some(Value::Bool(true))),
            msg_id,
            unique_id: m
                .get("_unique_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        })
    }
}

/// A request (call or cast) as it travels: method, kwargs and routing metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Method name.
    pub method: String,
    /// Keyword arguments.
    pub args: Map<String, Value>,
    /// Target namespace, when set.
    pub namespace: Option<String>,
    /// Message version, when set (absent means "1.0").
    pub version: Option<String>,
    /// Reply routing, for calls only.
    pub call: Option<CallInfo>,
    /// Duplicate-detection id.
    pub unique_id: String,
    /// The request context (keys without prefix).
    pub context: Map<String, Value>,
}

/// The parts of a request that only a call carries.
#[derive(Debug, Clone, PartialEq)]
pub struct CallInfo {
    /// Correlation id the reply echoes.
    pub msg_id: String,
    /// Queue to reply to.
    pub reply_q: String,
    /// Call-monitor timeout in seconds (`_timeout`), when heartbeats are wanted.
    pub call_monitor_timeout: Option<f64>,
}

impl Request {
    /// The inner message in oslo's key order.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::with_capacity(8 + self.context.len());
        m.insert("method".into(), Value::String(self.method.clone()));
        m.insert("args".into(), Value::Object(self.args.clone()));
        if let Some(ns) = &self.namespace {
            m.insert("namespace".into(), Value::String(ns.clone()));
        }
        if let Some(v) = &self.version {
            m.insert("version".into(), Value::String(v.clone()));
        }
        if let Some(call) = &self.call {
            m.insert("_msg_id".into(), Value::String(call.msg_id.clone()));
            m.insert("_reply_q".into(), Value::String(call.reply_q.clone()));
            m.insert(
                "_timeout".into(),
                call.call_monitor_timeout
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
            );
        }
        m.insert("_unique_id".into(), Value::String(self.unique_id.clone()));
        pack_context(&mut m, &self.context);
        m
    }

    /// Where the reply to a message goes, when it is a call (`_msg_id` and `_reply_q`),
    /// whether or not the rest of the message makes sense.
    pub fn call_of(m: &Map<String, Value>) -> Option<CallInfo> {
        let string_field = |k: &str| m.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        Some(CallInfo {
            msg_id: string_field("_msg_id")?.to_string(),
            reply_q: string_field("_reply_q")?.to_string(),
            call_monitor_timeout: m.get("_timeout").and_then(Value::as_f64),
        })
    }

    /// Reads a request the way oslo's dispatcher does; the context is split off.
    pub fn from_map(mut m: Map<String, Value>) -> Result<Request> {
        let context = unpack_context(&mut m);
        let method = match m.get("method") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(RpcError::Malformed("request without a method".into())),
        };
        let args = match m.get("args") {
            Some(Value::Object(a)) => a.clone(),
            None | Some(Value::Null) => Map::new(),
            Some(_) => return Err(RpcError::Malformed("request args is not an object".into())),
        };
        let string_field = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
        let call = match string_field("_msg_id").filter(|s| !s.is_empty()) {
            Some(_) => Some(Self::call_of(&m).ok_or_else(|| RpcError::Malformed("call without _reply_q".into()))?),
            None => None,
        };
        Ok(Request {
            method,
            args,
            namespace: string_field("namespace"),
            version: match m.get("version") {
                Some(Value::String(v)) => Some(v.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            },
            call,
            unique_id: string_field("_unique_id").unwrap_or_default(),
            context,
        })
    }
}

/// Keeps the last `N` unique ids seen and flags repeats (oslo's `_MsgIdCache`, size 16).
#[derive(Debug, Default)]
pub struct DuplicateFilter {
    seen: std::collections::VecDeque<String>,
}

impl DuplicateFilter {
    /// How many ids are remembered, as in oslo.
    pub const SIZE: usize = 16;

    /// Records `id`; returns false when it was already among the last 16.
    pub fn check_and_add(&mut self, id: &str) -> bool {
        if self.contains(id) {
            return false;
        }
        self.add(id);
        true
    }

    /// Whether `id` is among the last 16 recorded.
    pub fn contains(&self, id: &str) -> bool {
        !id.is_empty() && self.seen.iter().any(|s| s == id)
    }

    /// Records `id` (notifications record only what they acknowledged, so a requeued
    /// message is not mistaken for a duplicate).
    pub fn add(&mut self, id: &str) {
        if id.is_empty() || self.contains(id) {
            return;
        }
        if self.seen.len() == Self::SIZE {
            self.seen.pop_front();
        }
        self.seen.push_back(id.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn envelope_round_trip() {
        let mut m = Map::new();
        m.insert("method".into(), json!("echo"));
        m.insert("args".into(), json!({"value": "h\u{e9}"}));
        let body = serialize_msg(&m);
        assert_eq!(
            String::from_utf8(body.clone()).unwrap(),
            r#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"echo\", \"args\": {\"value\": \"h\\u00e9\"}}"}"#
        );
        assert_eq!(deserialize_msg(&body).unwrap(), m);
    }

    #[test]
    fn bare_messages_and_bad_versions() {
        assert_eq!(deserialize_msg(br#"{"a": 1}"#).unwrap()["a"], json!(1));
        assert!(matches!(
            deserialize_msg(br#"{"oslo.version": "3.0", "oslo.message": "{}"}"#),
            Err(RpcError::UnsupportedEnvelopeVersion(v)) if v == "3.0"
        ));
        assert!(deserialize_msg(b"[1]").is_err());
        assert!(deserialize_msg(b"not json").is_err());
        assert!(deserialize_msg(br#"{"oslo.version": "2.0", "oslo.message": "[]"}"#).is_err());
    }

    #[test]
    fn duplicate_filter_remembers_sixteen() {
        let mut f = DuplicateFilter::default();
        assert!(f.check_and_add("a"));
        assert!(!f.check_and_add("a"));
        for i in 0..16 {
            assert!(f.check_and_add(&i.to_string()));
        }
        assert!(f.check_and_add("a"), "a fell out of the window");
    }

    #[test]
    fn request_without_args_or_method() {
        let m = json!({"args": {}}).as_object().unwrap().clone();
        assert!(Request::from_map(m).is_err());
        let m = json!({"method": "x"}).as_object().unwrap().clone();
        let r = Request::from_map(m).unwrap();
        assert!(r.args.is_empty() && r.call.is_none());
    }
}

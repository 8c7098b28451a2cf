//! The oslo.messaging envelope and the shapes of requests, replies and notifications.
//!
//! Every body is `{"oslo.version": "2.0", "oslo.message": "<JSON string>"}`; the inner
//! message is a flat object whose keys and key order follow oslo.messaging 18.x.

use crate::error::{Result, RpcError};
use crate::json::{to_python_json, write_quoted_python_json};
use serde_json::{Map, Value};

/// Envelope version oslo.messaging writes.
pub const OSLO_VERSION: &str = "2.0";
/// Prefix of flattened context keys.
pub const CONTEXT_PREFIX: &str = "_context_";

/// A fresh id as oslo makes them: uuid4 without dashes.
pub fn new_hex_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Wraps an inner message in the 2.0 envelope: the bytes of `json.dumps({"oslo.version":
/// "2.0", "oslo.message": json.dumps(msg)})`, the inner JSON written straight into the outer
/// string.
pub fn serialize_msg<T: serde::Serialize + ?Sized>(msg: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"oslo.version\": \"");
    out.extend_from_slice(OSLO_VERSION.as_bytes());
    out.extend_from_slice(b"\", \"oslo.message\": \"");
    write_quoted_python_json(&mut out, msg);
    out.extend_from_slice(b"\"}");
    out
}

/// Encodes an inner message without envelope (the 1.0 format of the `messaging` notifier).
pub fn serialize_bare(msg: &Map<String, Value>) -> Vec<u8> {
    to_python_json(msg)
}

/// Decodes a body: a 2.0 envelope is unwrapped (its major version must be 2), any other
/// JSON object is taken as a 1.0 message as-is.
pub fn deserialize_msg(body: &[u8]) -> Result<Map<String, Value>> {
    match inner_message(body)? {
        Inner::Text(inner) => match serde_json::from_str::<Value>(&inner) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(RpcError::Malformed("oslo.message is not a JSON object".into())),
            Err(e) => Err(RpcError::Malformed(format!("oslo.message is not JSON: {e}"))),
        },
        Inner::Bare(m) => Ok(m),
    }
}

/// The inner message of a body: the text of a 2.0 envelope's `oslo.message`, or a 1.0
/// message (the body itself, already decoded).
enum Inner {
    Text(String),
    Bare(Map<String, Value>),
}

/// Unwraps a body, checking the envelope as [`deserialize_msg`] does. Only the envelope's two
/// keys are decoded; a body that is not an envelope is decoded whole.
fn inner_message(body: &[u8]) -> Result<Inner> {
    if let Some(text) = plain_envelope(body) {
        return Ok(Inner::Text(text));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    if let Ok(Some(env)) = serde::Deserializer::deserialize_map(&mut de, EnvelopeVisitor)
        && de.end().is_ok()
    {
        let version = match env.version {
            Value::String(v) => v,
            other => return Err(RpcError::UnsupportedEnvelopeVersion(format!("{:?}", Some(other)))),
        };
        if version.split('.').next() != Some("2") {
            return Err(RpcError::UnsupportedEnvelopeVersion(version));
        }
        return match env.message {
            Value::String(inner) => Ok(Inner::Text(inner)),
            _ => Err(RpcError::Malformed("oslo.message is not a string".into())),
        };
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| RpcError::Malformed(format!("body is not JSON: {e}")))?;
    match value {
        Value::Object(outer) => Ok(Inner::Bare(outer)),
        _ => Err(RpcError::Malformed("body is not a JSON object".into())),
    }
}

/// The inner message of an envelope exactly as `json.dumps` writes one around Python-style
/// JSON (what oslo.messaging and [`serialize_msg`] send): the fixed head, a string whose only
/// escapes are `\"` and `\\`, the fixed tail. Read without a JSON parser; `None` for any other
/// body (which the parser then reads).
fn plain_envelope(body: &[u8]) -> Option<String> {
    const HEAD: &[u8] = b"{\"oslo.version\": \"2.0\", \"oslo.message\": \"";
    const TAIL: &[u8] = b"\"}";
    let quoted = body.strip_prefix(HEAD)?.strip_suffix(TAIL)?;
    let mut text = vec![0u8; quoted.len()];
    let (mut read, mut written) = (0, 0);
    while read < quoted.len() {
        let b = match quoted[read] {
            b'\\' => {
                read += 1;
                match quoted.get(read) {
                    Some(&escaped @ (b'"' | b'\\')) => escaped,
                    _ => return None,
                }
            }
            // A quote would end the string early; control characters, DEL and anything
            // outside ASCII are left to the parser.
            b'"' | 0..=0x1f | 0x7f..=0xff => return None,
            b => b,
        };
        text[written] = b;
        written += 1;
        read += 1;
    }
    text.truncate(written);
    String::from_utf8(text).ok()
}

/// A 2.0 envelope's two keys (the last of repeated ones).
struct Envelope {
    version: Value,
    message: Value,
}

/// Reads a JSON object as an [`Envelope`], or `None` when it lacks either key (a 1.0 message).
struct EnvelopeVisitor;

impl<'de> serde::de::Visitor<'de> for EnvelopeVisitor {
    type Value = Option<Envelope>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Option<Envelope>, A::Error> {
        let (mut version, mut message) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "oslo.version" => version = Some(map.next_value::<Value>()?),
                "oslo.message" => message = Some(map.next_value::<Value>()?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(version
            .zip(message)
            .map(|(version, message)| Envelope { version, message }))
    }
}

/// Splits the `_context_*` keys off a message into a context dict (prefix removed); both
/// keep their order.
pub fn unpack_context(msg: &mut Map<String, Value>) -> Map<String, Value> {
    let all = std::mem::take(msg);
    let mut ctx = Map::new();
    for (k, v) in all {
        match k.strip_prefix(CONTEXT_PREFIX) {
            Some(name) => {
                ctx.insert(name.to_string(), v);
            }
            None => {
                msg.insert(k, v);
            }
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

/// [`pack_context`], moving the values.
fn pack_context_owned(msg: &mut Map<String, Value>, ctx: Map<String, Value>) {
    for (k, v) in ctx {
        let mut key = String::with_capacity(CONTEXT_PREFIX.len() + k.len());
        key.push_str(CONTEXT_PREFIX);
        key.push_str(&k);
        msg.insert(key, v);
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
        self.clone().into_map()
    }

    /// [`Reply::to_map`], moving the result instead of copying it.
    pub fn into_map(self) -> Map<String, Value> {
        let mut m = Map::with_capacity(5);
        m.insert("result".into(), self.result);
        m.insert("failure".into(), self.failure.map(Value::String).unwrap_or(Value::Null));
        m.insert("ending".into(), Value::Bool(self.ending));
        m.insert("_msg_id".into(), Value::String(self.msg_id));
        m.insert("_unique_id".into(), Value::String(self.unique_id));
        m
    }

    /// The body of a final reply whose result is JSON text sent as it is: the inner message in oslo's key order
    /// (`result`, `failure` null, `ending` true, `_msg_id`, `_unique_id`), in the 2.0 envelope.
    pub fn json_body(result: &serde_json::value::RawValue, msg_id: &str, unique_id: &str) -> Vec<u8> {
        #[derive(serde::Serialize)]
        struct JsonReply<'a> {
            result: &'a serde_json::value::RawValue,
            failure: Option<&'a str>,
            ending: bool,
            #[serde(rename = "_msg_id")]
            msg_id: &'a str,
            #[serde(rename = "_unique_id")]
            unique_id: &'a str,
        }
        serialize_msg(&JsonReply {
            result,
            failure: None,
            ending: true,
            msg_id,
            unique_id,
        })
    }

    /// Reads a reply; a missing `ending` means `false` (the legacy first message).
    pub fn from_map(m: &Map<String, Value>) -> Result<Reply> {
        Self::from_owned_map(m.clone())
    }

    /// [`Reply::from_map`], moving the result out of the message instead of copying it.
    pub fn from_owned_map(mut m: Map<String, Value>) -> Result<Reply> {
        let msg_id = match m.get("_msg_id") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(RpcError::Malformed("reply without _msg_id".into())),
        };
        let failure = match m.get("failure") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        Ok(Reply {
            failure,
            ending: matches!(m.get("ending"), Some(Value::Bool(true))),
            msg_id,
            unique_id: m
                .get("_unique_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            result: m.remove("result").unwrap_or(Value::Null),
        })
    }
}

/// A reply as a caller's reply queue hands it over: the fields that route it are read, the
/// result stays in the message text until the caller reads it, into a [`Value`] or straight
/// into its own type ([`ReplyText::result`]), in the caller's own task.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyText {
    /// The serialised remote exception, if the method failed.
    pub failure: Option<String>,
    /// `false` only for call-monitor heartbeats (and the first of the legacy two messages).
    pub ending: bool,
    /// The `_msg_id` of the request.
    pub msg_id: String,
    /// The reply's id for duplicate detection.
    pub unique_id: String,
    /// Whether the reply carries a result other than null.
    pub has_result: bool,
    /// The inner message.
    text: String,
}

impl ReplyText {
    /// Reads a reply body as [`deserialize_msg`] then [`Reply::from_map`] do, leaving the
    /// result unread.
    pub fn from_body(body: &[u8]) -> Result<ReplyText> {
        let text = match inner_message(body)? {
            Inner::Text(text) => text,
            Inner::Bare(m) => serde_json::to_string(&m)?,
        };
        let fields = match serde::Deserializer::deserialize_map(
            &mut serde_json::Deserializer::from_str(&text),
            ReplyFieldsVisitor,
        ) {
            Ok(fields) => fields,
            // The errors deserialize_msg gives.
            Err(e) => {
                return Err(match serde_json::from_str::<Value>(&text) {
                    Ok(_) => RpcError::Malformed("oslo.message is not a JSON object".into()),
                    Err(_) => RpcError::Malformed(format!("oslo.message is not JSON: {e}")),
                });
            }
        };
        let msg_id = match fields.msg_id {
            Some(Value::String(s)) => s,
            _ => return Err(RpcError::Malformed("reply without _msg_id".into())),
        };
        Ok(ReplyText {
            failure: match fields.failure {
                Some(Value::String(s)) if !s.is_empty() => Some(s),
                _ => None,
            },
            ending: matches!(fields.ending, Some(Value::Bool(true))),
            msg_id,
            unique_id: match fields.unique_id {
                Some(Value::String(s)) => s,
                _ => String::new(),
            },
            has_result: fields.has_result,
            text,
        })
    }

    /// The result read into `T` (a missing result reads as null).
    pub fn result<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        let mut de = serde_json::Deserializer::from_str(&self.text);
        let found = serde::Deserializer::deserialize_map(&mut de, ResultVisitor(std::marker::PhantomData::<T>))?;
        de.end()?;
        match found {
            Some(v) => Ok(v),
            None => serde_json::from_value(Value::Null),
        }
    }

    /// The reply with its result read.
    pub fn into_reply(self) -> Result<Reply> {
        Ok(Reply {
            result: self.result()?,
            failure: self.failure,
            ending: self.ending,
            msg_id: self.msg_id,
            unique_id: self.unique_id,
        })
    }
}

/// The routing fields of a reply (the last of repeated keys), and whether its result is not null.
#[derive(Default)]
struct ReplyFields {
    msg_id: Option<Value>,
    unique_id: Option<Value>,
    failure: Option<Value>,
    ending: Option<Value>,
    has_result: bool,
}

struct ReplyFieldsVisitor;

impl<'de> serde::de::Visitor<'de> for ReplyFieldsVisitor {
    type Value = ReplyFields;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<ReplyFields, A::Error> {
        let mut fields = ReplyFields::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "result" => fields.has_result = map.next_value::<Option<serde::de::IgnoredAny>>()?.is_some(),
                "failure" => fields.failure = Some(map.next_value()?),
                "ending" => fields.ending = Some(map.next_value()?),
                "_msg_id" => fields.msg_id = Some(map.next_value()?),
                "_unique_id" => fields.unique_id = Some(map.next_value()?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(fields)
    }
}

/// Reads the `result` of a reply (the last one, when repeated) into `T`.
struct ResultVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ResultVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Option<T>, A::Error> {
        let mut result = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "result" {
                result = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(result)
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
        self.clone().into_map()
    }

    /// [`Request::to_map`], moving the arguments and the context instead of copying them.
    pub fn into_map(self) -> Map<String, Value> {
        let mut m = Map::with_capacity(8 + self.context.len());
        m.insert("method".into(), Value::String(self.method));
        m.insert("args".into(), Value::Object(self.args));
        if let Some(ns) = self.namespace {
            m.insert("namespace".into(), Value::String(ns));
        }
        if let Some(v) = self.version {
            m.insert("version".into(), Value::String(v));
        }
        if let Some(call) = self.call {
            m.insert("_msg_id".into(), Value::String(call.msg_id));
            m.insert("_reply_q".into(), Value::String(call.reply_q));
            m.insert(
                "_timeout".into(),
                call.call_monitor_timeout
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null),
            );
        }
        m.insert("_unique_id".into(), Value::String(self.unique_id));
        pack_context_owned(&mut m, self.context);
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
        let args = match m.remove("args") {
            Some(Value::Object(a)) => a,
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
    fn envelope_is_json_dumps_of_json_dumps() {
        use crate::json::to_python_json_string;
        let tricky = json!({
            "quote\"key": "a \"quoted\" \\ back\\slash",
            "controls": "\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}",
            "unicode": "h\u{e9} \u{1F600} \u{2028}",
            "numbers": [0, -1, 1.5, 1e300, -0.0, 12345678901234567890u64],
            "nested": {"empty": {}, "list": [], "null": null, "bool": [true, false]},
        });
        let mut m = Map::new();
        m.insert("method".into(), json!("echo"));
        m.insert("args".into(), tricky);
        let mut env = Map::new();
        env.insert("oslo.version".into(), json!(OSLO_VERSION));
        env.insert("oslo.message".into(), Value::String(to_python_json_string(&m)));
        assert_eq!(
            String::from_utf8(serialize_msg(&m)).unwrap(),
            to_python_json_string(&env)
        );
        assert_eq!(deserialize_msg(&serialize_msg(&m)).unwrap(), m);
    }

    #[test]
    fn reply_text_reads_what_reply_from_map_reads() {
        let bodies: Vec<Vec<u8>> = vec![
            serialize_msg(json!({"result": {"items": [1, "x"]}, "failure": null, "ending": true, "_msg_id": "m", "_unique_id": "u"}).as_object().unwrap()),
            serialize_msg(json!({"result": null, "failure": null, "ending": false, "_msg_id": "m", "_unique_id": "u"}).as_object().unwrap()),
            serialize_msg(json!({"failure": "{\"class\": \"E\"}", "ending": true, "_msg_id": "m"}).as_object().unwrap()),
            serialize_msg(json!({"result": 3, "ending": "yes", "_msg_id": "m", "_unique_id": 7, "failure": ""}).as_object().unwrap()),
            br#"{"oslo.version": "2.0", "oslo.message": "{\"result\": 1, \"result\": 2, \"_msg_id\": \"a\", \"_msg_id\": \"b\", \"ending\": true}"}"#.to_vec(),
            br#"{"result": [true], "ending": true, "_msg_id": "legacy"}"#.to_vec(),
        ];
        for body in bodies {
            let want = deserialize_msg(&body).and_then(Reply::from_owned_map).unwrap();
            let got = ReplyText::from_body(&body).unwrap();
            assert_eq!(got.has_result, !want.result.is_null());
            assert_eq!(got.result::<Value>().unwrap(), want.result);
            assert_eq!(got.into_reply().unwrap(), want);
        }
        let no_id = serialize_msg(json!({"result": 1, "ending": true}).as_object().unwrap());
        assert!(ReplyText::from_body(&no_id).is_err());
        assert!(ReplyText::from_body(br#"{"oslo.version": "2.0", "oslo.message": "[1]"}"#).is_err());
        assert!(ReplyText::from_body(b"not json").is_err());
        let typed = ReplyText::from_body(&serialize_msg(
            json!({"result": {"a": [1, 2]}, "ending": true, "_msg_id": "m"})
                .as_object()
                .unwrap(),
        ))
        .unwrap();
        let read: std::collections::BTreeMap<String, Vec<u8>> = typed.result().unwrap();
        assert_eq!(read["a"], [1, 2]);
    }

    #[test]
    fn a_json_reply_is_the_reply_of_its_value() {
        let value = json!({"items": [{"s": "q\"b\\s\n h\u{e9} \u{1F600} \u{1}", "n": [1.5, -3, 9007199254740993i64, null, true]}],
                           "prev": null, "next": "m"});
        for (text, compact) in [
            (serde_json::to_string(&value).unwrap(), true),
            (serde_json::to_string_pretty(&value).unwrap(), false),
        ] {
            let raw = serde_json::value::RawValue::from_string(text).unwrap();
            let body = Reply::json_body(&raw, "msg", "uniq");
            let want = Reply {
                result: value.clone(),
                failure: None,
                ending: true,
                msg_id: "msg".into(),
                unique_id: "uniq".into(),
            };
            let inner = deserialize_msg(&body).unwrap();
            assert_eq!(inner, want.to_map(), "same keys in the same order, same values");
            assert_eq!(Reply::from_owned_map(inner).unwrap(), want);
            assert_eq!(ReplyText::from_body(&body).unwrap().into_reply().unwrap(), want);
            assert!(body.is_ascii(), "the envelope is ASCII, as Python writes it");
            // Compact text (what the conductor writes) makes an envelope the reader takes without a parser.
            assert_eq!(plain_envelope(&body).is_some(), compact);
        }
    }

    #[test]
    fn plain_envelopes_read_as_the_parser_reads_them() {
        let mut m = Map::new();
        m.insert("args".into(), json!({"q": "a\"b\\c\n\u{e9}", "n": [1.5, null]}));
        let body = serialize_msg(&m);
        let text = plain_envelope(&body).expect("our own envelope");
        let parsed: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed["oslo.message"], Value::String(text));
        for odd in [
            &br#"{"oslo.version": "2.0", "oslo.message": "{\"a\": \"\u00e9\"}"}"#[..],
            br#"{"oslo.version": "2.0", "oslo.message": "{\"a\": 1}"} "#,
            br#"{"oslo.version": "2.0", "oslo.message": "a"b"}"#,
            br#"{"oslo.version": "2.0", "oslo.message": "{\"a\": \"\/\"}"}"#,
        ] {
            assert!(plain_envelope(odd).is_none(), "{}", String::from_utf8_lossy(odd));
        }
        assert_eq!(
            deserialize_msg(br#"{"oslo.version": "2.0", "oslo.message": "{\"a\": \"\u00e9\/\"}"}"#).unwrap()["a"],
            json!("\u{e9}/")
        );
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

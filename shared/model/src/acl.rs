//! Sahara's ownership and protection rules (sahara/service/validations/acl.py), which its DB layer enforces
//! on update and delete: only the owning tenant may change an object, and a protected object refuses every
//! change except one that only flips `is_public` (or first turns protection off).

use crate::error::SaharaError;
use crate::kind::ResourceKind;
use crate::serde_util::py_truthy;
use serde_json::{Map, Value};

/// Refuses deleting an object of another tenant (DELETION_FAILED).
pub fn check_tenant_for_delete(
    kind: ResourceKind,
    id: &str,
    object_tenant: Option<&str>,
    context_tenant: Option<&str>,
) -> Result<(), SaharaError> {
    if object_tenant != context_tenant {
        return Err(SaharaError::not_in_tenant_delete(kind, id));
    }
    Ok(())
}

/// Refuses updating an object of another tenant (UPDATE_FAILED).
pub fn check_tenant_for_update(
    kind: ResourceKind,
    id: &str,
    object_tenant: Option<&str>,
    context_tenant: Option<&str>,
) -> Result<(), SaharaError> {
    if object_tenant != context_tenant {
        return Err(SaharaError::not_in_tenant_update(kind, id));
    }
    Ok(())
}

/// Refuses deleting a protected object (DELETION_FAILED).
pub fn check_protected_from_delete(
    kind: ResourceKind,
    id: &str,
    is_protected: Option<bool>,
) -> Result<(), SaharaError> {
    if is_protected == Some(true) {
        return Err(SaharaError::protected_delete(kind, id));
    }
    Ok(())
}

/// Refuses updating a protected object unless `data` sets `is_protected` falsy, or carries `is_public` and
/// every other key equals the object's current value. `current` is the object's conductor form.
pub fn check_protected_from_update(
    kind: ResourceKind,
    id: &str,
    current: &Map<String, Value>,
    data: &Map<String, Value>,
) -> Result<(), SaharaError> {
    let protected = py_truthy(current.get("is_protected"));
    let keeps_protection = data.get("is_protected").is_none_or(|v| py_truthy(Some(v)));
    if !(protected && keeps_protection) {
        return Ok(());
    }
    if data.contains_key("is_public")
        && data
            .iter()
            .all(|(k, v)| k == "is_public" || current.get(k).is_some_and(|cur| cur == v))
    {
        return Ok(());
    }
    Err(SaharaError::protected_update(kind, id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn tenant_checks() {
        assert!(check_tenant_for_delete(ResourceKind::Job, "j", Some("t1"), Some("t1")).is_ok());
        let e = check_tenant_for_delete(ResourceKind::Job, "j", Some("t1"), Some("t2")).unwrap_err();
        assert_eq!(e.code(), "DELETION_FAILED");
        assert_eq!(
            e.message(),
            "Job with id 'j' could not be deleted because it wasn't created in this tenant"
        );
        let e = check_tenant_for_update(ResourceKind::DataSource, "d", None, Some("t2")).unwrap_err();
        assert_eq!(e.code(), "UPDATE_FAILED");
    }

    #[test]
    fn protected_delete() {
        assert!(check_protected_from_delete(ResourceKind::Cluster, "c", None).is_ok());
        assert!(check_protected_from_delete(ResourceKind::Cluster, "c", Some(false)).is_ok());
        assert_eq!(
            check_protected_from_delete(ResourceKind::Cluster, "c", Some(true))
                .unwrap_err()
                .code(),
            "DELETION_FAILED"
        );
    }

    #[test]
    fn protected_update_rules() {
        let cur = map(json!({"id": "n", "name": "ngt", "tenant_id": "t", "is_protected": true, "is_public": false}));
        let k = ResourceKind::NodeGroupTemplate;
        // Any change of another field is refused.
        let e = check_protected_from_update(k, "n", &cur, &map(json!({"name": "other"}))).unwrap_err();
        assert_eq!(e.code(), "UPDATE_FAILED");
        // Only is_public, plus fields unchanged (the conductor adds id and tenant_id): allowed.
        let ok = map(json!({"is_public": true, "id": "n", "tenant_id": "t", "name": "ngt"}));
        assert!(check_protected_from_update(k, "n", &cur, &ok).is_ok());
        // is_public plus a real change: refused.
        let bad = map(json!({"is_public": true, "name": "x"}));
        assert!(check_protected_from_update(k, "n", &cur, &bad).is_err());
        // Turning protection off passes, whatever else changes.
        let off = map(json!({"is_protected": false, "name": "x"}));
        assert!(check_protected_from_update(k, "n", &cur, &off).is_ok());
        // Explicit is_protected: true keeps the object protected.
        assert!(check_protected_from_update(k, "n", &cur, &map(json!({"is_protected": true, "name": "x"}))).is_err());
        // An unprotected object accepts anything.
        let free = map(json!({"is_protected": false}));
        assert!(check_protected_from_update(k, "n", &free, &map(json!({"name": "x"}))).is_ok());
    }
}

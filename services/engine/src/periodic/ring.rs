//! Sahara's consistent hash ring (sahara/service/coordinator.py `HashRing`): which live
//! engine owns which object. Every member puts `hash_ring_replicas_count` points
//! `md5("<member>:<r>")` on the ring; an object belongs to the member of the first point
//! strictly after `md5(<object id>)` (Python's `bisect`), wrapping to the first point. Every
//! engine that sees the same members computes the same owners, so each object is handled by
//! exactly one of them.

use md5::{Digest, Md5};
use std::collections::BTreeMap;

/// Sahara's `hash_ring_replicas_count` default: points per member.
pub const DEFAULT_REPLICAS: usize = 40;

/// Sahara's `HashRing._hash`: `int(md5(str(key)).hexdigest(), 16)`.
pub fn hash(key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(key.as_bytes()).into())
}

/// One engine's view of the ring: the members it knows to be alive and which of them it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashRing {
    member_id: String,
    members: Vec<String>,
    /// Ring points in order, each with the index of its member in `members`.
    points: Vec<(u128, usize)>,
}

impl HashRing {
    /// The ring of `members` (order and repeats do not matter), `replicas` points each, seen
    /// by `member_id`. As in Sahara's dict of points, should two points coincide the later
    /// member (here: in sorted order, the same on every engine) keeps it.
    pub fn new<I, S>(member_id: impl Into<String>, members: I, replicas: usize) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut members: Vec<String> = members.into_iter().map(Into::into).collect();
        members.sort();
        members.dedup();
        let mut ring = BTreeMap::new();
        for (i, m) in members.iter().enumerate() {
            for r in 0..replicas {
                ring.insert(hash(&format!("{m}:{r}")), i);
            }
        }
        HashRing {
            member_id: member_id.into(),
            members,
            points: ring.into_iter().collect(),
        }
    }

    /// The member this view belongs to.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The members on the ring, sorted.
    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// Whether the ring has no point (no member, or no replicas): then nobody owns anything.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The member owning `object_id` (`_check_object`): the member of the first point
    /// greater than the object's hash, or of the first point when there is none.
    pub fn owner(&self, object_id: &str) -> Option<&str> {
        let h = hash(object_id);
        let position = self.points.partition_point(|(p, _)| *p <= h);
        let (_, member) = self.points.get(position).or_else(|| self.points.first())?;
        Some(&self.members[*member])
    }

    /// Whether this member owns `object_id`.
    pub fn owns(&self, object_id: &str) -> bool {
        self.owner(object_id) == Some(self.member_id.as_str())
    }

    /// `get_subset`: the objects this member owns, each identified by `id`, in their order.
    pub fn subset<T, F>(&self, objects: impl IntoIterator<Item = T>, id: F) -> Vec<T>
    where
        F: Fn(&T) -> &str,
    {
        objects.into_iter().filter(|o| self.owns(id(o))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of Python's `int(hashlib.md5(key.encode()).hexdigest(), 16)`.
    #[test]
    fn hashes_are_sahara_s() {
        let python: [(&str, u128); 5] = [
            ("", 281949768489412648962353822266799178366),
            ("a", 16955237001963240173058271559858726497),
            ("member-1:0", 9442644653863671030369701010590472081),
            (
                "5d1e4b3a-9c1f-4f5e-8f2a-0b6c7d8e9f10",
                89281420551452217516644699043617396112,
            ),
            (
                "b8c0e8a2-2f5b-4f51-9a57-3f2a1d8d6e42:39",
                269244340985987271810002951982716227516,
            ),
        ];
        for (key, value) in python {
            assert_eq!(hash(key), value, "md5 of {key:?}");
        }
    }

    fn ring(me: &str, members: &[&str]) -> HashRing {
        HashRing::new(me, members.iter().copied(), DEFAULT_REPLICAS)
    }

    /// Owners as Sahara's `HashRing` computes them (bisect over the sorted points).
    #[test]
    fn owners_are_sahara_s() {
        let three = ring("engine-a", &["engine-c", "engine-a", "engine-b"]);
        let expected = [
            "engine-a", "engine-c", "engine-a", "engine-b", "engine-b", "engine-a", "engine-b", "engine-b", "engine-b",
            "engine-c", "engine-a", "engine-b",
        ];
        for (i, want) in expected.iter().enumerate() {
            assert_eq!(three.owner(&format!("cluster-{i}")), Some(*want), "cluster-{i}");
        }
        let two = ring("engine-b", &["engine-a", "engine-b"]);
        let expected = [
            "engine-a", "engine-a", "engine-a", "engine-b", "engine-b", "engine-a", "engine-b", "engine-b", "engine-b",
            "engine-a", "engine-a", "engine-b",
        ];
        for (i, want) in expected.iter().enumerate() {
            assert_eq!(two.owner(&format!("cluster-{i}")), Some(*want), "cluster-{i}");
        }
    }

    /// An object hashing exactly onto a point belongs to the next point (`bisect_right`), and
    /// past the last point the ring wraps to the first.
    #[test]
    fn a_point_s_own_hash_goes_to_the_next_point_and_the_end_wraps() {
        let three = ring("engine-a", &["engine-a", "engine-b", "engine-c"]);
        assert_eq!(three.owner("engine-a:1"), Some("engine-c"));
        assert_eq!(three.owner("engine-a:6"), Some("engine-b"));
        // "engine-b:21" is the last point; the first point is engine-a's.
        assert_eq!(three.points.last().map(|p| p.0), Some(hash("engine-b:21")));
        assert_eq!(three.owner("engine-b:21"), Some("engine-a"));
    }

    #[test]
    fn every_object_has_exactly_one_owner_among_the_members() {
        let members: Vec<String> = (0..5).map(uuid_like).collect();
        let objects: Vec<String> = (0..500).map(|i| format!("object-{i}")).collect();
        for n in 1..=members.len() {
            let live = &members[..n];
            let views: Vec<HashRing> = live
                .iter()
                .map(|m| HashRing::new(m.clone(), live.iter().cloned(), DEFAULT_REPLICAS))
                .collect();
            let mut owners = std::collections::BTreeMap::<&str, usize>::new();
            for v in &views {
                for o in v.subset(objects.iter(), |o| o.as_str()) {
                    *owners.entry(o.as_str()).or_default() += 1;
                }
            }
            assert_eq!(owners.len(), objects.len(), "with {n} members every object is owned");
            assert!(
                owners.values().all(|c| *c == 1),
                "with {n} members no object has two owners"
            );
            if n > 1 {
                // 40 points each spread the work: nobody is left without a share.
                for v in &views {
                    assert!(!v.subset(objects.iter(), |o| o.as_str()).is_empty());
                }
            }
        }
    }

    #[test]
    fn a_lone_member_owns_everything_and_an_empty_ring_nothing() {
        let alone = ring("me", &["me"]);
        assert!(alone.owns("anything") && alone.owns(""));
        let none = HashRing::new("me", Vec::<String>::new(), DEFAULT_REPLICAS);
        assert!(none.is_empty());
        assert_eq!(none.owner("x"), None);
        assert!(none.subset(["x"], |o| o).is_empty());
        let outsider = ring("me", &["other"]);
        assert!(outsider.subset(["x", "y"], |o| o).is_empty());
    }

    fn uuid_like(i: u8) -> String {
        format!("{i:08x}-0000-4000-8000-{:012x}", u64::from(i) * 7919)
    }
}

//! Answers worth keeping for as long as one resolver snapshot lives: a person's
//! visible orgs for a permission, their org scope, their navigation counts.
//! A snapshot never changes, so what was derived from it stays true until the
//! next `authz_epoch` brings a new snapshot (with an empty memo). Bounded by
//! weight (roughly the ids held): when full it starts over, never grows.

use std::any::Any;
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use crate::ids::UserId;

/// What a memo entry answers, for whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoKey {
    pub kind: MemoKind,
    pub user_id: i64,
    /// Kind-specific parts of the question (a permission's index, an org, a
    /// change counter).
    pub a: i64,
    pub b: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoKind {
    VisibleOrgs,
    OrgScope,
    HiddenUnder,
    /// `Access::parts` (`a`: the permission's bit, or 0 for seeing inside).
    Parts,
    /// Another module's value (e.g. the navigation's counts), told apart by `a`/`b`.
    Other(&'static str),
}

impl MemoKey {
    pub fn new(kind: MemoKind, user_id: UserId, a: i64, b: i64) -> Self {
        MemoKey {
            kind,
            user_id: user_id.0,
            a,
            b,
        }
    }
}

/// About 32 MB of ids: the root owner's visible orgs at 100k orgs weigh 100k.
const MAX_WEIGHT: usize = 4_000_000;

type Entry = Arc<dyn Any + Send + Sync>;

#[derive(Default)]
pub struct Memo {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Each answer with its weight.
    map: FxHashMap<MemoKey, (Entry, usize)>,
    weight: usize,
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f.debug_struct("Memo")
            .field("entries", &inner.map.len())
            .field("weight", &inner.weight)
            .finish()
    }
}

impl Memo {
    /// The kept answer for `key`, or `compute`'s (kept for next time). Computed
    /// outside the lock: two requests may compute the same answer at once, and
    /// both get the same value.
    pub fn get_or<T: Any + Send + Sync>(
        &self,
        key: MemoKey,
        weight: impl FnOnce(&T) -> usize,
        compute: impl FnOnce() -> T,
    ) -> Arc<T> {
        if let Some(found) = self.get(&key) {
            return found;
        }
        let value = compute();
        let w = weight(&value);
        self.put(key, value, w)
    }

    /// The kept answer for `key`, if any.
    pub fn get<T: Any + Send + Sync>(&self, key: &MemoKey) -> Option<Arc<T>> {
        let kept = self.lock().map.get(key).map(|(e, _)| e.clone())?;
        kept.downcast::<T>().ok()
    }

    /// Keeps `value` for `key`; `weight` is roughly the ids it holds.
    pub fn put<T: Any + Send + Sync>(&self, key: MemoKey, value: T, weight: usize) -> Arc<T> {
        let value = Arc::new(value);
        let w = weight.max(1) + 8;
        let mut inner = self.lock();
        if inner.weight + w > MAX_WEIGHT {
            inner.map.clear();
            inner.weight = 0;
        }
        if w <= MAX_WEIGHT {
            let entry: Entry = value.clone();
            let old = inner.map.insert(key, (entry, w)).map_or(0, |(_, w)| w);
            inner.weight = inner.weight + w - old;
        }
        value
    }

    /// Keeps the entries of users not in `changed` (sorted): a patched snapshot
    /// shares the tree and everyone else's grants, so their answers still hold.
    /// Entries of `Other` kinds are dropped: their owners know nothing of patches.
    pub fn carried_over(&self, changed: &[i64]) -> Memo {
        let inner = self.lock();
        let mut next = Inner::default();
        for (key, (value, w)) in &inner.map {
            if matches!(key.kind, MemoKind::Other(_)) || changed.binary_search(&key.user_id).is_ok()
            {
                continue;
            }
            next.weight += w;
            next.map.insert(*key, (value.clone(), *w));
        }
        Memo {
            inner: Mutex::new(next),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

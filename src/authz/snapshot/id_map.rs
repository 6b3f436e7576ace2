//! `IdMap`: database ids to values, an array when ids are dense.

use rustc_hash::FxHashMap;

/// Maps database ids to values. Ids come from a sequence, so a plain array
/// indexed by id is the usual layout (one load, no hashing); sparse ids fall back
/// to a hash map.
#[derive(Clone, Debug)]
pub(super) struct IdMap<V> {
    pub(super) slots: Vec<Option<V>>,
    pub(super) spill: FxHashMap<i64, V>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            slots: Vec::new(),
            spill: FxHashMap::default(),
        }
    }
}

impl<V> IdMap<V> {
    /// Sized for `count` values with ids up to `max_id`.
    pub(super) fn with_ids(count: usize, max_id: i64) -> Self {
        let dense_enough = max_id >= 0 && (max_id as usize) <= count.saturating_mul(4) + 4096;
        let len = if dense_enough { max_id as usize + 1 } else { 0 };
        IdMap {
            slots: std::iter::repeat_with(|| None).take(len).collect(),
            spill: FxHashMap::default(),
        }
    }

    #[inline]
    pub(super) fn get(&self, id: i64) -> Option<&V> {
        match usize::try_from(id) {
            Ok(i) if i < self.slots.len() => self.slots[i].as_ref(),
            _ => self.spill.get(&id),
        }
    }

    pub(super) fn insert(&mut self, id: i64, value: V) {
        match usize::try_from(id) {
            Ok(i) if i < self.slots.len() => self.slots[i] = Some(value),
            // A new id just past the array (a user created since the build).
            Ok(i) if !self.slots.is_empty() && i < self.slots.len() * 2 + 4096 => {
                self.slots.resize_with(i + 1, || None);
                self.slots[i] = Some(value);
            }
            _ => {
                self.spill.insert(id, value);
            }
        }
    }

    pub(super) fn remove(&mut self, id: i64) {
        match usize::try_from(id) {
            Ok(i) if i < self.slots.len() => self.slots[i] = None,
            _ => {
                self.spill.remove(&id);
            }
        }
    }

    pub(super) fn keys(&self) -> Vec<i64> {
        let mut keys: Vec<i64> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some())
            .map(|(i, _)| i as i64)
            .chain(self.spill.keys().copied())
            .collect();
        keys.sort_unstable();
        keys
    }
}

//! Shared state: what processes and workloads publish for invariants to check.

use std::any::Any;
use std::collections::BTreeMap;

/// The per-run map of published values, kept in the world.
#[derive(Default)]
pub(crate) struct StateMap {
    values: BTreeMap<String, Box<dyn Any>>,
    /// Bumped on every write, so invariants run only after a step that changed something.
    pub(crate) version: u64,
}

/// A typed key-value map shared by the workloads, processes and invariants of
/// one iteration; it is empty at the start of every iteration.
///
/// A zero-sized handle to the running world's map.
///
/// # Panics
///
/// Every method panics outside a running simulation.
#[derive(Clone, Copy, Debug, Default)]
pub struct SharedState;

impl SharedState {
    /// Stores `value` under `key`, replacing what was there.
    pub fn set<T: Any>(&self, key: &str, value: T) {
        let replaced = crate::sim::with_world("SharedState::set", |world| {
            let map = world.extension::<StateMap>();
            map.version += 1;
            map.values.insert(key.to_string(), Box::new(value))
        });
        // Dropped outside the world's borrow: its destructor may call into the world.
        drop(replaced);
        super::iteration::request_step_check();
    }

    /// A clone of the value under `key`, if there is one of type `T`.
    pub fn get<T: Any + Clone>(&self, key: &str) -> Option<T> {
        crate::sim::with_world("SharedState::get", |world| {
            world
                .extension::<StateMap>()
                .values
                .get(key)?
                .downcast_ref::<T>()
                .cloned()
        })
    }

    /// Changes the value under `key` in place, inserting `T::default()` first when absent
    /// (or when the value there has another type).
    pub fn update<T: Any + Default, R>(&self, key: &str, change: impl FnOnce(&mut T) -> R) -> R {
        // The change runs outside the world's borrow, so it may call providers.
        let mut value = crate::sim::with_world("SharedState::update", |world| {
            let map = world.extension::<StateMap>();
            map.values
                .remove(key)
                .and_then(|value| value.downcast::<T>().ok())
                .unwrap_or_default()
        });
        let result = change(&mut *value);
        self.set(key, *value);
        result
    }
}

/// A read-only view of the shared state, given to invariants.
pub struct StateView<'a> {
    map: &'a StateMap,
}

impl StateView<'_> {
    /// The value under `key`, if there is one of type `T`.
    pub fn get<T: Any>(&self, key: &str) -> Option<&T> {
        self.map.values.get(key)?.downcast_ref::<T>()
    }

    /// The keys present, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.values.keys().map(String::as_str)
    }
}

/// Runs `check` over a shared state taken out of the world.
pub(crate) fn with_view<R>(map: &StateMap, check: impl FnOnce(&StateView<'_>) -> R) -> R {
    check(&StateView { map })
}

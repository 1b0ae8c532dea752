//! Shared state: what processes and workloads publish for invariants to check.
//!
//! The handle ([`SharedState`](crate::SharedState)) and keys are
//! `tidepool_core`'s; the map lives in the world, and invariants read it here.

use std::any::Any;
use std::collections::BTreeMap;

use super::KeyOf;

/// The per-run map of published values, kept in the world.
#[derive(Default)]
pub(crate) struct StateMap {
    values: BTreeMap<String, Box<dyn Any>>,
    /// Bumped on every write, so invariants run only after a step that changed something.
    pub(crate) version: u64,
}

/// The shared-state hooks: how `tidepool_core`'s [`SharedState`](crate::SharedState)
/// reaches the map of the world running on this thread. Each panics, naming
/// `operation`, outside a running simulation.
pub(crate) mod slots {
    use std::any::Any;

    use tidepool_core::hooks::StateVisitor;

    use super::StateMap;
    use crate::sim::with_world;

    /// Calls `visit` with the value under `key`, inside the world's borrow.
    pub(crate) fn read(operation: &'static str, key: &str, visit: &mut StateVisitor<'_>) {
        with_world(operation, |world| {
            visit(
                world
                    .extension::<StateMap>()
                    .values
                    .get(key)
                    .map(|value| &**value),
            );
        });
    }

    /// Stores `value` under `key`, replacing what was there.
    pub(crate) fn write(operation: &'static str, key: &str, value: Box<dyn Any>) {
        let replaced = with_world(operation, |world| {
            let map = world.extension::<StateMap>();
            map.version += 1;
            map.values.insert(key.to_string(), value)
        });
        // Dropped outside the world's borrow: its destructor may call into the world.
        drop(replaced);
        crate::runner::iteration::request_step_check();
    }

    /// Takes the value under `key` out of the map.
    pub(crate) fn take(operation: &'static str, key: &str) -> Option<Box<dyn Any>> {
        with_world(operation, |world| {
            world.extension::<StateMap>().values.remove(key)
        })
    }
}

/// A read-only view of the shared state, given to invariants.
pub struct StateView<'a> {
    map: &'a StateMap,
}

impl StateView<'_> {
    /// The value under `key`, if there is one of type `T`.
    pub fn get<T: Any>(&self, key: impl KeyOf<T>) -> Option<&T> {
        self.map.values.get(key.key_name())?.downcast_ref::<T>()
    }

    /// The value under `key`, or an error naming the key when nothing of type
    /// `T` is there: an invariant that must see a value says so, instead of
    /// passing quietly while nothing was published.
    ///
    /// # Errors
    ///
    /// A message for the invariant to return, naming the key, and the type
    /// asked for when a value of another type is there.
    pub fn require<T: Any>(&self, key: impl KeyOf<T>) -> Result<&T, String> {
        let name = key.key_name();
        match self.map.values.get(name) {
            None => Err(format!(
                "shared-state key '{name}' is missing: nothing has published it yet"
            )),
            Some(value) => value.downcast_ref::<T>().ok_or_else(|| {
                format!(
                    "shared-state key '{name}' holds another type than {}",
                    std::any::type_name::<T>()
                )
            }),
        }
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

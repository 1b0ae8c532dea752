//! `SharedState`: what processes and workloads publish for invariants to check.

use std::any::Any;

use crate::KeyOf;
use crate::hooks;

/// A typed key-value map shared by the workloads, processes and invariants of
/// one iteration of a simulation; it is empty at the start of every iteration.
///
/// A zero-sized handle to the running world's map, which the simulator keeps.
/// Production code reaches it only through [`ProcessContext::publish`](crate::ProcessContext::publish),
/// which does nothing outside a simulation.
///
/// # Panics
///
/// Every method panics outside a running simulation, saying so.
///
/// # Examples
///
/// ```should_panic
/// use tidepool_core::{SharedState, StateKey};
///
/// const LEADER: StateKey<u32> = StateKey::new("leader");
/// // No simulation runs here: the map does not exist.
/// SharedState.set(LEADER, 2);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct SharedState;

impl SharedState {
    /// Stores `value` under `key`, replacing what was there.
    pub fn set<T: Any>(&self, key: impl KeyOf<T>, value: T) {
        const OPERATION: &str = "SharedState::set";
        (hooks::require(OPERATION).state_write)(OPERATION, key.key_name(), Box::new(value));
    }

    /// A clone of the value under `key`, if there is one of type `T`.
    pub fn get<T: Any + Clone>(&self, key: impl KeyOf<T>) -> Option<T> {
        const OPERATION: &str = "SharedState::get";
        let mut found = None;
        (hooks::require(OPERATION).state_read)(OPERATION, key.key_name(), &mut |value| {
            found = value.and_then(|value| value.downcast_ref::<T>()).cloned();
        });
        found
    }

    /// Changes the value under `key` in place, inserting `T::default()` first when absent.
    ///
    /// `change` runs outside the simulator's borrow of its world, so it may
    /// call providers and assertions.
    ///
    /// # Panics
    ///
    /// When the value under `key` has another type than `T` (two parts of the
    /// simulation disagree about the key): the value stays as it was, and the
    /// panic names the key and `T`. A [`StateKey<T>`](crate::StateKey) shared
    /// by every part that uses the key rules this out. Outside a running
    /// simulation, as every method.
    pub fn update<T: Any + Default, R>(
        &self,
        key: impl KeyOf<T>,
        change: impl FnOnce(&mut T) -> R,
    ) -> R {
        const OPERATION: &str = "SharedState::update";
        let key = key.key_name();
        let hooks = hooks::require(OPERATION);
        let mut value: Box<T> = match (hooks.state_take)(OPERATION, key) {
            None => Box::default(),
            Some(value) => match value.downcast::<T>() {
                Ok(value) => value,
                Err(other) => {
                    (hooks.state_write)(OPERATION, key, other);
                    other_type(OPERATION, key, std::any::type_name::<T>());
                }
            },
        };
        let result = change(&mut *value);
        (hooks.state_write)("SharedState::set", key, value);
        result
    }
}

/// A typed access found a value of another type under `key`.
#[cold]
#[inline(never)]
fn other_type(operation: &str, key: &str, wanted: &str) -> ! {
    panic!(
        "tidepool: {operation}: the value under key '{key}' is not a `{wanted}`; every part of \
         a simulation must use a key with one type: share one `StateKey<{wanted}>` between them, \
         or use another key name"
    )
}

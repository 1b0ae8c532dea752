//! Shared state: what processes and workloads publish for invariants to check.

use std::any::Any;
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// A typed name in the shared state: declare it once, and every writer and
/// reader agrees on the value's type.
///
/// # Examples
///
/// ```
/// use tidepool::StateKey;
///
/// const BOOTS: StateKey<u64> = StateKey::new("boots");
/// assert_eq!(BOOTS.name(), "boots");
/// ```
pub struct StateKey<T> {
    name: &'static str,
    value: PhantomData<fn() -> T>,
}

impl<T> StateKey<T> {
    /// The key named `name`.
    pub const fn new(name: &'static str) -> StateKey<T> {
        StateKey {
            name,
            value: PhantomData,
        }
    }

    /// Its name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<T> Clone for StateKey<T> {
    fn clone(&self) -> StateKey<T> {
        *self
    }
}

impl<T> Copy for StateKey<T> {}

impl<T> std::fmt::Debug for StateKey<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StateKey({:?})", self.name)
    }
}

/// What names a value of type `T` in the shared state: a [`StateKey<T>`], or a
/// plain `&str` (whose type the caller states).
pub trait KeyOf<T> {
    /// The key's name.
    fn key_name(&self) -> &str;
}

impl<T> KeyOf<T> for &str {
    fn key_name(&self) -> &str {
        self
    }
}

impl<T> KeyOf<T> for StateKey<T> {
    fn key_name(&self) -> &str {
        self.name
    }
}

impl<T> KeyOf<T> for &StateKey<T> {
    fn key_name(&self) -> &str {
        self.name
    }
}

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
    pub fn set<T: Any>(&self, key: impl KeyOf<T>, value: T) {
        let key = key.key_name();
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
    pub fn get<T: Any + Clone>(&self, key: impl KeyOf<T>) -> Option<T> {
        let key = key.key_name();
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
    pub fn update<T: Any + Default, R>(
        &self,
        key: impl KeyOf<T>,
        change: impl FnOnce(&mut T) -> R,
    ) -> R {
        let key = key.key_name();
        // The change runs outside the world's borrow, so it may call providers.
        let mut value = crate::sim::with_world("SharedState::update", |world| {
            let map = world.extension::<StateMap>();
            map.values
                .remove(key)
                .and_then(|value| value.downcast::<T>().ok())
                .unwrap_or_default()
        });
        let result = change(&mut *value);
        self.set::<T>(key, *value);
        result
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

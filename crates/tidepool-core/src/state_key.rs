//! `StateKey`: a typed name in a simulation's shared state.

use std::marker::PhantomData;

/// A typed name in the shared state: declare it once, and every writer and
/// reader agrees on the value's type.
///
/// # Examples
///
/// ```
/// use tidepool_core::StateKey;
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

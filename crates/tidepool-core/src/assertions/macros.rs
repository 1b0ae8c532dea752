//! The assertion macros. Each call registers its site with the linker and
//! counts its evaluations in the running world.

/// Asserts that `condition` holds every time this line runs, without panicking.
///
/// Inside a simulation a `false` is counted and fails the iteration: the first
/// one is kept as the iteration's violation (`tidepool::assertions::Violation`),
/// with the simulated time and the details rendered. Outside a simulation it
/// does nothing beyond evaluating `condition`; in a build without the
/// `simulation` feature, that is all it compiles to.
///
/// Details follow the message as `key = value` pairs, rendered with `Debug`;
/// write `key = %value` to render with `Display`. They are rendered only for the
/// violation that is kept.
///
/// # Examples
///
/// ```
/// let (key, want) = (3, Some(7));
/// let got = Some(7);
/// tidepool_core::assert_always!(got == want, "read matches model", key = key, got = got);
/// tidepool_core::assert_always!(got.is_some(), "value present", key = %key);
/// ```
#[macro_export]
macro_rules! assert_always {
    ($condition:expr, $message:expr $(, $($details:tt)*)?) => {
        $crate::__assertion!(Always, $condition, $message $(, $($details)*)?)
    };
}

/// Asserts that `condition` holds at least once over the whole campaign,
/// without panicking.
///
/// A `false` never fails an iteration; a site that was never `true` in any seed
/// is a coverage gap (`MISS`) in the report. Takes `key = value` details like
/// [`assert_always!`]; they are never rendered.
///
/// # Examples
///
/// ```
/// let retries = 2;
/// tidepool_core::assert_sometimes!(retries > 1, "a request is retried more than once");
/// ```
#[macro_export]
macro_rules! assert_sometimes {
    ($condition:expr, $message:expr $(, $($details:tt)*)?) => {
        $crate::__assertion!(Sometimes, $condition, $message $(, $($details)*)?)
    };
}

/// Asserts that this line runs at least once over the whole campaign, without
/// panicking.
///
/// A site that no seed reached is a coverage gap (`MISS`) in the report. Takes
/// `key = value` details like [`assert_always!`]; they are never rendered.
///
/// # Examples
///
/// ```
/// fn on_leader_elected() {
///     tidepool_core::assert_reachable!("a leader is elected");
/// }
/// on_leader_elected();
/// ```
#[macro_export]
macro_rules! assert_reachable {
    ($message:expr $(, $($details:tt)*)?) => {
        $crate::__assertion!(Reachable, true, $message $(, $($details)*)?)
    };
}

/// Asserts that this line never runs, without panicking.
///
/// Inside a simulation, reaching it fails the iteration like a `false`
/// [`assert_always!`], details included. Outside a simulation it does nothing.
///
/// # Examples
///
/// ```
/// fn apply(term: u64, current_term: u64) {
///     if term < current_term {
///         tidepool_core::assert_unreachable!("stale term applied", term = term, current_term = current_term);
///     }
/// }
/// apply(5, 4);
/// ```
#[macro_export]
macro_rules! assert_unreachable {
    ($message:expr $(, $($details:tt)*)?) => {
        $crate::__assertion!(Unreachable, true, $message $(, $($details)*)?)
    };
}

/// Registers one assertion site and records one evaluation of it.
#[doc(hidden)]
#[macro_export]
macro_rules! __assertion {
    ($kind:ident, $condition:expr, $message:expr $(, $($details:tt)*)?) => {{
        #[$crate::__private::linkme::distributed_slice($crate::__private::ASSERTION_SITES)]
        #[linkme(crate = $crate::__private::linkme)]
        static SITE: $crate::assertions::AssertionSite = $crate::assertions::AssertionSite {
            kind: $crate::assertions::AssertionKind::$kind,
            message: $message,
            file: ::core::file!(),
            line: ::core::line!(),
            column: ::core::column!(),
        };
        let condition: bool = $condition;
        $crate::__private::record_assertion(&SITE, condition, || {
            $crate::__assertion_details!([] $($($details)*)?)
        });
    }};
}

/// Renders `key = value, key = %value, ...` into a `Vec<Detail>`.
#[doc(hidden)]
#[macro_export]
macro_rules! __assertion_details {
    ([$($done:expr,)*]) => {
        ::std::vec![$($done),*]
    };
    ([$($done:expr,)*] $key:ident = % $value:expr $(, $($rest:tt)*)?) => {
        $crate::__assertion_details!(
            [$($done,)* $crate::__private::Detail::display(::core::stringify!($key), &$value),]
            $($($rest)*)?
        )
    };
    ([$($done:expr,)*] $key:ident = ? $value:expr $(, $($rest:tt)*)?) => {
        $crate::__assertion_details!(
            [$($done,)* $crate::__private::Detail::debug(::core::stringify!($key), &$value),]
            $($($rest)*)?
        )
    };
    ([$($done:expr,)*] $key:ident = $value:expr $(, $($rest:tt)*)?) => {
        $crate::__assertion_details!(
            [$($done,)* $crate::__private::Detail::debug(::core::stringify!($key), &$value),]
            $($($rest)*)?
        )
    };
}

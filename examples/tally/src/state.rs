//! Versions of the counter's state, and how a backup takes a newer one.

use std::cmp::Ordering;

use crate::pb::State;

/// The order of states: by epoch, then by attempt within the epoch. The
/// value plays no part: two states of one version are the same attempt.
pub fn version(state: &State) -> (u64, u64) {
    (state.epoch, state.attempt)
}

/// Whether a backup holding `held` (`None`: nothing since it booted) takes
/// `offered`: when it knows nothing, or `offered` is as new or newer (the
/// same version again is a retry of the same attempt).
pub fn takes(held: Option<&State>, offered: &State) -> bool {
    match held {
        None => true,
        Some(held) => version(offered).cmp(&version(held)) != Ordering::Less,
    }
}

/// The newest of `states` by version; `None` when there is none.
pub fn newest<'a>(states: impl IntoIterator<Item = &'a State>) -> Option<State> {
    states.into_iter().copied().max_by_key(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(epoch: u64, attempt: u64, value: u64) -> State {
        State {
            epoch,
            attempt,
            value,
        }
    }

    #[test]
    fn a_backup_takes_newer_and_equal_versions_and_refuses_older_ones() {
        let held = state(2, 5, 10);
        assert!(
            takes(None, &state(0, 0, 0)),
            "an empty backup takes anything"
        );
        assert!(takes(Some(&held), &state(2, 6, 3)));
        assert!(takes(Some(&held), &state(3, 1, 3)), "a newer epoch wins");
        assert!(takes(Some(&held), &state(2, 5, 10)), "a retry");
        assert!(!takes(Some(&held), &state(2, 4, 99)));
        assert!(
            !takes(Some(&held), &state(1, 9, 99)),
            "an older epoch loses"
        );
    }

    #[test]
    fn the_newest_state_is_the_highest_version_not_the_highest_value() {
        let states = [state(1, 9, 50), state(2, 1, 7), state(2, 0, 60)];
        assert_eq!(newest(&states), Some(state(2, 1, 7)));
        assert_eq!(newest(&[]), None);
    }
}

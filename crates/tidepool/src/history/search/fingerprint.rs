//! A set of operations as 128 bits (Zobrist hashing), so the search remembers
//! the configurations it explored in constant space each.

use tidepool_core::splitmix64;

/// One random 128-bit key per operation; a set's fingerprint is the XOR of
/// its members' keys, updated in constant time as an operation joins or
/// leaves it.
///
/// Two different sets share a fingerprint with probability 2^-128. Were it to
/// happen, the search would take an unexplored configuration for an explored
/// one and could report a violation that is not there; it could never pass a
/// history that is not linearizable, since the configuration it skips is one
/// it would otherwise have tried.
#[derive(Debug)]
pub(crate) struct Fingerprints {
    keys: Vec<u128>,
}

impl Fingerprints {
    /// Keys for `ops` operations, the same in every run.
    pub(crate) fn new(ops: usize) -> Fingerprints {
        let keys = (0..ops as u64)
            .map(|op| {
                let high = splitmix64(op.wrapping_mul(2));
                let low = splitmix64(op.wrapping_mul(2) + 1);
                (u128::from(high) << 64) | u128::from(low)
            })
            .collect();
        Fingerprints { keys }
    }

    /// The key of operation `op`: XOR it into a set's fingerprint to add or
    /// remove the operation.
    pub(crate) fn key(&self, op: usize) -> u128 {
        self.keys[op]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys are distinct and adding then removing a member restores the set.
    #[test]
    fn keys_are_distinct_and_xor_round_trips() {
        let fingerprints = Fingerprints::new(1000);
        let mut keys: Vec<u128> = (0..1000).map(|op| fingerprints.key(op)).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 1000);
        let set = fingerprints.key(3) ^ fingerprints.key(7);
        assert_eq!(set ^ fingerprints.key(7), fingerprints.key(3));
    }
}

//! Seeds: the one number that reproduces a run.

pub use tidepool_core::splitmix64;

/// Seed of iteration `index` of a campaign whose base seed is `base`.
///
/// A fixed mixing function (two rounds of splitmix64), so a campaign re-runs
/// exactly from its base seed, and neighbouring indices get unrelated seeds.
///
/// # Examples
///
/// ```
/// use tidepool::sim::derive_seed;
///
/// assert_eq!(derive_seed(42, 0), derive_seed(42, 0));
/// assert_ne!(derive_seed(42, 0), derive_seed(42, 1));
/// assert_ne!(derive_seed(42, 0), derive_seed(43, 0));
/// ```
pub fn derive_seed(base: u64, index: u64) -> u64 {
    splitmix64(splitmix64(base) ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_seeds_are_pinned() {
        // Pinned values: a change here silently changes every campaign's seeds.
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        let seeds: Vec<u64> = (0..1000).map(|i| derive_seed(7, i)).collect();
        let mut sorted = seeds.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), seeds.len(), "derived seeds collide");
    }
}

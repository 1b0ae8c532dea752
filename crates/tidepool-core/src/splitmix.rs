//! The splitmix64 finalizer: the mixing function behind seeds and the
//! production RNG.

/// One round of the splitmix64 finalizer: a bijection on `u64` that spreads
/// every input bit over the whole output.
///
/// # Examples
///
/// ```
/// use tidepool_core::splitmix64;
///
/// assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
/// assert_ne!(splitmix64(1), splitmix64(2));
/// ```
pub fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

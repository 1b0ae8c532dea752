//! The random provider: every random choice a process makes.

/// A source of random numbers.
///
/// In a simulation every draw comes from the world's seeded RNG, so a seed
/// replays every choice; on tokio it is seeded from the OS.
pub trait RandomProvider: Clone + Send + Sync + 'static {
    /// A uniformly random `u64`.
    fn next_u64(&self) -> u64;

    /// A uniform draw from `0..n`.
    ///
    /// # Panics
    ///
    /// When `n` is 0.
    fn random_below(&self, n: u64) -> u64 {
        assert!(n > 0, "random_below(0): the range 0..0 is empty");
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A uniform draw from `range`.
    ///
    /// # Panics
    ///
    /// When `range` is empty.
    fn random_range(&self, range: std::ops::Range<u64>) -> u64 {
        assert!(
            range.start < range.end,
            "random_range({range:?}): the range is empty"
        );
        range.start + self.random_below(range.end - range.start)
    }

    /// True with probability `p` (0 or less: never; 1 or more: always).
    fn random_bool(&self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        ((self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) < p
    }

    /// Fills `bytes` with random bytes.
    fn fill_bytes(&self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }

    /// A uniformly chosen element of `items`, or `None` when it is empty.
    fn choose<'a, T>(&self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.random_below(items.len() as u64) as usize)
    }
}

//! A shard's seeds, derived one at a time as workers take them: what a shard
//! holds in memory does not grow with the campaign it belongs to.

use std::hash::{BuildHasher, RandomState};

use super::builder::SeedSource;
use crate::sim::derive_seed;

/// Iterations a campaign may have, at most (2^48, about 2.8e14: a million
/// seeds a second for nine years). Every position of a campaign then fits the
/// arithmetic of shards with room to spare.
pub const ITERATIONS_MAX: u64 = 1 << 48;

/// The seeds of one shard of a campaign (the whole campaign when unsharded),
/// by position within the shard.
#[derive(Clone, Debug)]
pub(crate) struct ShardSeeds {
    source: Source,
    /// Campaign iterations this shard takes: `index`, `index + count`, ...
    shard_index: u64,
    shard_count: u64,
    len: u64,
    /// The campaign iteration of position 0 (past 0 for exploration's later rounds).
    offset: u64,
}

#[derive(Clone, Debug)]
enum Source {
    Derived { base: u64 },
    Explicit(Vec<u64>),
}

impl ShardSeeds {
    /// The seeds `source` gives, limited to `shard` (index, count).
    pub(crate) fn new(source: &SeedSource, shard: Option<(u64, u64)>) -> ShardSeeds {
        let (source, iterations) = match source {
            SeedSource::Derived { base, iterations } => {
                // Not simulated code: the campaign's base seed may come from the OS.
                let base =
                    base.unwrap_or_else(|| RandomState::new().hash_one(0x7469_6465_706f_6f6cu64));
                (Source::Derived { base }, *iterations)
            }
            SeedSource::Explicit(seeds) => (Source::Explicit(seeds.clone()), seeds.len() as u64),
        };
        let (shard_index, shard_count) = shard.unwrap_or((0, 1));
        let len = shard_len(iterations, shard_index, shard_count);
        assert!(len <= iterations, "a shard is part of its campaign");
        ShardSeeds {
            source,
            shard_index,
            shard_count,
            len,
            offset: 0,
        }
    }

    /// The iterations `first..first + len` of an unsharded campaign from `base`.
    pub(crate) fn derived_range(base: u64, first: u64, len: u64) -> ShardSeeds {
        ShardSeeds {
            source: Source::Derived { base },
            shard_index: 0,
            shard_count: 1,
            len,
            offset: first,
        }
    }

    /// `seeds`, as the iterations from `first` on.
    pub(crate) fn explicit_from(seeds: Vec<u64>, first: u64) -> ShardSeeds {
        ShardSeeds {
            len: seeds.len() as u64,
            source: Source::Explicit(seeds),
            shard_index: 0,
            shard_count: 1,
            offset: first,
        }
    }

    /// The base seed seeds are derived from; `None` for explicit seeds.
    pub(crate) fn base_seed(&self) -> Option<u64> {
        match self.source {
            Source::Derived { base } => Some(base),
            Source::Explicit(_) => None,
        }
    }

    /// Seeds in this shard.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The campaign iteration and seed at `position` in this shard; `None` past its end.
    pub(crate) fn get(&self, position: u64) -> Option<(u64, u64)> {
        if position >= self.len {
            return None;
        }
        // Cannot overflow: the result is below the campaign's iterations.
        let iteration = self.shard_index + position * self.shard_count;
        let seed = match &self.source {
            Source::Derived { base } => derive_seed(*base, self.offset + iteration),
            Source::Explicit(seeds) => seeds[usize::try_from(iteration).ok()?],
        };
        Some((self.offset + iteration, seed))
    }
}

/// Iterations shard `index` of `count` takes of a campaign of `iterations`:
/// the positions `i < iterations` with `i % count == index`.
pub(crate) fn shard_len(iterations: u64, index: u64, count: u64) -> u64 {
    if count == 0 || index >= iterations {
        return 0;
    }
    (iterations - 1 - index) / count + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived(iterations: u64) -> SeedSource {
        SeedSource::Derived {
            base: Some(7),
            iterations,
        }
    }

    #[test]
    fn shards_split_the_campaign_without_gap_or_overlap() {
        for iterations in [1, 2, 7, 10, 64] {
            for count in 1..=12 {
                let mut seen = Vec::new();
                for index in 0..count {
                    let seeds = ShardSeeds::new(&derived(iterations), Some((index, count)));
                    for position in 0..seeds.len() {
                        let (iteration, seed) = seeds.get(position).unwrap();
                        assert_eq!(iteration % count, index);
                        assert_eq!(seed, derive_seed(7, iteration));
                        seen.push(iteration);
                    }
                    assert_eq!(seeds.get(seeds.len()), None);
                }
                seen.sort_unstable();
                assert_eq!(seen, (0..iterations).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn a_huge_campaign_derives_only_the_seeds_asked_for() {
        let seeds = ShardSeeds::new(&derived(ITERATIONS_MAX), Some((3, 1_000_000_000)));
        assert_eq!(seeds.len(), (ITERATIONS_MAX - 4) / 1_000_000_000 + 1);
        let last = seeds.get(seeds.len() - 1).unwrap().0;
        assert!(last < ITERATIONS_MAX && last + 1_000_000_000 >= ITERATIONS_MAX);
    }

    #[test]
    fn more_shards_than_seeds_leaves_some_empty() {
        assert_eq!(shard_len(3, 2, 5), 1);
        assert_eq!(shard_len(3, 3, 5), 0);
        assert_eq!(shard_len(0, 0, 1), 0);
        let seeds = ShardSeeds::new(&SeedSource::Explicit(vec![5, 6, 7]), Some((1, 2)));
        assert_eq!(seeds.get(0), Some((1, 6)));
        assert_eq!(seeds.get(1), None);
    }
}

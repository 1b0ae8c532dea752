//! `SectorSet`: the sectors of a file written since its last sync.

/// A set of sector indexes: one bit per sector says whether it is in, and a
/// list holds the members in the order they joined. Inserting costs O(1);
/// iterating and clearing cost what the set holds, not the file's size.
///
/// A file rewrites the same few sectors between syncs (a log's tail, a page)
/// and syncs often: a `BTreeSet` here searched a tree on every write and freed
/// its nodes on every sync. Both parts are bounded by the file's length: the
/// bits by one per sector up to the highest sector written, the list by one
/// entry per distinct sector.
#[derive(Clone, Debug, Default)]
pub(crate) struct SectorSet {
    /// Bit `index % 64` of word `index / 64`: whether sector `index` is in.
    bits: Vec<u64>,
    /// The members, each once, in the order they were inserted.
    members: Vec<u64>,
}

const WORD_BITS: u64 = u64::BITS as u64;

impl SectorSet {
    /// Adds sector `index`; nothing when it is in already.
    pub(crate) fn insert(&mut self, index: u64) {
        let word = (index / WORD_BITS) as usize;
        let bit = 1 << (index % WORD_BITS);
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        if self.bits[word] & bit == 0 {
            self.bits[word] |= bit;
            self.members.push(index);
        }
        debug_assert!(self.members.len() as u64 <= self.bits.len() as u64 * WORD_BITS);
    }

    /// Whether sector `index` is in.
    #[cfg(test)]
    pub(crate) fn contains(&self, index: u64) -> bool {
        let word = (index / WORD_BITS) as usize;
        self.bits
            .get(word)
            .is_some_and(|bits| bits & (1 << (index % WORD_BITS)) != 0)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The members, in the order they were inserted.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.members.iter().copied()
    }

    /// The members in ascending order (sorting them in place), for a caller
    /// whose draws from the seed must not depend on the order of writes.
    pub(crate) fn sorted(&mut self) -> &[u64] {
        self.members.sort_unstable();
        &self.members
    }

    /// Empties the set, keeping its memory for the next writes.
    pub(crate) fn clear(&mut self) {
        // Every set bit belongs to a member: zero each member's word, or the
        // whole bitmap when that is fewer words.
        if self.members.len() >= self.bits.len() {
            self.bits.fill(0);
        } else {
            for &index in &self.members {
                self.bits[(index / WORD_BITS) as usize] = 0;
            }
        }
        self.members.clear();
        debug_assert!(self.bits.iter().all(|&bits| bits == 0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_kept_once_in_insertion_order() {
        let mut set = SectorSet::default();
        for index in [70, 3, 70, 64, 3, 0] {
            set.insert(index);
        }
        assert_eq!(set.iter().collect::<Vec<_>>(), [70, 3, 64, 0]);
        assert!(set.contains(64));
        assert!(!set.contains(65));
        assert!(!set.contains(10_000));
        assert_eq!(set.sorted(), [0, 3, 64, 70]);
    }

    #[test]
    fn clearing_empties_bits_and_members() {
        // A few members in a long bitmap, then more members than words: both
        // ways of clearing leave nothing behind.
        let mut set = SectorSet::default();
        set.insert(1_000);
        set.insert(5);
        set.clear();
        assert!(set.is_empty());
        assert!(!set.contains(1_000) && !set.contains(5));
        for index in 0..200 {
            set.insert(index);
        }
        set.clear();
        assert!(set.is_empty());
        set.insert(7);
        assert_eq!(set.iter().collect::<Vec<_>>(), [7]);
    }
}

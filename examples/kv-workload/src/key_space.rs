//! `KeySpace`: the keys the clients share, boundary keys first.

use bytes::Bytes;
use kv::protocol::KEY_BYTES_MAX;

/// The keys every client of a workload draws from.
///
/// Boundary keys come first, in this order: `k` and `kk` (one byte, and a
/// prefix of the next), the empty key, a key of every byte value `0..=255`
/// (exactly [`KEY_BYTES_MAX`] bytes, binary), the same key less its last
/// byte (just under the limit, and a prefix of it), and `ab` and `ba` (the
/// same bytes in another order, one key to a weak hash). Then `key-0`, `key-1`,
/// ... The first [`hot`](KeySpace::hot) keys are the hot ones. One more key,
/// [`over_limit`](KeySpace::over_limit), is a byte over the limit; the server
/// must refuse every request carrying it.
#[derive(Clone, Debug)]
pub(crate) struct KeySpace {
    keys: Vec<Bytes>,
    hot: usize,
    over_limit: Bytes,
}

impl KeySpace {
    /// The boundary keys, `plain` plain keys, the first `hot` hot (at most
    /// every key).
    pub(crate) fn new(plain: usize, hot: usize) -> KeySpace {
        let every_byte: Vec<u8> = (0..=255).collect();
        assert_eq!(
            every_byte.len(),
            KEY_BYTES_MAX,
            "the binary key is at the limit"
        );
        let mut keys = vec![
            Bytes::from_static(b"k"),
            Bytes::from_static(b"kk"),
            Bytes::new(),
            Bytes::from(every_byte.clone()),
            Bytes::from(every_byte[..KEY_BYTES_MAX - 1].to_vec()),
            Bytes::from_static(b"ab"),
            Bytes::from_static(b"ba"),
        ];
        keys.extend((0..plain).map(|index| Bytes::from(format!("key-{index}"))));
        let mut over_limit = every_byte;
        over_limit.push(b'!');
        KeySpace {
            hot: hot.min(keys.len()),
            keys,
            over_limit: Bytes::from(over_limit),
        }
    }

    /// Every key the server must accept, by index.
    pub(crate) fn keys(&self) -> &[Bytes] {
        &self.keys
    }

    /// The key of index `index`; [`over_limit_index`](KeySpace::over_limit_index)
    /// names the over-limit key.
    pub(crate) fn key(&self, index: usize) -> &Bytes {
        self.keys.get(index).unwrap_or(&self.over_limit)
    }

    /// How many keys are hot.
    pub(crate) fn hot(&self) -> usize {
        self.hot
    }

    /// The index standing for the key one byte over the protocol's limit.
    pub(crate) fn over_limit_index(&self) -> usize {
        self.keys.len()
    }

    /// The key one byte over the protocol's limit.
    #[cfg(test)]
    pub(crate) fn over_limit(&self) -> &Bytes {
        &self.over_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_space_holds_its_boundary_keys_and_its_plain_ones() {
        let space = KeySpace::new(3, 2);
        let keys = space.keys();
        assert_eq!(keys.len(), 10);
        assert!(keys[1].starts_with(&keys[0]), "prefixes of each other");
        assert!(keys[2].is_empty());
        assert_eq!(keys[3].len(), KEY_BYTES_MAX);
        assert_eq!(keys[4].len(), KEY_BYTES_MAX - 1);
        assert!(keys[3].starts_with(&keys[4]));
        assert_eq!(
            keys[5].iter().rev().collect::<Vec<_>>(),
            keys[6].iter().collect::<Vec<_>>()
        );
        assert_eq!(keys[9], Bytes::from("key-2"));
        assert_eq!(space.over_limit().len(), KEY_BYTES_MAX + 1);
        assert_eq!(space.key(space.over_limit_index()), space.over_limit());
        assert_eq!(space.hot(), 2);
        assert_eq!(KeySpace::new(0, 99).hot(), 7, "at most every key is hot");
    }
}

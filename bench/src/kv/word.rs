//! `Word`: a key or value of the server's map, kept inside the map's node
//! when short, so that a lookup compares keys without a cache miss per key.

use std::borrow::Borrow;
use std::cmp::Ordering;

/// Bytes kept inline up to this length; longer ones on the heap.
const INLINE_BYTES_MAX: usize = 22;

/// A byte string, inline when it has at most [`INLINE_BYTES_MAX`] bytes.
/// Ordered, compared and hashed as its bytes, so a map keyed by `Word` is
/// looked up with a `&[u8]`.
#[derive(Clone, Debug)]
pub enum Word {
    /// Short: the bytes and their count.
    Inline {
        len: u8,
        bytes: [u8; INLINE_BYTES_MAX],
    },
    /// Long.
    Heap(Box<[u8]>),
}

impl Word {
    /// A word holding a copy of `bytes`.
    pub fn new(bytes: &[u8]) -> Word {
        if bytes.len() > INLINE_BYTES_MAX {
            return Word::Heap(bytes.into());
        }
        let mut inline = [0; INLINE_BYTES_MAX];
        inline[..bytes.len()].copy_from_slice(bytes);
        Word::Inline {
            len: bytes.len() as u8,
            bytes: inline,
        }
    }

    /// Its bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Word::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Word::Heap(bytes) => bytes,
        }
    }
}

impl Borrow<[u8]> for Word {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Word {
    fn eq(&self, other: &Word) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Word {}

impl PartialOrd for Word {
    fn partial_cmp(&self, other: &Word) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Word {
    fn cmp(&self, other: &Word) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short and long words keep their bytes and order as byte strings do,
    /// across the inline limit.
    #[test]
    fn words_keep_bytes_and_order() {
        let samples: Vec<Vec<u8>> = vec![
            vec![],
            b"a".to_vec(),
            b"ab".to_vec(),
            vec![b'x'; INLINE_BYTES_MAX],
            vec![b'x'; INLINE_BYTES_MAX + 1],
            vec![b'y'; 100],
        ];
        for first in &samples {
            assert_eq!(Word::new(first).as_bytes(), &first[..]);
            for second in &samples {
                assert_eq!(Word::new(first).cmp(&Word::new(second)), first.cmp(second));
            }
        }
        assert!(matches!(Word::new(&samples[3]), Word::Inline { .. }));
        assert!(matches!(Word::new(&samples[4]), Word::Heap(_)));
    }
}

//! `Values`: every value written or read in one iteration, each under a small
//! number, so that the model's state stays small.

use std::collections::BTreeMap;

use bytes::Bytes;
use kv::protocol::VALUE_BYTES_MAX;

/// A value's number in [`Values`]: equal bytes, equal numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ValueId(pub(crate) u32);

/// The boundary values a SET may carry: empty, one byte, every byte value,
/// one byte under the protocol's limit, and at it.
pub(crate) const BOUNDARY_VALUES: usize = 5;

/// The values of one iteration, each with its number, and which were written.
#[derive(Debug, Default)]
pub(crate) struct Values {
    ids: BTreeMap<Bytes, ValueId>,
    values: Vec<Bytes>,
    /// Whether a client wrote the value of each number (a value only read was
    /// never written).
    written: Vec<bool>,
}

impl Values {
    /// The number of `value`, which a client is about to write.
    pub(crate) fn write(&mut self, value: &Bytes) -> ValueId {
        let id = self.intern(value);
        self.written[id.0 as usize] = true;
        id
    }

    /// The number of `value`, which a server answered; and whether a client
    /// wrote it.
    pub(crate) fn read(&mut self, value: &Bytes) -> (ValueId, bool) {
        let id = self.intern(value);
        (id, self.written[id.0 as usize])
    }

    fn intern(&mut self, value: &Bytes) -> ValueId {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = ValueId(u32::try_from(self.values.len()).expect("fewer values than u32::MAX"));
        self.ids.insert(value.clone(), id);
        self.values.push(value.clone());
        self.written.push(false);
        id
    }

    /// A short description of value `id`, for reports: its first bytes and
    /// its length.
    pub(crate) fn describe(&self, id: ValueId) -> String {
        const SHOWN_BYTES: usize = 16;
        let value = &self.values[id.0 as usize];
        let shown = &value[..value.len().min(SHOWN_BYTES)];
        let text = shown.escape_ascii().to_string();
        if value.len() > SHOWN_BYTES {
            format!("\"{text}...\" ({} bytes)", value.len())
        } else {
            format!("\"{text}\"")
        }
    }
}

/// Boundary value `which` (below [`BOUNDARY_VALUES`]), written in turn
/// `turn`, whose byte it carries where the value has room.
pub(crate) fn boundary_value(which: usize, turn: u64) -> Bytes {
    let mark = turn.to_le_bytes()[0];
    match which {
        0 => Bytes::new(),
        1 => Bytes::from(vec![mark]),
        2 => Bytes::from((0..=255u8).collect::<Vec<u8>>()),
        3 => Bytes::from(vec![mark; VALUE_BYTES_MAX - 1]),
        _ => Bytes::from(vec![mark; VALUE_BYTES_MAX]),
    }
}

/// A value one byte over the protocol's limit: the server must refuse it.
pub(crate) fn over_limit_value() -> Bytes {
    Bytes::from(vec![b'x'; VALUE_BYTES_MAX + 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_share_a_number_and_reads_know_whether_they_were_written() {
        let mut values = Values::default();
        let a = values.write(&Bytes::from("a"));
        assert_eq!(values.write(&Bytes::from("a")), a);
        assert_eq!(values.read(&Bytes::from("a")), (a, true));
        let (torn, written) = values.read(&Bytes::from("a\0"));
        assert_ne!(torn, a);
        assert!(!written, "a value no client wrote");
        assert_eq!(values.describe(a), "\"a\"");
        let big = values.write(&boundary_value(4, 7));
        assert_eq!(
            values.describe(big),
            format!(
                "\"\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07\\x07...\" ({VALUE_BYTES_MAX} bytes)"
            )
        );
    }

    #[test]
    fn boundary_values_sit_at_the_edges() {
        let lengths: Vec<usize> = (0..BOUNDARY_VALUES)
            .map(|which| boundary_value(which, 1).len())
            .collect();
        assert_eq!(lengths, [0, 1, 256, VALUE_BYTES_MAX - 1, VALUE_BYTES_MAX]);
        assert_eq!(over_limit_value().len(), VALUE_BYTES_MAX + 1);
    }
}

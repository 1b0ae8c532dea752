//! CRC-32C (Castagnoli): the checksum of log records, snapshots and the store
//! id, so that a torn or corrupt write is told from data.

/// The Castagnoli polynomial, bit-reflected (as iSCSI, ext4 and SSE 4.2 use it).
const POLYNOMIAL: u32 = 0x82f6_3b78;

/// The remainder of every byte, computed at compile time.
const TABLE: [u32; 256] = table();

const fn table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut remainder = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            remainder = if remainder & 1 == 1 {
                (remainder >> 1) ^ POLYNOMIAL
            } else {
                remainder >> 1
            };
            bit += 1;
        }
        table[byte] = remainder;
        byte += 1;
    }
    table
}

/// A CRC-32C over bytes fed in any number of pieces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Crc32c {
    state: u32,
}

impl Crc32c {
    pub(crate) fn new() -> Crc32c {
        Crc32c { state: !0 }
    }

    /// Feeds `bytes`.
    pub(crate) fn update(mut self, bytes: &[u8]) -> Crc32c {
        for &byte in bytes {
            let index = (self.state ^ u32::from(byte)) & 0xff;
            self.state = TABLE[index as usize] ^ (self.state >> 8);
        }
        self
    }

    /// The checksum of everything fed.
    pub(crate) fn finish(self) -> u32 {
        !self.state
    }
}

/// The CRC-32C of `bytes`.
pub(crate) fn crc32c(bytes: &[u8]) -> u32 {
    Crc32c::new().update(bytes).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // The check value of CRC-32C, and vectors of RFC 3720 (iSCSI), B.4.
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c(b""), 0);
        assert_eq!(crc32c(&[0; 32]), 0x8a91_36aa);
        assert_eq!(crc32c(&[0xff; 32]), 0x62a8_ab43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(crc32c(&ascending), 0x46dd_794e);
    }

    #[test]
    fn pieces_add_up_to_the_whole() {
        let bytes = b"the quick brown fox jumps over the lazy dog";
        let (head, tail) = bytes.split_at(17);
        assert_eq!(
            Crc32c::new().update(head).update(tail).finish(),
            crc32c(bytes)
        );
    }

    #[test]
    fn every_single_bit_flip_changes_the_checksum() {
        let bytes = b"c3-41-record".to_vec();
        let clean = crc32c(&bytes);
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert_ne!(crc32c(&flipped), clean, "bit {bit}");
        }
    }
}

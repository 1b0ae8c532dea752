//! The digest every kv-bench prints, so that anyone can check that two
//! frameworks did the same work: FNV-1a 64 over each client's requests and
//! responses, then over the client digests of every iteration in seed order.

/// FNV-1a 64's offset basis.
const FNV_OFFSET: u64 = 0xcbf29ce484222325;
/// FNV-1a 64's prime.
const FNV_PRIME: u64 = 0x100000001b3;

/// Folds `bytes` into `hash` with FNV-1a 64.
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// Where client `client`'s digest starts.
pub fn client_digest_start(client: usize) -> u64 {
    FNV_OFFSET ^ client as u64
}

/// The digest of a whole run: starts at 0 and folds every iteration's
/// client digests, in client order, each as 8 little-endian bytes. Give the
/// iterations in seed order.
pub fn run_digest<'a>(iterations: impl IntoIterator<Item = &'a [u64]>) -> u64 {
    iterations
        .into_iter()
        .flatten()
        .fold(0, |digest, client| fnv1a(digest, &client.to_le_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a 64's published test vectors: the empty string and "a".
    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(FNV_OFFSET, b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(FNV_OFFSET, b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(FNV_OFFSET, b"foobar"), 0x85944171f73967e8);
    }

    /// The run digest depends on the order of clients and of iterations.
    #[test]
    fn run_digest_is_ordered() {
        let (first, second) = ([1u64, 2], [3u64, 4]);
        let forward = run_digest([&first[..], &second[..]]);
        assert_ne!(forward, run_digest([&second[..], &first[..]]));
        assert_ne!(forward, run_digest([&[2u64, 1][..], &second[..]]));
        assert_eq!(run_digest([] as [&[u64]; 0]), 0);
    }
}

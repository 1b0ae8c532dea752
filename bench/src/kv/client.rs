//! A client of the peers' kv-bench: its operations drawn from `rand`'s
//! `StdRng` exactly as the specification says, each sent and answered over
//! one connection, folded into the client's digest.

use std::net::SocketAddr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tidepool::prelude::*;
use tokio::io::AsyncWriteExt;

use super::digest::{client_digest_start, fnv1a};
use super::line::LineReader;

/// Keys `c{i}-k0` .. `c{i}-k15` of client `i`.
const KEYS_PER_CLIENT: u32 = 16;
/// Letters of every value a SET writes.
const VALUE_LETTERS: usize = 8;
/// Connection attempts of a client before it gives up: the server may not
/// be listening yet when the first one leaves.
const CONNECT_ATTEMPTS_MAX: u32 = 10;
/// Wait between two connection attempts.
const CONNECT_RETRY_DELAY: Duration = Duration::from_millis(1);

/// The seed of client `client`'s generator in the iteration of `seed`.
pub fn client_seed(seed: u64, client: usize) -> u64 {
    seed.wrapping_mul(0x9E3779B97F4A7C15) ^ (client as u64 + 1).wrapping_mul(0xD1B54A32D192ED03)
}

/// Runs client `client` of the iteration of `seed`: `ops` operations over
/// one connection to `server`, one at a time. Returns its digest.
///
/// # Errors
///
/// When it cannot connect, or the connection fails or closes.
pub async fn run_client<P: Providers>(
    providers: P,
    client: usize,
    seed: u64,
    server: SocketAddr,
    ops: u64,
) -> Result<u64, BoxError> {
    let mut rng = StdRng::seed_from_u64(client_seed(seed, client));
    let mut stream = connect(&providers, server).await?;
    let mut lines = LineReader::default();
    let mut request = Vec::with_capacity(64);
    let mut digest = client_digest_start(client);
    for _ in 0..ops {
        request.clear();
        draw_request(&mut rng, client, &mut request);
        stream.write_all(&request).await?;
        let response = lines
            .next_line(&mut stream)
            .await?
            .ok_or("the server closed the connection")?;
        digest = fnv1a(fnv1a(digest, &request), response);
    }
    Ok(digest)
}

/// Draws one operation, in the specification's order (kind, key, then the
/// value's letters), and writes its request line, newline included.
pub fn draw_request(rng: &mut StdRng, client: usize, request: &mut Vec<u8>) {
    let kind = rng.random_range(0..10u32);
    let key = rng.random_range(0..KEYS_PER_CLIENT);
    let verb = match kind {
        0..=3 => "SET",
        4..=7 => "GET",
        _ => "DEL",
    };
    // As `format!("{verb} c{client}-k{key}")` writes it, without the
    // formatting machinery, which cost more than the rest of the request.
    request.extend_from_slice(verb.as_bytes());
    request.extend_from_slice(b" c");
    push_decimal(request, client as u64);
    request.extend_from_slice(b"-k");
    push_decimal(request, u64::from(key));
    if kind <= 3 {
        request.push(b' ');
        for _ in 0..VALUE_LETTERS {
            request.push(rng.random_range(b'a'..=b'z'));
        }
    }
    request.push(b'\n');
}

/// Appends `value` in decimal, as `Display` writes it.
fn push_decimal(buf: &mut Vec<u8>, value: u64) {
    let mut digits = [0u8; 20];
    let mut rest = value;
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[start..]);
}

/// A connection to `server`, retrying while it is not yet listening.
async fn connect<P: Providers>(providers: &P, server: SocketAddr) -> Result<StreamOf<P>, BoxError> {
    let mut attempt = 1;
    loop {
        match providers.connect(server).await {
            Ok(stream) => return Ok(stream),
            Err(error) if attempt >= CONNECT_ATTEMPTS_MAX => return Err(error.into()),
            Err(_) => attempt += 1,
        }
        providers.sleep(CONNECT_RETRY_DELAY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first requests of client 0 in the iteration of seed 1, as the
    /// specification's draws give them: a change of draw order, ranges or
    /// format changes them.
    #[test]
    fn requests_follow_the_specification() {
        let mut rng = StdRng::seed_from_u64(client_seed(1, 0));
        let mut lines = Vec::new();
        for _ in 0..4 {
            let mut request = Vec::new();
            draw_request(&mut rng, 0, &mut request);
            lines.push(String::from_utf8(request).unwrap());
        }
        for line in &lines {
            let words: Vec<&str> = line.trim_end().split(' ').collect();
            assert!(line.ends_with('\n'));
            assert!(words[1].starts_with("c0-k"));
            match words[0] {
                "SET" => assert_eq!(words[2].len(), VALUE_LETTERS),
                "GET" | "DEL" => assert_eq!(words.len(), 2),
                other => panic!("verb {other}"),
            }
        }
        assert_eq!(client_seed(1, 0), 0x9E3779B97F4A7C15 ^ 0xD1B54A32D192ED03);
    }

    /// Decimals come out as `Display` writes them.
    #[test]
    fn decimals_match_display() {
        for value in [0, 7, 10, 15, 99, 100, 12345, u64::MAX] {
            let mut buf = Vec::new();
            push_decimal(&mut buf, value);
            assert_eq!(buf, value.to_string().as_bytes());
        }
    }
}

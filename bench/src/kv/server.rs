//! The line-protocol KV server of the peers' kv-bench, on tidepool's
//! providers: `SET <key> <value>`, `GET <key>`, `DEL <key>`, one per line,
//! answered `OK`, `VALUE <value>`, `NOT_FOUND`, or `ERR` for anything else.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tidepool::prelude::*;
use tokio::io::AsyncWriteExt;

use super::line::LineReader;
use super::word::Word;

/// The port the server listens on, on its host's address.
pub const SERVER_PORT: u16 = 7000;

/// The server's data: one ordered map shared by its connections. Short keys
/// and values sit in the map's nodes ([`Word`]).
type Store = Arc<Mutex<BTreeMap<Word, Word>>>;

/// The server: accepts connections until its shutdown signal, and serves
/// each on a task of its own against one ordered map.
#[derive(Debug, Default)]
pub struct LineKvServer;

impl Process for LineKvServer {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let address = SocketAddr::new(ctx.address().ip(), SERVER_PORT);
        let listener = ctx.bind(address).await?;
        let store = Store::default();
        loop {
            let accepted = tidepool::select! {
                accepted = listener.accept() => accepted,
                () = ctx.shutdown().requested() => return Ok(()),
            };
            let (stream, _) = accepted?;
            drop(ctx.spawn("kv-bench conn", serve(stream, store.clone())));
        }
    }
}

/// Answers each request line of `stream` until the peer closes it.
async fn serve<S>(mut stream: S, store: Store)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut lines = LineReader::default();
    let mut response = Vec::new();
    while let Ok(Some(request)) = lines.next_line(&mut stream).await {
        response.clear();
        apply(&store, request, &mut response);
        if stream.write_all(&response).await.is_err() {
            return;
        }
    }
}

/// Applies one request (without its newline) and writes its response line.
fn apply(store: &Store, request: &[u8], response: &mut Vec<u8>) {
    let mut store = store.lock().expect("no task panics holding the store");
    match parse(request) {
        Some(Request::Set { key, value }) => {
            match store.get_mut(key) {
                Some(old) => *old = Word::new(value),
                None => drop(store.insert(Word::new(key), Word::new(value))),
            }
            response.extend_from_slice(b"OK\n");
        }
        Some(Request::Get { key }) => match store.get(key) {
            Some(value) => {
                response.extend_from_slice(b"VALUE ");
                response.extend_from_slice(value.as_bytes());
                response.push(b'\n');
            }
            None => response.extend_from_slice(b"NOT_FOUND\n"),
        },
        Some(Request::Del { key }) => {
            store.remove(key);
            response.extend_from_slice(b"OK\n");
        }
        None => response.extend_from_slice(b"ERR\n"),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Request<'a> {
    Set { key: &'a [u8], value: &'a [u8] },
    Get { key: &'a [u8] },
    Del { key: &'a [u8] },
}

/// A request line: a verb, then one word (GET, DEL) or two (SET), separated
/// by single spaces, none empty.
fn parse(line: &[u8]) -> Option<Request<'_>> {
    let mut words = line.split(|&byte| byte == b' ');
    let verb = words.next()?;
    let key = words.next().filter(|key| !key.is_empty())?;
    let request = match verb {
        b"SET" => Request::Set {
            key,
            value: words.next().filter(|value| !value.is_empty())?,
        },
        b"GET" => Request::Get { key },
        b"DEL" => Request::Del { key },
        _ => return None,
    };
    words.next().is_none().then_some(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(store: &Store, request: &str) -> String {
        let mut response = Vec::new();
        apply(store, request.as_bytes(), &mut response);
        String::from_utf8(response).unwrap()
    }

    /// Each verb does what the peers' server does, DEL of a missing key
    /// included, and anything malformed is answered ERR.
    #[test]
    fn requests_are_answered_as_the_specification_says() {
        let store = Store::default();
        assert_eq!(answer(&store, "GET k"), "NOT_FOUND\n");
        assert_eq!(answer(&store, "SET k abc"), "OK\n");
        assert_eq!(answer(&store, "GET k"), "VALUE abc\n");
        assert_eq!(answer(&store, "DEL k"), "OK\n");
        assert_eq!(answer(&store, "DEL k"), "OK\n");
        assert_eq!(answer(&store, "GET k"), "NOT_FOUND\n");
        for bad in [
            "",
            "PUT k v",
            "SET k",
            "SET k v w",
            "GET",
            "GET  k",
            "GET k x",
        ] {
            assert_eq!(answer(&store, bad), "ERR\n", "{bad:?}");
        }
        assert!(store.lock().unwrap().is_empty(), "ERR changes nothing");
    }
}

//! The server on real loopback TCP, in-process on tokio: the client's round
//! trips, and a connection that sends garbage or an oversized frame gets an
//! error reply or a closed connection while another connection keeps working.

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use futures_util::StreamExt;
use kv::protocol::{ClientCodec, FRAME_BYTES_MAX, Reply, Response};
use kv::{KvClient, KvConfig, KvServer};
use tidepool_core::providers::TokioProviders;
use tidepool_core::{Process, ProcessContext, Shutdown};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

/// Runs a server on 127.0.0.1:0 while `test` runs against its address, then
/// shuts it down and checks that it stopped cleanly.
async fn with_server<F, Fut>(config: KvConfig, test: F)
where
    F: FnOnce(SocketAddr) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut server = KvServer::new(config);
    let mut bound = server.bound_address();
    let shutdown = Shutdown::new();
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
    let ctx = ProcessContext::new(TokioProviders::new(), "kv", any_port, shutdown.clone());
    let (served, ()) = tokio::join!(server.run(ctx), async {
        let address = bound.wait().await.expect("the server binds");
        test(address).await;
        shutdown.request();
    });
    served.expect("the server stops without an error");
}

fn value(text: &'static str) -> Response {
    Response::Value(Bytes::from(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_get_delete_and_not_found() {
    with_server(KvConfig::default(), |address| async move {
        let mut client = KvClient::connect(TokioProviders::new(), address)
            .await
            .unwrap();
        let get = client.get("color").await.unwrap();
        assert_eq!(get.response, Response::NotFound);
        assert_eq!(get.incarnation, 1);
        assert_eq!(
            client.set("color", "blue").await.unwrap().response,
            Response::Ok
        );
        assert_eq!(client.get("color").await.unwrap().response, value("blue"));
        assert_eq!(
            client.set("color", "red").await.unwrap().response,
            Response::Ok
        );
        assert_eq!(client.get("color").await.unwrap().response, value("red"));
        assert_eq!(client.delete("color").await.unwrap().response, Response::Ok);
        assert_eq!(
            client.delete("color").await.unwrap().response,
            Response::NotFound
        );
        assert_eq!(
            client.get("color").await.unwrap().response,
            Response::NotFound
        );

        // A second client sees what the first one stored: one store per server.
        client.set("shared", "yes").await.unwrap();
        let mut other = KvClient::new(TokioProviders::new(), address);
        assert_eq!(other.get("shared").await.unwrap().response, value("yes"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_limits_is_refused_before_it_is_sent() {
    with_server(KvConfig::default(), |address| async move {
        let mut client = KvClient::new(TokioProviders::new(), address);
        let key = Bytes::from(vec![b'k'; kv::protocol::KEY_BYTES_MAX + 1]);
        let error = client.get(key).await.unwrap_err();
        assert!(
            matches!(error, kv::ClientError::InvalidRequest(_)),
            "{error}"
        );
        assert!(!error.may_have_applied());
        assert_eq!(
            client.get("fine").await.unwrap().response,
            Response::NotFound
        );
    })
    .await;
}

/// What a raw connection got back after sending `bytes`: the replies, until
/// the server closed it (or broke it).
async fn replies_to_raw_bytes(address: SocketAddr, bytes: &[u8]) -> Vec<Reply> {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut replies = Vec::new();
    let mut frames = FramedRead::new(stream, ClientCodec);
    // The server closes after refusing, so this ends; bounded for safety.
    for _ in 0..8 {
        match frames.next().await {
            Some(Ok(reply)) => replies.push(reply),
            Some(Err(_)) | None => return replies,
        }
    }
    panic!("the server kept a broken connection open: {replies:?}");
}

/// Checks the server refused a connection: at most an error reply, then closed.
fn assert_refused(replies: &[Reply], what: &str) {
    assert!(replies.len() <= 1, "{what}: {replies:?}");
    if let Some(reply) = replies.first() {
        assert!(
            matches!(&reply.response, Response::Error(message) if message.starts_with("malformed request")),
            "{what}: {reply:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_frames_close_their_connection_only() {
    with_server(KvConfig::default(), |address| async move {
        let mut bystander = KvClient::connect(TokioProviders::new(), address)
            .await
            .unwrap();
        bystander.set("alive", "yes").await.unwrap();

        let unknown_tag = [0, 0, 0, 3, 0xee, 0xee, 0xee];
        let replies = replies_to_raw_bytes(address, &unknown_tag).await;
        assert_eq!(replies.len(), 1, "an unknown tag gets an error reply");
        assert_refused(&replies, "unknown tag");

        let oversized = (FRAME_BYTES_MAX as u32 + 1).to_be_bytes();
        let replies = replies_to_raw_bytes(address, &oversized).await;
        assert_eq!(replies.len(), 1, "an oversized frame gets an error reply");
        assert_refused(&replies, "oversized frame");
        let huge = u32::MAX.to_be_bytes();
        let replies = replies_to_raw_bytes(address, &huge).await;
        assert_eq!(
            replies.len(),
            1,
            "a 4 GiB frame gets an error reply, and nothing is allocated for it"
        );
        assert_refused(&replies, "4 GiB frame");

        // A well-sized frame whose body is noise: the length passes, the parse does not.
        let mut noise = 40u32.to_be_bytes().to_vec();
        noise.extend((0..40u32).map(|at| (at * 97 + 13) as u8));
        let replies = replies_to_raw_bytes(address, &noise).await;
        assert_eq!(replies.len(), 1, "a frame of noise gets an error reply");
        assert_refused(&replies, "noise");

        // The bystander's connection was never touched.
        assert!(bystander.is_connected());
        assert_eq!(bystander.get("alive").await.unwrap().response, value("yes"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_idle_connections_and_stops_accepting() {
    let mut idle = None;
    let mut address_seen = None;
    with_server(KvConfig::default(), |address| {
        address_seen = Some(address);
        let idle = &mut idle;
        async move {
            let mut client = KvClient::connect(TokioProviders::new(), address)
                .await
                .unwrap();
            client.set("k", "v").await.unwrap();
            *idle = Some(client);
        }
    })
    .await;
    // The server returned from `run`: the idle connection was closed, and
    // nothing listens any more.
    let mut idle = idle.unwrap();
    let error = idle.get("k").await.unwrap_err();
    assert!(error.may_have_applied(), "{error}");
    assert!(TcpStream::connect(address_seen.unwrap()).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_over_the_limit_is_told_why_before_it_is_closed() {
    // Regression test (issue 19): a connection over `connections_max` was
    // closed without a word, which a client could not tell from a crash.
    let config = KvConfig {
        connections_max: 1,
        ..KvConfig::default()
    };
    with_server(config, |address| async move {
        let mut first = KvClient::connect(TokioProviders::new(), address)
            .await
            .unwrap();
        assert_eq!(first.set("k", "v").await.unwrap().response, Response::Ok);
        let stream = TcpStream::connect(address).await.unwrap();
        let mut frames = FramedRead::new(stream, ClientCodec);
        let refusal = frames
            .next()
            .await
            .expect("a reply")
            .expect("a well-formed reply");
        assert!(
            matches!(&refusal.response, Response::Error(message)
                if message == "too many connections: the server serves 1 at once, try again later"),
            "{refusal:?}"
        );
        assert!(frames.next().await.is_none(), "closed after the refusal");
        // The connection within the limit is still served.
        assert_eq!(first.get("k").await.unwrap().response, value("v"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_answered_in_order_on_one_connection() {
    use kv::protocol::Request;
    with_server(KvConfig::default(), |address| async move {
        let mut client = KvClient::new(TokioProviders::new(), address);
        let key = || Bytes::from("k");
        let requests = vec![
            Request::Get { key: key() },
            Request::Set {
                key: key(),
                value: Bytes::from("1"),
            },
            Request::Get { key: key() },
            Request::Delete { key: key() },
            Request::Delete { key: key() },
            Request::Set {
                key: key(),
                value: Bytes::from("2"),
            },
            Request::Get { key: key() },
        ];
        let answered = client.pipeline(requests).await;
        assert!(answered.error.is_none(), "{:?}", answered.error);
        let responses: Vec<Response> = answered.replies.into_iter().map(|r| r.response).collect();
        assert_eq!(
            responses,
            [
                Response::NotFound,
                Response::Ok,
                value("1"),
                Response::Ok,
                Response::NotFound,
                Response::Ok,
                value("2"),
            ]
        );
        assert!(client.is_connected(), "one connection carried them all");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchecked_client_sends_an_over_limit_request_and_the_server_refuses_it() {
    use kv::protocol::{KEY_BYTES_MAX, Request, VALUE_BYTES_MAX};
    with_server(KvConfig::default(), |address| async move {
        let at_limit = Bytes::from(vec![b'k'; KEY_BYTES_MAX]);
        let over_limit = Bytes::from(vec![b'k'; KEY_BYTES_MAX + 1]);
        let mut client =
            KvClient::new(TokioProviders::new(), address).with_unchecked_requests(true);
        let stored = client
            .set(at_limit.clone(), vec![7u8; VALUE_BYTES_MAX])
            .await;
        assert_eq!(stored.unwrap().response, Response::Ok);
        let refused = client.request(Request::Get { key: over_limit }).await;
        assert!(
            matches!(&refused.unwrap().response, Response::Error(message)
                if message.contains("key of 257 bytes exceeds the limit of 256 bytes")),
        );
        let too_long = Bytes::from(vec![1u8; VALUE_BYTES_MAX + 1]);
        let refused = client.set("v", too_long).await.unwrap().response;
        assert!(matches!(refused, Response::Error(_)), "{refused:?}");
        let read = client.get(at_limit).await.unwrap().response;
        assert_eq!(
            read,
            Response::Value(Bytes::from(vec![7u8; VALUE_BYTES_MAX]))
        );
        assert_eq!(client.get("v").await.unwrap().response, Response::NotFound);
    })
    .await;
}

//! The gRPC code for `proto/tally.proto`: its messages (prost) and the
//! `tally.Replica` service's server and client (tonic), checked in so that no
//! `protoc` runs at build time.
//!
//! It is written in the shape `tonic-prost-build` gives (the same message
//! tags, method paths, server and client types), trimmed to what tally uses;
//! `README.md` says how to regenerate it, and `tests/tally_proto.rs` checks
//! it against the `.proto` file.
#![allow(missing_docs)]

/// `tally.State`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct State {
    #[prost(uint64, tag = "1")]
    pub epoch: u64,
    #[prost(uint64, tag = "2")]
    pub attempt: u64,
    #[prost(uint64, tag = "3")]
    pub value: u64,
}

/// `tally.ApplyRequest`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct ApplyRequest {
    #[prost(message, optional, tag = "1")]
    pub state: Option<State>,
}

/// `tally.ApplyReply`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct ApplyReply {
    #[prost(bool, tag = "1")]
    pub accepted: bool,
}

/// `tally.FetchRequest`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct FetchRequest {}

/// `tally.FetchReply`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct FetchReply {
    #[prost(bool, tag = "1")]
    pub recovered: bool,
    #[prost(message, optional, tag = "2")]
    pub state: Option<State>,
}

/// The path of `tally.Replica/Apply`.
pub const APPLY_PATH: &str = "/tally.Replica/Apply";
/// The path of `tally.Replica/Fetch`.
pub const FETCH_PATH: &str = "/tally.Replica/Fetch";

pub mod replica_client {
    //! The `tally.Replica` client.

    use tonic::codegen::{Body, Bytes, StdError, http};

    use super::{APPLY_PATH, ApplyReply, ApplyRequest, FETCH_PATH, FetchReply, FetchRequest};

    /// A client of `tally.Replica` over any gRPC channel `T` (a tower service
    /// of HTTP/2 requests, such as `tidepool_hyper::Http2Channel`).
    #[derive(Debug, Clone)]
    pub struct ReplicaClient<T> {
        inner: tonic::client::Grpc<T>,
    }

    impl<T> ReplicaClient<T>
    where
        T: tonic::client::GrpcService<tonic::body::Body>,
        T::Error: Into<StdError>,
        T::ResponseBody: Body<Data = Bytes> + Send + 'static,
        <T::ResponseBody as Body>::Error: Into<StdError> + Send,
    {
        pub fn new(inner: T) -> Self {
            ReplicaClient {
                inner: tonic::client::Grpc::new(inner),
            }
        }

        pub async fn apply(
            &mut self,
            request: impl tonic::IntoRequest<ApplyRequest>,
        ) -> Result<tonic::Response<ApplyReply>, tonic::Status> {
            self.unary(request.into_request(), APPLY_PATH, "Apply")
                .await
        }

        pub async fn fetch(
            &mut self,
            request: impl tonic::IntoRequest<FetchRequest>,
        ) -> Result<tonic::Response<FetchReply>, tonic::Status> {
            self.unary(request.into_request(), FETCH_PATH, "Fetch")
                .await
        }

        async fn unary<M1, M2>(
            &mut self,
            mut request: tonic::Request<M1>,
            path: &'static str,
            method: &'static str,
        ) -> Result<tonic::Response<M2>, tonic::Status>
        where
            M1: prost::Message + Send + Sync + 'static,
            M2: prost::Message + Default + Send + Sync + 'static,
        {
            self.inner.ready().await.map_err(|error| {
                tonic::Status::unknown(format!("service was not ready: {}", error.into()))
            })?;
            let codec = tonic_prost::ProstCodec::<M1, M2>::default();
            request
                .extensions_mut()
                .insert(tonic::GrpcMethod::new("tally.Replica", method));
            let path = http::uri::PathAndQuery::from_static(path);
            self.inner.unary(request, path, codec).await
        }
    }
}

pub mod replica_server {
    //! The `tally.Replica` server.

    use std::sync::Arc;

    use tonic::codegen::{Body, BoxFuture, Context, Poll, Service, StdError, http};

    use super::{APPLY_PATH, ApplyReply, ApplyRequest, FETCH_PATH, FetchReply, FetchRequest};

    /// What a `tally.Replica` server does: one method per RPC.
    #[tonic::codegen::async_trait]
    pub trait Replica: Send + Sync + 'static {
        async fn apply(
            &self,
            request: tonic::Request<ApplyRequest>,
        ) -> Result<tonic::Response<ApplyReply>, tonic::Status>;

        async fn fetch(
            &self,
            request: tonic::Request<FetchRequest>,
        ) -> Result<tonic::Response<FetchReply>, tonic::Status>;
    }

    /// The tower service that decodes `tally.Replica` requests and calls `T`.
    #[derive(Debug)]
    pub struct ReplicaServer<T> {
        inner: Arc<T>,
    }

    impl<T> ReplicaServer<T> {
        pub fn new(inner: T) -> Self {
            Self::from_arc(Arc::new(inner))
        }

        pub fn from_arc(inner: Arc<T>) -> Self {
            ReplicaServer { inner }
        }
    }

    impl<T> Clone for ReplicaServer<T> {
        fn clone(&self) -> Self {
            ReplicaServer {
                inner: Arc::clone(&self.inner),
            }
        }
    }

    /// `Apply` as a tonic unary service.
    struct ApplySvc<T>(Arc<T>);

    impl<T: Replica> tonic::server::UnaryService<ApplyRequest> for ApplySvc<T> {
        type Response = ApplyReply;
        type Future = BoxFuture<tonic::Response<ApplyReply>, tonic::Status>;

        fn call(&mut self, request: tonic::Request<ApplyRequest>) -> Self::Future {
            let inner = Arc::clone(&self.0);
            Box::pin(async move { inner.apply(request).await })
        }
    }

    /// `Fetch` as a tonic unary service.
    struct FetchSvc<T>(Arc<T>);

    impl<T: Replica> tonic::server::UnaryService<FetchRequest> for FetchSvc<T> {
        type Response = FetchReply;
        type Future = BoxFuture<tonic::Response<FetchReply>, tonic::Status>;

        fn call(&mut self, request: tonic::Request<FetchRequest>) -> Self::Future {
            let inner = Arc::clone(&self.0);
            Box::pin(async move { inner.fetch(request).await })
        }
    }

    impl<T, B> Service<http::Request<B>> for ReplicaServer<T>
    where
        T: Replica,
        B: Body + Send + 'static,
        B::Error: Into<StdError> + Send + 'static,
    {
        type Response = http::Response<tonic::body::Body>;
        type Error = std::convert::Infallible;
        type Future = BoxFuture<Self::Response, Self::Error>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<B>) -> Self::Future {
            let inner = Arc::clone(&self.inner);
            match request.uri().path() {
                APPLY_PATH => Box::pin(async move {
                    let method = ApplySvc(inner);
                    let codec = tonic_prost::ProstCodec::<ApplyReply, ApplyRequest>::default();
                    Ok(tonic::server::Grpc::new(codec).unary(method, request).await)
                }),
                FETCH_PATH => Box::pin(async move {
                    let method = FetchSvc(inner);
                    let codec = tonic_prost::ProstCodec::<FetchReply, FetchRequest>::default();
                    Ok(tonic::server::Grpc::new(codec).unary(method, request).await)
                }),
                _ => Box::pin(async move { Ok(unimplemented_response()) }),
            }
        }
    }

    /// The answer to a method `tally.Replica` does not have: gRPC status
    /// `UNIMPLEMENTED`.
    fn unimplemented_response() -> http::Response<tonic::body::Body> {
        tonic::Status::unimplemented("tally.Replica has no such method").into_http()
    }
}

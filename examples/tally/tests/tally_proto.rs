//! The checked-in gRPC code (`src/pb.rs`) agrees with `proto/tally.proto`:
//! every RPC has its path, and messages encode with the `.proto`'s field
//! numbers (pinned bytes), so a peer built from the `.proto` with any
//! generator reads them.

use prost::Message;
use tally::pb::{APPLY_PATH, ApplyReply, FETCH_PATH, FetchReply, State};

const PROTO: &str = include_str!("../proto/tally.proto");

#[test]
fn every_rpc_of_the_proto_has_its_path_and_no_other() {
    let rpcs: Vec<&str> = PROTO
        .lines()
        .filter_map(|line| line.trim().strip_prefix("rpc "))
        .filter_map(|rest| rest.split('(').next())
        .collect();
    let paths: Vec<String> = rpcs
        .iter()
        .map(|rpc| format!("/tally.Replica/{rpc}"))
        .collect();
    assert_eq!(paths, [APPLY_PATH, FETCH_PATH]);
}

#[test]
fn messages_encode_with_the_protos_field_numbers() {
    let state = State {
        epoch: 1,
        attempt: 2,
        value: 3,
    };
    // Field 1, 2, 3 as varints: tag bytes 0x08, 0x10, 0x18.
    assert_eq!(state.encode_to_vec(), [0x08, 1, 0x10, 2, 0x18, 3]);
    let reply = FetchReply {
        recovered: true,
        state: Some(state),
    };
    // Field 1 varint (0x08), field 2 a 6-byte message (0x12, 6).
    assert_eq!(
        reply.encode_to_vec(),
        [0x08, 1, 0x12, 6, 0x08, 1, 0x10, 2, 0x18, 3]
    );
    assert_eq!(ApplyReply { accepted: true }.encode_to_vec(), [0x08, 1]);
    assert_eq!(FetchReply::decode(&reply.encode_to_vec()[..]), Ok(reply));
}

//! The messages: requests, responses, and the reply that carries a response.

use bytes::Bytes;

use super::{KEY_BYTES_MAX, MESSAGE_BYTES_MAX, ProtocolError, VALUE_BYTES_MAX};

/// A request from a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Reads the value of `key`.
    Get {
        /// At most [`KEY_BYTES_MAX`] bytes.
        key: Bytes,
    },
    /// Stores `value` under `key`, replacing what was there.
    Set {
        /// At most [`KEY_BYTES_MAX`] bytes.
        key: Bytes,
        /// At most [`VALUE_BYTES_MAX`] bytes.
        value: Bytes,
    },
    /// Removes `key`.
    Delete {
        /// At most [`KEY_BYTES_MAX`] bytes.
        key: Bytes,
    },
}

impl Request {
    /// The key the request is about.
    pub fn key(&self) -> &Bytes {
        match self {
            Request::Get { key } | Request::Set { key, .. } | Request::Delete { key } => key,
        }
    }

    /// The request's name on the wire: `GET`, `SET` or `DELETE`.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Get { .. } => "GET",
            Request::Set { .. } => "SET",
            Request::Delete { .. } => "DELETE",
        }
    }

    /// Checks the request against the protocol's limits.
    ///
    /// # Errors
    ///
    /// [`ProtocolError::KeyTooLong`] or [`ProtocolError::ValueTooLong`].
    pub fn validate(&self) -> Result<(), ProtocolError> {
        check_key(self.key())?;
        if let Request::Set { value, .. } = self {
            check_value(value)?;
        }
        Ok(())
    }
}

/// What the server answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// The value of the key read.
    Value(Bytes),
    /// The key is absent (GET, DELETE).
    NotFound,
    /// The change is done (SET, DELETE of a present key).
    Ok,
    /// The request was refused; the message says why. Nothing was changed.
    Error(String),
    /// The server could not reach its data (a durable server whose storage
    /// failed, until it has recovered); the message says why. A SET or DELETE
    /// answered so may or may not have been applied, and a later recovery
    /// decides which.
    Unavailable(String),
}

impl Response {
    /// An error response, its message cut to [`MESSAGE_BYTES_MAX`] bytes at a
    /// character boundary.
    pub fn error(message: impl Into<String>) -> Response {
        Response::Error(fit_message(message.into()))
    }

    /// An unavailable response, its message cut to [`MESSAGE_BYTES_MAX`] bytes
    /// at a character boundary.
    pub fn unavailable(message: impl Into<String>) -> Response {
        Response::Unavailable(fit_message(message.into()))
    }

    /// Checks the response against the protocol's limits.
    ///
    /// # Errors
    ///
    /// [`ProtocolError::ValueTooLong`] or [`ProtocolError::MessageTooLong`].
    pub fn validate(&self) -> Result<(), ProtocolError> {
        match self {
            Response::Value(value) => check_value(value),
            Response::Error(message) | Response::Unavailable(message)
                if message.len() > MESSAGE_BYTES_MAX =>
            {
                Err(ProtocolError::MessageTooLong {
                    length: message.len(),
                    max: MESSAGE_BYTES_MAX,
                })
            }
            Response::Error(_) | Response::Unavailable(_) | Response::NotFound | Response::Ok => {
                Ok(())
            }
        }
    }
}

/// `message` cut to [`MESSAGE_BYTES_MAX`] bytes at a character boundary.
fn fit_message(mut message: String) -> String {
    if message.len() > MESSAGE_BYTES_MAX {
        let mut end = MESSAGE_BYTES_MAX;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    message
}

/// How the message of a [`Response::Error`] refusing a malformed request
/// begins; the server closes the connection after sending it.
pub const MALFORMED_PREFIX: &str = "malformed request: ";

/// How the message of a [`Response::Error`] refusing a connection over the
/// server's limit begins; the server closes the connection after sending it.
pub const TOO_MANY_CONNECTIONS_PREFIX: &str = "too many connections: ";

/// The store id of a reply whose server does not know its store yet (a
/// durable server that could not read its data directory): only
/// [`Response::Unavailable`] carries it.
pub const STORE_ID_UNKNOWN: u64 = 0;

/// A response with the incarnation of the server that sent it and the id of
/// the store it answered from.
///
/// A client that sees the incarnation change knows the server rebooted; one
/// that sees the store id change knows the server lost its data: an in-memory
/// server gets a new store at every boot (its store id is its incarnation), a
/// durable one only when its data directory was lost (wiped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// How many times the server had booted when it answered (1 for its first life).
    pub incarnation: u64,
    /// The store the server answered from, never [`STORE_ID_UNKNOWN`] in a
    /// reply that carries data.
    pub store_id: u64,
    /// The answer.
    pub response: Response,
}

pub(super) fn check_key(key: &[u8]) -> Result<(), ProtocolError> {
    if key.len() > KEY_BYTES_MAX {
        return Err(ProtocolError::KeyTooLong {
            length: key.len(),
            max: KEY_BYTES_MAX,
        });
    }
    Ok(())
}

pub(super) fn check_value(value: &[u8]) -> Result<(), ProtocolError> {
    if value.len() > VALUE_BYTES_MAX {
        return Err(ProtocolError::ValueTooLong {
            length: value.len(),
            max: VALUE_BYTES_MAX,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_cut_at_a_char_boundary() {
        // 'é' is two bytes, so an odd limit falls inside one.
        let long = "é".repeat(MESSAGE_BYTES_MAX);
        let Response::Error(message) = Response::error(long.clone()) else {
            unreachable!("Response::error makes an error");
        };
        assert!(message.len() <= MESSAGE_BYTES_MAX);
        assert!(message.len() >= MESSAGE_BYTES_MAX - 1);
        assert!(Response::Error(message.clone()).validate().is_ok());
        let unavailable = Response::unavailable(long);
        assert_eq!(unavailable, Response::Unavailable(message));
        assert!(unavailable.validate().is_ok());
    }

    #[test]
    fn validate_names_the_limit() {
        let key = Bytes::from(vec![b'k'; KEY_BYTES_MAX + 1]);
        let error = Request::Get { key }.validate().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "key of {} bytes exceeds the limit of {KEY_BYTES_MAX} bytes",
                KEY_BYTES_MAX + 1
            )
        );
    }
}

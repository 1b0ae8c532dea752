//! `OpenOptions`: how a storage provider opens a file.

use std::io;

/// How to open a file: the flags of `open(2)`, as `std::fs::OpenOptions`.
///
/// Every flag defaults to `false`. At least one of `read`, `write` or `append`
/// must be set; `create`, `create_new` and `truncate` need `write` or `append`.
///
/// # Examples
///
/// ```
/// use tidepool_core::providers::OpenOptions;
///
/// let log = OpenOptions::new().read(true).append(true).create(true);
/// assert!(log.validate().is_ok());
/// assert!(OpenOptions::new().create(true).validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    create: bool,
    create_new: bool,
    truncate: bool,
}

impl OpenOptions {
    /// No flag set.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Open for reading. Default: false.
    pub fn read(mut self, read: bool) -> OpenOptions {
        self.read = read;
        self
    }

    /// Open for writing. Default: false.
    pub fn write(mut self, write: bool) -> OpenOptions {
        self.write = write;
        self
    }

    /// Open for writing, every [`StorageFile::write_at`](super::StorageFile::write_at) still positional and
    /// [`StorageFile::append`](super::StorageFile::append) at the end. Default: false.
    pub fn append(mut self, append: bool) -> OpenOptions {
        self.append = append;
        self
    }

    /// Create the file when it does not exist. Default: false.
    pub fn create(mut self, create: bool) -> OpenOptions {
        self.create = create;
        self
    }

    /// Create the file, failing with `AlreadyExists` when it exists. Default: false.
    pub fn create_new(mut self, create_new: bool) -> OpenOptions {
        self.create_new = create_new;
        self
    }

    /// Cut the file to length 0 on opening. Default: false.
    pub fn truncate(mut self, truncate: bool) -> OpenOptions {
        self.truncate = truncate;
        self
    }

    /// Whether the handle may write (`write` or `append` set).
    pub fn writes(&self) -> bool {
        self.write || self.append
    }

    /// Whether the handle may read (`read` set).
    pub fn reads(&self) -> bool {
        self.read
    }

    /// Whether `append` is set.
    pub fn appends(&self) -> bool {
        self.append
    }

    /// Whether `create` is set: a missing file is created.
    pub fn creates(&self) -> bool {
        self.create
    }

    /// Whether `create_new` is set: the file must not exist yet.
    pub fn creates_new(&self) -> bool {
        self.create_new
    }

    /// Whether `truncate` is set: the file is cut to length 0 on opening.
    pub fn truncates(&self) -> bool {
        self.truncate
    }

    /// Checks the combination of flags.
    ///
    /// # Errors
    ///
    /// An [`io::ErrorKind::InvalidInput`] error naming what is missing, as
    /// `std::fs::OpenOptions` gives for the same combinations.
    pub fn validate(&self) -> io::Result<()> {
        if !self.read && !self.writes() {
            return Err(invalid_input(
                "open options set none of read, write, append: set at least one",
            ));
        }
        if self.truncate && self.append && !self.create_new {
            return Err(invalid_input(
                "open options truncate and append conflict: appending keeps what is there",
            ));
        }
        if (self.create || self.create_new || self.truncate) && !self.writes() {
            return Err(invalid_input(
                "open options create, create_new or truncate need write or append",
            ));
        }
        Ok(())
    }
}

fn invalid_input(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_options_need_an_access_mode() {
        assert!(OpenOptions::new().validate().is_err());
        assert!(
            OpenOptions::new()
                .read(true)
                .truncate(true)
                .validate()
                .is_err()
        );
        assert!(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .validate()
                .is_ok()
        );
    }
}

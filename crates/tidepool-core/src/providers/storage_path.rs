//! Paths under a storage root: what a storage provider accepts.

use std::io;
use std::path::{Component, Path, PathBuf};

/// A path a storage provider refuses: it leaves the root, or it is empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoragePathError {
    /// An absolute path, or one with a `..` that climbs out of the root.
    #[error(
        "path '{path}' leaves the storage root; give a path relative to the root, without '..'"
    )]
    OutsideRoot {
        /// The path as given.
        path: PathBuf,
    },
    /// A path naming the root (`""`, `"."`) where a file or an entry is meant.
    #[error("the path names the storage root; name a file or directory under it")]
    Empty,
}

impl From<StoragePathError> for io::Error {
    fn from(error: StoragePathError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, error)
    }
}

/// `path` as a list of plain names relative to the root: `.` is dropped, `..`
/// and roots are refused. The empty list is the root itself.
///
/// # Errors
///
/// [`StoragePathError::OutsideRoot`] for an absolute path or a `..` component.
pub fn relative_path(path: &Path) -> Result<PathBuf, StoragePathError> {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => clean.push(name),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(StoragePathError::OutsideRoot {
                    path: path.to_path_buf(),
                });
            }
        }
    }
    Ok(clean)
}

/// `path` as [`relative_path`] gives it, naming an entry: the root itself (an
/// empty path) is refused, since no file is there and it may not be renamed or
/// removed.
///
/// # Errors
///
/// [`StoragePathError::Empty`] for the root, and those of [`relative_path`].
pub fn entry_path(path: &Path) -> Result<PathBuf, StoragePathError> {
    let clean = relative_path(path)?;
    if clean.as_os_str().is_empty() {
        return Err(StoragePathError::Empty);
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_drop_dots_and_refuse_escapes() {
        assert_eq!(
            relative_path(Path::new("./a/./b")).unwrap(),
            PathBuf::from("a/b")
        );
        assert_eq!(relative_path(Path::new("")).unwrap(), PathBuf::new());
        assert!(matches!(
            relative_path(Path::new("/etc/passwd")),
            Err(StoragePathError::OutsideRoot { .. })
        ));
        assert!(matches!(
            relative_path(Path::new("a/../../b")),
            Err(StoragePathError::OutsideRoot { .. })
        ));
    }

    #[test]
    fn entry_paths_refuse_the_root() {
        assert_eq!(entry_path(Path::new("./a")).unwrap(), PathBuf::from("a"));
        assert_eq!(entry_path(Path::new("")), Err(StoragePathError::Empty));
        assert_eq!(entry_path(Path::new("./.")), Err(StoragePathError::Empty));
    }
}

//! The one way the tool reads a file it is given (a policy, a use case form, Claude Code's
//! settings): a regular file only, no larger than a bound checked before reading, as UTF-8
//! text, off the async runtime. A path that names a device, a pipe or a directory is refused
//! rather than read: `/dev/zero` would never end and a FIFO would block forever.

use std::io::Read;
use std::path::Path;

/// Far above IAM's largest document (10,240 characters for a role's inline policy) and any
/// settings file or use case form.
pub const INPUT_LIMIT: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("it does not exist")]
    NotFound,
    #[error("it is a symbolic link to nothing (its target does not exist)")]
    DanglingLink,
    #[error("it is a directory, not a file")]
    Directory,
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    #[error("it is larger than {} MiB ({size} bytes), more than any such file", .limit / (1024 * 1024))]
    TooLarge { size: u64, limit: u64 },
    #[error("it is not UTF-8 text (line {line}, column {column})")]
    NotUtf8 { line: usize, column: usize },
    #[error("it cannot be read: {0}")]
    Io(std::io::Error),
}

/// The text of the regular file at `path` (links followed), at most `limit` bytes.
pub fn read_text_blocking(path: &Path, limit: u64) -> Result<String, ReadError> {
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound if std::fs::symlink_metadata(path).is_ok() => {
            ReadError::DanglingLink
        }
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    })?;
    // Looked at before it is opened: opening a device can do something.
    usable(&metadata, limit)?;
    let file = open_checked(path, limit)?;
    let mut bytes = Vec::new();
    // The file may grow between the check and the read: the bound holds either way.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        ReadError::NotUtf8 {
            line: valid.iter().filter(|b| **b == b'\n').count() + 1,
            column: valid.iter().rev().take_while(|b| **b != b'\n').count() + 1,
        }
    })
}

/// `path` opened for reading, and checked again through the open handle: the path may have
/// been swapped for a FIFO or a device since it was looked at. Opening without blocking
/// keeps a FIFO put there from holding the open until a writer comes.
fn open_checked(path: &Path, limit: u64) -> Result<std::fs::File, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    usable(&file.metadata().map_err(ReadError::Io)?, limit)?;
    Ok(file)
}

/// A regular file within the bound.
fn usable(metadata: &std::fs::Metadata, limit: u64) -> Result<(), ReadError> {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return Err(ReadError::Directory);
    }
    if !kind.is_file() {
        return Err(ReadError::NotRegular(special_kind(&kind)));
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge {
            size: metadata.len(),
            limit,
        });
    }
    Ok(())
}

/// As `read_text_blocking`, on a blocking thread so the runtime's workers keep running.
pub async fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || read_text_blocking(&owned, limit))
        .await
        .unwrap_or_else(|e| Err(ReadError::Io(std::io::Error::other(e))))
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_bound_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.json");
        std::fs::write(&file, "{}\n").unwrap();
        assert_eq!(read_text_blocking(&file, 16).unwrap(), "{}\n");
        assert!(matches!(
            read_text_blocking(&file, 2),
            Err(ReadError::TooLarge { size: 3, limit: 2 })
        ));
        assert!(matches!(
            read_text_blocking(dir.path(), 16),
            Err(ReadError::Directory)
        ));
        assert!(matches!(
            read_text_blocking(&dir.path().join("absent"), 16),
            Err(ReadError::NotFound)
        ));
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(dir.path().join("absent"), &link).unwrap();
            assert!(matches!(
                read_text_blocking(&link, 16),
                Err(ReadError::DanglingLink)
            ));
            assert!(matches!(
                read_text_blocking(Path::new("/dev/zero"), INPUT_LIMIT),
                Err(ReadError::NotRegular("a character device"))
            ));
        }
        #[cfg(unix)]
        {
            // What the path checks cannot see, the handle does: a FIFO opens at once and is
            // refused, not waited on.
            let fifo = dir.path().join("fifo");
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(made.success());
            assert!(matches!(
                open_checked(&fifo, 16),
                Err(ReadError::NotRegular("a named pipe (FIFO)"))
            ));
        }
        std::fs::write(&file, b"{\n  \"a\": \"\xff\"}").unwrap();
        assert!(matches!(
            read_text_blocking(&file, 16),
            Err(ReadError::NotUtf8 { line: 2, column: 9 })
        ));
    }
}

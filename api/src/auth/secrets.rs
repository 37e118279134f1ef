//! Random secrets (refresh tokens, client secrets, the signing key) and their hashes.

use std::io::Write;
use std::path::Path;

/// 256 random bits, URL-safe.
pub use simpa_app::secrets::random_token;

/// SHA-256, hex. Enough for high-entropy secrets such as refresh tokens (not for passwords).
pub use simpa_domain::digest::sha256_hex;

/// The JWT signing secret kept in the data directory, created (readable by its owner only)
/// on first start when none is configured. The file appears whole or not at all: it is
/// written aside, then linked into place, so a process starting at the same moment reads
/// either nothing or the complete secret.
pub fn load_or_create_secret(data_dir: &Path) -> std::io::Result<String> {
    let path = data_dir.join("jwt-secret");
    if let Some(secret) = read_secret(&path)? {
        return Ok(secret);
    }
    std::fs::create_dir_all(data_dir)?;
    let secret = format!("{}{}", random_token(), random_token());
    let draft = data_dir.join(format!(".jwt-secret.{}", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&draft).and_then(|mut file| {
        file.write_all(secret.as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&draft, &path));
    let _ = std::fs::remove_file(&draft);
    match linked {
        Ok(()) => Ok(secret),
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            read_secret(&path)?.ok_or_else(|| {
                std::io::Error::other(format!("{} appeared without a secret", path.display()))
            })
        }
        Err(e) => Err(e),
    }
}

/// The secret in `path`; `None` if the file does not exist, an error if it is too short.
fn read_secret(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(secret) if secret.trim().len() >= 32 => Ok(Some(secret.trim().to_owned())),
        Ok(_) => Err(std::io::Error::other(format!(
            "{} holds a secret shorter than 32 bytes",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_created_once_then_reused() {
        let dir = std::env::temp_dir().join(format!("simpa-secret-{}", uuid::Uuid::now_v7()));
        let first = load_or_create_secret(&dir).unwrap();
        assert!(first.len() >= 64);
        assert_eq!(load_or_create_secret(&dir).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("jwt-secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        assert_ne!(random_token(), random_token());
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

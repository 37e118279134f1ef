//! The content-addressed store of documents' bytes: one file per distinct content, named by
//! its SHA-256, under the data directory. Identical bytes are stored once; rows refer to
//! bytes by hash and never hold them.
//!
//! Order of writes: bytes are received into `incoming/`, synced, then moved into place (and
//! the directory synced) before any row refers to them. A crash can leave an unreferenced
//! blob, which `simpa gc` removes; never a row without its bytes.

use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How many leading bytes are kept to recognise the type of a file.
pub const HEAD_BYTES: usize = 8192;

/// Every this many bytes written, their write-back to disk is started.
const WRITEBACK_BYTES: u64 = 1024 * 1024;

/// Starts writing a range of the file back to disk without waiting for it (Linux's
/// `sync_file_range`), as databases do, so that the sync that ends an upload finds most of it
/// on disk already. Elsewhere the final sync does all the work.
#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File, offset: u64, length: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(length)) = (i64::try_from(offset), i64::try_from(length)) else {
        return;
    };
    // SAFETY: the descriptor belongs to `file`, open for the whole call; the call reads only its
    // integer arguments and touches no memory of ours. Its result is advice: failure is harmless.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset,
            length,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &std::fs::File, _offset: u64, _length: u64) {}

/// Received bytes are handed to the writer in blocks of this size.
const BLOCK_BYTES: usize = 256 * 1024;

/// How many blocks may wait between receiving and writing (bounds memory per upload to a
/// few megabytes).
const PIPELINE_CHUNKS: usize = 8;

/// Room in the store for one upload being received, held until it is kept.
pub type Slot<'a> = tokio::sync::SemaphorePermit<'a>;

pub struct BlobStore {
    root: PathBuf,
    /// Bounds the uploads received at once: each holds a writer task until its last byte.
    receiving: tokio::sync::Semaphore,
}

impl BlobStore {
    /// The store under `root`, receiving `at_once` uploads at most.
    pub fn open(root: PathBuf, at_once: usize) -> io::Result<BlobStore> {
        std::fs::create_dir_all(root.join("incoming"))?;
        Ok(BlobStore {
            root,
            receiving: tokio::sync::Semaphore::new(at_once),
        })
    }

    /// A place among the uploads received at once, waiting `wait` at most for one to free up.
    pub async fn slot(&self, wait: std::time::Duration) -> Option<Slot<'_>> {
        tokio::time::timeout(wait, self.receiving.acquire())
            .await
            .ok()?
            .ok()
    }

    /// Where the bytes with this hash are (or would be) stored; `None` for a malformed hash.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let well_formed = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Stores bytes already in memory, without waiting for the disk: for generated data
    /// (fixtures), which can be generated again. Returns their SHA-256.
    pub fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let sha256 = simpa_domain::digest::sha256_hex(bytes);
        let target = self
            .path_of(&sha256)
            .ok_or_else(|| io::Error::other("malformed hash"))?;
        if !target.exists() {
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let partial = target.with_extension("partial");
            std::fs::write(&partial, bytes)?;
            std::fs::rename(&partial, &target)?;
        }
        Ok(sha256)
    }

    /// Starts receiving bytes. The file is created here; blocking tasks hash and write
    /// what arrives while the caller receives the next chunks, so both cores work.
    pub async fn incoming(&self) -> io::Result<Incoming> {
        let path = self
            .root
            .join("incoming")
            .join(uuid::Uuid::new_v4().simple().to_string());
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        // Hashing and writing each take a thread: on two cores they overlap instead of
        // adding up.
        let (to_writer, mut received) = tokio::sync::mpsc::channel::<Bytes>(PIPELINE_CHUNKS);
        let (to_hasher, mut to_hash) = tokio::sync::mpsc::channel::<Bytes>(PIPELINE_CHUNKS);
        let writer = tokio::task::spawn_blocking(move || {
            let mut file = file;
            let (mut written, mut flushing_from) = (0u64, 0u64);
            while let Some(block) = received.blocking_recv() {
                file.write_all(&block)?;
                written += block.len() as u64;
                // Let the disk work while the rest arrives: the final sync then has little left.
                if written - flushing_from >= WRITEBACK_BYTES {
                    start_writeback(&file, flushing_from, written - flushing_from);
                    flushing_from = written;
                }
            }
            file.sync_data()
        });
        let hasher = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha256::new();
            while let Some(block) = to_hash.blocking_recv() {
                hasher.update(&block);
            }
            simpa_domain::digest::hex(&hasher.finalize())
        });
        Ok(Incoming {
            guard: Cleanup(Some(path)),
            chunks: Some((to_writer, to_hasher)),
            writer,
            hasher,
            pending: BytesMut::with_capacity(BLOCK_BYTES),
            size: 0,
            head: Vec::with_capacity(HEAD_BYTES),
        })
    }

    /// Removes the blobs no row refers to, and abandoned incoming files, last modified before
    /// `cutoff` (an upload in progress has a recent file, and its row comes after its blob).
    pub fn collect_garbage(
        &self,
        referenced: &HashSet<String>,
        cutoff: SystemTime,
    ) -> io::Result<GarbageReport> {
        let mut report = GarbageReport::default();
        let old = |path: &Path| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified < cutoff)
        };
        for entry in std::fs::read_dir(&self.root)? {
            let dir = entry?.path();
            if !dir.is_dir() {
                continue;
            }
            let incoming = dir.file_name().is_some_and(|n| n == "incoming");
            for file in std::fs::read_dir(&dir)? {
                let path = file?.path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_owned();
                if (incoming || !referenced.contains(&name)) && old(&path) {
                    report.bytes += std::fs::metadata(&path).map_or(0, |m| m.len());
                    std::fs::remove_file(&path)?;
                    report.removed += 1;
                } else if !incoming {
                    report.kept += 1;
                }
            }
        }
        Ok(report)
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct GarbageReport {
    pub removed: u64,
    pub kept: u64,
    pub bytes: u64,
}

/// Deletes the file it names when dropped, unless disarmed: whatever ends a receipt early
/// (an error, a refusal, a client gone) leaves no file behind.
struct Cleanup(Option<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Bytes being received, hashed and written as they come.
pub struct Incoming {
    guard: Cleanup,
    chunks: Option<(
        tokio::sync::mpsc::Sender<Bytes>,
        tokio::sync::mpsc::Sender<Bytes>,
    )>,
    writer: tokio::task::JoinHandle<io::Result<()>>,
    hasher: tokio::task::JoinHandle<String>,
    /// Small chunks gathered into blocks, so that the writer is woken once per block.
    pending: BytesMut,
    size: u64,
    head: Vec<u8>,
}

impl Incoming {
    pub async fn write(&mut self, chunk: Bytes) -> io::Result<()> {
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.size += chunk.len() as u64;
        self.pending.extend_from_slice(&chunk);
        if self.pending.len() >= BLOCK_BYTES {
            self.hand_over().await?;
        }
        Ok(())
    }

    /// Gives the gathered bytes to the writer.
    async fn hand_over(&mut self) -> io::Result<()> {
        let block = self.pending.split().freeze();
        let (to_writer, to_hasher) = self
            .chunks
            .as_ref()
            .ok_or_else(|| io::Error::other("upload already finished"))?;
        if block.is_empty() {
            return Ok(());
        }
        // The hasher never stops early; the writer stops on an error: report its cause.
        let hashed = to_hasher.send(block.clone()).await.is_ok();
        if !hashed || to_writer.send(block).await.is_err() {
            return Err(match (&mut self.writer).await {
                Ok(Err(cause)) => cause,
                Ok(Ok(())) => io::Error::other("l'écriture de l'envoi s'est arrêtée avant la fin"),
                Err(join) => io::Error::other(join),
            });
        }
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The first bytes received, to recognise the type.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// All bytes are in: waits for them to be hashed, written and synced to disk.
    pub async fn finish(mut self) -> io::Result<Received> {
        self.hand_over().await?;
        drop(self.chunks.take());
        (&mut self.writer).await.map_err(io::Error::other)??;
        let sha256 = (&mut self.hasher).await.map_err(io::Error::other)?;
        Ok(Received {
            guard: std::mem::replace(&mut self.guard, Cleanup(None)),
            sha256,
            size: self.size,
        })
    }
}

/// Why received bytes failed their check: they do not open, or they could not be read back.
#[derive(Debug)]
pub enum CheckFailure {
    Damaged(simpa_domain::Violation),
    Io(io::Error),
}

/// Bytes received in full, not yet stored.
pub struct Received {
    guard: Cleanup,
    pub sha256: String,
    pub size: u64,
}

impl Received {
    /// Checks that the bytes received open as `media_type` says (`content::check`). Blocking:
    /// run it off the async workers.
    pub fn check_content(&self, media_type: &str) -> Result<(), CheckFailure> {
        let path =
            self.guard.0.as_ref().ok_or_else(|| {
                CheckFailure::Io(io::Error::other("received bytes already moved"))
            })?;
        let mut file =
            std::io::BufReader::new(std::fs::File::open(path).map_err(CheckFailure::Io)?);
        crate::content::check(&mut file, self.size, media_type).map_err(CheckFailure::Damaged)
    }

    /// Moves the bytes into the store under their hash (keeping the copy already there, if
    /// any), durably. Blocking: run it off the async workers.
    pub fn store(mut self, store: &BlobStore) -> io::Result<String> {
        let target = store
            .path_of(&self.sha256)
            .ok_or_else(|| io::Error::other("malformed hash"))?;
        let dir = target
            .parent()
            .ok_or_else(|| io::Error::other("blob without a directory"))?
            .to_owned();
        if !dir.exists() {
            std::fs::create_dir_all(&dir)?;
            // The new folder's entry in the store's root must survive a crash too.
            std::fs::File::open(&store.root)?.sync_all()?;
        }
        if !target.exists() {
            let source = self
                .guard
                .0
                .take()
                .ok_or_else(|| io::Error::other("received bytes already moved"))?;
            std::fs::rename(&source, &target)?;
            // The rename is durable once the directory is synced: only then may a row refer to it.
            std::fs::File::open(&dir)?.sync_all()?;
        }
        // Stored now, whenever its bytes arrived (a slow upload, or the same bytes stored long
        // ago and awaiting collection): the collector's grace period starts again, and it
        // covers the commit of the row about to refer to them.
        std::fs::File::options()
            .append(true)
            .open(&target)?
            .set_modified(SystemTime::now())?;
        Ok(self.sha256.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_in(dir: &Path) -> usize {
        walk(dir).len()
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .flat_map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            vec![e.path()]
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    #[actix_web::test]
    async fn identical_bytes_are_stored_once_and_dropped_receipts_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().to_owned(), 4).unwrap();
        let mut first = store.incoming().await.unwrap();
        first
            .write(Bytes::from_static(b"%PDF-1.4 hello"))
            .await
            .unwrap();
        let first = first.finish().await.unwrap().store(&store).unwrap();
        let mut second = store.incoming().await.unwrap();
        second
            .write(Bytes::from_static(b"%PDF-1.4 "))
            .await
            .unwrap();
        second.write(Bytes::from_static(b"hello")).await.unwrap();
        let second = second.finish().await.unwrap().store(&store).unwrap();
        assert_eq!(first, second);
        let expected = simpa_domain::digest::sha256_hex(b"%PDF-1.4 hello");
        assert_eq!(first, expected, "named by the SHA-256 of the content");
        assert_eq!(
            std::fs::read(store.path_of(&first).unwrap()).unwrap(),
            b"%PDF-1.4 hello"
        );
        assert_eq!(files_in(dir.path()), 1, "one blob, no leftover");

        let mut abandoned = store.incoming().await.unwrap();
        abandoned
            .write(Bytes::from_static(b"half of a file"))
            .await
            .unwrap();
        drop(abandoned);
        let received = {
            let mut incoming = store.incoming().await.unwrap();
            incoming
                .write(Bytes::from_static(b"refused"))
                .await
                .unwrap();
            incoming.finish().await.unwrap()
        };
        drop(received);
        assert_eq!(files_in(dir.path()), 1);
    }

    #[actix_web::test]
    async fn garbage_is_what_no_row_refers_to_once_old_enough() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().to_owned(), 4).unwrap();
        let mut kept = Vec::new();
        for content in [b"kept".as_slice(), b"orphan".as_slice()] {
            let mut incoming = store.incoming().await.unwrap();
            incoming
                .write(Bytes::copy_from_slice(content))
                .await
                .unwrap();
            kept.push(incoming.finish().await.unwrap().store(&store).unwrap());
        }
        let referenced: HashSet<String> = [kept[0].clone()].into();
        let young = store
            .collect_garbage(
                &referenced,
                SystemTime::now() - std::time::Duration::from_secs(3600),
            )
            .unwrap();
        assert_eq!(
            young,
            GarbageReport {
                removed: 0,
                kept: 2,
                bytes: 0
            },
            "recent blobs may belong to an upload in progress"
        );
        let report = store
            .collect_garbage(
                &referenced,
                SystemTime::now() + std::time::Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(
            report,
            GarbageReport {
                removed: 1,
                kept: 1,
                bytes: 6
            }
        );
        assert!(store.path_of(&kept[0]).unwrap().exists());
        assert!(!store.path_of(&kept[1]).unwrap().exists());
        assert_eq!(store.path_of("../../etc/passwd"), None);
    }
}

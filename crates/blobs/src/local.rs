//! The local directory backend: one file per blob at `<dir>/ab/cd/abcd…`.
//!
//! File system calls block, so each operation runs on tokio's blocking pool.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::BlobError;
use crate::key::BlobKey;
use crate::run_blocking;

/// Names of files being written start with this, so they can never be mistaken for a blob
/// (whose name is 64 hex digits) if a crash leaves one behind.
const TEMP_PREFIX: &str = ".incoming-";

pub(crate) struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub(crate) async fn open(dir: &Path) -> Result<Self, BlobError> {
        let root = dir.to_path_buf();
        run_blocking(move || {
            fs::create_dir_all(&root).map_err(io_error("create", &root))?;
            Ok(LocalDir { root })
        })
        .await
    }

    fn path_of(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.relative_path())
    }

    /// Returns whether the file was written (`false`: it was there already).
    ///
    /// The content goes to a temporary file in the target folder, is flushed to disk, and is
    /// then renamed into place without replacing an existing file. A reader therefore sees
    /// either no file or the whole file, and of two concurrent uploads of the same content one
    /// wins and the other finds the file there. The folders are flushed too, so that a blob
    /// reported stored survives a power cut: these are records kept for years.
    pub(crate) async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<bool, BlobError> {
        let path = self.path_of(key);
        let root = self.root.clone();
        run_blocking(move || {
            if path.try_exists().map_err(io_error("look for", &path))? {
                return Ok(false);
            }
            let Some(dir) = path.parent() else {
                return Err(io_error("find the folder of", &path)(
                    io::ErrorKind::NotFound.into(),
                ));
            };
            fs::create_dir_all(dir).map_err(io_error("create", dir))?;
            let mut temp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .tempfile_in(dir)
                .map_err(io_error("create a temporary file in", dir))?;
            temp.write_all(&bytes)
                .map_err(io_error("write", temp.path()))?;
            temp.as_file()
                .sync_all()
                .map_err(io_error("flush", temp.path()))?;
            match temp.persist_noclobber(&path) {
                Ok(_) => {}
                // A concurrent upload of the same content got there first; ours is dropped
                // (and its temporary file removed) because the bytes are the same.
                Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => {
                    return Ok(false);
                }
                Err(error) => return Err(io_error("rename into", &path)(error.error)),
            }
            // The new name, and any folder created above, are durable only once the folders
            // holding them are flushed: `ab/cd`, `ab` and the root.
            let mut folder = Some(dir);
            while let Some(current) = folder {
                sync_dir(current)?;
                if current == root {
                    break;
                }
                folder = current.parent();
            }
            Ok(true)
        })
        .await
    }

    /// The bytes as stored; the caller checks them against the key.
    pub(crate) async fn get(&self, key: &BlobKey) -> Result<Vec<u8>, BlobError> {
        let path = self.path_of(key);
        let key = key.clone();
        run_blocking(move || match fs::read(&path) {
            Ok(bytes) => Ok(bytes),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Err(BlobError::NotFound(key)),
            Err(error) => Err(io_error("read", &path)(error)),
        })
        .await
    }

    pub(crate) async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        let path = self.path_of(key);
        run_blocking(move || path.try_exists().map_err(io_error("look for", &path))).await
    }
}

fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(io_error("flush", dir))
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BlobError {
    let path = path.to_path_buf();
    move |source| BlobError::Io {
        action,
        path,
        source,
    }
}

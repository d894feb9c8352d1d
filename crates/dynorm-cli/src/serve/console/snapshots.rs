//! Snapshots of the whole database, taken from the console (by hand, and automatically before
//! each destructive action) and restored from it.
//!
//! A snapshot is the engine's own copy of its SQLite database (`Database::vacuum_into`), a file
//! `<name>.db` in the snapshot directory; restoring replaces the live data with it
//! (`Database::restore_from`, which checks the file and changes nothing when it can't be read).
//! The directory is `--snapshots`, else `<db file>.snapshots` beside a file database, else a
//! private temporary directory removed when the server stops (an in-memory database's
//! snapshots live as long as it does).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;

use super::{Answer, Console, ConsoleError, allow};

/// Automatic snapshots kept (the oldest beyond this are deleted when a new one is taken).
const AUTOMATIC_KEPT: usize = 20;
/// The longest snapshot name.
const NAME_MAX: usize = 100;
/// The prefix of the snapshots taken before destructive actions.
const AUTOMATIC: &str = "auto-";

/// Where the console keeps its snapshots.
#[derive(Debug)]
pub struct SnapshotStore {
    dir: PathBuf,
    /// A temporary directory of this server's own, removed when it stops.
    owned: bool,
    /// One snapshot operation at a time (a restore never races a copy).
    busy: tokio::sync::Mutex<()>,
}

impl SnapshotStore {
    /// The store for a server: `dir` if given, else beside the database file, else temporary.
    pub fn new(dir: Option<PathBuf>, db: Option<&Path>) -> Self {
        let (dir, owned) = match (dir, db) {
            (Some(dir), _) => (dir, false),
            (None, Some(db)) => {
                let mut name = db.as_os_str().to_owned();
                name.push(".snapshots");
                (PathBuf::from(name), false)
            }
            (None, None) => (temporary_dir(), true),
        };
        SnapshotStore {
            dir,
            owned,
            busy: tokio::sync::Mutex::new(()),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.db"))
    }
}

impl Drop for SnapshotStore {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn temporary_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("dynorm-serve-{}-{nanos}-snapshots", std::process::id()))
}

/// What the console shows of one snapshot.
#[derive(Debug, serde::Serialize)]
struct SnapshotInfo {
    name: String,
    bytes: u64,
    /// RFC 3339, UTC.
    taken: String,
    automatic: bool,
}

#[derive(serde::Deserialize)]
pub(super) struct TakeRequest {
    /// The snapshot's name (none: an automatic name from the time and `reason`).
    name: Option<String>,
    /// What is about to happen (`purge users`), for the automatic name.
    reason: Option<String>,
}

#[derive(serde::Deserialize)]
pub(super) struct NameRequest {
    name: String,
}

/// `GET /console/api/snapshots`: the snapshots, newest first, and where they are kept.
pub(super) async fn list(State(console): State<Console>, headers: HeaderMap) -> Answer {
    allow(&console, &headers, None, false)?;
    let store = console.snapshots.clone();
    let snapshots = blocking(move || listed(&store.dir)).await?;
    Ok(axum::Json(json!({
        "directory": console.snapshots.dir.display().to_string(),
        "snapshots": snapshots,
    })))
}

/// `POST /console/api/snapshots`: takes a snapshot of the whole database.
pub(super) async fn take(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<TakeRequest>,
) -> Answer {
    allow(&console, &headers, None, true)?;
    let name = match &body.name {
        Some(name) => checked_name(name)?,
        None => automatic_name(body.reason.as_deref().unwrap_or("snapshot")),
    };
    let _busy = console.snapshots.busy.lock().await;
    let store = console.snapshots.clone();
    let db = console.db.clone();
    let info = blocking(move || {
        let info = copy(&db, &store, &name)?;
        if name.starts_with(AUTOMATIC) {
            prune_automatic(&store.dir)?;
        }
        Ok(info)
    })
    .await?;
    Ok(axum::Json(json!(info)))
}

/// `POST /console/api/snapshots/restore`: replaces the whole database with a snapshot.
pub(super) async fn restore(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<NameRequest>,
) -> Answer {
    allow(&console, &headers, None, true)?;
    let name = checked_name(&body.name)?;
    let _busy = console.snapshots.busy.lock().await;
    let store = console.snapshots.clone();
    let db = console.db.clone();
    blocking(move || {
        let path = existing(&store, &name)?;
        db.restore_from(&path.to_string_lossy())
            .map_err(|e| failed("RestoreFailed", &name, &e.to_string()))
    })
    .await?;
    Ok(axum::Json(json!({ "restored": body.name })))
}

/// `POST /console/api/snapshots/delete`: deletes a snapshot's file.
pub(super) async fn delete(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::Json<NameRequest>,
) -> Answer {
    allow(&console, &headers, None, true)?;
    let name = checked_name(&body.name)?;
    let _busy = console.snapshots.busy.lock().await;
    let store = console.snapshots.clone();
    blocking(move || {
        let path = existing(&store, &name)?;
        std::fs::remove_file(&path).map_err(|e| failed("DeleteFailed", &name, &e.to_string()))
    })
    .await?;
    Ok(axum::Json(json!({ "deleted": body.name })))
}

/// Runs file and engine work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ConsoleError::new("SnapshotFailed", format!("the snapshot task stopped: {e}")))?
}

/// A name the console accepts: 1–100 of `A-Z a-z 0-9 _ - .`, not starting with `.`.
fn checked_name(name: &str) -> Result<String, ConsoleError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || name.len() > NAME_MAX || name.starts_with('.') || !name.chars().all(allowed) {
        return Err(ConsoleError::new(
            "InvalidSnapshotName",
            format!(
                "snapshot name {name:?}: expected 1 to {NAME_MAX} of letters, digits, `_`, `-` and `.`, not starting with `.`"
            ),
        ));
    }
    Ok(name.to_owned())
}

/// `auto-20261204T120102.123Z-purge-users`: sortable by time, saying what came next.
fn automatic_name(reason: &str) -> String {
    let time = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let mut slug: String = reason
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    slug.truncate(40);
    format!("{AUTOMATIC}{time}-{}", slug.trim_matches('-'))
}

fn copy(db: &dynoxide::Database, store: &SnapshotStore, name: &str) -> Result<SnapshotInfo, ConsoleError> {
    std::fs::create_dir_all(&store.dir).map_err(|e| {
        failed(
            "SnapshotFailed",
            name,
            &format!("cannot create {}: {e}", store.dir.display()),
        )
    })?;
    let path = store.path(name);
    if path.exists() {
        return Err(ConsoleError::new(
            "SnapshotExists",
            format!("a snapshot named `{name}` exists already: choose another name or delete it"),
        ));
    }
    db.vacuum_into(&path.to_string_lossy())
        .map_err(|e| failed("SnapshotFailed", name, &e.to_string()))?;
    info(&path).ok_or_else(|| failed("SnapshotFailed", name, "the copy is not readable"))
}

fn existing(store: &SnapshotStore, name: &str) -> Result<PathBuf, ConsoleError> {
    let path = store.path(name);
    if path.is_file() {
        return Ok(path);
    }
    Err(ConsoleError {
        status: StatusCode::NOT_FOUND,
        kind: "SnapshotNotFound".to_owned(),
        message: format!("no snapshot named `{name}` in {}", store.dir.display()),
    })
}

fn failed(kind: &str, name: &str, why: &str) -> ConsoleError {
    ConsoleError::new(kind, format!("snapshot `{name}`: {why}"))
}

/// The snapshots in `dir`, newest first (none when it doesn't exist yet).
fn listed(dir: &Path) -> Result<Vec<SnapshotInfo>, ConsoleError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ConsoleError::new(
                "SnapshotFailed",
                format!("cannot read {}: {e}", dir.display()),
            ));
        }
    };
    let mut snapshots: Vec<SnapshotInfo> = entries.filter_map(|entry| info(&entry.ok()?.path())).collect();
    snapshots.sort_by(|a, b| b.taken.cmp(&a.taken).then_with(|| b.name.cmp(&a.name)));
    Ok(snapshots)
}

fn info(path: &Path) -> Option<SnapshotInfo> {
    let name = path.file_name()?.to_str()?.strip_suffix(".db")?.to_owned();
    let meta = std::fs::metadata(path).ok()?;
    let taken: chrono::DateTime<chrono::Utc> = meta.modified().ok()?.into();
    Some(SnapshotInfo {
        automatic: name.starts_with(AUTOMATIC),
        name,
        bytes: meta.len(),
        taken: taken.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// Deletes the oldest automatic snapshots beyond [`AUTOMATIC_KEPT`] (their names sort by time).
fn prune_automatic(dir: &Path) -> Result<(), ConsoleError> {
    let mut automatic: Vec<String> = listed(dir)?
        .into_iter()
        .filter(|s| s.automatic)
        .map(|s| s.name)
        .collect();
    automatic.sort_unstable_by(|a, b| b.cmp(a));
    for name in automatic.iter().skip(AUTOMATIC_KEPT) {
        let _ = std::fs::remove_file(dir.join(format!("{name}.db")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_automatic_names_say_what_came_next() {
        assert!(checked_name("before-migration_2.1").is_ok());
        for bad in ["", ".hidden", "a/b", "../x", "a b", &"x".repeat(101)] {
            let e = checked_name(bad).unwrap_err();
            assert_eq!(e.kind, "InvalidSnapshotName", "{bad:?}");
        }
        let name = automatic_name("Purge users!");
        assert!(
            name.starts_with(AUTOMATIC) && name.ends_with("-purge-users"),
            "{name}"
        );
        assert!(checked_name(&name).is_ok(), "{name}");
    }

    #[test]
    fn a_file_database_keeps_its_snapshots_beside_it_and_memory_in_a_temporary_dir() {
        let beside = SnapshotStore::new(None, Some(Path::new("/data/app.db")));
        assert_eq!(beside.dir, PathBuf::from("/data/app.db.snapshots"));
        assert!(!beside.owned);
        let given = SnapshotStore::new(Some("/tmp/s".into()), Some(Path::new("/data/app.db")));
        assert_eq!(given.dir, PathBuf::from("/tmp/s"));
        let memory = SnapshotStore::new(None, None);
        assert!(memory.owned && memory.dir.starts_with(std::env::temp_dir()));
    }
}

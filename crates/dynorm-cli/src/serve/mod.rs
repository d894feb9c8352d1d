//! `dynorm serve`: a local DynamoDB-compatible HTTP server on 127.0.0.1, and its web console.
//!
//! The server owns its HTTP layer (axum): `POST /` is the DynamoDB API, answered by dynorm's one
//! wire dispatch ([`dynorm::engine::answer_wire`], the same the in-process SDK client uses) —
//! see [`wire`] for body limits and how heavy requests are kept from stalling the others;
//! `/console/` is the web console ([`console`]), guarded by [`safety`].
//!
//! # Hostile input
//!
//! dynoxide's server answers malformed bodies with DynamoDB's `SerializationException`, refuses
//! bodies over DynamoDB's 16 MB limit (413), and refuses attribute values nested past
//! DynamoDB's limit. What it does not guard is its own stack: it parses and evaluates
//! expressions recursively on the thread serving the request, and a deeply nested expression
//! (a few hundred chained `AND`/`NOT`s in a debug build, ~2,000 nested parentheses in any
//! build) overflows a 2 MiB tokio worker stack and aborts the whole process.
//!
//! DynamoDB limits expressions to 4 KB and PartiQL statements to 8 KB, and dynoxide refuses
//! longer ones before parsing them, so the deepest tree a request can build is bounded: at most
//! about 8,000 levels. The server therefore runs on worker threads with [`WORKER_STACK`] bytes
//! of stack (reserved address space; only the pages a request touches are ever committed),
//! enough for any expression dynoxide accepts with room to spare in a debug build. Deep
//! expressions then get dynoxide's own `ValidationException` and the server keeps serving.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use anyhow::{Context, anyhow};
use axum::Router;
use axum::routing::any;
use dynorm::definition::TableDefinition;
use dynorm::entity::EntityDefinition;

pub mod console;
mod encoding;
mod oversized;
pub mod safety;
pub mod wire;

/// Stack size of the server's threads: 512 MiB of address space, of which a request uses
/// what its nesting needs (measured: ~7 KiB per expression level in a debug build, so the
/// deepest 8 KB statement stays under 64 MiB).
pub const WORKER_STACK: usize = 512 * 1024 * 1024;

/// What to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to bind: 127.0.0.1 unless told otherwise.
    pub host: IpAddr,
    /// The port (0 picks a free one).
    pub port: u16,
    /// A database file (created if absent); `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// Tables created (idempotently) before the server accepts requests.
    pub tables: Vec<TableDefinition>,
    /// The entities stored in those tables: the console labels items with them, splits their
    /// keys and validates edits against them.
    pub entities: Vec<EntityDefinition>,
    /// Async worker threads; `None` sizes them to the machine (its available parallelism).
    pub workers: Option<usize>,
    /// The console's access token. Required when the server is bound to a non-loopback
    /// address (one is generated and printed when none is given); ignored on loopback.
    pub console_token: Option<String>,
    /// Stop on Ctrl-C (SIGINT), as the command line does.
    pub stop_on_ctrl_c: bool,
    /// The region ARNs and stream records name (`None`: `AWS_REGION`, else `us-east-1`).
    pub region: Option<String>,
    /// Where the console keeps database snapshots (`None`: `<db file>.snapshots` beside a file
    /// database, a temporary directory removed at stop for an in-memory one).
    pub snapshots: Option<PathBuf>,
}

impl ServeOptions {
    /// The region served: the option, else `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub fn region(&self) -> String {
        self.region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "us-east-1".to_owned())
    }
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            db: None,
            tables: Vec::new(),
            entities: Vec::new(),
            workers: None,
            console_token: None,
            stop_on_ctrl_c: false,
            region: None,
            snapshots: None,
        }
    }
}

impl ServeOptions {
    /// The worker count: the option, or the machine's available parallelism.
    pub fn worker_count(&self) -> usize {
        self.workers
            .filter(|w| *w > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

/// A running server; [`Server::stop`] stops it, dropping it stops it too.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    console_token: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

fn open(db: Option<&PathBuf>) -> anyhow::Result<dynoxide::Database> {
    match db {
        Some(path) => {
            let text = path
                .to_str()
                .ok_or_else(|| anyhow!("the database path {} is not valid UTF-8", path.display()))?;
            dynoxide::Database::new(text)
                .map_err(|e| anyhow!("cannot open the database {}: {e}", path.display()))
        }
        None => dynoxide::Database::memory().map_err(|e| anyhow!("cannot open an in-memory database: {e}")),
    }
}

/// Creates the tables and binds the listener.
async fn prepare(
    db: &dynoxide::Database,
    options: &ServeOptions,
) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let client = dynorm::Client::from_database(db.clone());
    for table in &options.tables {
        client
            .create_table(table)
            .await
            .with_context(|| format!("cannot create table `{}`", table.name))?;
    }
    let listener = tokio::net::TcpListener::bind((options.host, options.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}:{}; choose another --port",
                options.host, options.port
            )
        })?;
    let address = listener.local_addr()?;
    Ok((listener, address))
}

/// The whole HTTP surface: the DynamoDB API on `/`, the console under `/console/`.
fn router(db: dynoxide::Database, options: &ServeOptions, guard: safety::Guard) -> Router {
    let wire = wire::Wire {
        db: db.clone(),
        // Half the workers, at least one: the others keep answering small requests.
        heavy: Arc::new(tokio::sync::Semaphore::new((options.worker_count() / 2).max(1))),
        region: Arc::from(options.region()),
    };
    let api = Router::new()
        .route("/", any(wire::root))
        .fallback(wire::not_found)
        .with_state(wire);
    let console = console::router(console::Console::new(db, options, guard));
    api.merge(console)
}

impl Server {
    /// Opens the database, creates the tables, binds the address and starts serving on a thread
    /// of its own; returns once the server accepts connections.
    pub fn start(options: ServeOptions) -> anyhow::Result<Server> {
        let db = open(options.db.as_ref())?;
        let workers = options.worker_count();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .max_blocking_threads(workers * 4)
            .thread_stack_size(WORKER_STACK)
            .thread_name("dynorm-serve")
            .enable_all()
            .build()
            .context("cannot start the server's runtime")?;
        let guard = safety::Guard::new(options.host, options.console_token.clone());
        let console_token = guard.console_token().map(str::to_owned);
        let (ready_tx, ready_rx) = mpsc::channel::<anyhow::Result<SocketAddr>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("dynorm-serve-main".to_owned())
            .spawn(move || runtime.block_on(run(db, options, guard, ready_tx, stop_rx)))
            .context("cannot start the server thread")?;
        let address = ready_rx
            .recv()
            .map_err(|_| anyhow!("the server stopped while starting"))??;
        Ok(Server {
            address,
            console_token,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL for an SDK or the AWS CLI (`--endpoint-url`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The console's URL (with its access token when one is required).
    pub fn console_url(&self) -> String {
        match &self.console_token {
            Some(token) => format!("http://{}/console/?token={token}", self.address),
            None => format!("http://{}/console/", self.address),
        }
    }

    /// Waits until the server stops (Ctrl-C, with [`ServeOptions::stop_on_ctrl_c`]).
    pub fn wait(mut self) -> anyhow::Result<()> {
        self.join()
    }

    /// Stops the server: no new connections, requests under way finish.
    pub fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.join()
    }

    fn join(&mut self) -> anyhow::Result<()> {
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| anyhow!("the server thread panicked"))?,
            None => Ok(()),
        }
    }
}

/// The server's main task: prepare, report readiness, serve until stopped.
async fn run(
    db: dynoxide::Database,
    options: ServeOptions,
    guard: safety::Guard,
    ready: mpsc::Sender<anyhow::Result<SocketAddr>>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<()> {
    let listener = match prepare(&db, &options).await {
        Ok((listener, address)) => {
            let _ = ready.send(Ok(address));
            listener
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return Ok(());
        }
    };
    let ctrl_c = options.stop_on_ctrl_c;
    let shutdown = async move {
        if ctrl_c {
            tokio::select! {
                _ = stop => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        } else {
            let _ = stop.await;
        }
    };
    let app = router(db, &options, guard);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| anyhow!("the server failed: {e}"))
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

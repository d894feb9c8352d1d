//! `dynorm serve`: a local DynamoDB-compatible HTTP server (dynoxide) on 127.0.0.1.
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

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use anyhow::{Context, anyhow};
use dynorm::definition::TableDefinition;
use tokio::net::TcpListener;

/// Stack size of the server's worker threads: 512 MiB of address space, of which a request uses
/// what its nesting needs (measured: ~7 KiB per expression level in a debug build, so the
/// deepest 8 KB statement stays under 64 MiB).
pub const WORKER_STACK: usize = 512 * 1024 * 1024;

/// What to serve.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// The port on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    /// A database file (created if absent); `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// Tables created (idempotently) before the server accepts requests.
    pub tables: Vec<TableDefinition>,
    /// Stop on Ctrl-C (SIGINT), as the command line does.
    pub stop_on_ctrl_c: bool,
    /// The region ARNs and stream records name (`None`: `AWS_REGION`, else `us-east-1`).
    pub region: Option<String>,
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

/// A running server; [`Server::stop`] stops it, dropping it stops it too.
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    /// Opens the database, creates the tables, binds 127.0.0.1 and starts serving on a thread of
    /// its own; returns once the server accepts connections.
    pub fn start(options: ServeOptions) -> anyhow::Result<Server> {
        let db = match &options.db {
            Some(path) => {
                let text = path
                    .to_str()
                    .ok_or_else(|| anyhow!("the database path {} is not valid UTF-8", path.display()))?;
                dynoxide::Database::new(text)
                    .map_err(|e| anyhow!("cannot open the database {}: {e}", path.display()))?
            }
            None => {
                dynoxide::Database::memory().map_err(|e| anyhow!("cannot open an in-memory database: {e}"))?
            }
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(4)
            .thread_stack_size(WORKER_STACK)
            .thread_name("dynorm-serve")
            .enable_all()
            .build()
            .context("cannot start the server's runtime")?;
        let (ready_tx, ready_rx) = mpsc::channel::<anyhow::Result<SocketAddr>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("dynorm-serve-main".to_owned())
            .spawn(move || runtime.block_on(serve(options, db, ready_tx, stop_rx)))
            .context("cannot start the server thread")?;
        let address = ready_rx
            .recv()
            .map_err(|_| anyhow!("the server stopped while starting"))??;
        Ok(Server {
            address,
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

/// Creates the tables, binds the port and serves until `stop` (or Ctrl-C) tells it to stop:
/// dynoxide answers on an internal loopback port, behind the front that clients reach
/// ([`crate::proxy`]), which gives streams their AWS shape.
async fn serve(
    options: ServeOptions,
    db: dynoxide::Database,
    ready: mpsc::Sender<anyhow::Result<SocketAddr>>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> anyhow::Result<()> {
    let prepared = async {
        let client = dynorm::Client::from_database(db.clone());
        for table in &options.tables {
            client
                .create_table(table)
                .await
                .with_context(|| format!("cannot create table `{}`", table.name))?;
        }
        let inner = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("cannot listen on an internal loopback port")?;
        let front = TcpListener::bind(("127.0.0.1", options.port))
            .await
            .with_context(|| {
                format!(
                    "cannot listen on 127.0.0.1:{}; choose another --port",
                    options.port
                )
            })?;
        anyhow::Ok((inner, front))
    }
    .await;
    let addresses = |(inner, front): (TcpListener, TcpListener)| {
        anyhow::Ok((inner.local_addr()?, front.local_addr()?, inner, front))
    };
    let (proxy, inner_listener, front_listener) = match prepared.and_then(addresses) {
        Ok((inner_address, address, inner, front)) => {
            let _ = ready.send(Ok(address));
            (
                crate::proxy::Proxy::new(inner_address, options.region()),
                inner,
                front,
            )
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return Ok(());
        }
    };
    let (inner_stop, inner_stopped) = tokio::sync::oneshot::channel::<()>();
    let engine = tokio::spawn(dynoxide::server::serve_with_shutdown(
        inner_listener,
        db,
        async move {
            let _ = inner_stopped.await;
        },
    ));
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
    let served = axum::serve(front_listener, crate::proxy::router(proxy))
        .with_graceful_shutdown(shutdown)
        .await;
    // The front has stopped taking requests; the engine finishes what it holds, then stops.
    let _ = inner_stop.send(());
    let engine = engine
        .await
        .map_err(|e| anyhow!("the engine's server task failed: {e}"))?;
    served?;
    engine.map_err(|e| anyhow!(e))
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

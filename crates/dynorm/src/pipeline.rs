//! The bounded pipeline every batch write runs through: it takes writes one at a time from a
//! stream, gathers them into chunks, and keeps at most a fixed number of requests in flight, so
//! memory does not grow with the number of writes given.
//!
//! Two rules keep the result the same as writing one by one in order:
//! - of several writes to one key in the chunk being gathered, only the last is kept (the others
//!   are *superseded*); DynamoDB refuses a request that names one key twice anyway;
//! - a write to a key that an unanswered request still holds waits until that request is answered
//!   (retries included), so two writes of one key are never in flight at once and land in order.
//!
//! A write returned unprocessed is superseded by a later write of the same key, which was sent
//! after it: the outcome never hands back a write older than one that was done.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use futures::future::{Either, select};
use futures::stream::{BoxStream, FuturesUnordered, StreamExt};

use crate::engine::request::WriteOp;
use crate::{AttributeValue, Error, Item, Result};

/// Writes, one at a time, each already encoded and checked (or the error doing so).
pub(crate) type WriteStream<'a> = BoxStream<'a, Result<WriteOp>>;

/// How the pipeline cuts and sends the writes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Distinct keys gathered before a chunk is sent (the last-wins window).
    pub chunk: usize,
    /// Writes in one request: the chunk size for BatchWriteItem, 1 for conditional single writes.
    pub per_request: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// A write refused because the stored version was not the one its item carried.
#[derive(Debug)]
pub(crate) struct Refused {
    pub item: Item,
    pub expected: u64,
    pub found: Option<u64>,
}

/// What one request did with its writes.
#[derive(Debug, Default)]
pub(crate) struct Sent {
    /// Writes done.
    pub written: usize,
    /// Writes still unprocessed after the retries.
    pub left: Vec<WriteOp>,
    /// Versioned puts refused.
    pub refused: Vec<Refused>,
}

/// What the whole stream came to: `written + superseded + unprocessed + refused` is the number of
/// writes taken from the stream.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub written: usize,
    pub superseded: usize,
    pub unprocessed: Vec<WriteOp>,
    pub refused: Vec<Refused>,
}

/// A hashable form of the key attributes of `item`; an error names a key attribute that is
/// missing or not a string, number or binary.
pub(crate) fn fingerprint(table: &str, names: &[&str], item: &Item) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(32);
    for name in names {
        let (tag, bytes): (u8, &[u8]) = match item.get(*name) {
            Some(AttributeValue::S(s)) => (b'S', s.as_bytes()),
            Some(AttributeValue::N(n)) => (b'N', n.as_bytes()),
            Some(AttributeValue::B(b)) => (b'B', b.as_ref()),
            Some(other) => {
                return Err(Error::Encode(
                    crate::EncodeError::new(format!(
                        "a key attribute must be S, N or B, found {}",
                        crate::attribute::type_name(other)
                    ))
                    .at(table, name),
                ));
            }
            None => {
                return Err(Error::Encode(
                    crate::EncodeError::new("the key attribute is missing from the item").at(table, name),
                ));
            }
        };
        out.push(tag);
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

fn item_of(op: &WriteOp) -> &Item {
    match op {
        WriteOp::Put(item) | WriteOp::Delete(item) => item,
    }
}

/// The state between requests: the chunk being gathered, the keys in flight, the tally.
struct Gather<'n> {
    table: &'n str,
    names: &'n [&'n str],
    limits: Limits,
    chunk: Vec<(Vec<u8>, WriteOp)>,
    /// Keys of the writes in unanswered requests.
    busy: HashSet<Vec<u8>>,
    /// A write whose key is busy, waiting for it to be free.
    held: Option<(Vec<u8>, WriteOp)>,
    /// Where each unprocessed write's key is in `unprocessed` (a later write supersedes it).
    unprocessed_at: HashMap<Vec<u8>, usize>,
    unprocessed: Vec<Option<WriteOp>>,
    tally: Tally,
}

impl Gather<'_> {
    /// Takes one write from the stream into the chunk (or holds it while its key is busy).
    fn take(&mut self, op: WriteOp) -> Result<()> {
        let print = fingerprint(self.table, self.names, item_of(&op))?;
        if let Some(slot) = self.chunk.iter_mut().find(|(p, _)| *p == print) {
            slot.1 = op;
            self.tally.superseded += 1;
        } else if self.busy.contains(&print) {
            self.held = Some((print, op));
        } else {
            self.chunk.push((print, op));
        }
        Ok(())
    }

    /// Moves the held write into the chunk once its key is free.
    fn release(&mut self) {
        if self.held.as_ref().is_some_and(|(p, _)| !self.busy.contains(p))
            && let Some(held) = self.held.take()
        {
            self.chunk.push(held);
        }
    }

    /// Whether the chunk should go out now: full, the input ended, or a held write waits.
    fn ready(&self, input_done: bool) -> bool {
        !self.chunk.is_empty() && (self.chunk.len() >= self.limits.chunk || input_done || self.held.is_some())
    }

    /// The next request's writes, marked busy.
    fn next_request(&mut self) -> (Vec<Vec<u8>>, Vec<WriteOp>) {
        let n = self.limits.per_request.min(self.chunk.len());
        let (prints, ops): (Vec<_>, Vec<_>) = self.chunk.drain(..n).unzip();
        self.busy.extend(prints.iter().cloned());
        (prints, ops)
    }

    /// Books an answered request: frees its keys, supersedes older unprocessed writes of them.
    fn absorb(&mut self, prints: Vec<Vec<u8>>, sent: Sent) -> Result<()> {
        for print in &prints {
            self.busy.remove(print);
            if let Some(at) = self.unprocessed_at.remove(print) {
                self.unprocessed[at] = None;
                self.tally.superseded += 1;
            }
        }
        self.tally.written += sent.written;
        self.tally.refused.extend(sent.refused);
        for op in sent.left {
            let print = fingerprint(self.table, self.names, item_of(&op))?;
            self.unprocessed_at.insert(print, self.unprocessed.len());
            self.unprocessed.push(Some(op));
        }
        Ok(())
    }

    fn finish(mut self) -> Tally {
        self.tally.unprocessed = self.unprocessed.into_iter().flatten().collect();
        self.tally
    }
}

/// Sends every write of `ops` with `send` (one call per request, retries inside it), keeping at
/// most `limits.concurrency` requests in flight. The first error (from the stream or a request)
/// stops taking writes; the requests in flight are answered before it is returned.
pub(crate) async fn run<'s, F, Fut>(
    table: &str,
    names: &[&str],
    mut ops: WriteStream<'s>,
    limits: Limits,
    send: F,
) -> Result<Tally>
where
    F: Fn(Vec<WriteOp>) -> Fut,
    Fut: Future<Output = Result<Sent>>,
{
    let limits = Limits {
        chunk: limits.chunk.max(1),
        per_request: limits.per_request.max(1),
        concurrency: limits.concurrency.max(1),
    };
    let mut state = Gather {
        table,
        names,
        limits,
        chunk: Vec::with_capacity(limits.chunk),
        busy: HashSet::new(),
        held: None,
        unprocessed_at: HashMap::new(),
        unprocessed: Vec::new(),
        tally: Tally::default(),
    };
    let mut in_flight = FuturesUnordered::new();
    let mut input_done = false;
    let mut failure: Option<Error> = None;
    loop {
        state.release();
        if failure.is_none() && state.ready(input_done) && in_flight.len() < limits.concurrency {
            let (prints, request) = state.next_request();
            let answer = send(request);
            in_flight.push(async move { (prints, answer.await) });
            continue;
        }
        let wants_input =
            failure.is_none() && !input_done && state.held.is_none() && state.chunk.len() < limits.chunk;
        let next = if wants_input && in_flight.is_empty() {
            Either::Left(ops.next().await)
        } else if wants_input {
            // Answers first: a ready input would otherwise keep the requests from being polled.
            match select(in_flight.next(), ops.next()).await {
                Either::Left((answered, _)) => Either::Right(answered),
                Either::Right((taken, _)) => Either::Left(taken),
            }
        } else if in_flight.is_empty() {
            break;
        } else {
            Either::Right(in_flight.next().await)
        };
        let step = match next {
            Either::Left(Some(Ok(op))) => state.take(op),
            Either::Left(Some(Err(e))) => Err(e),
            Either::Left(None) => {
                input_done = true;
                Ok(())
            }
            Either::Right(Some((prints, answer))) => answer.and_then(|sent| state.absorb(prints, sent)),
            Either::Right(None) => Ok(()),
        };
        if let Err(e) = step {
            failure.get_or_insert(e);
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(state.finish()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::stream;

    use super::*;

    fn put(id: &str, n: &str) -> WriteOp {
        WriteOp::Put(Item::from([
            ("id".to_owned(), AttributeValue::S(id.to_owned())),
            ("n".to_owned(), AttributeValue::S(n.to_owned())),
        ]))
    }

    fn id(op: &WriteOp) -> String {
        match item_of(op).get("id") {
            Some(AttributeValue::S(s)) => s.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn limits(chunk: usize, per_request: usize, concurrency: usize) -> Limits {
        Limits {
            chunk,
            per_request,
            concurrency,
        }
    }

    /// Records every request and checks, while it is in flight, that no other request in flight
    /// holds one of its keys and that no more than `concurrency` are in flight.
    #[derive(Default)]
    struct Recorder {
        requests: Mutex<Vec<Vec<WriteOp>>>,
        in_flight: Mutex<Vec<String>>,
        most_in_flight: AtomicUsize,
        requests_in_flight: AtomicUsize,
    }

    impl Recorder {
        async fn send(&self, request: Vec<WriteOp>, leave: impl Fn(&WriteOp) -> bool) -> Result<Sent> {
            let keys: Vec<String> = request.iter().map(id).collect();
            {
                let mut busy = self.in_flight.lock().expect("lock");
                for k in &keys {
                    assert!(!busy.contains(k), "two writes of {k} in flight at once");
                }
                busy.extend(keys.iter().cloned());
            }
            let now = self.requests_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            self.requests_in_flight.fetch_sub(1, Ordering::SeqCst);
            self.in_flight.lock().expect("lock").retain(|k| !keys.contains(k));
            self.requests.lock().expect("lock").push(request.clone());
            let (left, done): (Vec<WriteOp>, Vec<WriteOp>) = request.into_iter().partition(|op| leave(op));
            Ok(Sent {
                written: done.len(),
                left,
                refused: Vec::new(),
            })
        }
    }

    fn ops(list: Vec<WriteOp>) -> WriteStream<'static> {
        stream::iter(list.into_iter().map(Ok)).boxed()
    }

    #[tokio::test]
    async fn the_last_write_of_a_key_in_a_chunk_wins() {
        let rec = Recorder::default();
        let input = vec![put("a", "1"), put("b", "1"), put("a", "2"), put("a", "3")];
        let tally = run("t", &["id"], ops(input), limits(25, 25, 4), |r| {
            rec.send(r, |_| false)
        })
        .await
        .expect("run");
        assert_eq!((tally.written, tally.superseded), (2, 2));
        let requests = rec.requests.lock().expect("lock");
        assert_eq!(*requests, vec![vec![put("a", "3"), put("b", "1")]]);
    }

    #[tokio::test]
    async fn a_key_in_flight_waits_and_lands_in_order() {
        let rec = Recorder::default();
        // Chunks of 2 distinct keys: `a` comes back while its first write is in flight.
        let input = vec![
            put("a", "1"),
            put("b", "1"),
            put("c", "1"),
            put("a", "2"),
            put("d", "1"),
            put("e", "1"),
        ];
        let tally = run("t", &["id"], ops(input), limits(2, 2, 4), |r| {
            rec.send(r, |_| false)
        })
        .await
        .expect("run");
        assert_eq!((tally.written, tally.superseded), (6, 0));
        let requests = rec.requests.lock().expect("lock");
        let writes_of_a: Vec<&WriteOp> = requests.iter().flatten().filter(|op| id(op) == "a").collect();
        assert_eq!(
            writes_of_a,
            vec![&put("a", "1"), &put("a", "2")],
            "in the order given"
        );
    }

    #[tokio::test]
    async fn requests_in_flight_and_input_read_ahead_are_bounded() {
        let rec = Recorder::default();
        let pulled = AtomicUsize::new(0);
        let sent = AtomicUsize::new(0);
        let input = stream::iter(0..10_000)
            .map(|i| {
                pulled.fetch_add(1, Ordering::SeqCst);
                Ok(put(&format!("k{i}"), "v"))
            })
            .boxed();
        let tally = run("t", &["id"], input, limits(25, 25, 3), |r| {
            let taken = sent.fetch_add(r.len(), Ordering::SeqCst) + r.len();
            // Read ahead of what was handed out: at most the chunk being gathered and one write.
            assert!(pulled.load(Ordering::SeqCst) <= taken + 1, "read too far ahead");
            rec.send(r, |_| false)
        })
        .await
        .expect("run");
        assert_eq!(tally.written, 10_000);
        assert_eq!(rec.most_in_flight.load(Ordering::SeqCst), 3);
        assert_eq!(rec.requests.lock().expect("lock").len(), 400);
    }

    #[tokio::test]
    async fn unprocessed_writes_are_superseded_by_later_writes_of_their_key() {
        let rec = Recorder::default();
        let input = vec![put("a", "old"), put("b", "1"), put("a", "new"), put("c", "old")];
        // Only the old values are left unprocessed.
        let leave = |op: &WriteOp| item_of(op).get("n") == Some(&AttributeValue::S("old".to_owned()));
        let tally = run("t", &["id"], ops(input), limits(2, 2, 2), |r| rec.send(r, leave))
            .await
            .expect("run");
        assert_eq!(tally.written, 2);
        assert_eq!(tally.superseded, 1, "a's old write was superseded by the new one");
        assert_eq!(tally.unprocessed, vec![put("c", "old")]);
    }

    #[tokio::test]
    async fn an_error_stops_the_input_after_the_requests_in_flight() {
        let rec = Recorder::default();
        let input: Vec<Result<WriteOp>> = vec![
            Ok(put("a", "1")),
            Ok(put("b", "1")),
            Err(Error::Encode(crate::EncodeError::new("bad value"))),
            Ok(put("c", "1")),
        ];
        let err = run("t", &["id"], stream::iter(input).boxed(), limits(1, 1, 4), |r| {
            rec.send(r, |_| false)
        })
        .await
        .expect_err("the stream's error");
        assert!(matches!(err, Error::Encode(_)), "{err:?}");
        let sent: Vec<String> = rec
            .requests
            .lock()
            .expect("lock")
            .iter()
            .flatten()
            .map(id)
            .collect();
        assert!(
            !sent.contains(&"c".to_owned()),
            "nothing after the error is sent: {sent:?}"
        );
    }

    #[tokio::test]
    async fn a_key_attribute_missing_is_named() {
        let input = ops(vec![WriteOp::Put(Item::new())]);
        let err = run("t", &["id"], input, limits(25, 25, 1), |_| async {
            Ok(Sent::default())
        })
        .await
        .expect_err("missing key");
        match err {
            Error::Encode(e) => assert_eq!(
                (e.table.as_deref(), e.attribute.as_deref()),
                (Some("t"), Some("id"))
            ),
            other => panic!("{other:?}"),
        }
    }
}

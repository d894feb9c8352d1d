//! [`CachedTable`]: gets through a bounded in-memory cache, with invalidation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::client::{decode_with, encode_error, get_item};
use crate::expr::Update;
use crate::{Item, Key, Result, Table, TableClient};

impl<T: Table> TableClient<T> {
    /// This table behind an in-memory cache of at most `capacity` items (see [`CachedTable`]).
    pub fn cached(&self, capacity: usize) -> CachedTable<T> {
        CachedTable {
            table: self.clone(),
            cache: Arc::new(Mutex::new(Lru::new(capacity))),
        }
    }
}

/// Gets through an in-memory cache keyed by the key attributes.
///
/// - A hit answers without a request; an absent item is remembered too ("known absent"), so
///   repeated lookups of a missing key cost one request.
/// - The cache holds at most `capacity` keys; past that the least recently used is dropped
///   (each access is O(log capacity)). A capacity of 0 caches nothing.
/// - Writes through this handle ([`put`](Self::put), [`save`](Self::save),
///   [`delete`](Self::delete), [`update`](Self::update), [`upsert`](Self::upsert)) invalidate
///   their key, whether they succeed or fail. Writes by anyone else are not seen until
///   [`invalidate`](Self::invalidate) or [`invalidate_all`](Self::invalidate_all): the cache is
///   for data that changes through this handle or may be a little stale.
/// - A read that was in flight while a key was invalidated does not store its (possibly older)
///   answer.
/// - Clones share the cache.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// use dynorm::Table;
///
/// #[derive(Table, Debug, Clone, PartialEq)]
/// #[dynorm(table = "config")]
/// struct Setting {
///     #[dynorm(partition_key)]
///     name: String,
///     value: String,
/// }
///
/// let client = dynorm::Client::embedded()?;
/// client.create_table(Setting::definition()).await?;
/// let settings = client.table::<Setting>().cached(1_000);
/// let theme = Setting { name: "theme".into(), value: "dark".into() };
/// settings.put(&theme).await?;
/// assert_eq!(settings.get(theme.key_of()).await?, Some(theme.clone()));
/// let many = settings.get_many([theme.key_of(), Setting::key("missing".to_owned())]).await?;
/// assert_eq!(many, vec![Some(theme), None]);
/// # Ok(()) }
/// ```
pub struct CachedTable<T> {
    table: TableClient<T>,
    cache: Arc<Mutex<Lru>>,
}

impl<T> Clone for CachedTable<T> {
    fn clone(&self) -> Self {
        Self {
            table: self.table.clone(),
            cache: Arc::clone(&self.cache),
        }
    }
}

impl<T> fmt::Debug for CachedTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lru = lock(&self.cache);
        f.debug_struct("CachedTable")
            .field("table", &self.table.name)
            .field("cached", &lru.entries.len())
            .field("capacity", &lru.capacity)
            .finish()
    }
}

fn lock(cache: &Mutex<Lru>) -> MutexGuard<'_, Lru> {
    // A panic while holding the lock cannot leave the map half-updated in a harmful way: at
    // worst an entry is missing, which is a cache miss.
    cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A least-recently-used map from key text to the item (`None`: known absent).
#[derive(Debug)]
struct Lru {
    capacity: usize,
    tick: u64,
    /// Bumped by every invalidation: a read begun before it does not store its answer.
    epoch: u64,
    entries: HashMap<String, (u64, Option<Item>)>,
    order: BTreeMap<u64, String>,
}

impl Lru {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            tick: 0,
            epoch: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    fn get(&mut self, key: &str) -> Option<Option<Item>> {
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(key)?;
        self.order.remove(&entry.0);
        entry.0 = tick;
        self.order.insert(tick, key.to_owned());
        Some(entry.1.clone())
    }

    fn insert(&mut self, key: String, item: Option<Item>, epoch: u64) {
        if self.capacity == 0 || epoch != self.epoch {
            return;
        }
        self.tick += 1;
        if let Some((old, _)) = self.entries.insert(key.clone(), (self.tick, item)) {
            self.order.remove(&old);
        }
        self.order.insert(self.tick, key);
        while self.entries.len() > self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
    }

    fn remove(&mut self, key: &str) {
        self.epoch += 1;
        if let Some((tick, _)) = self.entries.remove(key) {
            self.order.remove(&tick);
        }
    }

    fn clear(&mut self) {
        self.epoch += 1;
        self.entries.clear();
        self.order.clear();
    }
}

/// The cache key of an item key: its attributes sorted by name, with their types.
fn cache_key(key: &Item) -> String {
    let mut entries: Vec<_> = key.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    format!("{entries:?}")
}

impl<T: Table> CachedTable<T> {
    /// The uncached table client.
    pub fn table(&self) -> &TableClient<T> {
        &self.table
    }

    /// How many keys are cached (present and known absent).
    pub fn len(&self) -> usize {
        lock(&self.cache).entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key_text(&self, key: &Key<T>) -> Result<String> {
        key.as_item()
            .map(cache_key)
            .map_err(|e| encode_error(&self.table.name, e.clone()))
    }

    /// Reads the item with this key, from the cache when it is there.
    pub async fn get(&self, key: Key<T>) -> Result<Option<T>> {
        let text = self.key_text(&key)?;
        let cached = {
            let mut lru = lock(&self.cache);
            lru.get(&text).ok_or(lru.epoch)
        };
        let item = match cached {
            Ok(item) => item,
            Err(epoch) => {
                let item = get_item(&self.table, key, false, None).await?;
                lock(&self.cache).insert(text, item.clone(), epoch);
                item
            }
        };
        item.map(|item| decode_with(&self.table.name, item, T::from_item))
            .transpose()
    }

    /// Reads several items, in the order of `keys` (`None` for absent ones): hits from the cache,
    /// misses with concurrent GetItem calls.
    pub async fn get_many(&self, keys: impl IntoIterator<Item = Key<T>>) -> Result<Vec<Option<T>>> {
        futures::future::try_join_all(keys.into_iter().map(|key| self.get(key))).await
    }

    /// Forgets the cached item of this key.
    pub fn invalidate(&self, key: &Key<T>) {
        if let Ok(text) = self.key_text(key) {
            lock(&self.cache).remove(&text);
        }
    }

    /// Forgets every cached item.
    pub fn invalidate_all(&self) {
        lock(&self.cache).clear();
    }

    /// Puts `value` (like [`TableClient::put`]) and invalidates its key.
    pub async fn put(&self, value: &T) -> Result<()> {
        let key = value.key_of();
        let result = self.table.put(value).send().await;
        self.invalidate(&key);
        result
    }

    /// Saves `value` with optimistic locking (like [`TableClient::save`]) and invalidates its key.
    pub async fn save(&self, value: &mut T) -> Result<()> {
        let key = value.key_of();
        let result = self.table.save(value).await;
        self.invalidate(&key);
        result
    }

    /// Deletes the item with this key and invalidates it.
    pub async fn delete(&self, key: Key<T>) -> Result<()> {
        let result = self.table.delete(key.clone()).send().await;
        self.invalidate(&key);
        result
    }

    /// Applies `update` to the item with this key and returns it as it is now; invalidates it.
    pub async fn update(&self, key: Key<T>, update: Update) -> Result<T> {
        let result = self
            .table
            .update(key.clone())
            .apply(update)
            .return_new()
            .send()
            .await;
        self.invalidate(&key);
        result
    }

    /// Upserts `value` (like [`TableClient::upsert`]) and invalidates its key.
    pub async fn upsert(&self, value: &T) -> Result<T> {
        let key = value.key_of();
        let result = self.table.upsert(value).send().await;
        self.invalidate(&key);
        result
    }
}

//! Cached gets: hits answer without a request (proved by writing behind the cache's back),
//! known-absent keys, invalidation, writes through the cached handle, the LRU bound, get_many.

use dynorm::expr::Update;
use dynorm::{Client, Table};

use crate::support::{User, both_paths, users_definition};

async fn embedded() -> Client {
    let client = dynorm::testing::client().await.expect("test client");
    client
        .create_table(&users_definition())
        .await
        .expect("create users");
    client
}

#[tokio::test]
async fn hits_known_absent_and_invalidation() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let cached = users.cached(100);
        let id = format!("{path}-1");
        let ada = User::new(&id, "Ada", 36);

        // Known absent: remembered even after someone else writes the item.
        assert_eq!(cached.get(User::key(&id)).await.expect("get"), None);
        users.put(&ada).await.expect("put behind the cache");
        assert_eq!(
            cached.get(User::key(&id)).await.expect("get"),
            None,
            "{path}: cached absence"
        );
        cached.invalidate(&User::key(&id));
        assert_eq!(cached.get(User::key(&id)).await.expect("get"), Some(ada.clone()));

        // A hit: a change behind the cache is not seen until invalidated.
        let older = User::new(&id, "Ada", 37);
        users.put(&older).await.expect("put behind the cache");
        assert_eq!(
            cached.get(User::key(&id)).await.expect("get"),
            Some(ada.clone()),
            "{path}"
        );
        cached.invalidate_all();
        assert!(cached.is_empty());
        assert_eq!(
            cached.get(User::key(&id)).await.expect("get"),
            Some(older.clone())
        );

        // Writes through the cached handle invalidate their key.
        let renamed = User::new(&id, "Augusta", 37);
        cached.put(&renamed).await.expect("put");
        assert_eq!(
            cached.get(User::key(&id)).await.expect("get"),
            Some(renamed.clone())
        );
        let updated = cached
            .update(User::key(&id), Update::new().increment("age", 1))
            .await
            .expect("update");
        assert_eq!(updated.age, 38);
        assert_eq!(
            cached.get(User::key(&id)).await.expect("get").map(|u| u.age),
            Some(38)
        );
        let upserted = cached.upsert(&User::new(&id, "A", 1)).await.expect("upsert");
        assert_eq!(cached.get(User::key(&id)).await.expect("get"), Some(upserted));
        cached.delete(User::key(&id)).await.expect("delete");
        assert_eq!(cached.get(User::key(&id)).await.expect("get"), None, "{path}");
        // A failed write invalidates too (its outcome is unknown to the cache).
        assert!(cached.table().put(&ada).create_only().await.is_ok());
        assert_eq!(
            cached.get(User::key(&id)).await.expect("get"),
            None,
            "stale by design"
        );
        assert!(cached.put(&ada).await.is_ok());
        assert_eq!(cached.get(User::key(&id)).await.expect("get"), Some(ada));
    }
}

#[tokio::test]
async fn the_cache_is_bounded_least_recently_used_first() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let users = client.table::<User>();
        let cached = users.cached(2);
        let ids: Vec<String> = (0..3).map(|i| format!("{path}-lru-{i}")).collect();
        for id in &ids {
            users.put(&User::new(id, "v1", 1)).await.expect("put");
        }
        cached.get(User::key(&ids[0])).await.expect("get");
        cached.get(User::key(&ids[1])).await.expect("get");
        // Touch 0 so 1 is the least recently used, then read 2: 1 is dropped.
        cached.get(User::key(&ids[0])).await.expect("get");
        cached.get(User::key(&ids[2])).await.expect("get");
        assert_eq!(cached.len(), 2, "{path}");
        for id in &ids {
            users.put(&User::new(id, "v2", 1)).await.expect("put behind");
        }
        let name = |u: Option<User>| u.expect("present").name;
        // 2 and 0 are still cached (stale), 1 was dropped and is read again.
        assert_eq!(
            name(cached.get(User::key(&ids[2])).await.expect("get")),
            "v1",
            "{path}"
        );
        assert_eq!(
            name(cached.get(User::key(&ids[0])).await.expect("get")),
            "v1",
            "{path}"
        );
        assert_eq!(
            name(cached.get(User::key(&ids[1])).await.expect("get")),
            "v2",
            "{path}"
        );
        assert_eq!(cached.len(), 2);
        // Reading 1 dropped 2, the least recently used.
        assert_eq!(
            name(cached.get(User::key(&ids[2])).await.expect("get")),
            "v2",
            "{path}"
        );

        let none = users.cached(0);
        none.get(User::key(&ids[0])).await.expect("get");
        assert!(none.is_empty(), "capacity 0 caches nothing");
    }
}

#[tokio::test]
async fn get_many_keeps_order_and_reports_absent() {
    let embedded = embedded().await;
    for (path, client) in both_paths(&embedded) {
        let cached = client.table::<User>().cached(10);
        let a = User::new(&format!("{path}-a"), "A", 1);
        let b = User::new(&format!("{path}-b"), "B", 2);
        cached.put(&a).await.expect("put");
        cached.put(&b).await.expect("put");
        let got = cached
            .get_many([b.key_of(), User::key("missing"), a.key_of(), b.key_of()])
            .await
            .expect("get_many");
        assert_eq!(
            got,
            vec![Some(b.clone()), None, Some(a.clone()), Some(b.clone())],
            "{path}"
        );
        // Clones share the cache.
        let clone = cached.clone();
        clone.invalidate_all();
        assert!(cached.is_empty());
    }
}

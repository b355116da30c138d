//! [`MemoryStore`]: records in this process, bounded by entries and TTL.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::{Claim, ClaimToken, DeliveryKey, DeliveryStore, StoreFuture};

/// A [`DeliveryStore`] in this process's memory, for a single replica.
///
/// It holds at most `max_entries` records. Records expire after their
/// lease or TTL; when the store is full, a new claim evicts the oldest
/// record (the one claimed first), whose delivery would then be processed
/// again if it were redelivered. Size it for your delivery rate times the
/// TTL: 100,000 records cover 72 hours at one delivery every 2.6 seconds.
/// A record with a typical GitHub key (54 bytes) takes about 240 bytes, so
/// 100,000 records take about 24 MB; keys are at most 200 bytes.
///
/// Cheap to clone: clones share the records, so one store can serve several
/// layers (and be inspected with [`len`](Self::len)).
///
/// ```
/// use tower_webhooks::dedup::{DedupLayer, MemoryStore};
///
/// let store = MemoryStore::new(100_000);
/// let layer = DedupLayer::new(store.clone());
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    records: Arc<Mutex<Records>>,
}

struct Records {
    map: HashMap<Arc<str>, Record>,
    /// Claim order: sequence number to key. The first entry is the oldest.
    order: BTreeMap<u64, Arc<str>>,
    next: u64,
    max_entries: usize,
}

struct Record {
    seq: u64,
    state: State,
    expires: Instant,
}

#[derive(PartialEq, Eq)]
enum State {
    Claimed(ClaimToken),
    Done,
}

impl MemoryStore {
    /// A store holding at most `max_entries` records (at least one).
    pub fn new(max_entries: usize) -> Self {
        Self {
            records: Arc::new(Mutex::new(Records {
                map: HashMap::new(),
                order: BTreeMap::new(),
                next: 0,
                max_entries: max_entries.max(1),
            })),
        }
    }

    /// The number of records held now, including expired ones not yet
    /// swept; never more than [`max_entries`](Self::max_entries).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most records the store holds.
    pub fn max_entries(&self) -> usize {
        self.lock().max_entries
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // A panic elsewhere while holding the lock cannot leave the maps
        // inconsistent in a way that matters here: keep serving.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Records {
    fn remove(&mut self, key: &str) {
        if let Some(record) = self.map.remove(key) {
            self.order.remove(&record.seq);
        }
    }

    /// Drops expired records from the old end, then the oldest ones until
    /// there is room for one more.
    fn make_room(&mut self, now: Instant) {
        while let Some((_, key)) = self.order.first_key_value() {
            let expired = self.map.get(key).is_none_or(|r| r.expires <= now);
            let full = self.map.len() >= self.max_entries;
            if !expired && !full {
                break;
            }
            let (_, key) = self.order.pop_first().expect("checked above");
            self.map.remove(&key);
        }
    }

    fn insert(&mut self, key: Arc<str>, state: State, expires: Instant) {
        self.make_room(Instant::now());
        let seq = self.next;
        self.next += 1;
        self.order.insert(seq, key.clone());
        self.map.insert(
            key,
            Record {
                seq,
                state,
                expires,
            },
        );
    }
}

impl DeliveryStore for MemoryStore {
    fn claim<'a>(
        &'a self,
        key: &'a DeliveryKey,
        token: &'a ClaimToken,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        let now = Instant::now();
        let mut records = self.lock();
        let claim = match records.map.get(key.as_str()) {
            Some(record) if record.expires > now => Claim::Duplicate,
            found => {
                if found.is_some() {
                    records.remove(key.as_str());
                }
                records.insert(key.shared(), State::Claimed(*token), now + lease);
                Claim::Claimed
            }
        };
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn complete<'a>(
        &'a self,
        key: &'a DeliveryKey,
        token: &'a ClaimToken,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let now = Instant::now();
        let mut records = self.lock();
        match records.map.get_mut(key.as_str()) {
            Some(record) if record.state == State::Claimed(*token) => {
                record.state = State::Done;
                record.expires = now + ttl;
            }
            // Another live claim or a done record: leave it.
            Some(record) if record.expires > now => {}
            // Lapsed or gone: remember the delivery as done.
            found => {
                if found.is_some() {
                    records.remove(key.as_str());
                }
                records.insert(key.shared(), State::Done, now + ttl);
            }
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn release<'a>(&'a self, key: &'a DeliveryKey, token: &'a ClaimToken) -> StoreFuture<'a, ()> {
        let mut records = self.lock();
        if records
            .map
            .get(key.as_str())
            .is_some_and(|r| r.state == State::Claimed(*token))
        {
            records.remove(key.as_str());
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records = self.lock();
        f.debug_struct("MemoryStore")
            .field("len", &records.map.len())
            .field("max_entries", &records.max_entries)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    fn key(n: usize) -> DeliveryKey {
        DeliveryKey::new(Provider::GitHub, None, Some("1"), &format!("d-{n}"))
    }

    async fn claim(store: &MemoryStore, n: usize, lease: Duration) -> Claim {
        store
            .claim(&key(n), &ClaimToken::new(), lease)
            .await
            .unwrap()
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[tokio::test]
    async fn evicts_the_oldest_when_full() {
        let store = MemoryStore::new(3);
        for n in 0..5 {
            assert_eq!(claim(&store, n, HOUR).await, Claim::Claimed);
            assert!(store.len() <= 3);
        }
        // 0 and 1 were evicted; 2, 3, 4 are remembered.
        assert_eq!(claim(&store, 4, HOUR).await, Claim::Duplicate);
        assert_eq!(claim(&store, 2, HOUR).await, Claim::Duplicate);
        assert_eq!(claim(&store, 0, HOUR).await, Claim::Claimed);
        assert_eq!(store.len(), 3);
        // Claiming 0 again evicted 2, the oldest now.
        assert_eq!(claim(&store, 2, HOUR).await, Claim::Claimed);
    }

    #[tokio::test(start_paused = true)]
    async fn lease_and_ttl_expire() {
        let store = MemoryStore::new(10);
        let token = ClaimToken::new();
        let lease = Duration::from_secs(60);
        assert_eq!(
            store.claim(&key(1), &token, lease).await.unwrap(),
            Claim::Claimed
        );
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(claim(&store, 1, lease).await, Claim::Duplicate);
        tokio::time::advance(Duration::from_secs(2)).await;
        // The lease lapsed: a redelivery claims it again.
        let second = ClaimToken::new();
        assert_eq!(
            store.claim(&key(1), &second, lease).await.unwrap(),
            Claim::Claimed
        );
        // The first holder's release and completion leave the new claim alone.
        store.release(&key(1), &token).await.unwrap();
        store.complete(&key(1), &token, HOUR).await.unwrap();
        assert_eq!(claim(&store, 1, lease).await, Claim::Duplicate);
        store.complete(&key(1), &second, HOUR).await.unwrap();
        tokio::time::advance(Duration::from_secs(3599)).await;
        assert_eq!(claim(&store, 1, lease).await, Claim::Duplicate);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(claim(&store, 1, lease).await, Claim::Claimed);
    }

    #[tokio::test]
    async fn release_frees_only_its_own_claim() {
        let store = MemoryStore::new(10);
        let token = ClaimToken::new();
        store.claim(&key(1), &token, HOUR).await.unwrap();
        store.release(&key(1), &ClaimToken::new()).await.unwrap();
        assert_eq!(claim(&store, 1, HOUR).await, Claim::Duplicate);
        store.release(&key(1), &token).await.unwrap();
        assert!(store.is_empty());
    }
}

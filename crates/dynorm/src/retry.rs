//! [`RetryPolicy`]: how batch operations retry throttled requests and unprocessed work —
//! exponential backoff with full jitter, up to a bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How a batch operation retries: each request (a chunk of at most 25 writes or 100 keys) is sent
/// up to `max_attempts` times in all. Before attempt `n` (counting from 1 for the first retry) it
/// waits a random time between zero and `min(max_delay, base_delay × 2ⁿ)` ("full jitter").
///
/// A request is retried when DynamoDB throttles it as a whole
/// ([`Error::Throttled`](crate::Error::Throttled)) or returns part of it as
/// `UnprocessedItems` / `UnprocessedKeys`; only the unprocessed part is sent again. What is still
/// left after the last attempt is returned to the caller, never dropped.
///
/// ```
/// use std::time::Duration;
/// use dynorm::RetryPolicy;
///
/// let patient = RetryPolicy {
///     max_attempts: 20,
///     ..RetryPolicy::default()
/// };
/// assert_eq!(patient.base_delay, Duration::from_millis(25));
/// assert_eq!(RetryPolicy::no_retry().max_attempts, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times one request is sent in all (the first send included); 0 counts as 1.
    pub max_attempts: u32,
    /// The wait before the first retry grows from this, doubling with every attempt.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 10 attempts, 25 ms base delay, at most 5 s between attempts.
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts with the default delays.
    pub fn attempts(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            ..Self::default()
        }
    }

    /// Send each request once: whatever is throttled or unprocessed is returned at once.
    pub fn no_retry() -> Self {
        Self::attempts(1)
    }

    /// The same number of attempts without any wait between them (for tests).
    pub fn immediate(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// Whether another attempt may follow attempt number `attempt` (1 for the first send).
    pub(crate) fn allows_after(&self, attempt: u32) -> bool {
        attempt < self.max_attempts.max(1)
    }

    /// The upper bound of the wait before retry number `retry` (1 for the first retry).
    pub(crate) fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }

    /// Waits before retry number `retry`: a random time in `[0, ceiling]`.
    pub(crate) async fn wait(&self, retry: u32, rng: &mut Jitter) {
        let wait = self.delay_with(retry, rng);
        if wait.is_zero() {
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(wait).await;
        }
    }

    fn delay_with(&self, retry: u32, rng: &mut Jitter) -> Duration {
        let nanos = u64::try_from(self.ceiling(retry).as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rng.below(nanos.saturating_add(1)))
    }

    /// The wait before retry number `retry` (1 for the first retry) for a caller running its
    /// own retry loop: exponential backoff with full jitter, a random time in
    /// `[0, min(max_delay, base_delay × 2^retry)]` — what dynorm's batch operations wait.
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_with(retry, &mut Jitter::fresh())
    }
}

/// A small non-cryptographic random number generator (SplitMix64) for jitter and fault plans.
#[derive(Debug, Clone)]
pub(crate) struct Jitter(u64);

impl Jitter {
    /// A generator seeded with `seed`.
    pub(crate) fn seeded(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator seeded differently on every call.
    pub(crate) fn fresh() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0x9E37_79B9_7F4A_7C15);
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        Self(time ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, bound)` (0 when `bound` is 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// `true` with probability `p` (clamped to `[0, 1]`).
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        };
        assert_eq!(p.ceiling(1), Duration::from_millis(20));
        assert_eq!(p.ceiling(2), Duration::from_millis(40));
        assert_eq!(p.ceiling(4), Duration::from_millis(100));
        assert_eq!(p.ceiling(200), Duration::from_millis(100));
        assert!(p.allows_after(4));
        assert!(!p.allows_after(5));
        assert!(!RetryPolicy::attempts(0).allows_after(1));
        for retry in 1..8 {
            assert!(p.delay(retry) <= p.ceiling(retry));
        }
        assert_eq!(RetryPolicy::immediate(3).delay(5), Duration::ZERO);
    }

    #[test]
    fn jitter_stays_in_bounds() {
        let mut j = Jitter::seeded(7);
        for _ in 0..1000 {
            assert!(j.below(10) < 10);
        }
        let hits = (0..10_000).filter(|_| j.chance(0.3)).count();
        assert!((2_500..3_500).contains(&hits), "{hits}");
    }
}

//! Password hashing, bounded. argon2id is memory-hard on purpose (19 MiB per hash with the crate's
//! recommended parameters), so an unbounded burst of sign-ins is an unbounded burst of memory: 100
//! concurrent unknown emails once took the server to 2 GB. The gate lets at most
//! `min(cores, 4)` hashes run at once, keeps a short queue behind them, and turns everyone else
//! away at once with a "busy, retry after" instead of queueing without limit.
//!
//! Each running hash works in one of a small set of memory buffers that are reused, not allocated
//! per request: the peak is `permits × 19 MiB` whatever the traffic. The buffers are released when
//! no hash has run for [`IDLE_RELEASE`], so an idle server holds none of them (the binary's
//! allocator, jemalloc, then gives their pages back to the system: see `main.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand_core::OsRng;
use tokio::sync::Semaphore;

/// How long a refused caller is told to wait before trying again, in seconds.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// After this long without a hash, the gate's buffers are given back to the system.
const IDLE_RELEASE: Duration = Duration::from_secs(10);

/// Why a hash was not computed.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Every worker is busy and the queue is full.
    #[error("password hashing is saturated")]
    Busy,
    /// The stored hash cannot be read, or the hasher failed.
    #[error("password hash: {0}")]
    Hash(String),
}

pub struct PasswordGate {
    running: Arc<Semaphore>,
    /// Hashes admitted (running or queued).
    admitted: Arc<AtomicUsize>,
    max_admitted: usize,
    buffers: Arc<Buffers>,
}

/// The reusable argon2 memory, one buffer per running hash, and when it was last used.
struct Buffers {
    free: Mutex<(Vec<Vec<Block>>, Instant)>,
}

impl Buffers {
    fn take(&self, blocks: usize) -> Vec<Block> {
        let reused = self.free.lock().ok().and_then(|mut free| free.0.pop());
        match reused {
            Some(mut buffer) if buffer.len() >= blocks => {
                buffer.truncate(blocks);
                buffer
            }
            _ => vec![Block::default(); blocks],
        }
    }

    fn give_back(&self, buffer: Vec<Block>) {
        if let Ok(mut free) = self.free.lock() {
            free.0.push(buffer);
            free.1 = Instant::now();
        }
    }

    /// Drops the buffers when the gate has been idle long enough.
    fn release_if_idle(&self) {
        if let Ok(mut free) = self.free.lock() {
            if free.1.elapsed() >= IDLE_RELEASE {
                free.0 = Vec::new();
            }
        }
    }
}

/// Decrements the admitted count however the hash ends (finished, failed, or its caller gone).
struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordGate {
    /// At most `concurrency` hashes at once and `queue` more waiting.
    pub fn new(concurrency: usize, queue: usize) -> PasswordGate {
        let concurrency = concurrency.max(1);
        let gate = PasswordGate {
            running: Arc::new(Semaphore::new(concurrency)),
            admitted: Arc::new(AtomicUsize::new(0)),
            max_admitted: concurrency + queue,
            buffers: Arc::new(Buffers {
                free: Mutex::new((Vec::new(), Instant::now())),
            }),
        };
        gate.spawn_janitor();
        gate
    }

    /// `min(cores, 4)` at once, and a queue of four per worker (about a second of waiting).
    pub fn for_this_machine() -> PasswordGate {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let concurrency = cores.min(4);
        PasswordGate::new(concurrency, 4 * concurrency)
    }

    /// Frees the buffers of an idle gate; the task ends with the gate.
    fn spawn_janitor(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let buffers = Arc::downgrade(&self.buffers);
        runtime.spawn(async move {
            loop {
                tokio::time::sleep(IDLE_RELEASE).await;
                match buffers.upgrade() {
                    Some(buffers) => buffers.release_if_idle(),
                    None => return,
                }
            }
        });
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: String) -> Result<String, GateError> {
        self.run(move |memory| {
            let salt = SaltString::generate(&mut OsRng);
            let params = Params::default();
            let mut output = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
            let mut salt_bytes = [0u8; 64];
            let salt_raw = salt
                .decode_b64(&mut salt_bytes)
                .map_err(|e| GateError::Hash(e.to_string()))?;
            hasher(params.clone())
                .hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut output, memory)
                .map_err(|e| GateError::Hash(e.to_string()))?;
            let hash = argon2::password_hash::Output::new(&output)
                .map_err(|e| GateError::Hash(e.to_string()))?;
            Ok(PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: params
                    .try_into()
                    .map_err(|e: argon2::password_hash::Error| GateError::Hash(e.to_string()))?,
                salt: Some(salt.as_salt()),
                hash: Some(hash),
            }
            .to_string())
        })
        .await?
    }

    /// Whether `password` matches the stored PHC string (any argon2 variant and parameters).
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, GateError> {
        self.run(move |memory| verify_with(&password, &stored, memory))
            .await?
    }

    /// Runs `job` on a blocking thread with a reused buffer, once admitted and a worker is free.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<T, GateError> {
        let admitted = self.admitted.fetch_add(1, Ordering::SeqCst);
        let admission = Admission(self.admitted.clone());
        if admitted >= self.max_admitted {
            return Err(GateError::Busy);
        }
        let permit = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| GateError::Hash(e.to_string()))?;
        let buffers = self.buffers.clone();
        // The permit and the admission move into the blocking task: if the caller goes away, the
        // hash still counts until it really ends.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _admission = admission;
            let mut memory = buffers.take(MAX_BLOCKS);
            let result = job(&mut memory);
            buffers.give_back(memory);
            result
        })
        .await
        .map_err(|e| GateError::Hash(e.to_string()))
    }
}

/// The memory the crate's default parameters need, in 1 KiB blocks; stored hashes with a larger
/// `m` are refused rather than allowed to allocate without bound.
const MAX_BLOCKS: usize = Params::DEFAULT_M_COST as usize;

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn verify_with(password: &str, stored: &str, memory: &mut [Block]) -> Result<bool, GateError> {
    let parsed = PasswordHash::new(stored).map_err(|e| GateError::Hash(e.to_string()))?;
    let params = Params::try_from(&parsed).map_err(|e| GateError::Hash(e.to_string()))?;
    if params.block_count() > memory.len() {
        return Err(GateError::Hash(format!(
            "hash parameters above the limit (m = {} KiB)",
            params.m_cost()
        )));
    }
    let algorithm =
        Algorithm::try_from(parsed.algorithm).map_err(|e| GateError::Hash(e.to_string()))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| GateError::Hash(e.to_string()))?
        .unwrap_or_default();
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(GateError::Hash("hash without salt or output".into()));
    };
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| GateError::Hash(e.to_string()))?;
    let mut output = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut output, &mut memory[..])
        .map_err(|e| GateError::Hash(e.to_string()))?;
    // Output's equality is constant-time.
    let computed =
        argon2::password_hash::Output::new(&output).map_err(|e| GateError::Hash(e.to_string()))?;
    Ok(computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier;

    #[tokio::test]
    async fn hashes_verify_with_the_crate_and_ours() {
        let gate = PasswordGate::new(2, 2);
        let hash = gate.hash("una password lunga".into()).await.expect("hash");
        let parsed = PasswordHash::new(&hash).expect("phc");
        assert!(Argon2::default()
            .verify_password(b"una password lunga", &parsed)
            .is_ok());
        assert!(gate
            .verify("una password lunga".into(), hash.clone())
            .await
            .expect("verify"));
        assert!(!gate
            .verify("un'altra password".into(), hash)
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn hashes_of_the_crate_verify_with_ours() {
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(b"password di prima", &salt)
            .expect("hash")
            .to_string();
        let gate = PasswordGate::new(1, 0);
        assert!(gate
            .verify("password di prima".into(), hash)
            .await
            .expect("verify"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_gate_turns_callers_away() {
        let gate = PasswordGate::new(1, 1);
        let hash = gate.hash("una password lunga".into()).await.expect("hash");
        let attempt = || gate.verify("sbagliata".into(), hash.clone());
        // Polled in order within one task: the first runs, the second queues, the rest are
        // refused before the first hash (tens of milliseconds) can end.
        let outcomes = tokio::join!(attempt(), attempt(), attempt(), attempt(), attempt());
        let outcomes = [outcomes.0, outcomes.1, outcomes.2, outcomes.3, outcomes.4];
        let verified = outcomes.iter().filter(|o| matches!(o, Ok(false))).count();
        let busy = outcomes
            .iter()
            .filter(|o| matches!(o, Err(GateError::Busy)))
            .count();
        assert_eq!((verified, busy), (2, 3), "{outcomes:?}");
        // Once they end, the gate admits again.
        assert!(matches!(attempt().await, Ok(false)));
    }
}

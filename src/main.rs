use std::process::ExitCode;

/// jemalloc rather than glibc's allocator, for Rust and for SQLite's C code alike (its `malloc` is
/// exported unprefixed). glibc keeps what a burst of concurrent requests freed in its per-thread
/// arenas: after 500 sign-ins at once the server stayed at three times its idle size for good, and
/// SQLite's page caches stayed behind in one arena per connection thread. jemalloc's background
/// thread purges freed pages after its decay time (10 s), without any request having to come
/// along. Its settings are built in: see `.cargo/config.toml`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    rendiconta::cli::run().await
}

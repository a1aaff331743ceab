use std::process::ExitCode;

/// jemalloc rather than glibc's allocator. glibc keeps what a burst of concurrent requests freed
/// in its per-thread arenas: after 500 sign-ins at once the server stayed at three times its idle
/// size for good. jemalloc's background thread purges freed pages after its decay time (10 s), so
/// the memory of a burst goes back to the system without any request having to come along.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // Without the background thread, purging only happens when the allocator is called again.
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        eprintln!("jemalloc: background thread not started: {e}");
    }
    rendiconta::cli::run().await
}

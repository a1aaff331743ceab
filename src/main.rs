use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    rendiconta::cli::run().await
}

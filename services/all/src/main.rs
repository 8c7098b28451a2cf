//! `sahara-all`: the embedded default, every service in one process.

use sahara_service::shutdown_signal;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: sahara_service::Allocator = sahara_service::Allocator {};

fn main() -> ExitCode {
    sahara_service::main("sahara-all", sahara_service::api_threads, |conf| {
        sahara_all::run(conf, shutdown_signal())
    })
}

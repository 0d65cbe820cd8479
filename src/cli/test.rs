//! `policy test` (being written).

use clap::Args;

use super::Io;

#[derive(Args)]
pub struct TestArgs {}

pub fn run(args: TestArgs, io: &mut Io) -> i32 {
    let _ = args;
    io.stderr.push_str("error: `policy test` is not available yet\n");
    2
}

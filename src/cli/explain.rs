//! `policy explain` (being written).

use clap::Args;

use super::Io;

#[derive(Args)]
pub struct ExplainArgs {}

pub fn run(args: ExplainArgs, io: &mut Io) -> i32 {
    let _ = args;
    io.stderr
        .push_str("error: `policy explain` is not available yet\n");
    2
}

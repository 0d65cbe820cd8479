//! `policy score` (being written).

use clap::Args;

use super::Io;

#[derive(Args)]
pub struct ScoreArgs {}

pub fn run(args: ScoreArgs, io: &mut Io) -> i32 {
    let _ = args;
    io.stderr.push_str("error: `policy score` is not available yet\n");
    2
}

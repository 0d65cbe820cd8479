//! `policy fmt` (being written).

use clap::Args;

use super::Io;

#[derive(Args)]
pub struct FmtArgs {
    /// Policy files or directories (default: the current directory)
    pub paths: Vec<String>,
    /// Change nothing; exit 1 and name the files that would change
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: FmtArgs, io: &mut Io) -> i32 {
    let _ = args;
    io.stderr.push_str("error: `policy fmt` is not available yet\n");
    2
}

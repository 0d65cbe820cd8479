//! `policy log verify FILE`: checks a decision log's hash chain.

use clap::{Args, Subcommand};

use super::decision_log::verify;
use super::Io;

#[derive(Args)]
pub struct LogArgs {
    #[command(subcommand)]
    action: LogAction,
}

#[derive(Subcommand)]
enum LogAction {
    /// Check that no line of a decision log was edited, removed or moved
    #[command(
        after_help = "Exit status: 0 when the chain is intact; 1 when it is broken \
(the first broken line is named); 2 when the file cannot be read.\n\n\
The last hash printed seals the whole log: record it elsewhere (a CI artefact, a ticket) to \
detect lines removed from the end as well."
    )]
    Verify {
        /// The log written by `policy check --decision-log FILE`
        file: String,
    },
}

pub fn run(args: LogArgs, io: &mut Io) -> i32 {
    let LogAction::Verify { file } = args.action;
    let path = io.cwd.join(&file);
    let text = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            io.stderr.push_str(&format!(
                "error: cannot read `{file}`: {}\n",
                super::files::io_reason(&e)
            ));
            return 2;
        }
    };
    match verify(&text) {
        Ok((entries, last)) => {
            io.stdout.push_str(&format!(
                "{file}: {entries} entr{}, chain intact; last hash {last}\n",
                if entries == 1 { "y" } else { "ies" }
            ));
            0
        }
        Err(broken) => {
            io.stdout.push_str(&format!(
                "{file}:{}: the chain is broken: {}\n",
                broken.line, broken.reason
            ));
            1
        }
    }
}

//! `policy lsp`: the language server on standard input and output.

use clap::Args;

use super::Io;

#[derive(Args)]
pub struct LspArgs {
    /// Accepted for editors that pass it; the server always speaks over stdio
    #[arg(long, hide = true)]
    pub stdio: bool,
}

pub fn run(_args: LspArgs, io: &mut Io) -> i32 {
    match accord_lsp::serve_stdio(crate::ide::Workspace::new()) {
        Ok(()) => 0,
        Err(e) => {
            io.stderr.push_str(&format!(
                "error: the language server could not start: {e}\n"
            ));
            2
        }
    }
}

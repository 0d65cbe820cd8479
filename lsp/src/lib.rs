//! The Accord language server's protocol layer. It knows the Language Server
//! Protocol (tower-lsp-server, tokio, URIs, UTF-16 positions) and nothing of
//! the language: the features come from an [`Analysis`], which the `accord`
//! crate implements. So `accord` depends on this crate, never the reverse,
//! and one `policy` binary serves both the checker and `policy lsp`.

pub mod analysis;
mod lines;
mod server;

pub use analysis::Analysis;
pub use lines::LineIndex;
pub use server::Backend;
pub use tower_lsp_server::{jsonrpc, ls_types, ClientSocket, LspService};

/// Serves the language server on standard input and output until the client
/// says `exit`.
pub fn serve_stdio<A: Analysis>(analysis: A) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (service, socket) = LspService::new(move |client| Backend::new(client, analysis));
        tower_lsp_server::Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    Ok(())
}

/// The server as a service, for tests that talk to it in process.
pub fn service<A: Analysis>(analysis: A) -> (LspService<Backend<A>>, ClientSocket) {
    LspService::new(move |client| Backend::new(client, analysis))
}

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
use tokio::io::AsyncWriteExt;
pub use tower_lsp_server::{jsonrpc, ls_types, ClientSocket, LspService};

/// The largest message accepted from the client.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Serves the language server on standard input and output until the client
/// says `exit` or closes its end.
pub fn serve_stdio<A: Analysis>(analysis: A) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // Messages are framed here first: the protocol library stops reading
        // at the first malformed message, and one bad message from an editor
        // must not end the session.
        let (mut to_server, from_client) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
            while let Some(body) = read_message(&mut stdin).await {
                let valid =
                    serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object());
                if !valid {
                    eprintln!("accord lsp: ignored a message that is not a JSON object");
                    continue;
                }
                let header = format!("Content-Length: {}\r\n\r\n", body.len());
                if to_server.write_all(header.as_bytes()).await.is_err()
                    || to_server.write_all(&body).await.is_err()
                {
                    break;
                }
            }
        });
        let (service, socket) = LspService::new(move |client| Backend::new(client, analysis));
        tower_lsp_server::Server::new(from_client, tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    // The task reading standard input may still wait in a blocking read: do
    // not wait for it once the client has said `exit`.
    runtime.shutdown_background();
    Ok(())
}

/// The body of the next framed message; `None` at the end of input. A
/// message with a missing or bad `Content-Length` is skipped.
async fn read_message<R: tokio::io::AsyncBufRead + Unpin>(input: &mut R) -> Option<Vec<u8>> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt};
    loop {
        let mut length: Option<usize> = None;
        let mut saw_header = false;
        loop {
            let mut line = Vec::new();
            if input.read_until(b'\n', &mut line).await.ok()? == 0 {
                return None;
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim();
            if text.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            if let Some((name, value)) = text.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().ok();
                }
            }
        }
        match length {
            Some(n) if n <= MAX_MESSAGE => {
                let mut body = vec![0; n];
                input.read_exact(&mut body).await.ok()?;
                return Some(body);
            }
            _ => eprintln!("accord lsp: ignored a message without a valid Content-Length"),
        }
    }
}

/// The server as a service, for tests that talk to it in process.
pub fn service<A: Analysis>(analysis: A) -> (LspService<Backend<A>>, ClientSocket) {
    LspService::new(move |client| Backend::new(client, analysis))
}

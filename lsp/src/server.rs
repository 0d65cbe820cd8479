//! The Language Server Protocol over an [`Analysis`]: one handler per
//! request, each converting URIs and UTF-16 positions to paths and byte
//! offsets and back. The analysis runs under a mutex: its answers come from
//! caches and take microseconds to milliseconds.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::analysis::{
    self, Analysis, CompletionKind as CK, Severity as Sev, SymbolKind as SK, TokenKind,
};
use crate::lines::LineIndex;

pub struct Backend<A: Analysis> {
    client: Client,
    analysis: Mutex<A>,
    /// Embedded standard library modules are written here so editors can open them.
    stdlib_dir: PathBuf,
}

impl<A: Analysis> Backend<A> {
    pub fn new(client: Client, analysis: A) -> Self {
        let stdlib_dir =
            std::env::temp_dir().join(format!("accord-stdlib-{}", env!("CARGO_PKG_VERSION")));
        Backend {
            client,
            analysis: Mutex::new(analysis),
            stdlib_dir,
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut A) -> R) -> R {
        // A panic in one request must not take the server down with a poisoned lock.
        let mut guard = match self.analysis.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// The analysis's path for a URI (embedded modules map back to `<stdlib/…>`).
    fn path_of(&self, uri: &Uri) -> Option<PathBuf> {
        let path = uri.to_file_path()?.into_owned();
        if let Ok(rest) = path.strip_prefix(&self.stdlib_dir) {
            return Some(PathBuf::from(format!("<stdlib/{}>", rest.display())));
        }
        Some(path)
    }

    /// The URI of an analysis path; embedded modules are written to disk first.
    fn uri_of(&self, path: &Path, text: Option<&str>) -> Option<Uri> {
        let name = path.to_string_lossy();
        if let Some(inner) = name
            .strip_prefix("<stdlib/")
            .and_then(|n| n.strip_suffix('>'))
        {
            let file = self.stdlib_dir.join(inner);
            if let Some(text) = text {
                let _ = std::fs::create_dir_all(&self.stdlib_dir);
                if std::fs::read_to_string(&file).ok().as_deref() != Some(text) {
                    let _ = std::fs::write(&file, text);
                }
            }
            return Uri::from_file_path(&file);
        }
        Uri::from_file_path(path)
    }

    fn offset(&self, path: &Path, position: Position) -> Option<usize> {
        let text = self.with(|a| a.text(path))?;
        Some(LineIndex::new(&text).offset(position))
    }

    fn location(&self, r: &analysis::FileRange) -> Option<Location> {
        let text = self.with(|a| a.text(&r.path))?;
        let uri = self.uri_of(&r.path, Some(&text))?;
        Some(Location::new(uri, LineIndex::new(&text).range(&r.range)))
    }

    fn edits(&self, edits: Vec<analysis::FileEdit>) -> WorkspaceEdit {
        let mut changes: std::collections::HashMap<Uri, Vec<TextEdit>> = Default::default();
        for e in edits {
            let Some(text) = self.with(|a| a.text(&e.path)) else {
                continue;
            };
            let Some(uri) = self.uri_of(&e.path, Some(&text)) else {
                continue;
            };
            changes.entry(uri).or_default().push(TextEdit::new(
                LineIndex::new(&text).range(&e.range),
                e.new_text,
            ));
        }
        WorkspaceEdit::new(changes)
    }

    async fn publish(&self) {
        let all = self.with(|a| {
            a.diagnostics()
                .into_iter()
                .map(|(path, diags)| {
                    let text = a.text(&path).unwrap_or_default();
                    (path, text, diags)
                })
                .collect::<Vec<_>>()
        });
        for (path, text, diags) in all {
            let Some(uri) = self.uri_of(&path, Some(&text)) else {
                continue;
            };
            let index = LineIndex::new(&text);
            let diagnostics = diags
                .into_iter()
                .map(|d| Diagnostic {
                    range: index.range(&d.range),
                    severity: Some(match d.severity {
                        Sev::Error => DiagnosticSeverity::ERROR,
                        Sev::Warning => DiagnosticSeverity::WARNING,
                        Sev::Information => DiagnosticSeverity::INFORMATION,
                        Sev::Hint => DiagnosticSeverity::HINT,
                    }),
                    code: Some(NumberOrString::String(d.code)),
                    source: Some("accord".into()),
                    message: d.message,
                    ..Default::default()
                })
                .collect();
            self.client
                .publish_diagnostics(uri, diagnostics, None)
                .await;
        }
    }
}

fn symbol_kind(kind: SK) -> SymbolKind {
    match kind {
        SK::Policy => SymbolKind::MODULE,
        SK::Role => SymbolKind::CLASS,
        SK::Committee => SymbolKind::STRUCT,
        SK::System => SymbolKind::INTERFACE,
        SK::Data => SymbolKind::ENUM,
        SK::Tier => SymbolKind::PACKAGE,
        SK::Metric => SymbolKind::NUMBER,
        SK::Waiver => SymbolKind::EVENT,
        SK::Test => SymbolKind::METHOD,
        SK::Group => SymbolKind::NAMESPACE,
        SK::Rule => SymbolKind::FUNCTION,
        SK::Function => SymbolKind::FUNCTION,
        SK::Schema => SymbolKind::OBJECT,
        SK::Field => SymbolKind::FIELD,
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be given
fn document_symbol(index: &LineIndex, s: analysis::Symbol) -> DocumentSymbol {
    DocumentSymbol {
        name: s.name,
        detail: s.detail,
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: index.range(&s.range),
        selection_range: index.range(&s.selection),
        children: Some(
            s.children
                .into_iter()
                .map(|c| document_symbol(index, c))
                .collect(),
        ),
    }
}

fn token_type(kind: TokenKind) -> SemanticTokenType {
    match kind {
        TokenKind::Keyword => SemanticTokenType::KEYWORD,
        TokenKind::Type => SemanticTokenType::TYPE,
        TokenKind::Function => SemanticTokenType::FUNCTION,
        TokenKind::Variable => SemanticTokenType::VARIABLE,
        TokenKind::Property => SemanticTokenType::PROPERTY,
        TokenKind::String => SemanticTokenType::STRING,
        TokenKind::Number => SemanticTokenType::NUMBER,
        TokenKind::Comment => SemanticTokenType::COMMENT,
        TokenKind::Operator => SemanticTokenType::OPERATOR,
    }
}

impl<A: Analysis> LanguageServer for Backend<A> {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            if let Some(root) = params.root_uri.as_ref().and_then(|u| u.to_file_path()) {
                roots.push(root.into_owned());
            }
        }
        self.with(|a| a.set_roots(roots));
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "accord".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::FULL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Left(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".into()]),
                    ..Default::default()
                }),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: SemanticTokensLegend {
                                token_types: TokenKind::ALL
                                    .iter()
                                    .map(|k| token_type(*k))
                                    .collect(),
                                token_modifiers: Vec::new(),
                            },
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            ..Default::default()
                        },
                    ),
                ),
                code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
                inlay_hint_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.publish().await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        if let Some(path) = self.path_of(&params.text_document.uri) {
            self.with(|a| a.open(&path, params.text_document.text));
            self.publish().await;
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = self.path_of(&params.text_document.uri) else {
            return;
        };
        // Full synchronisation: the last change holds the whole text.
        if let Some(change) = params.content_changes.into_iter().last() {
            self.with(|a| a.open(&path, change.text));
            self.publish().await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        if let Some(path) = self.path_of(&params.text_document.uri) {
            self.with(|a| a.close(&path));
            self.publish().await;
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let Some(path) = self.path_of(&p.text_document.uri) else {
            return Ok(None);
        };
        let Some(offset) = self.offset(&path, p.position) else {
            return Ok(None);
        };
        Ok(self.with(|a| a.hover(&path, offset)).map(|text| Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: text,
            }),
            range: None,
        }))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let Some(path) = self.path_of(&p.text_document.uri) else {
            return Ok(None);
        };
        let Some(offset) = self.offset(&path, p.position) else {
            return Ok(None);
        };
        let targets = self.with(|a| a.definition(&path, offset));
        let locations: Vec<Location> = targets.iter().filter_map(|t| self.location(t)).collect();
        Ok((!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let Some(path) = self.path_of(&p.text_document.uri) else {
            return Ok(None);
        };
        let Some(offset) = self.offset(&path, p.position) else {
            return Ok(None);
        };
        let include = params.context.include_declaration;
        let found = self.with(|a| a.references(&path, offset, include));
        Ok(Some(
            found.iter().filter_map(|t| self.location(t)).collect(),
        ))
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let Some(path) = self.path_of(&p.text_document.uri) else {
            return Ok(None);
        };
        let Some(offset) = self.offset(&path, p.position) else {
            return Ok(None);
        };
        match self.with(|a| a.rename(&path, offset, &params.new_name)) {
            Ok(edits) => Ok(Some(self.edits(edits))),
            Err(why) => Err(Error::invalid_params(why)),
        }
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        let Some(path) = self.path_of(&p.text_document.uri) else {
            return Ok(None);
        };
        let Some(offset) = self.offset(&path, p.position) else {
            return Ok(None);
        };
        let items = self
            .with(|a| a.completion(&path, offset))
            .into_iter()
            .map(|c| CompletionItem {
                label: c.label,
                kind: Some(match c.kind {
                    CK::Keyword => CompletionItemKind::KEYWORD,
                    CK::Declaration => CompletionItemKind::CLASS,
                    CK::Field => CompletionItemKind::FIELD,
                    CK::Function => CompletionItemKind::FUNCTION,
                    CK::Variable => CompletionItemKind::VARIABLE,
                    CK::Value => CompletionItemKind::ENUM_MEMBER,
                }),
                detail: c.detail,
                ..Default::default()
            })
            .collect();
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let Some(path) = self.path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let (symbols, text) =
            self.with(|a| (a.document_symbols(&path), a.text(&path).unwrap_or_default()));
        let index = LineIndex::new(&text);
        Ok(Some(DocumentSymbolResponse::Nested(
            symbols
                .into_iter()
                .map(|s| document_symbol(&index, s))
                .collect(),
        )))
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let found = self.with(|a| a.workspace_symbols(&params.query));
        let mut out = Vec::new();
        for (path, s) in found {
            let r = analysis::FileRange {
                path,
                range: s.selection.clone(),
            };
            let Some(location) = self.location(&r) else {
                continue;
            };
            #[allow(deprecated)]
            out.push(SymbolInformation {
                name: s.name,
                kind: symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                location,
                container_name: s.detail,
            });
        }
        Ok(Some(WorkspaceSymbolResponse::Flat(out)))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let Some(path) = self.path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let (formatted, text) = self.with(|a| (a.format(&path), a.text(&path).unwrap_or_default()));
        let Some(formatted) = formatted else {
            return Ok(None);
        };
        if formatted == text {
            return Ok(Some(Vec::new()));
        }
        let index = LineIndex::new(&text);
        Ok(Some(vec![TextEdit::new(
            index.range(&(0..text.len())),
            formatted,
        )]))
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let Some(path) = self.path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let (mut tokens, text) =
            self.with(|a| (a.semantic_tokens(&path), a.text(&path).unwrap_or_default()));
        tokens.sort_by_key(|t| t.range.start);
        let index = LineIndex::new(&text);
        let mut data = Vec::new();
        let (mut last_line, mut last_start) = (0u32, 0u32);
        for t in tokens {
            let start = index.position(t.range.start);
            let end = index.position(t.range.end);
            if end.line != start.line || end.character <= start.character {
                continue; // tokens are single-line
            }
            let delta_line = start.line - last_line;
            let delta_start = if delta_line == 0 {
                start.character - last_start
            } else {
                start.character
            };
            data.push(SemanticToken {
                delta_line,
                delta_start,
                length: end.character - start.character,
                token_type: TokenKind::ALL
                    .iter()
                    .position(|k| *k == t.kind)
                    .unwrap_or(0) as u32,
                token_modifiers_bitset: 0,
            });
            last_line = start.line;
            last_start = start.character;
        }
        Ok(Some(SemanticTokensResult::Tokens(SemanticTokens {
            result_id: None,
            data,
        })))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let Some(path) = self.path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let Some(text) = self.with(|a| a.text(&path)) else {
            return Ok(None);
        };
        let index = LineIndex::new(&text);
        let range = index.offset(params.range.start)..index.offset(params.range.end);
        let fixes = self.with(|a| a.code_actions(&path, range));
        let actions = fixes
            .into_iter()
            .map(|f| {
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: f.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    edit: Some(self.edits(f.edits)),
                    is_preferred: Some(true),
                    ..Default::default()
                })
            })
            .collect();
        Ok(Some(actions))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let Some(path) = self.path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let (hints, text) =
            self.with(|a| (a.inlay_hints(&path), a.text(&path).unwrap_or_default()));
        let index = LineIndex::new(&text);
        Ok(Some(
            hints
                .into_iter()
                .map(|h| InlayHint {
                    position: index.position(h.offset),
                    label: InlayHintLabel::String(h.label),
                    kind: Some(InlayHintKind::TYPE),
                    text_edits: None,
                    tooltip: None,
                    padding_left: Some(false),
                    padding_right: Some(false),
                    data: None,
                })
                .collect(),
        ))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let Some(path) = self.path_of(&params.text_document.uri) else {
            return Ok(None);
        };
        let (ranges, text) = self.with(|a| (a.folding(&path), a.text(&path).unwrap_or_default()));
        let index = LineIndex::new(&text);
        Ok(Some(
            ranges
                .into_iter()
                .filter_map(|r| {
                    let (start, end) = (index.position(r.start), index.position(r.end));
                    (end.line > start.line).then(|| FoldingRange {
                        start_line: start.line,
                        end_line: end.line,
                        ..Default::default()
                    })
                })
                .collect(),
        ))
    }
}

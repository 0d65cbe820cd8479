//! The language server: every feature through the analysis (in process, with
//! fixtures as data), and the real `policy lsp` process over JSON-RPC.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use accord::ide::Workspace;
use accord_lsp::analysis::{Analysis, CompletionKind, Severity, SymbolKind, TokenKind};
use serde_json::{json, Value};

/// Files of a fixture: `### /path` lines start each file. `$0` marks the
/// cursor (removed from the text); the offset is returned with its file.
type Files = Vec<(PathBuf, String)>;

fn fixture(text: &str) -> (Files, Option<(PathBuf, usize)>) {
    let mut files = Vec::new();
    let mut cursor = None;
    for part in text.split("### ").filter(|p| !p.trim().is_empty()) {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        let path = PathBuf::from(format!("/ws{}", name.trim()));
        let body = match body.find("$0") {
            Some(at) => {
                cursor = Some((path.clone(), at));
                body.replacen("$0", "", 1)
            }
            None => body.to_string(),
        };
        files.push((path, body));
    }
    (files, cursor)
}

fn workspace(text: &str) -> (Workspace, PathBuf, usize) {
    let (files, cursor) = fixture(text);
    let mut ws = Workspace::new();
    ws.set_roots(Vec::new());
    for (path, body) in &files {
        ws.open(path, body.clone());
    }
    let (path, offset) = cursor.unwrap_or((files[0].0.clone(), 0));
    (ws, path, offset)
}

const MODEL: &str = r#"### /model.policy
role hr_director "HR Director" { department hr }
## The chief information officer.
role cio { department it }
system ats { kind "ats"  owner cio }
data candidate_record {
  classification confidential
  owner          hr_director
  steward        cio
  writers        [ats]
}
"#;

#[test]
fn hover_definition_references_rename() {
    let text = format!(
        "{MODEL}### /rules.policy\nrequirements ai_vendor {{\n  applies questionnaire\n  owner c$0io\n  must soc2 {{ require \"SOC 2\" in vendor.certifications }}\n}}\nwaiver w {{\n  rule     ai_vendor.soc2\n  target   \"Acme\"\n  until    2027-03-31\n  approved [hr_director, cio]\n}}\n"
    );
    let (mut ws, path, offset) = workspace(&text);
    let hover = ws.hover(&path, offset).expect("hover");
    assert!(
        hover.contains("**role** `cio`") && hover.contains("chief information officer"),
        "{hover}"
    );

    let def = ws.definition(&path, offset);
    assert_eq!(def.len(), 1);
    assert_eq!(def[0].path, PathBuf::from("/ws/model.policy"));
    let model = &fixture(MODEL).0[0].1;
    assert_eq!(&model[def[0].range.clone()], "cio");

    // cio: declared once, used as system owner, data steward, group owner, approver.
    let refs = ws.references(&path, offset, true);
    assert_eq!(refs.len(), 5, "{refs:?}");

    let edits = ws
        .rename(&path, offset, "chief_information_officer")
        .expect("rename");
    assert_eq!(edits.len(), 5);
    assert!(edits
        .iter()
        .all(|e| e.new_text == "chief_information_officer"));
    assert!(ws.rename(&path, offset, "not a name").is_err());

    // Renaming a rule of a group renames the last part of `group.rule` uses.
    let rules = fixture(&text).0[1].1.clone();
    let at = rules.find("soc2").expect("rule name");
    let edits = ws
        .rename(Path::new("/ws/rules.policy"), at + 1, "soc2_type2")
        .expect("rename rule");
    assert_eq!(edits.len(), 2, "{edits:?}");
    for e in &edits {
        assert_eq!(&rules[e.range.clone()], "soc2");
    }
}

#[test]
fn hover_on_paths_and_locals_and_inlay_hints() {
    let text = format!(
        "{MODEL}### /arch.policy\nmust flows_encrypted {{\n  applies manifest\n  each f in input.flows\n  when data[f.data].classification >= \"confidential\"\n  require f.encr$0yption.in_transit\n}}\n"
    );
    let (mut ws, path, offset) = workspace(&text);
    let hover = ws.hover(&path, offset).expect("hover on a schema field");
    assert!(
        hover.contains("encryption") && hover.contains("manifest.flows[].encryption"),
        "{hover}"
    );

    let hints = ws.inlay_hints(&path);
    assert!(
        hints.iter().any(|h| h.label == ": manifest.flows[]"),
        "{hints:?}"
    );

    // Go to definition of a schema field lands in the embedded prelude.
    let def = ws.definition(&path, offset);
    assert_eq!(def.len(), 1);
    assert_eq!(def[0].path, PathBuf::from("<stdlib/prelude.policy>"));
    assert!(ws.text(&def[0].path).is_some());
}

#[test]
fn completion_of_paths_names_and_keywords() {
    let cases: &[(&str, &str, bool)] = &[
        (
            "requirements g {\n  applies questionnaire\n  must m { require vendor.$0 }\n}\n",
            "certifications",
            true,
        ),
        (
            "must m {\n  applies manifest\n  each f in input.flows\n  require f.$0\n}\n",
            "encryption",
            true,
        ),
        (
            "must m {\n  applies manifest\n  require input.$0\n}\n",
            "flows",
            true,
        ),
        (
            "must m {\n  applies manifest\n  require data.$0\n}\n",
            "candidate_record",
            true,
        ),
        (
            "must m {\n  applies manifest\n  require data.candidate_record.$0\n}\n",
            "steward",
            true,
        ),
        (
            "must m {\n  applies manifest\n  require le$0\n}\n",
            "len",
            true,
        ),
        ("must m {\n  applies manifest\n  $0\n}\n", "require", true),
        (
            "must m {\n  applies manifest\n  require input.$0\n}\n",
            "vendor",
            false,
        ),
    ];
    for (body, want, present) in cases {
        let text = format!("{MODEL}### /c.policy\n{body}");
        let (mut ws, path, offset) = workspace(&text);
        let items = ws.completion(&path, offset);
        let labels: Vec<&str> = items.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels.contains(want), *present, "{body}: {labels:?}");
    }
    let (mut ws, path, offset) = workspace(&format!(
        "{MODEL}### /c.policy\nmust m {{\n  applies manifest\n  require le$0\n}}\n"
    ));
    assert!(ws
        .completion(&path, offset)
        .iter()
        .any(|c| c.label == "len" && c.kind == CompletionKind::Function));
}

#[test]
fn diagnostics_live_and_across_files_with_quick_fixes() {
    let (mut ws, _, _) = workspace(&format!(
        "{MODEL}### /a.policy\nrole auditor {{ department legal }}\n### /b.policy\nrole auditor {{ department it }}\nmust m {{ applies manifest  require data.candidate_record.classification == \"confidental\" }}\n"
    ));
    let all = ws.diagnostics();
    let of = |p: &str| -> Vec<String> {
        all.iter()
            .find(|(path, _)| path == Path::new(p))
            .map(|(_, d)| d.iter().map(|d| d.code.clone()).collect())
            .unwrap_or_default()
    };
    // The duplicate is shown in both files; the typo gets a quick fix.
    assert!(of("/ws/a.policy").contains(&"A101".to_string()), "{all:?}");
    assert!(of("/ws/b.policy").contains(&"A101".to_string()), "{all:?}");
    assert!(of("/ws/b.policy").contains(&"A112".to_string()), "{all:?}");
    assert!(of("/ws/model.policy").is_empty());
    let b = fixture("### /b.policy\nrole auditor { department it }\nmust m { applies manifest  require data.candidate_record.classification == \"confidental\" }\n").0[0].1.clone();
    let at = b.find("\"confidental\"").expect("typo");
    let fixes = ws.code_actions(Path::new("/ws/b.policy"), at..at + 1);
    assert_eq!(fixes.len(), 1, "{fixes:?}");
    assert_eq!(fixes[0].edits[0].new_text, "\"confidential\"");

    // Fixing the files clears their diagnostics.
    ws.open(
        Path::new("/ws/a.policy"),
        "role auditor { department legal }\n".into(),
    );
    ws.open(
        Path::new("/ws/b.policy"),
        "role tester { department it }\n".into(),
    );
    let all = ws.diagnostics();
    assert!(all.iter().all(|(_, d)| d.is_empty()), "{all:?}");
    assert!(all.iter().any(|(p, _)| p == Path::new("/ws/b.policy")));

    // An open questionnaire shows its failing answers as it is typed.
    ws.open(
        Path::new("/ws/rules.policy"),
        "requirements ai_vendor {\n  applies questionnaire\n  must soc2 \"SOC 2\" { require \"SOC 2 Type II\" in vendor.certifications }\n  should eu { require vendor.data_residency == \"EU\" }\n}\n".into(),
    );
    let doc = Path::new("/ws/acme.yaml");
    ws.open(doc, "kind: questionnaire\nid: Acme\nvendor:\n  name: Acme\n  certifications: [ISO 27001]\n  data_residency: US\n".into());
    let all = ws.diagnostics();
    let diags = &all
        .iter()
        .find(|(p, _)| p == doc)
        .expect("document diagnostics")
        .1;
    let soc2 = diags
        .iter()
        .find(|d| d.code == "ai_vendor.soc2")
        .expect("soc2");
    assert_eq!(soc2.severity, Severity::Error);
    assert_eq!(soc2.range, 52..66); // `certifications`
    assert!(diags
        .iter()
        .any(|d| d.code == "ai_vendor.eu" && d.severity == Severity::Warning));
    ws.open(doc, "kind: questionnaire\nid: Acme\nvendor:\n  name: Acme\n  certifications: [SOC 2 Type II]\n  data_residency: EU\n".into());
    let all = ws.diagnostics();
    assert!(all
        .iter()
        .find(|(p, _)| p == doc)
        .expect("document")
        .1
        .is_empty());
    // A YAML file that is not an Accord document is left alone.
    ws.open(Path::new("/ws/.github.yml"), "on: push\njobs: {}\n".into());
    assert!(ws
        .diagnostics()
        .iter()
        .all(|(p, d)| p != Path::new("/ws/.github.yml") || d.is_empty()));
}

#[test]
fn symbols_tokens_folding_formatting() {
    let (mut ws, _, _) = workspace(&format!(
        "{MODEL}### /g.policy\nrequirements ai_vendor \"AI\" {{\n  applies questionnaire\n  must soc2 {{ require vendor.name != \"\" }}\n}}\nfn ok(x) = x\n"
    ));
    let g = Path::new("/ws/g.policy");
    let symbols = ws.document_symbols(g);
    assert_eq!(symbols.len(), 2);
    assert_eq!(symbols[0].kind, SymbolKind::Group);
    assert_eq!(symbols[0].children[0].name, "soc2");
    assert!(ws
        .workspace_symbols("cand")
        .iter()
        .any(|(_, s)| s.name == "candidate_record"));
    let tokens = ws.semantic_tokens(g);
    assert_eq!(tokens[0].kind, TokenKind::Keyword);
    assert!(tokens.iter().any(|t| t.kind == TokenKind::String));
    assert!(!ws.folding(g).is_empty());
    ws.open(g, "role  x {department hr}\n".into());
    assert_eq!(ws.format(g).as_deref(), Some("role x { department hr }\n"));
    ws.open(g, "role x {\n".into());
    assert_eq!(
        ws.format(g),
        None,
        "a file that does not parse is not formatted"
    );
}

/// Any prefix of any example or standard library file: diagnostics, and
/// every request at the end of the text, without a panic.
#[test]
fn every_prefix_is_handled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples/acme/policies", "stdlib"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("dir").flatten() {
            if entry.path().extension().is_some_and(|e| e == "policy") {
                files.push(std::fs::read_to_string(entry.path()).expect("text"));
            }
        }
    }
    let mut ws = Workspace::new();
    ws.set_roots(Vec::new());
    let path = Path::new("/ws/typing.policy");
    for text in files {
        let cuts: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        for &cut in cuts.iter().step_by((cuts.len() / 60).max(1)) {
            let prefix = text[..cut].to_string();
            ws.open(path, prefix);
            let _ = ws.diagnostics();
            let _ = ws.hover(path, cut);
            let _ = ws.completion(path, cut);
            let _ = ws.definition(path, cut.saturating_sub(1));
            let _ = ws.semantic_tokens(path);
            let _ = ws.document_symbols(path);
            let _ = ws.inlay_hints(path);
            let _ = ws.code_actions(path, 0..cut);
        }
    }
}

// ---------------------------------------------------------------- end to end

struct Client {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start(root: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_policy"))
            .arg("lsp")
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start policy lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(v) = serde_json::from_slice(&body) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        Client {
            child,
            stdin,
            messages: rx,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    /// Bytes as they are, for messages a broken client might send.
    fn raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self
                .messages
                .recv_timeout(Duration::from_secs(20))
                .expect("a response");
            if m["id"] == id {
                return m["result"].clone();
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = self
                .messages
                .recv_timeout(Duration::from_secs(20))
                .expect("diagnostics");
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }
}

#[test]
fn language_server_over_stdio() {
    let dir = std::env::temp_dir().join(format!("accord-lsp-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let dir = std::fs::canonicalize(&dir).expect("canonical");
    std::fs::write(dir.join("model.policy"), "role cio { department it }\n").expect("write");
    let file = dir.join("rules.policy");
    let uri = format!("file://{}", file.display());
    let root_uri = format!("file://{}", dir.display());

    let mut client = Client::start(&dir);
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": root_uri, "capabilities": {}}),
    );
    assert_eq!(init["serverInfo"]["name"], "accord");
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    client.notify("initialized", json!({}));
    // Malformed messages are ignored; the session goes on.
    client.raw(b"Content-Length: 5\r\n\r\nnot j");
    client.raw(b"Content-Length: x\r\n\r\n");
    client.raw(b"Content-Length: 2\r\n\r\n[]");

    let broken = "must m { applies questionnaire  owner cio  require input.vendor.nme == \"x\" }\n";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "accord", "version": 1, "text": broken}}),
    );
    let diags = client.diagnostics_for(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "A201");
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": 0, "character": 64})
    );

    let fixed =
        "must m {\n  applies questionnaire\n  owner cio\n  require input.vendor.name == \"x\"\n}\n";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert!(client.diagnostics_for(&uri).is_empty());

    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 9}}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .contains("`cio`"),
        "{hover}"
    );

    let def = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 9}}),
    );
    assert!(
        def[0]["uri"]
            .as_str()
            .unwrap_or("")
            .ends_with("model.policy"),
        "{def}"
    );

    let rename = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 9}, "newName": "chief"}),
    );
    assert_eq!(
        rename["changes"].as_object().map(|c| c.len()),
        Some(2),
        "{rename}"
    );

    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "role  x {department hr}\n"}]}),
    );
    let _ = client.diagnostics_for(&uri);
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits[0]["newText"], "role x { department hr }\n");

    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().expect("exit");
    assert!(status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A real client: headless Neovim with the set-up of `docs/editors.md`
/// (read by the script) opens a policy with an error and gets diagnostics.
/// Skipped where `nvim` is missing, except in CI, which installs it.
#[test]
fn neovim_receives_diagnostics() {
    let has_nvim = Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_nvim {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Neovim (see .ci/run)"
        );
        eprintln!("skipped: nvim is not installed");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("accord-nvim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policies")).expect("dir");
    std::fs::write(dir.join("policy.toml"), "policies = [\"policies/\"]\n").expect("write");
    let file = dir.join("policies/main.policy");
    std::fs::write(&file, "role cio { department finance }\n").expect("write");
    let output = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!(
            "luafile {}",
            root.join("lsp/tests/nvim_diagnostics.lua").display()
        ))
        .arg(&file)
        .env("POLICY_BIN", env!("CARGO_BIN_EXE_policy"))
        .env("ACCORD_EDITORS_MD", root.join("docs/editors.md"))
        .env("POLICY_TIMEOUT_MS", "20000")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .expect("run nvim");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("DIAGNOSTICS ") && !stdout.contains("NO DIAGNOSTICS"),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Hover and completion as an editor shows them, reviewed as snapshots.
#[test]
fn hover_and_completion_snapshots() {
    let text = format!(
        "{MODEL}### /rules.policy\n## Vendors prove their controls.\nrequirements ai_vendor \"AI vendor\" {{\n  applies questionnaire\n  ## An audit less than a year old.\n  must soc2 \"SOC 2 report\" {{\n    section it\n    require \"SOC 2 Type II\" in vendor.certifications\n    cite    \"AICPA SOC 2\"\n  }}\n}}\nwaiver w {{\n  rule     ai_vendor.so$0c2\n  target   \"Acme\"\n  until    2027-03-31\n  approved [hr_director, cio]\n}}\n"
    );
    let (mut ws, path, offset) = workspace(&text);
    let mut shown = String::new();
    shown.push_str("--- hover on a rule id in a waiver\n");
    shown.push_str(&ws.hover(&path, offset).unwrap_or_default());
    let data = text
        .find("data candidate_record")
        .map(|i| i + 6)
        .unwrap_or(0);
    shown.push_str("\n--- hover on a data category\n");
    shown.push_str(
        &ws.hover(
            Path::new("/ws/model.policy"),
            data - MODEL.find("role").unwrap_or(0),
        )
        .unwrap_or_default(),
    );

    let (mut ws, path, offset) = workspace(&format!(
        "{MODEL}### /c.policy\nrequirements g {{\n  applies questionnaire\n  must m {{ require vendor.encryption.$0 }}\n}}\n"
    ));
    shown.push_str("\n--- completion after `vendor.encryption.`\n");
    for c in ws.completion(&path, offset) {
        shown.push_str(&format!(
            "{} ({:?}) {}\n",
            c.label,
            c.kind,
            c.detail.unwrap_or_default()
        ));
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("lsp_hover_and_completion", shown));
}

/// Sends one message to the server's service; its response, if any.
async fn call<S>(
    service: &mut S,
    req: accord_lsp::jsonrpc::Request,
) -> Option<accord_lsp::jsonrpc::Response>
where
    S: tower::Service<
        accord_lsp::jsonrpc::Request,
        Response = Option<accord_lsp::jsonrpc::Response>,
    >,
{
    use tower::ServiceExt;
    match service.ready().await {
        Ok(s) => s.call(req).await.ok().flatten(),
        Err(_) => None,
    }
}

/// The server in process, through its tower service, with a fake client
/// reading what the server sends (diagnostics) from the client socket.
#[test]
fn server_in_process_with_a_fake_client() {
    use accord_lsp::jsonrpc as request;
    use futures::StreamExt;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (mut service, mut socket) = accord_lsp::service(Workspace::new());
        let init = call(
            &mut service,
            request::Request::build("initialize")
                .params(json!({"processId": null, "capabilities": {}}))
                .id(1)
                .finish(),
        )
        .await
        .expect("initialize answered");
        assert!(init.is_ok());
        let _ = call(
            &mut service,
            request::Request::build("initialized")
                .params(json!({}))
                .finish(),
        )
        .await;
        let uri = "file:///ws/in-process.policy";
        let _ = call(
            &mut service,
            request::Request::build("textDocument/didOpen")
                .params(
                    json!({"textDocument": {"uri": uri, "languageId": "accord", "version": 1,
                    "text": "role cio { department finance }\n"}}),
                )
                .finish(),
        )
        .await;
        // The server publishes the diagnostics to the client.
        let published = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(message) = socket.next().await {
                let m = serde_json::to_value(&message).unwrap_or(Value::Null);
                if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                    return m["params"]["diagnostics"].clone();
                }
            }
            Value::Null
        })
        .await
        .expect("diagnostics published");
        assert_eq!(published[0]["code"], "A112", "{published}");
        let hover = call(
            &mut service,
            request::Request::build("textDocument/hover")
                .params(
                    json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 6}}),
                )
                .id(2)
                .finish(),
        )
        .await
        .expect("hover answered");
        let hover = serde_json::to_value(&hover).unwrap_or(Value::Null);
        assert!(
            hover["result"]["contents"]["value"]
                .as_str()
                .unwrap_or("")
                .contains("`cio`"),
            "{hover}"
        );
    });
}

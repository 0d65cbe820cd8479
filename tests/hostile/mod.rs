//! Hostile input against the built `policy` binary, as CI runs it: every
//! input gets an exit status, a message that says what is wrong, and never a
//! panic, a crash or a hang. The limits are in `src/limits.rs` and can be
//! raised on the command line; both sides of a raised limit are tried here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough for the slowest case in a debug build on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(120);

struct Run {
    code: i32,
    out: String,
}

fn scratch() -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("accord-hostile-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}

/// Runs `policy ARGS` in `dir`, killing it at the deadline (a hang fails).
fn policy(dir: &Path, args: &[&str]) -> Run {
    let out_path = dir.join("stdout.txt");
    let err_path = dir.join("stderr.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_policy"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("the policy binary starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("`policy {}` did not finish in {DEADLINE:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    let (stdout, stderr) = (read(&out_path), read(&err_path));
    assert!(
        !stderr.contains("panicked") && !stdout.contains("panicked"),
        "`policy {}` panicked:\n{stderr}",
        args.join(" ")
    );
    // Killed by a signal (a stack overflow aborts) has no code.
    let code = status.code().unwrap_or_else(|| {
        panic!(
            "`policy {}` was killed: {status:?}\n{stderr}",
            args.join(" ")
        )
    });
    Run {
        code,
        out: format!("{stdout}{stderr}"),
    }
}

fn put(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), contents).expect("write a test file");
}

fn expect(run: &Run, code: i32, message: &str, what: &str) {
    assert_eq!(
        run.code,
        code,
        "{what}: exit {}:\n{}",
        run.code,
        cut(&run.out)
    );
    assert!(
        run.out.contains(message),
        "{what}: no `{message}` in:\n{}",
        cut(&run.out)
    );
}

fn cut(text: &str) -> &str {
    let end = (0..=text.len().min(3000))
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    &text[..end]
}

const POLICY: &str = "requirements vendor {\n  applies questionnaire\n  must named { require vendor.name != \"\" }\n}\n";

fn setup() -> PathBuf {
    let dir = scratch();
    put(&dir, "p.policy", POLICY);
    dir
}

fn check(dir: &Path, file: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "check",
        file,
        "--policy",
        "p.policy",
        "--today",
        "2026-11-22",
    ];
    args.extend_from_slice(extra);
    policy(dir, &args)
}

#[test]
fn yaml_alias_bomb() {
    let dir = setup();
    let mut text = String::from("kind: questionnaire\nid: bomb\nvendor:\n  name: x\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    put(&dir, "bomb.yaml", text);
    let run = check(&dir, "bomb.yaml", &[]);
    expect(
        &run,
        2,
        "aliases expand the document to more than 1000000 nodes",
        "alias bomb",
    );
    let run = check(&dir, "bomb.yaml", &["--max-aliases", "100"]);
    expect(&run, 2, "more than 100 nodes", "alias bomb, lower limit");
}

#[test]
fn nesting_100_000_levels_deep() {
    let dir = setup();
    let deep = |open: &str, close: &str| {
        format!(
            "{{\"kind\": \"questionnaire\", \"id\": \"deep\", \"vendor\": {{\"name\": \"x\"}}, \"x\": {}{}}}",
            open.repeat(100_000),
            close.repeat(100_000)
        )
    };
    put(&dir, "deep.json", deep("[", "]"));
    expect(
        &check(&dir, "deep.json", &[]),
        2,
        "nests more than 256 levels deep",
        "JSON",
    );
    let yaml = format!(
        "kind: questionnaire\nid: deep\nvendor:\n  name: x\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    put(&dir, "deep.yaml", yaml);
    let run = check(&dir, "deep.yaml", &[]);
    expect(&run, 2, "levels deep", "YAML");
    // Raised, the limit lets a deep (but not absurd) document through.
    let json = format!(
        "{{\"kind\": \"questionnaire\", \"id\": \"deep\", \"vendor\": {{\"name\": \"x\"}}, \"x\": {}{}}}",
        "[".repeat(9_000),
        "]".repeat(9_000)
    );
    put(&dir, "raised.json", json);
    expect(
        &check(&dir, "raised.json", &[]),
        2,
        "nests more than 256",
        "below the raise",
    );
    let run = check(&dir, "raised.json", &["--max-depth", "10000"]);
    expect(&run, 0, "1 pass", "raised to 10000");
    let run = policy(
        &dir,
        &[
            "check",
            "raised.json",
            "--policy",
            "p.policy",
            "--max-depth",
            "10001",
        ],
    );
    expect(&run, 2, "10001", "above the ceiling");
}

#[test]
fn a_50_mb_document() {
    let dir = setup();
    let name = "x".repeat(50 * 1024 * 1024);
    let text = format!(
        "{{\"kind\": \"questionnaire\", \"id\": \"big\", \"vendor\": {{\"name\": \"{name}\"}}}}"
    );
    put(&dir, "big.json", text);
    expect(
        &check(&dir, "big.json", &[]),
        0,
        "1 pass",
        "50 MB, within the limit",
    );
    let run = check(&dir, "big.json", &["--max-document-mb", "10"]);
    expect(
        &run,
        2,
        "more than the limit of 10 MB",
        "50 MB, over a lowered limit",
    );
    assert!(
        run.out.contains("--max-document-mb"),
        "says how to raise it"
    );
}

/// A named pipe (`policy check <(...)` in a shell) has no size to read up
/// to: it is read to its end, or stopped one byte past the limit.
#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_to_its_end() {
    let dir = setup();
    let pipe = dir.join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("no mkfifo here: skipped");
        return;
    }
    let feed = |text: String| {
        let pipe = pipe.clone();
        std::thread::spawn(move || {
            // The checker may stop reading early (over the limit): a broken
            // pipe then is expected.
            let _ = std::fs::write(pipe, text);
        })
    };
    // A checker that never opened the pipe leaves the writer waiting for a
    // reader: this one reads it, so that the test fails instead of hanging.
    let finish = |writer: std::thread::JoinHandle<()>| {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        if !writer.is_finished() {
            let opened = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&pipe);
            if let Ok(mut reader) = opened {
                let started = Instant::now();
                let mut buffer = vec![0; 1 << 16];
                while !writer.is_finished() && started.elapsed() < DEADLINE {
                    if !matches!(reader.read(&mut buffer), Ok(n) if n > 0) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        }
        let _ = writer.join();
    };
    // Longer than one read of a pipe (64 KiB), and the failing answer last.
    let padding = format!("notes: \"{}\"\n", "n".repeat(200_000));
    let writer = feed(format!(
        "kind: questionnaire\nid: piped\n{padding}vendor:\n  name: \"\"\n"
    ));
    let run = check(&dir, "pipe.yaml", &[]);
    finish(writer);
    expect(&run, 1, "pipe.yaml", "a questionnaire through a pipe");
    assert!(run.out.contains("1 fail"), "{}", cut(&run.out));

    let writer = feed(format!(
        "kind: questionnaire\nid: piped\nnotes: \"{}\"\n",
        "n".repeat(1_500_000)
    ));
    let run = check(&dir, "pipe.yaml", &["--max-document-mb", "1"]);
    finish(writer);
    expect(
        &run,
        2,
        "more than the limit of 1 MB",
        "a pipe over the limit",
    );
}

#[test]
fn invalid_utf8() {
    let dir = setup();
    put(&dir, "bad.yaml", b"kind: questionnaire\nid: \xff\xfe\n");
    expect(
        &check(&dir, "bad.yaml", &[]),
        2,
        "is not valid UTF-8",
        "document",
    );
    put(
        &dir,
        "bad.policy",
        b"must m { applies questionnaire \xc3\x28 }",
    );
    let run = policy(&dir, &["check", "--policy", "bad.policy"]);
    expect(&run, 2, "is not valid UTF-8", "policy");
}

#[test]
fn random_bytes_as_document_and_policy() {
    let dir = setup();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..8 {
        let bytes: Vec<u8> = (0..4096).map(|_| (next() % 256) as u8).collect();
        put(&dir, "noise.yaml", &bytes);
        put(&dir, "noise.json", &bytes);
        put(&dir, "noise.policy", &bytes);
        for file in ["noise.yaml", "noise.json"] {
            let run = check(&dir, file, &[]);
            expect(&run, 2, "error[A3", &format!("round {round}, {file}"));
        }
        let run = policy(&dir, &["check", "--policy", "noise.policy"]);
        expect(&run, 2, "error[A", &format!("round {round}, policy"));
    }
}

#[test]
fn duplicate_keys() {
    let dir = setup();
    put(
        &dir,
        "dup.yaml",
        "kind: questionnaire\nid: dup\nvendor:\n  name: a\n  name: b\n",
    );
    expect(
        &check(&dir, "dup.yaml", &[]),
        2,
        "duplicate key `name`",
        "YAML",
    );
    put(&dir, "dup.json", "{\"kind\": \"questionnaire\", \"id\": \"dup\", \"id\": \"again\", \"vendor\": {\"name\": \"a\"}}",);
    expect(
        &check(&dir, "dup.json", &[]),
        2,
        "duplicate key `id`",
        "JSON",
    );
}

#[test]
fn huge_numbers() {
    let dir = setup();
    let policy_text =
        format!("{POLICY}schema questionnaire {{ n number? }}\nmust cap {{ applies questionnaire  require input.n > 1000 }}\n");
    put(&dir, "p.policy", policy_text);
    let doc = |n: &str| {
        format!("{{\"kind\": \"questionnaire\", \"id\": \"n\", \"vendor\": {{\"name\": \"a\"}}, \"n\": {n}}}")
    };
    put(&dir, "overflow.json", doc("1e999"));
    expect(
        &check(&dir, "overflow.json", &[]),
        2,
        "malformed JSON",
        "1e999",
    );
    put(&dir, "long.json", doc(&"9".repeat(400)));
    expect(
        &check(&dir, "long.json", &[]),
        2,
        "malformed JSON",
        "400 digits",
    );
    put(&dir, "wide.json", doc("123456789012345678901234567890"));
    expect(
        &check(&dir, "wide.json", &[]),
        0,
        "1 pass",
        "30 digits, within range",
    );
    put(
        &dir,
        "overflow.yaml",
        "kind: questionnaire\nid: n\nvendor:\n  name: a\nn: 1e999\n",
    );
    let run = check(&dir, "overflow.yaml", &[]);
    assert!(matches!(run.code, 1 | 2), "YAML 1e999: {}", cut(&run.out));
}

#[test]
fn unterminated_strings() {
    let dir = setup();
    put(
        &dir,
        "open.json",
        "{\"kind\": \"questionnaire\", \"id\": \"op",
    );
    expect(
        &check(&dir, "open.json", &[]),
        2,
        "unterminated string",
        "JSON",
    );
    put(
        &dir,
        "open.yaml",
        "kind: questionnaire\nid: \"open\nvendor: x\n",
    );
    expect(&check(&dir, "open.yaml", &[]), 2, "malformed YAML", "YAML");
    put(
        &dir,
        "open.policy",
        "must m { applies questionnaire  require input.vendor.name == \"abc }\n",
    );
    let run = policy(&dir, &["check", "--policy", "open.policy"]);
    expect(&run, 2, "error[A0", "policy");
}

#[test]
fn two_hundred_thousand_rules() {
    let dir = setup();
    let rules: String = (0..200_000)
        .map(|i| {
            format!("must r{i} {{ applies questionnaire  require input.vendor.name != \"\" }}\n")
        })
        .collect();
    put(&dir, "many.policy", rules);
    put(
        &dir,
        "q.yaml",
        "kind: questionnaire\nid: q\nvendor:\n  name: a\n",
    );
    let run = policy(
        &dir,
        &[
            "check",
            "q.yaml",
            "--policy",
            "many.policy",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", cut(&run.out));
    let json: serde_json::Value = serde_json::from_str(&run.out).expect("JSON output");
    let results = json["documents"][0]["results"].as_array().map(Vec::len);
    assert_eq!(results, Some(200_000));
}

#[test]
fn fifty_thousand_nested_parentheses() {
    let dir = setup();
    let text = format!(
        "must m {{ applies questionnaire  require {}true{} }}\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    put(&dir, "parens.policy", text);
    let run = policy(&dir, &["check", "--policy", "parens.policy"]);
    expect(&run, 2, "nested more than 200 deep", "parentheses");
}

#[test]
fn a_quadratic_rule_is_stopped_not_passed() {
    let dir = setup();
    let items: Vec<String> = (0..3000).map(|i| format!("\"s{i}\"")).collect();
    put(&dir, "list.json", format!("{{\"kind\": \"questionnaire\", \"id\": \"l\", \"vendor\": {{\"name\": \"a\"}}, \"xs\": [{}]}}", items.join(", ")),);
    put(&dir, "quad.policy", "schema questionnaire { xs [string] }\nmust unique { applies questionnaire  each a in input.xs  require (count b in input.xs: b == a) == 1 }\n",);
    let args = [
        "check",
        "list.json",
        "--policy",
        "quad.policy",
        "--max-steps",
        "100000",
    ];
    expect(
        &policy(&dir, &args),
        2,
        "took more than 100000 steps",
        "stopped",
    );
    let args = [
        "check",
        "list.json",
        "--policy",
        "quad.policy",
        "--max-steps",
        "100000000",
    ];
    let run = policy(&dir, &args);
    assert!(matches!(run.code, 0 | 1), "raised: {}", cut(&run.out));
}

/// Found by fuzzing: thousands of errors on one long line were each drawn
/// with the whole line (gigabytes of output). A file shows at most 100.
#[test]
fn thousands_of_errors_on_one_line() {
    let dir = setup();
    let keys: Vec<String> = (0..3000).map(|_| "\"id\": \"x\"".to_string()).collect();
    put(
        &dir,
        "dup.json",
        format!("{{\"kind\": \"questionnaire\", {}}}", keys.join(", ")),
    );
    let run = check(&dir, "dup.json", &[]);
    expect(
        &run,
        2,
        "more problems in this file are not shown",
        "3,000 duplicates",
    );
    assert!(
        run.out.len() < 20_000_000,
        "{} bytes of output",
        run.out.len()
    );
}

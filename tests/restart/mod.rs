//! The `policy` binary may start itself again as it begins, to ask glibc
//! for 2 MB heap pages (`src/main.rs`). That must not be seen from outside:
//! standard input, the arguments and the working directory reach the
//! command as given, and the output and exit status are those of a run that
//! was not restarted (`glibc.malloc.hugetlb` set by the caller stops it).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `policy ARGS` in `dir` with `stdin`; `tunables` is the value of
/// `GLIBC_TUNABLES`, or `None` to run without it.
fn policy(dir: &Path, args: &[&str], stdin: &[u8], tunables: Option<&str>) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_policy"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match tunables {
        Some(value) => command.env("GLIBC_TUNABLES", value),
        None => command.env_remove("GLIBC_TUNABLES"),
    };
    let mut child = command.spawn().expect("the policy binary starts");
    let mut input = child.stdin.take().expect("a pipe to standard input");
    input.write_all(stdin).expect("write standard input");
    drop(input);
    let out = child.wait_with_output().expect("the policy binary ends");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_restarted_command_reads_and_writes_what_one_not_restarted_does() {
    let dir = std::env::temp_dir().join(format!("accord-restart-{}", std::process::id()));
    let policies = dir.join("pölicies with space");
    std::fs::create_dir_all(&policies).expect("directories");
    std::fs::write(
        policies.join("vendor.policy"),
        "must named \"A vendor gives its name\" {\n  applies questionnaire\n  require input.vendor.name != \"\"\n}\n",
    )
    .expect("write the policy");
    let stdin = b"kind: questionnaire\nid: From standard input\nvendor:\n  name: \"\"\n";
    let args = [
        "check",
        "-",
        "--policy",
        "pölicies with space",
        "--today",
        "2026-11-21",
        "--format",
        "json",
    ];

    let (code, out) = policy(&dir, &args, stdin, None);
    assert_eq!(code, 1, "the questionnaire fails its rule: {out}");
    assert!(out.contains("\"id\": \"From standard input\""), "{out}");
    assert!(out.contains("\"outcome\": \"fail\""), "{out}");
    // The caller's own tunables are kept; the hugetlb one stops the restart.
    for tunables in ["glibc.malloc.hugetlb=0", "glibc.malloc.arena_max=4"] {
        let (other_code, other) = policy(&dir, &args, stdin, Some(tunables));
        assert_eq!((other_code, &other), (code, &out), "with {tunables}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! Language server latency on a generated 5,000-line policy workspace:
//! diagnostics after a change, hover and completion. Prints p50 and p99.
//! Run with `cargo bench --bench lsp_latency`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use accord::ide::Workspace;
use accord_lsp::analysis::Analysis;

/// One file of about 100 lines: roles, systems, data categories and rules.
fn file(n: usize) -> String {
    let mut s = format!("## Generated policy file {n}.\n");
    s.push_str(&format!(
        "role hr_{n} \"HR owner {n}\" {{ department hr }}\n"
    ));
    s.push_str(&format!(
        "role it_{n} \"IT steward {n}\" {{ department it }}\n"
    ));
    s.push_str(&format!(
        "system sys_{n} {{\n  kind  \"hris\"\n  owner it_{n}\n}}\n"
    ));
    for d in 0..4 {
        s.push_str(&format!(
            "data cat_{n}_{d} \"Category {n}.{d}\" {{\n  classification   confidential\n  owner            hr_{n}\n  steward          it_{n}\n  system_of_record sys_{n}\n  writers          [sys_{n}]\n  retention        1y\n}}\n"
        ));
    }
    s.push_str(&format!(
        "requirements vendor_{n} \"Vendor rules {n}\" {{\n  applies questionnaire\n"
    ));
    for r in 0..6 {
        s.push_str(&format!(
            "  should rule_{r} \"Rule {r}\" {{\n    section it\n    weight  2\n    require vendor.encryption.in_transit and vendor.breach_notification_hours <= 72\n    message \"{{vendor.name}} misses rule {r}\"\n  }}\n"
        ));
    }
    s.push_str("}\n");
    s.push_str(&format!(
        "must flows_{n} {{\n  applies manifest\n  each f in input.flows\n  when data[f.data].classification >= \"confidential\"\n  require f.encryption.in_transit\n}}\n"
    ));
    s
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i.min(samples.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    let p50 = percentile(&mut samples, 0.5);
    let p99 = percentile(&mut samples, 0.99);
    println!(
        "{name:<40} p50 {:>8.2} ms   p99 {:>8.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}

fn main() {
    let mut ws = Workspace::new();
    ws.set_roots(Vec::new());
    let mut lines = 0;
    let files: Vec<(PathBuf, String)> = (0..60)
        .map(|n| (PathBuf::from(format!("/ws/p{n:03}.policy")), file(n)))
        .collect();
    for (path, text) in &files {
        lines += text.lines().count();
        ws.open(path, text.clone());
    }
    let start = Instant::now();
    let _ = ws.diagnostics();
    println!(
        "workspace: {} files, {lines} lines; first analysis {:.1} ms",
        files.len(),
        start.elapsed().as_secs_f64() * 1e3
    );

    let (edited, base) = &files[7];
    let hover_at = base
        .find("owner            hr_7")
        .map(|i| i + 18)
        .unwrap_or(0);
    let dot_at = base.find("vendor.encryption").map(|i| i + 7).unwrap_or(0);
    let rounds = 200;

    let mut diag = Vec::new();
    for i in 0..rounds {
        // A change: a comment typed at the end of one file.
        let text = format!("{base}# edit {i}\n");
        let t = Instant::now();
        ws.open(edited, text);
        let _ = ws.diagnostics();
        diag.push(t.elapsed());
    }
    report("diagnostics after a change", diag);

    let mut hover = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let _ = ws.hover(Path::new(edited), hover_at);
        hover.push(t.elapsed());
    }
    report("hover (cached analysis)", hover);

    let mut completion = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let items = ws.completion(Path::new(edited), dot_at);
        assert!(!items.is_empty());
        completion.push(t.elapsed());
    }
    report("completion after `.` (cached analysis)", completion);

    let mut document = Vec::new();
    let doc = Path::new("/ws/vendor.yaml");
    for i in 0..rounds {
        let text = format!("kind: questionnaire\nid: V\nvendor:\n  name: Vendor {i}\n  encryption: {{ in_transit: true }}\n  breach_notification_hours: 48\n");
        let t = Instant::now();
        ws.open(doc, text);
        let _ = ws.diagnostics();
        document.push(t.elapsed());
    }
    report("live verdicts on an open questionnaire", document);
}

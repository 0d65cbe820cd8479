//! Checker throughput on generated workloads, beside the cost of merely
//! parsing the same documents: with positions (Accord's loaders) and without
//! (serde_json). Run with `cargo bench --bench throughput`.
//!
//! Groundwork for the performance work: the peer comparison (regorus on the
//! same rules) and the scaling runs are still to come.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use accord::input::Format;
use accord::source::SourceMap;
use accord::Engine;

const POLICY: &str = r#"
role hr { department hr }
role it { department it }
"#;

/// 60 data categories over 40 systems, rules on manifests and questionnaires.
fn policy() -> String {
    let mut s = POLICY.to_string();
    for i in 0..40 {
        let _ = writeln!(s, "system sys{i} {{ kind \"app\"  owner it }}");
    }
    for i in 0..60 {
        let class = ["public", "internal", "confidential", "restricted"][i % 4];
        let _ = writeln!(
            s,
            "data cat{i} {{ classification {class}  owner hr  steward it  system_of_record sys{}  writers [sys{}, sys{}] }}",
            i % 40,
            i % 40,
            (i + 1) % 40
        );
    }
    s.push_str(
        r#"
must encrypted { applies manifest  each f in input.flows  when data[f.data].classification > "public"  require f.encryption.in_transit }
must writers { applies manifest  each f in input.flows  when f.writes ?? false  require f.to in data[f.data].writers }
must known_systems { applies manifest  each f in input.flows  require f.from in systems and f.to in systems }
requirements vendor {
  applies questionnaire
  must soc2 { require "SOC 2 Type II" in vendor.certifications }
  should eu { require vendor.data_residency == "EU" }
  should sso { require vendor.sso.saml or vendor.sso.oidc }
  may breach { require vendor.breach_notification_hours <= 72 }
}
"#,
    );
    s
}

fn manifest(flows: usize) -> String {
    let mut s = String::from("{\"kind\": \"manifest\", \"id\": \"m\", \"flows\": [\n");
    for i in 0..flows {
        let sep = if i + 1 == flows { "" } else { "," };
        let _ = writeln!(
            s,
            "{{\"from\": \"sys{}\", \"to\": \"sys{}\", \"data\": \"cat{}\", \"writes\": {}, \"encryption\": {{\"in_transit\": {}}}}}{sep}",
            i % 40,
            (i * 7 + 1) % 41,
            i % 60,
            i % 3 == 0,
            i % 5 != 0
        );
    }
    s.push_str("]}\n");
    s
}

fn questionnaire(i: usize) -> String {
    format!(
        "kind: questionnaire\nid: vendor-{i}\nvendor:\n  name: Vendor {i}\n  certifications: [\"SOC 2 Type II\"]\n  data_residency: {}\n  sso: {{ saml: {} }}\n  breach_notification_hours: {}\n",
        if i % 2 == 0 { "EU" } else { "US" },
        i % 3 == 0,
        24 + i % 100
    )
}

fn time<F: FnMut()>(mut f: F) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    best
}

fn main() {
    let policy = policy();
    println!(
        "{:<34} {:>12} {:>14} {:>14} {:>10}",
        "workload", "check", "parse (pos.)", "serde_json", "results"
    );
    for flows in [1_000, 10_000, 100_000] {
        let text = manifest(flows);
        let mut results = 0;
        let check = time(|| {
            let mut engine = Engine::new(vec![("p.policy".into(), policy.clone())]);
            let (docs, _) = engine.check_text("m.json", text.clone(), Format::Json, 20_000);
            results = docs.iter().map(|d| d.report.results.len()).sum();
        });
        let parse = time(|| {
            let mut sources = SourceMap::new();
            let f = sources.add("m.json", text.clone());
            let _ = accord::input::load(&sources, f, Format::Json);
        });
        let serde = time(|| {
            let _: serde_json::Value =
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        });
        println!(
            "{:<34} {:>9.1} ms {:>11.1} ms {:>11.1} ms {:>10}",
            format!("manifest, {flows} flows ({} KB)", text.len() / 1024),
            check.as_secs_f64() * 1e3,
            parse.as_secs_f64() * 1e3,
            serde.as_secs_f64() * 1e3,
            results
        );
    }
    for count in [100, 1_000] {
        let docs: Vec<String> = (0..count).map(questionnaire).collect();
        let mut results = 0;
        let check = time(|| {
            let mut engine = Engine::new(vec![("p.policy".into(), policy.clone())]);
            results = 0;
            for (i, d) in docs.iter().enumerate() {
                let (checked, _) =
                    engine.check_text(&format!("q{i}.yaml"), d.clone(), Format::Yaml, 20_000);
                results += checked
                    .iter()
                    .map(|c| c.report.results.len())
                    .sum::<usize>();
            }
        });
        let parse = time(|| {
            let mut sources = SourceMap::new();
            for d in &docs {
                let f = sources.add("q.yaml", d.clone());
                let _ = accord::input::load(&sources, f, Format::Yaml);
            }
        });
        println!(
            "{:<34} {:>9.1} ms {:>11.1} ms {:>14} {:>10}",
            format!("{count} questionnaires (YAML)"),
            check.as_secs_f64() * 1e3,
            parse.as_secs_f64() * 1e3,
            "-",
            results
        );
    }
}

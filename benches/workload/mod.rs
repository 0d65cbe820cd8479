//! Generated workloads for the benchmarks: one policy written twice (Accord
//! and Rego), and documents of any size that exercise it.
//!
//! The model: 40 systems and 60 data categories (4 classifications, an HR
//! owner, an IT steward, writers, required fields). The documents:
//!
//! - a manifest of N flows between the systems (3 rules, each run per flow);
//! - vendor questionnaires (4 requirements, one `must`, two `should`, one `may`);
//! - change requests of 1 to 4 changes (5 rules, each run per change).
//!
//! Every document is deterministic (a function of its index) and fails a
//! known share of the rules. Every value a rule reads is present, so Accord
//! gives `pass` or `fail`, never `indeterminate`, and a Rego violation is
//! exactly an Accord `fail`.

#![allow(dead_code)] // each bench target uses its own part

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The Rego side of the policy (`package accord`, `data.accord.violations`).
pub const REGO: &str = include_str!("rules.rego");

pub const SYSTEMS: usize = 40;
pub const CATEGORIES: usize = 60;
const CLASSIFICATIONS: [&str; 4] = ["public", "internal", "confidential", "restricted"];
const FIELDS: [&str; 6] = ["id", "name", "email", "start_date", "cost_center", "title"];
const CHANGE_KINDS: [&str; 7] = [
    "add_field",
    "remove_field",
    "rename_field",
    "change_type",
    "change_mapping",
    "ai_config",
    "integration",
];

/// Rules run per manifest flow, per questionnaire, per change of a change request.
pub const MANIFEST_RULES: usize = 3;
pub const QUESTIONNAIRE_RULES: usize = 4;
pub const CHANGE_RULES: usize = 5;

/// The date the whole-process runs pass as `--today`.
pub const TODAY: &str = "2026-11-22";

fn classification(category: usize) -> &'static str {
    CLASSIFICATIONS[category % CLASSIFICATIONS.len()]
}

fn writers(category: usize) -> [usize; 2] {
    [category % SYSTEMS, (category + 1) % SYSTEMS]
}

fn required_fields(category: usize) -> [&'static str; 2] {
    ["id", FIELDS[1 + category % 5]]
}

/// The Accord policy: the declarations and every rule of the benchmark.
pub fn policy() -> String {
    let mut s = String::from("role hr { department hr }\nrole it { department it }\n");
    for i in 0..SYSTEMS {
        let _ = writeln!(s, "system sys{i} {{ kind \"app\"  owner it }}");
    }
    for i in 0..CATEGORIES {
        let [w1, w2] = writers(i);
        let [r1, r2] = required_fields(i);
        let _ = writeln!(
            s,
            "data cat{i} {{ classification {}  owner hr  steward it  system_of_record sys{}  writers [sys{w1}, sys{w2}]  required_fields [\"{r1}\", \"{r2}\"] }}",
            classification(i),
            i % SYSTEMS,
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

fn approved_by(r) = any a in input.approvals ?? []: a.role == r
must cr_governed { applies change_request  each c in input.changes  when exists(c.data)  require exists(data[c.data]) }
must cr_names_data { applies change_request  each c in input.changes  when c.kind in ["add_field", "remove_field", "rename_field", "change_type"]  require exists(c.data) }
must cr_owner { applies change_request  each c in input.changes  when exists(c.data) and exists(data[c.data])  require approved_by(data[c.data].owner) }
must cr_steward { applies change_request  each c in input.changes  when exists(c.data) and exists(data[c.data])  require approved_by(data[c.data].steward) }
must cr_required { applies change_request  each c in input.changes  when c.kind == "remove_field" or c.kind == "rename_field"  when exists(data[c.data])  require not (c.field in data[c.data].required_fields ?? []) }
"#,
    );
    s
}

/// The declarations of [`policy`] as the `data` document of the Rego side.
pub fn rego_data() -> String {
    let mut systems = serde_json::Map::new();
    for i in 0..SYSTEMS {
        systems.insert(
            format!("sys{i}"),
            serde_json::json!({"kind": "app", "owner": "it"}),
        );
    }
    let mut categories = serde_json::Map::new();
    for i in 0..CATEGORIES {
        let [w1, w2] = writers(i);
        categories.insert(
            format!("cat{i}"),
            serde_json::json!({
                "classification": classification(i),
                "owner": "hr",
                "steward": "it",
                "system_of_record": format!("sys{}", i % SYSTEMS),
                "writers": [format!("sys{w1}"), format!("sys{w2}")],
                "required_fields": required_fields(i),
            }),
        );
    }
    let levels: serde_json::Map<String, serde_json::Value> = CLASSIFICATIONS
        .iter()
        .enumerate()
        .map(|(rank, c)| (c.to_string(), rank.into()))
        .collect();
    serde_json::json!({"systems": systems, "categories": categories, "levels": levels}).to_string()
}

/// A manifest of `flows` flows (JSON, one flow a line). Flows end at
/// `sys40`, a system nobody declared, one time in 41; a third of them write;
/// one in five is not encrypted.
pub fn manifest(flows: usize) -> String {
    let mut s = String::with_capacity(flows * 110 + 64);
    s.push_str("{\"kind\": \"manifest\", \"id\": \"integrations\", \"flows\": [\n");
    for i in 0..flows {
        let sep = if i + 1 == flows { "" } else { "," };
        let _ = writeln!(
            s,
            "  {{\"from\": \"sys{}\", \"to\": \"sys{}\", \"data\": \"cat{}\", \"writes\": {}, \"encryption\": {{\"in_transit\": {}}}}}{sep}",
            i % SYSTEMS,
            (i * 7 + 1) % (SYSTEMS + 1),
            i % CATEGORIES,
            i % 3 == 0,
            i % 5 != 0
        );
    }
    s.push_str("]}\n");
    s
}

/// Vendor `i`'s answers (YAML).
pub fn questionnaire(i: usize) -> String {
    let certifications = match i % 7 {
        0 => "[]",
        1 => "[\"ISO 27001\"]",
        _ => "[\"SOC 2 Type II\", \"ISO 27001\"]",
    };
    format!(
        "kind: questionnaire\nid: vendor-{i}\nvendor:\n  name: Vendor {i}\n  product: Product {i}\n  certifications: {certifications}\n  data_residency: {}\n  sso: {{ saml: {}, oidc: {} }}\n  breach_notification_hours: {}\n  subprocessors: [\"Cloud {}\", \"Support {}\"]\n",
        if i % 2 == 0 { "EU" } else { "US" },
        i % 3 == 0,
        i % 4 == 0,
        24 + i % 100,
        i % 5,
        i % 3
    )
}

/// How many changes change request `i` has.
pub fn changes_in(i: usize) -> usize {
    1 + i % 4
}

/// Change request `i` (YAML): some changes name no category or an
/// undeclared one, some remove required fields, and the approvals vary.
pub fn change_request(i: usize) -> String {
    let mut s = format!(
        "kind: change_request\nid: CR-{i}\ntitle: Change request {i}\nauthor: Author {}\nchanges:\n",
        i % 17
    );
    for j in 0..changes_in(i) {
        let k = i + j;
        let _ = write!(
            s,
            "  - kind: {}\n    system: sys{}\n    field: {}\n",
            CHANGE_KINDS[k % CHANGE_KINDS.len()],
            k % SYSTEMS,
            FIELDS[(i * 3 + j) % FIELDS.len()]
        );
        if k % 11 == 0 {
            // no category named
        } else if k % 13 == 0 {
            let _ = writeln!(s, "    data: cat{}", CATEGORIES + k % 5);
        } else {
            let _ = writeln!(s, "    data: cat{}", (i * 3 + j) % CATEGORIES);
        }
    }
    let approvals: &[&str] = match i % 4 {
        0 => &["hr", "it"],
        1 => &["hr"],
        2 => &["it"],
        _ => &[],
    };
    if !approvals.is_empty() {
        s.push_str("approvals:\n");
        for (n, role) in approvals.iter().enumerate() {
            let _ = writeln!(
                s,
                "  - role: {role}\n    name: Approver {n}\n    date: \"2026-10-{:02}\"",
                1 + (i + n) % 28
            );
        }
    }
    s
}

/// Rule evaluations of a document: the number of (rule, item) pairs a rule
/// is run on, where an item is a flow, a change, or the document itself.
pub fn manifest_evaluations(flows: usize) -> usize {
    flows * MANIFEST_RULES
}

pub fn change_request_evaluations(count: usize) -> usize {
    (0..count).map(changes_in).sum::<usize>() * CHANGE_RULES
}

/// A temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("accord-bench-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the policy in both languages into `dir`: `bench.policy`,
/// `rules.rego`, `data.json`. Returns their paths in that order.
pub fn write_policies(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let paths = (
        dir.join("bench.policy"),
        dir.join("rules.rego"),
        dir.join("data.json"),
    );
    write(&paths.0, &policy());
    write(&paths.1, REGO);
    write(&paths.2, &rego_data());
    paths
}

/// Writes a documents directory: a manifest of `flows` flows (none if 0),
/// `questionnaires` questionnaire files and `change_requests` change requests.
pub fn write_documents(dir: &Path, flows: usize, questionnaires: usize, change_requests: usize) {
    std::fs::create_dir_all(dir).expect("create the documents directory");
    if flows > 0 {
        write(&dir.join("manifest.json"), &manifest(flows));
    }
    if questionnaires > 0 {
        let vendors = dir.join("vendors");
        std::fs::create_dir_all(&vendors).expect("create the vendors directory");
        for i in 0..questionnaires {
            write(
                &vendors.join(format!("vendor-{i:05}.yaml")),
                &questionnaire(i),
            );
        }
    }
    if change_requests > 0 {
        let changes = dir.join("changes");
        std::fs::create_dir_all(&changes).expect("create the changes directory");
        for i in 0..change_requests {
            write(&changes.join(format!("cr-{i:05}.yaml")), &change_request(i));
        }
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

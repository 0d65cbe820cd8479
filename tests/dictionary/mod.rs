//! `policy diff` on two versions of a data dictionary: each kind of change
//! found and located, renames told apart from a removal and an addition, and
//! the change request skeleton it writes is a valid `change_request`.

use std::path::{Path, PathBuf};

use serde_json::Value;

const V1: &str = "\
kind: data_dictionary
id: hr-dictionary
systems:
  - name: ats
    fields:
      - { name: candidate_id, type: string, data: candidate_records, required: true }
      - { name: start_date, type: date, data: employment }
      - { name: legacy_code, type: string }
  - name: hris
    fields:
      - name: employee_id
        type: string
        data: employee_records
      - name: employment_begin_date
        type: date
        data: employment
      - name: cost_center
        type: string
mappings:
  - name: start date
    fields: [ats.start_date, hris.employment_begin_date]
";

const V2: &str = "\
kind: data_dictionary
id: hr-dictionary
systems:
  - name: ats
    fields:
      - { name: candidate_id, type: string, data: candidate_records, required: true }
      - { name: start_date, type: date, data: employment }
  - name: hris
    fields:
      - name: worker_id
        type: string
        data: employee_records
      - name: employment_begin_date
        type: date
        data: employment
      - name: cost_center
        type: number
      - name: national_id
        type: string
        data: employee_records
        pii: true
  - name: directory
    fields:
      - name: account_activation_date
        type: date
        data: employment
mappings:
  - name: start date
    fields: [ats.start_date, hris.employment_begin_date, directory.account_activation_date]
";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("accord-diff-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temporary directory");
    std::fs::write(dir.join("v1.yaml"), V1).expect("write");
    std::fs::write(dir.join("v2.yaml"), V2).expect("write");
    dir
}

fn policy(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut io = accord::cli::Io::new(dir.to_path_buf(), Box::new(std::io::empty()));
    let code = accord::cli::run(&args, &mut io);
    (code, io.stdout, io.stderr)
}

/// (kind, system.field, before, after, line) of every change, in order.
fn changes(json: &str) -> Vec<(String, String, String, String, u64)> {
    let v: Value = serde_json::from_str(json).expect("JSON output");
    v["changes"]
        .as_array()
        .expect("a list of changes")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            (
                s("kind"),
                format!("{}.{}", s("system"), s("field")),
                s("before"),
                s("after"),
                c["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn every_kind_of_change_is_found_and_located() {
    let dir = scratch("kinds");
    let (code, out, err) = policy(&dir, &["diff", "v1.yaml", "v2.yaml", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let found = changes(&out);
    let expected: Vec<(&str, &str, &str, &str, u64)> = vec![
        (
            "change_mapping",
            "ats.start_date",
            "hris.employment_begin_date",
            "directory.account_activation_date, hris.employment_begin_date",
            7,
        ),
        (
            "rename_field",
            "hris.employee_id",
            "employee_id",
            "worker_id",
            10,
        ),
        (
            "change_mapping",
            "hris.employment_begin_date",
            "ats.start_date",
            "ats.start_date, directory.account_activation_date",
            13,
        ),
        ("change_type", "hris.cost_center", "string", "number", 16),
        ("add_field", "hris.national_id", "", "string", 18),
        (
            "add_field",
            "directory.account_activation_date",
            "",
            "date",
            24,
        ),
        ("remove_field", "ats.legacy_code", "string", "", 8),
    ];
    let expected: Vec<(String, String, String, String, u64)> = expected
        .into_iter()
        .map(|(k, f, b, a, l)| (k.into(), f.into(), b.into(), a.into(), l))
        .collect();
    assert_eq!(found, expected);
    // Removals are located in the old dictionary, the rest in the new one.
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let paths: Vec<&str> = v["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["location"]["path"].as_str())
        .collect();
    assert_eq!(paths.last(), Some(&"v1.yaml"));
    assert!(paths[..paths.len() - 1].iter().all(|p| *p == "v2.yaml"));
}

#[test]
fn a_rename_needs_the_same_type_category_and_mappings() {
    let dir = scratch("rename");
    // Same name change, but the category changes too: a removal and an
    // addition. (`national_id` matches neither: it is marked `pii`.)
    let v2 = V2.replace(
        "- name: worker_id\n        type: string\n        data: employee_records",
        "- name: worker_id\n        type: string\n        data: contractor_records",
    );
    std::fs::write(dir.join("v2.yaml"), v2).expect("write");
    let (_, out, _) = policy(&dir, &["diff", "v1.yaml", "v2.yaml", "--format", "json"]);
    let kinds: Vec<(String, String)> = changes(&out)
        .into_iter()
        .map(|(k, f, ..)| (k, f))
        .filter(|(_, f)| f.contains("_id") && f.starts_with("hris"))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("add_field".to_string(), "hris.worker_id".to_string()),
            ("add_field".to_string(), "hris.national_id".to_string()),
            ("remove_field".to_string(), "hris.employee_id".to_string()),
        ]
    );
}

#[test]
fn the_same_dictionary_has_no_changes() {
    let dir = scratch("same");
    let (code, out, err) = policy(&dir, &["diff", "v1.yaml", "v1.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "0 changes\n");
}

#[test]
fn the_skeleton_is_a_change_request_that_checks() {
    let dir = scratch("skeleton");
    let (code, out, _) = policy(&dir, &["diff", "v1.yaml", "v2.yaml", "--format", "yaml"]);
    assert_eq!(code, 1);
    std::fs::write(dir.join("change.yaml"), &out).expect("write");
    std::fs::write(
        dir.join("p.policy"),
        "must every_change_named { applies change_request  each c in input.changes  require exists(c.system) and exists(c.field) }\n",
    )
    .expect("write");
    let (code, json, err) = policy(
        &dir,
        &[
            "check",
            "change.yaml",
            "--policy",
            "p.policy",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{json}{err}");
    let v: Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["documents"][0]["kind"], "change_request");
    assert_eq!(v["summary"]["errors"], 0);
    assert_eq!(out.matches("  - kind: ").count(), 7);
}

#[test]
fn what_is_not_a_dictionary_is_refused() {
    let dir = scratch("refused");
    std::fs::write(
        dir.join("q.yaml"),
        "kind: questionnaire\nid: q\nvendor: { name: x }\n",
    )
    .expect("write");
    let (code, _, err) = policy(&dir, &["diff", "v1.yaml", "q.yaml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("holds no `kind: data_dictionary` document"),
        "{err}"
    );
    std::fs::write(
        dir.join("bad.yaml"),
        "kind: data_dictionary\nid: d\nsystems:\n  - fields: []\n",
    )
    .expect("write");
    let (code, _, err) = policy(&dir, &["diff", "v1.yaml", "bad.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("A306"), "a system without a name: {err}");
    let (code, _, err) = policy(&dir, &["diff", "v1.yaml", "missing.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `missing.yaml`"), "{err}");
}

/// The real HRIS specification, and a second version of it with its
/// `Employee` schema edited: a property renamed, one retyped, one added, one
/// removed.
fn hris_versions() -> (String, String) {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi/hris.yml");
    let v1 = std::fs::read_to_string(spec).expect("the HRIS spec");
    let at = v1.find("\n    Employee:\n").expect("an Employee schema");
    let properties = at
        + v1[at..]
            .find("\n      properties:\n")
            .expect("its properties");
    let (head, tail) = v1.split_at(properties);
    let edited = tail
        .replacen(
            "        marital_status:\n          title: Marital status",
            "        civil_status:\n          title: Marital status",
            1,
        )
        .replacen(
            "        division_id:\n          title: Division ID\n          type: string",
            "        division_id:\n          title: Division ID\n          type: integer",
            1,
        )
        .replacen(
            "        pronouns:\n          $ref: '#/components/schemas/Pronouns'\n",
            "",
            1,
        )
        .replacen(
            "        display_name:\n          title: Display name",
            "        work_email:\n          type: string\n          format: email\n        display_name:\n          title: Display name",
            1,
        );
    assert_ne!(tail, edited, "the edits apply");
    (v1.clone(), format!("{head}{edited}"))
}

#[test]
fn two_versions_of_a_real_openapi_spec() {
    let dir = scratch("openapi");
    let (v1, v2) = hris_versions();
    std::fs::write(dir.join("hris-v1.yml"), &v1).expect("write");
    std::fs::write(dir.join("hris-v2.yml"), &v2).expect("write");
    let (code, out, err) = policy(
        &dir,
        &["diff", "hris-v1.yml", "hris-v2.yml", "--format", "json"],
    );
    assert_eq!(code, 1, "{err}");
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l == needle).expect(needle) as u64 + 1;
    let expected = vec![
        (
            "add_field".to_string(),
            "Employee.work_email".to_string(),
            String::new(),
            "string (email)".to_string(),
            line_of(&v2, "        work_email:"),
        ),
        (
            "rename_field".to_string(),
            "Employee.marital_status".to_string(),
            "marital_status".to_string(),
            "civil_status".to_string(),
            line_of(&v2, "        civil_status:"),
        ),
        (
            "change_type".to_string(),
            "Employee.division_id".to_string(),
            "string".to_string(),
            "integer".to_string(),
            line_of(&v2, "        division_id:"),
        ),
        (
            "remove_field".to_string(),
            "Employee.pronouns".to_string(),
            "Pronouns".to_string(),
            String::new(),
            line_of(&v1, "        pronouns:"),
        ),
    ];
    assert_eq!(changes(&out), expected);
    let (code, out, _) = policy(&dir, &["diff", "hris-v1.yml", "hris-v1.yml"]);
    assert_eq!((code, out.as_str()), (0, "0 changes\n"));
}

#[test]
fn a_dictionary_takes_a_systems_fields_from_openapi() {
    let dir = scratch("source");
    let (v1, v2) = hris_versions();
    std::fs::create_dir_all(dir.join("specs")).expect("mkdir");
    std::fs::write(dir.join("specs/hris-v1.yml"), &v1).expect("write");
    std::fs::write(dir.join("specs/hris-v2.yml"), &v2).expect("write");
    let dictionary = |spec: &str, extra: &str| {
        format!(
            "kind: data_dictionary\nid: d\nsystems:\n  - name: hris\n    source: openapi {spec}#/components/schemas/Employee\n    fields:\n      - {{ name: social_security_number, type: string, data: employee_identity, pii: true }}\n{extra}"
        )
    };
    std::fs::write(dir.join("d1.yaml"), dictionary("specs/hris-v1.yml", "")).expect("write");
    std::fs::write(
        dir.join("d2.yaml"),
        dictionary(
            "specs/hris-v2.yml",
            "      - { name: badge_photo, type: string, data: employee_identity, pii: true }\n",
        ),
    )
    .expect("write");
    let (code, out, err) = policy(&dir, &["diff", "d1.yaml", "d2.yaml", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let kinds: Vec<(String, String)> = changes(&out).into_iter().map(|(k, f, ..)| (k, f)).collect();
    assert_eq!(
        kinds,
        vec![
            ("add_field".to_string(), "hris.work_email".to_string()),
            (
                "rename_field".to_string(),
                "hris.marital_status".to_string()
            ),
            ("change_type".to_string(), "hris.division_id".to_string()),
            ("add_field".to_string(), "hris.badge_photo".to_string()),
            ("remove_field".to_string(), "hris.pronouns".to_string()),
        ]
    );
    // A field the dictionary describes keeps its category from the dictionary.
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let badge = &v["changes"][3];
    assert_eq!(badge["data"], "employee_identity");
    assert_eq!(badge["location"]["path"], "d2.yaml");
    // A source that does not resolve is an error that says what it should be.
    std::fs::write(dir.join("d3.yaml"), dictionary("specs/nope.yml", "")).expect("write");
    let (code, _, err) = policy(&dir, &["diff", "d1.yaml", "d3.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `specs/nope.yml`"), "{err}");
    assert!(
        err.contains("should be `openapi FILE#/components/schemas/NAME`"),
        "{err}"
    );
}

#[test]
fn the_example_change_request_covers_the_example_dictionary_change() {
    let acme = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
    let (code, out, err) = policy(
        &acme,
        &[
            "diff",
            "dictionary/history/hr-data-dictionary-2026-09.yaml",
            "dictionary/hr-data-dictionary.yaml",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let found = changes(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    let cr =
        std::fs::read_to_string(acme.join("documents/changes/cr-2026-041-score-explanations.yaml"))
            .expect("CR-2026-041");
    for (kind, field, ..) in &found {
        let (system, name) = field.split_once('.').expect("system.field");
        let entry = format!("  - kind: {kind}\n    data: ai_screening_score\n    system: {system}\n    field: {name}\n");
        assert!(cr.contains(&entry), "CR-2026-041 lists {kind} {field}");
    }
}

#[test]
fn a_new_category_or_pii_mark_is_a_change() {
    let dir = scratch("marks");
    let v3 = V1
        .replace(
            "      - name: employment_begin_date\n        type: date\n        data: employment",
            "      - name: employment_begin_date\n        type: date\n        data: payroll",
        )
        .replace(
            "{ name: candidate_id, type: string, data: candidate_records, required: true }",
            "{ name: candidate_id, type: string, data: candidate_records, required: true, pii: true }",
        );
    std::fs::write(dir.join("v3.yaml"), v3).expect("write");
    let (code, out, err) = policy(&dir, &["diff", "v1.yaml", "v3.yaml", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let found: Vec<(String, String, String, String)> = changes(&out)
        .into_iter()
        .map(|(k, f, b, a, _)| (k, f, b, a))
        .collect();
    let expected = [
        ("change_pii", "ats.candidate_id", "false", "true"),
        (
            "change_data",
            "hris.employment_begin_date",
            "employment",
            "payroll",
        ),
    ]
    .map(|(k, f, b, a)| (k.to_string(), f.to_string(), b.to_string(), a.to_string()));
    assert_eq!(found, expected);
}

//! The differential oracle: generated policies and documents are evaluated by
//! the real engine (which parses the printed policy text) and by the small
//! reference evaluator of `reference.rs` (which walks the generated AST).
//! Every rule's outcomes, every verdict and every score must agree. A
//! disagreement fails with the smallest case proptest shrinks it to.

pub mod model;
pub mod reference;

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use serde_json::Value;

use model::Case;

/// The date generated cases are checked on (no generated rule reads it).
pub const TODAY: &str = "2026-11-21";

/// What the engine said about one document.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub id: String,
    pub verdict: String,
    pub score: Option<f64>,
    /// (rule id, outcome), in the order reported.
    pub results: Vec<(String, String)>,
}

/// A compiled generated policy.
pub struct Compiled {
    engine: accord::Engine,
    today: i32,
}

impl Compiled {
    /// Compiles policy text; `Err` lists the diagnostics when it is invalid.
    pub fn new(source: &str) -> Result<Compiled, String> {
        let engine = accord::Engine::new(vec![("gen.policy".into(), source.to_string())]);
        if !engine.is_valid() {
            let errors: Vec<String> = engine
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| accord::report::human::render_diagnostic(&engine.sources, d))
                .collect();
            return Err(format!(
                "the generated policy is invalid:\n{}",
                errors.join("")
            ));
        }
        let today = accord::time::parse_date(TODAY).expect("a date");
        Ok(Compiled { engine, today })
    }

    /// Checks one document given as JSON.
    pub fn check(&mut self, doc: &Value) -> Result<Checked, String> {
        let text = serde_json::to_string_pretty(doc).expect("JSON");
        let (docs, diagnostics) =
            self.engine
                .check_text("doc.json", text, accord::input::Format::Json, self.today);
        let problems: Vec<String> = diagnostics
            .iter()
            .map(|d| accord::report::human::render_diagnostic(&self.engine.sources, d))
            .collect();
        if !problems.is_empty() {
            return Err(format!(
                "the generated document has problems:\n{}",
                problems.join("")
            ));
        }
        let [doc] = docs.as_slice() else {
            return Err(format!("expected one checked document, got {}", docs.len()));
        };
        let set = &self.engine.set;
        Ok(Checked {
            id: doc.id.clone(),
            verdict: doc.report.verdict.word().to_string(),
            score: doc.report.score,
            results: doc
                .report
                .results
                .iter()
                .map(|r| {
                    (
                        accord::eval::rules::source_info(set, r.source)
                            .id
                            .into_owned(),
                        r.outcome.word().to_string(),
                    )
                })
                .collect(),
        })
    }
}

/// A fixed, reproducible proptest configuration that writes no files.
pub fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

/// Runs `test` on generated cases; on a failure, panics with the case
/// proptest shrank it to, reduced further by [`model::reduce`].
pub fn run_cases(
    cases: u32,
    seed: u64,
    strategy: impl proptest::strategy::Strategy<Value = Case>,
    test: impl Fn(&Case) -> Result<(), String>,
) {
    let mut runner = TestRunner::new(config(cases, seed));
    let result = runner.run(&strategy, |case| test(&case).map_err(TestCaseError::fail));
    if let Err(TestError::Fail(_, minimal)) = result {
        let reduced = model::reduce(minimal, |c| test(c).is_err());
        let why = test(&reduced).err().unwrap_or_default();
        panic!("{why}\nminimal failing case:{reduced:?}");
    } else if let Err(e) = result {
        panic!("{e}");
    }
}

/// Compares the engine with the reference evaluator on one case.
pub fn differ(case: &Case) -> Result<(), String> {
    let mut compiled = Compiled::new(&case.policy.source())?;
    for doc in &case.documents {
        let got = compiled.check(doc)?;
        let want = reference::evaluate(&case.policy, doc);
        let got_results: Vec<(String, &str)> = got
            .results
            .iter()
            .map(|(r, o)| (r.clone(), o.as_str()))
            .collect();
        let score_ok = got.score.is_some_and(|s| (s - want.score).abs() < 1e-9);
        if got_results != want.results || got.verdict != want.verdict || !score_ok {
            return Err(format!(
                "engine and reference disagree on document `{}`:\n  engine:    verdict {}, score {:?}, results {:?}\n  reference: verdict {}, score {}, results {:?}",
                got.id, got.verdict, got.score, got_results, want.verdict, want.score, want.results
            ));
        }
    }
    Ok(())
}

/// The generated constructs all appear: a guard against a generator that
/// quietly stopped producing some of them.
#[test]
fn oracle_generator_covers_the_language() {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = TestRunner::new(config(1, 7));
    let strategy = model::case(model::ALL);
    let mut text = String::new();
    for _ in 0..200 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        text.push_str(&case.policy.source());
    }
    for needle in [
        "each ",
        "when ",
        "require ",
        "must ",
        "should ",
        "may ",
        "weight ",
        " and ",
        " or ",
        "not ",
        " in ",
        " ?? ",
        "exists(",
        "all ",
        "any ",
        "none ",
        "count ",
        "==",
        "!=",
        "<=",
        ">=",
        " < ",
        " > ",
        "[0]",
        "input.items",
        "input.rec.",
        "requirements g",
    ] {
        assert!(text.contains(needle), "no generated policy has `{needle}`");
    }
    // Inside a group, document fields are also read by their bare names.
    assert!(
        text.contains(" rec.") || text.contains("(rec."),
        "no bare field name"
    );
}

fn path(root: model::Root, segs: &[&'static str]) -> model::Expr {
    model::Expr::Path(model::Path {
        root,
        segs: segs.iter().map(|s| model::Seg::Field(s)).collect(),
        bare: false,
    })
}

/// Corners where the contract must be read closely, pinned by hand: the
/// engine, the reference evaluator and the outcome written here agree.
#[test]
fn oracle_pinned_corners() {
    use model::{CmpOp, Expr, Level, Policy, Root, Rule, Step};
    use serde_json::json;
    let input = |segs: &[&'static str]| path(Root::Input, segs);
    let e0 = || path(Root::Var("e0".into()), &[]);
    let positive = || Expr::Cmp(CmpOp::Gt, Box::new(e0()), Box::new(Expr::Num(0.0)));
    let each = || Step::Each("e0".into(), input(&["nums"]));
    let rule = |steps: Vec<Step>| Rule {
        name: "r0".into(),
        level: Level::Must,
        weight: None,
        steps,
    };
    let doc = |fields: serde_json::Value| {
        let mut d = json!({"kind": "questionnaire", "id": "D0", "vendor": {"name": "V"}});
        for (k, v) in fields.as_object().expect("fields") {
            d[k] = v.clone();
        }
        d
    };
    let corners = [
        // A missing `when`, then an `each` over an empty list: no evaluation
        // happens, so the rule does not apply (whatever the answer would be).
        (
            vec![
                Step::When(input(&["b1"])),
                each(),
                Step::Require(positive()),
            ],
            doc(json!({"nums": []})),
            "not_applicable",
        ),
        // A false `when` stops before an `each` over a missing list.
        (
            vec![
                Step::When(Expr::Bool(false)),
                each(),
                Step::Require(positive()),
            ],
            doc(json!({})),
            "not_applicable",
        ),
        // An `each` over a missing list is one indeterminate result, even
        // with a false `when` after it.
        (
            vec![
                each(),
                Step::When(Expr::Bool(false)),
                Step::Require(positive()),
            ],
            doc(json!({})),
            "indeterminate",
        ),
        // A `require` written before the `each` sees its variable.
        (
            vec![Step::Require(positive()), each()],
            doc(json!({"nums": [1, 0]})),
            "fail",
        ),
        // A definite failure wins over a missing answer in another `require`.
        (
            vec![
                Step::Require(input(&["b1"])),
                Step::Require(Expr::Bool(false)),
            ],
            doc(json!({})),
            "fail",
        ),
        // `in` finds an element even when another is missing.
        (
            vec![Step::Require(Expr::In(
                Box::new(Expr::Num(2.0)),
                Box::new(input(&["nums"])),
            ))],
            doc(json!({"nums": [null, 2]})),
            "pass",
        ),
    ];
    for (i, (steps, document, outcome)) in corners.into_iter().enumerate() {
        let case = Case {
            policy: Policy {
                group: false,
                rules: vec![rule(steps)],
            },
            documents: vec![document.clone()],
        };
        if let Err(why) = differ(&case) {
            panic!("corner {i}: {why}{case:?}");
        }
        let want = reference::evaluate(&case.policy, &document);
        assert_eq!(want.results[0].1, outcome, "corner {i}:{case:?}");
    }
}

/// The engine agrees with the reference evaluator on 2,000 generated
/// policies, each checked on one to three generated documents.
#[test]
fn oracle_engine_agrees_with_the_reference_evaluator() {
    run_cases(2000, 0x0AC0_12D0, model::case(model::ALL), differ);
}

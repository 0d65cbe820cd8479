//! The standard library: policy source embedded in the binary. Files are
//! named `<stdlib/NAME.policy>` so diagnostics and editors can show them.

pub const PRELUDE_NAME: &str = "<stdlib/prelude.policy>";
pub const PRELUDE: &str = include_str!("../stdlib/prelude.policy");

/// The modules `import std.NAME` can load.
pub const MODULES: &[(&str, &str)] = &[
    ("vendor", include_str!("../stdlib/vendor.policy")),
    (
        "architecture",
        include_str!("../stdlib/architecture.policy"),
    ),
    ("governance", include_str!("../stdlib/governance.policy")),
    ("change", include_str!("../stdlib/change.policy")),
    ("ai_hr", include_str!("../stdlib/ai_hr.policy")),
    ("retention", include_str!("../stdlib/retention.policy")),
    ("golive", include_str!("../stdlib/golive.policy")),
    ("dictionary", include_str!("../stdlib/dictionary.policy")),
];

pub fn module(name: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

//! `policy import FORMAT FILE`: the start of a policy from a questionnaire a
//! team already sends. The only format is `vsaq` (see `crate::import`).
//!
//! The policy goes to standard output, or to `--output FILE`. What could not
//! be imported is listed on standard error as warnings. A file that cannot be
//! read or is not a template of the format is an error (exit status 2).

use std::io::Read;

use clap::{Args, ValueEnum};

use super::files::{io_reason, read_text};
use super::Io;
use crate::import::Options;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// A Google VSAQ questionnaire template (https://github.com/google/vsaq)
    Vsaq,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Section {
    Hr,
    It,
}

#[derive(Args)]
#[command(
    after_help = "`policy import vsaq FILE` turns a VSAQ template into a `schema questionnaire` block \
(each question a field of an optional record `vsaq_NAME`, NAME the file's name: a radio question \
holds the id of the chosen answer, a checkbox group the list of the checked ids, a text question its \
text) and a `requirements vsaq_NAME` group with one `should` rule per VSAQ warning.\n\n\
Exit status: 0 when the policy was written (skipped warnings are listed on standard error); 2 when \
the file cannot be read or is not a template of FORMAT."
)]
pub struct ImportArgs {
    /// The format of FILE
    #[arg(value_enum)]
    pub format: ImportFormat,
    /// The file to import; `-` reads standard input
    pub file: String,
    /// Write the policy to this file (making its directory if needed) instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<String>,
    /// The name of the record and of the requirements group [default: vsaq_ and FILE's name]
    #[arg(long)]
    pub name: Option<String>,
    /// The section of the generated rules
    #[arg(long, value_enum, default_value = "it")]
    pub section: Section,
}

pub fn run(args: ImportArgs, io: &mut Io) -> i32 {
    let bytes = if args.file == "-" {
        let mut bytes = Vec::new();
        if let Err(e) = io.stdin.read_to_end(&mut bytes) {
            io.stderr.push_str(&format!(
                "error: cannot read standard input: {}\n",
                io_reason(&e)
            ));
            return 2;
        }
        bytes
    } else {
        match std::fs::read(io.cwd.join(&args.file)) {
            Ok(bytes) => bytes,
            Err(e) => {
                io.stderr.push_str(&format!(
                    "error: cannot read `{}`: {}\n",
                    args.file,
                    io_reason(&e)
                ));
                return 2;
            }
        }
    };
    let shown = if args.file == "-" {
        "<stdin>"
    } else {
        args.file.as_str()
    };
    let text = match read_text(bytes, shown) {
        Ok(text) => text,
        Err(d) => {
            io.stderr.push_str(&format!("error: {}\n", d.message));
            return 2;
        }
    };
    let options = Options {
        name: args.name.clone(),
        section: match args.section {
            Section::Hr => "hr",
            Section::It => "it",
        },
    };
    let imported = match args.format {
        ImportFormat::Vsaq => crate::import::vsaq(&text, shown, &options),
    };
    let imported = match imported {
        Ok(imported) => imported,
        Err(e) => {
            io.stderr.push_str(&format!("error: `{shown}`: {e}\n"));
            return 2;
        }
    };
    for w in &imported.warnings {
        io.stderr.push_str(&format!("warning: {w}\n"));
    }
    match &args.output {
        Some(path) => {
            // `--output policies/vsaq.policy` in a fresh repository makes `policies/`.
            let target = io.cwd.join(path);
            let made = match target.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
                _ => Ok(()),
            };
            if let Err(e) = made.and_then(|()| std::fs::write(&target, &imported.policy)) {
                io.stderr.push_str(&format!(
                    "error: cannot write `{path}`: {}\n",
                    io_reason(&e)
                ));
                return 2;
            }
            io.stderr.push_str(&format!(
                "wrote `{path}`: {} questions as fields of `{}`, {} warnings as `should` rules\n",
                imported.questions, imported.record, imported.rules
            ));
        }
        None => io.stdout.push_str(&imported.policy),
    }
    0
}

//! Tidy: ARCHITECTURE.md's invariants about the code's shape, enforced (as rust-analyzer's
//! `tidy` tests do): the crate graph goes one way, down the layers; only the backends and the
//! read models contain SQL; the domain and the proofs do no IO; only the server and the tests
//! depend on a backend; the GraphQL crate knows nothing of HTTP; only the command path (and
//! the store's own adapters, and the benchmark's bulk generator) builds an append.
//!
//! The graph comes from `cargo metadata`; the sources are read from `crates/*/src`, leaving
//! out test modules (`#[cfg(test)]` and `tests.rs` files).

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Each workspace crate's layer: a crate depends only on crates of lower layers (its tests
/// and benches also on crates of its own layer).
const LAYERS: &[(&str, u8)] = &[
    ("ledger-proof", 0),
    ("ledger-domain", 1),
    ("ledger-store", 1),
    ("ledger-store-postgres", 2),
    ("ledger-store-sqlite", 2),
    ("ledger-app", 2),
    ("ledger-projections", 2),
    ("ledger-verify", 2),
    ("ledger-graphql", 3),
    ("ledger-server", 4),
    ("ledger-bench", 5),
    ("ledger-tests", 5),
];

/// The store backends.
const BACKENDS: &[&str] = &["ledger-store-postgres", "ledger-store-sqlite"];

/// Crates whose code may contain SQL.
const SQL_CRATES: &[&str] = &[
    "ledger-store-postgres",
    "ledger-store-sqlite",
    "ledger-projections",
];

/// Crates that do no IO, and the dependencies that would mean they do.
const PURE_CRATES: &[&str] = &["ledger-proof", "ledger-domain"];
const IO_DEPENDENCIES: &[&str] = &[
    "tokio",
    "sqlx",
    "hyper",
    "axum",
    "tower",
    "tower-http",
    "reqwest",
    "async-std",
    "mio",
];

/// Dependencies that would tie the GraphQL crate to a transport.
const HTTP_DEPENDENCIES: &[&str] = &[
    "axum",
    "hyper",
    "http",
    "tower",
    "tower-http",
    "async-graphql-axum",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// One workspace crate: its name, its source folder, and its dependencies as (name, kind)
/// where kind is `normal`, `dev` or `build`.
struct Crate {
    name: String,
    src: PathBuf,
    dependencies: Vec<(String, String)>,
}

fn workspace() -> Vec<Crate> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Crate {
            name: p["name"].as_str().unwrap().to_owned(),
            src: Path::new(p["manifest_path"].as_str().unwrap())
                .parent()
                .unwrap()
                .join("src"),
            dependencies: p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["name"].as_str().unwrap().to_owned(),
                        d["kind"].as_str().unwrap_or("normal").to_owned(),
                    )
                })
                .collect(),
        })
        .collect()
}

fn layer(name: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

/// The production source files of a crate, with their text up to the first `#[cfg(test)]`.
fn sources(src: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text
                    .split("#[cfg(test)]")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                out.insert(path, code);
            }
        }
    }
    out
}

/// The lines of a crate's production code that match `matches`, as `file:line: text`.
fn lines_matching(krate: &Crate, matches: impl Fn(&str) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (path, code) in sources(&krate.src) {
        for (i, line) in code.lines().enumerate() {
            let line_code = line.split("//").next().unwrap_or_default();
            if matches(line_code) {
                found.push(format!(
                    "{}:{}: {}",
                    path.strip_prefix(root()).unwrap_or(&path).display(),
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn the_crate_graph_goes_down_the_layers() {
    let crates = workspace();
    assert!(
        crates.len() >= LAYERS.len() - 1,
        "cargo metadata saw the workspace"
    );
    for krate in &crates {
        let own = layer(&krate.name).unwrap_or_else(|| {
            panic!(
                "{} has no layer: place it in tests/tidy.rs and ARCHITECTURE.md",
                krate.name
            )
        });
        for (dependency, kind) in &krate.dependencies {
            let Some(theirs) = layer(dependency) else {
                continue;
            };
            let allowed = if kind == "normal" {
                theirs < own
            } else {
                theirs <= own
            };
            assert!(
                allowed,
                "{} (layer {own}) depends on {dependency} (layer {theirs}) as a {kind} dependency: the graph must go down",
                krate.name
            );
        }
    }
}

#[test]
fn only_the_server_and_the_tests_depend_on_a_backend() {
    for krate in workspace() {
        for (dependency, kind) in &krate.dependencies {
            if BACKENDS.contains(&dependency.as_str()) && kind == "normal" {
                assert!(
                    ["ledger-server", "ledger-tests"].contains(&krate.name.as_str()),
                    "{} depends on the backend {dependency}: hold the store as a DynStore or an EventStore",
                    krate.name
                );
            }
        }
    }
}

#[test]
fn the_domain_and_the_proofs_do_no_io() {
    for krate in workspace()
        .into_iter()
        .filter(|k| PURE_CRATES.contains(&k.name.as_str()))
    {
        for (dependency, kind) in &krate.dependencies {
            assert!(
                kind != "normal" || !IO_DEPENDENCIES.contains(&dependency.as_str()),
                "{} depends on {dependency}: it must do no IO",
                krate.name
            );
        }
        let io = lines_matching(&krate, |l| {
            ["std::fs", "std::net", "std::process", "std::env", "tokio::"]
                .iter()
                .any(|p| l.contains(p))
        });
        assert!(io.is_empty(), "{} does IO:\n{}", krate.name, io.join("\n"));
    }
    // The store's batch logic (what an append does, decided before any database is touched).
    let store = workspace()
        .into_iter()
        .find(|k| k.name == "ledger-store")
        .unwrap();
    let batch = std::fs::read_to_string(store.src.join("batch.rs")).unwrap();
    let batch = batch.split("#[cfg(test)]").next().unwrap_or_default();
    for io in ["std::fs", "std::net", "tokio::", "async fn"] {
        assert!(!batch.contains(io), "ledger-store's batch does IO ({io})");
    }
}

#[test]
fn only_the_backends_and_the_read_models_contain_sql() {
    let sql = |l: &str| {
        let upper = l.to_ascii_uppercase();
        l.contains("sqlx::query")
            || [
                "SELECT ",
                "INSERT INTO",
                "DELETE FROM",
                "CREATE TABLE",
                "ALTER TABLE",
                "DROP TABLE",
            ]
            .iter()
            .any(|k| l.contains(k))
            || (l.contains("UPDATE ") && upper.contains(" SET "))
    };
    for krate in workspace() {
        if SQL_CRATES.contains(&krate.name.as_str())
            || ["ledger-bench", "ledger-tests"].contains(&krate.name.as_str())
        {
            continue;
        }
        let found = lines_matching(&krate, sql);
        assert!(
            found.is_empty(),
            "{} contains SQL; it belongs behind the store or in the read models:\n{}",
            krate.name,
            found.join("\n")
        );
    }
}

#[test]
fn the_graphql_crate_knows_nothing_of_http() {
    let graphql = workspace()
        .into_iter()
        .find(|k| k.name == "ledger-graphql")
        .unwrap();
    for (dependency, kind) in &graphql.dependencies {
        assert!(
            kind != "normal" || !HTTP_DEPENDENCIES.contains(&dependency.as_str()),
            "ledger-graphql depends on {dependency}: HTTP is the server's"
        );
    }
}

#[test]
fn only_the_command_path_builds_an_append() {
    // The store's own modules (its adapters and the in-memory store), the command path, the
    // benchmark generator, which fills a store straight for volume (documented there), and
    // the tests' store conformance suite.
    let allowed = |krate: &str, path: &str| {
        krate == "ledger-store"
            || krate == "ledger-tests"
            || krate.starts_with("ledger-store-")
            || (krate == "ledger-app" && path.ends_with("path.rs"))
            || (krate == "ledger-bench" && path.ends_with("generate.rs"))
    };
    for krate in workspace() {
        for line in lines_matching(&krate, |l| l.contains("AppendRequest {")) {
            let path = line.split(':').next().unwrap_or_default();
            assert!(
                allowed(&krate.name, path),
                "an append built outside the command path: {line}"
            );
        }
    }
}

//! The `ledger` command line on a SQLite file: migrate, import, export, rebuild and token
//! issue work and report failures with a message and a non-zero exit.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use ledger_graphql::auth::{Keys, Role};

const BIN: &str = env!("CARGO_BIN_EXE_ledger");

fn ledger(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("LEDGER__DATABASE_URL")
        .output()
        .unwrap()
}

/// Starts `ledger` with `args` (a command that serves) and reads the address it prints first.
fn serving(args: &[&str], stderr: std::process::Stdio) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("LEDGER__DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let address = first
        .strip_prefix("GraphQL:  http://")
        .and_then(|a| a.strip_suffix("/graphql"))
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    // Keep reading what it prints: a closed pipe would fail its next line.
    std::thread::spawn(move || lines.for_each(drop));
    (child, address)
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn administers_a_sqlite_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ledger-app/scenarios/de-an-10-da-tu.json"
    );

    let out = ledger(&["migrate", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ledger(&["import", "--database-url", &url, scenario]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("506 steps applied"),
        "{}",
        text(&out.stdout)
    );
    let out = ledger(&["import", "--database-url", &url, scenario]);
    assert!(
        text(&out.stdout).contains("0 steps applied, 506 already there"),
        "{}",
        text(&out.stdout)
    );

    let out = ledger(&["export", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 506);
    let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["position"], 1);
    assert_eq!(first["leaf_hash"].as_str().unwrap().len(), 64);

    let csv = dir.path().join("tasks.csv");
    let out = ledger(&[
        "export",
        "--database-url",
        &url,
        "--format",
        "csv",
        "--stream-type",
        "task",
        "--output",
        csv.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(written.starts_with("position,stream_id,"));
    assert!(
        written.lines().skip(1).all(|l| l.contains(",task/")),
        "only task streams"
    );

    let out = ledger(&["rebuild", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("generation 2 live at position 506"));

    // Read models made by another version (their recorded shape differs from this one's):
    // the next start rebuilds them from the log before serving, and says so.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("UPDATE rm_meta SET position = 1 WHERE name = 'shape:2'")
            .execute(&db)
            .await
            .unwrap();
    });
    let out = ledger(&["migrate", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("made by another version of the ledger: rebuilding"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("generation 3 live at position 506"),
        "{}",
        text(&out.stderr)
    );
    let out = ledger(&["migrate", "--database-url", &url]);
    assert!(
        !text(&out.stderr).contains("rebuilding"),
        "rebuilt once: {}",
        text(&out.stderr)
    );

    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a test secret that is long enough for HS256").unwrap();
    let out = ledger(&[
        "token",
        "issue",
        "--jwt-secret-file",
        secret.to_str().unwrap(),
        "--role",
        "unit_reporter",
        "--unit",
        "so-tu-phap",
        "--subject",
        "stp-1",
        "--name",
        "Cán bộ Sở Tư pháp",
        "--ttl",
        "2h",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    let principal = Keys::hs256(b"a test secret that is long enough for HS256")
        .verify(&token)
        .unwrap();
    assert_eq!(
        (principal.role, principal.unit.as_ref().map(|u| u.as_str())),
        (Role::UnitReporter, Some("so-tu-phap"))
    );
}

#[test]
fn failures_say_why_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    for (args, says) in [
        (
            vec!["migrate", "--database-url", "mysql://x"],
            "is not a database URL",
        ),
        (
            vec!["export", "--database-url", url.as_str(), "--format", "xml"],
            "use jsonl or csv",
        ),
        (
            vec![
                "import",
                "--database-url",
                url.as_str(),
                "/nonexistent.json",
            ],
            "cannot read",
        ),
        (
            vec![
                "token",
                "issue",
                "--role",
                "inspector",
                "--subject",
                "a",
                "--name",
                "b",
            ],
            "no token keys",
        ),
        (
            vec!["serve", "--database-url", url.as_str()],
            "no token keys",
        ),
    ] {
        let out = ledger(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = ledger(&[
        "token",
        "issue",
        "--role",
        "boss",
        "--subject",
        "a",
        "--name",
        "b",
    ]);
    assert_eq!(out.status.code(), Some(2), "clap refuses an unknown role");
}

/// The grace a deployment sets for dating changes is checked before anything starts: a
/// command name that is not one, or a grace over a year, is refused with what is allowed.
#[test]
fn a_bad_grace_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a test secret that is long enough for HS256").unwrap();
    let config = dir.path().join("ledger.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{url}\"\njwt_secret_file = \"{}\"\n[grace_days_by_command]\nbao_cao = 3\n",
            secret.display()
        ),
    )
    .unwrap();
    let out = ledger(&["serve", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("\"bao_cao\" is not a command") && stderr.contains("report_progress"),
        "{stderr}"
    );
    let out = ledger(&[
        "serve",
        "--database-url",
        &url,
        "--jwt-secret-file",
        secret.to_str().unwrap(),
        "--grace-days",
        "400",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at most 366"),
        "{}",
        text(&out.stderr)
    );
}

/// A demo file this version cannot continue (here: another scenario under the demo's name,
/// as an older version's demo would be) is not served half-updated: `ledger demo` stops and
/// says to remove it.
#[test]
fn an_old_demo_file_is_named_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.db");
    let url = format!("sqlite://{}", file.display());
    let other = dir.path().join("other.json");
    std::fs::write(
        &other,
        r#"{ "name": "de-an-10-da-tu", "description": "another demo",
             "actor": { "subject": "a", "display_name": "A", "role": "archivist" },
             "source_document": "01/BB-VPTU",
             "steps": [ { "register_unit": { "id": "don-vi-khac", "kind": "state_body",
                 "name": "Đơn vị khác", "established_on": "2021-01-01" } } ] }"#,
    )
    .unwrap();
    let out = ledger(&["import", "--database-url", &url, other.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ledger(&[
        "demo",
        "--file",
        file.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("step 0 (register_unit tinh-uy)"),
        "{stderr}"
    );
    assert!(stderr.contains("remove it"), "{stderr}");
}

#[test]
fn serves_from_a_config_file() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a test secret that is long enough for HS256").unwrap();
    let config = dir.path().join("ledger.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"sqlite://{}\"\nlisten = \"127.0.0.1:0\"\njwt_secret_file = \"{}\"\nanswer_cache_mib = 8\n",
            dir.path().join("l.db").display(),
            secret.display()
        ),
    )
    .unwrap();
    let (mut child, address) = serving(
        &["serve", "--config", config.to_str().unwrap()],
        std::process::Stdio::null(),
    );
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // A setting the file does not know, and no database at all, are refused clearly.
    std::fs::write(&config, "database_url = \"sqlite://x.db\"\nport = 1\n").unwrap();
    let out = ledger(&["serve", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("unknown field"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\n").unwrap();
    let out = ledger(&["serve", "--config", config.to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("no database"),
        "{}",
        text(&out.stderr)
    );
}

/// An inspection team's round: keys, a signed checkpoint, a witness's cosignature, and
/// `ledger verify` on the database and on an exported file, with the exit code of each kind of
/// failure.
#[test]
fn keys_checkpoints_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let url = format!("sqlite://{}", path("l.db"));
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ledger-app/scenarios/de-an-10-da-tu.json"
    );
    assert!(
        ledger(&["import", "--database-url", &url, scenario])
            .status
            .success()
    );

    let out = ledger(&[
        "key",
        "generate",
        "--name",
        "ledger.test/de-an-10",
        "--out",
        &path("log"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("ledger.test/de-an-10+"),
        "{}",
        text(&out.stdout)
    );
    let out = ledger(&[
        "key",
        "generate",
        "--name",
        "ledger.test/de-an-10",
        "--out",
        &path("log"),
    ]);
    assert!(!out.status.success(), "a key is never overwritten");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path("log.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the private key is its owner's only");
    }
    assert!(
        ledger(&[
            "key",
            "generate",
            "--name",
            "hdnd.test",
            "--out",
            &path("witness")
        ])
        .status
        .success()
    );
    assert!(
        ledger(&[
            "key",
            "generate",
            "--name",
            "other.test",
            "--out",
            &path("other")
        ])
        .status
        .success()
    );

    let out = ledger(&[
        "checkpoint",
        "sign",
        "--database-url",
        &url,
        "--key",
        &path("log.key"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let note = text(&out.stdout);
    assert!(note.starts_with("ledger.test/de-an-10\n506\n"), "{note}");
    std::fs::write(path("cp"), &note).unwrap();
    let out = ledger(&[
        "checkpoint",
        "cosign",
        "--checkpoint",
        &path("cp"),
        "--log-key",
        &path("log.pub"),
        "--key",
        &path("witness.key"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(path("cosigned"), text(&out.stdout)).unwrap();

    // The database, against the checkpoint.
    let out = ledger(&[
        "verify",
        "--database-url",
        &url,
        "--checkpoint",
        &path("cp"),
        "--public-key",
        &path("log.pub"),
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("verified: 506 events"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("matched at 506"),
        "{}",
        text(&out.stdout)
    );
    // The signed checkpoint was kept in the database: trusting the key is enough.
    let out = ledger(&[
        "verify",
        "--database-url",
        &url,
        "--public-key",
        &path("log.pub"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 signed checkpoint(s) matched at 506"),
        "{}",
        text(&out.stdout)
    );
    let out = ledger(&[
        "verify",
        "--database-url",
        &url,
        "--public-key",
        &path("other.pub"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(7),
        "a kept checkpoint the key did not sign: {}",
        text(&out.stderr)
    );

    // Offline: the exported log, trusting only the witness.
    assert!(
        ledger(&[
            "export",
            "--database-url",
            &url,
            "--output",
            &path("log.jsonl")
        ])
        .status
        .success()
    );
    let offline = |log: &str, checkpoint: &str, key: &str| {
        ledger(&[
            "verify",
            "--log",
            log,
            "--checkpoint",
            checkpoint,
            "--public-key",
            key,
        ])
    };
    let out = offline(&path("log.jsonl"), &path("cosigned"), &path("witness.pub"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("signed by hdnd.test"),
        "{}",
        text(&out.stderr)
    );
    // The same witness cosigning in the C2SP tlog-cosignature/v1 format, checked with its
    // cosigner key (and not with its plain one).
    let out = ledger(&[
        "checkpoint",
        "cosign",
        "--v1",
        "--checkpoint",
        &path("cp"),
        "--log-key",
        &path("log.pub"),
        "--key",
        &path("witness.key"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(path("cosigned-v1"), text(&out.stdout)).unwrap();
    let out = offline(
        &path("log.jsonl"),
        &path("cosigned-v1"),
        &path("witness.cosigner.pub"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("signed by hdnd.test"),
        "{}",
        text(&out.stderr)
    );
    let out = offline(
        &path("log.jsonl"),
        &path("cosigned-v1"),
        &path("witness.pub"),
    );
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));

    // Failures, each with its code.
    let out = offline(&path("log.jsonl"), &path("cp"), &path("other.pub"));
    assert_eq!(
        out.status.code(),
        Some(7),
        "untrusted signer: {}",
        text(&out.stderr)
    );
    let exported = std::fs::read_to_string(path("log.jsonl")).unwrap();
    let mut lines: Vec<String> = exported.lines().map(str::to_owned).collect();
    let mut changed: serde_json::Value = serde_json::from_str(&lines[99]).unwrap();
    changed["effective_at"] = serde_json::json!("2020-01-01T00:00:00Z");
    let write = |name: &str, lines: &[String]| {
        std::fs::write(path(name), lines.join("\n") + "\n").unwrap();
        path(name)
    };
    // One event, as a citizen receives it: the event, its inclusion proof, the checkpoint.
    let mut frontier = ledger_proof::Frontier::empty();
    let mut stored = ledger_proof::Stored::default();
    for line in &lines {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        let leaf = ledger_store::envelope::hash_hex::from_hex(e["leaf_hash"].as_str().unwrap());
        stored.0.extend(frontier.push(leaf.unwrap()));
    }
    let path_of = |proof: &[ledger_proof::Hash]| {
        proof
            .iter()
            .map(ledger_store::envelope::hash_hex::to_hex)
            .collect::<Vec<_>>()
    };
    let proof = ledger_proof::inclusion_proof(99, 506, &stored).unwrap();
    // A witness cosigns only a log that extends the last one it cosigned: a checkpoint of the
    // first 300 events (signed by the log's key), cosigned; then the head, with the
    // consistency proof from 300.
    let leaves_300: Vec<ledger_proof::Hash> = lines[..300]
        .iter()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            ledger_store::envelope::hash_hex::from_hex(e["leaf_hash"].as_str().unwrap()).unwrap()
        })
        .collect();
    let root_300 = ledger_proof::root_from_leaves(&leaves_300);
    let log_private = std::fs::read_to_string(path("log.key")).unwrap();
    let cp_300 =
        ledger_proof::checkpoint::sign("ledger.test/de-an-10", 300, root_300, &log_private)
            .unwrap();
    std::fs::write(path("cp300"), &cp_300).unwrap();
    let cosign = |checkpoint: &str, extra: &[&str]| {
        let mut args = vec![
            "checkpoint",
            "cosign",
            "--checkpoint",
            checkpoint,
            "--log-key",
            &path("log.pub"),
            "--key",
            &path("witness.key"),
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        ledger(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let out = cosign(&path("cp300"), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(path("cp300-hdnd"), text(&out.stdout)).unwrap();
    let consistency = ledger_proof::consistency_proof(300, 506, &stored).unwrap();
    let answer = serde_json::json!({ "data": { "consistencyProof": {
        "from": 300, "to": 506, "path": path_of(&consistency) } } });
    std::fs::write(path("grew.json"), answer.to_string()).unwrap();
    let out = cosign(
        &path("cp"),
        &[
            "--previous",
            &path("cp300-hdnd"),
            "--consistency",
            &path("grew.json"),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("— hdnd.test "),
        "{}",
        text(&out.stdout)
    );
    let mut bent = consistency.clone();
    bent.reverse();
    let answer = serde_json::json!({ "from": 300, "to": 506, "path": path_of(&bent) });
    std::fs::write(path("bent.json"), answer.to_string()).unwrap();
    let out = cosign(
        &path("cp"),
        &[
            "--previous",
            &path("cp300-hdnd"),
            "--consistency",
            &path("bent.json"),
        ],
    );
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not cosigning"),
        "{}",
        text(&out.stderr)
    );

    let answer = serde_json::json!({ "data": { "inclusionProof": {
        "position": 100, "size": 506, "path": path_of(&proof) } } });
    std::fs::write(path("proof.json"), answer.to_string()).unwrap();
    std::fs::write(path("event.json"), &lines[99]).unwrap();
    let one = |event: &str, proof: &str| {
        ledger(&[
            "verify",
            "--event",
            event,
            "--proof",
            proof,
            "--checkpoint",
            &path("cp"),
            "--public-key",
            &path("log.pub"),
        ])
    };
    let out = one(&path("event.json"), &path("proof.json"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("position 100"),
        "{}",
        text(&out.stdout)
    );
    let mut wrong = proof.clone();
    wrong.swap(0, 1);
    let answer = serde_json::json!({ "position": 100, "size": 506, "path": path_of(&wrong) });
    std::fs::write(path("wrong.json"), answer.to_string()).unwrap();
    let out = one(&path("event.json"), &path("wrong.json"));
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));

    let mut time = lines.clone();
    time[99] = changed.to_string();
    let out = offline(&write("time.jsonl", &time), &path("cp"), &path("log.pub"));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    std::fs::write(path("altered.json"), &time[99]).unwrap();
    let out = one(&path("altered.json"), &path("proof.json"));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("position 100:"),
        "{}",
        text(&out.stderr)
    );
    let out = offline(
        &write("cut.jsonl", &lines[..400]),
        &path("cp"),
        &path("log.pub"),
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cut"), "{}", text(&out.stderr));
    lines.remove(10);
    let out = offline(&write("gap.jsonl", &lines), &path("cp"), &path("log.pub"));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("position 11"),
        "{}",
        text(&out.stderr)
    );

    // A kept checkpoint altered in the database (its triggers dropped first, as an
    // administrator could): its signature no longer verifies.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = sqlx::SqlitePool::connect(&url).await.unwrap();
        for sql in [
            "DROP TRIGGER checkpoints_no_update",
            "UPDATE checkpoints SET note = replace(note, char(10) || '506' || char(10), char(10) || '505' || char(10))",
        ] {
            sqlx::query(sql).execute(&db).await.unwrap();
        }
    });
    let out = ledger(&[
        "verify",
        "--database-url",
        &url,
        "--public-key",
        &path("log.pub"),
    ]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("kept checkpoint"),
        "{}",
        text(&out.stderr)
    );
}

/// POSTs one GraphQL request with a bearer token; `None` when the server did not answer
/// (connection refused or closed: it is stopping).
fn post(address: &str, token: &str, query: &str) -> Option<(u16, serde_json::Value)> {
    use std::io::{Read, Write};
    let body = serde_json::json!({ "query": query }).to_string();
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    let (_, body) = answer.split_once("\r\n\r\n")?;
    Some((status, serde_json::from_str(body).unwrap_or_default()))
}

/// What systemd and container runtimes send: SIGTERM to the real binary while writers are
/// busy. It stops accepting, finishes what is in flight, and exits 0 within the grace; every
/// write it acknowledged is in the log afterwards.
#[test]
fn sigterm_under_load_stops_cleanly() {
    use std::sync::mpsc;
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a test secret that is long enough for HS256").unwrap();
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    let (mut child, address) = serving(
        &[
            "serve",
            "--database-url",
            &url,
            "--jwt-secret-file",
            secret.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--shutdown-grace",
            "10s",
        ],
        std::process::Stdio::piped(),
    );
    let token = Keys::hs256(b"a test secret that is long enough for HS256")
        .issue(
            &ledger_graphql::auth::Principal {
                subject: "vp-1".into(),
                name: "Văn phòng".into(),
                role: Role::Secretariat,
                unit: None,
            },
            600,
        )
        .unwrap();
    let today = ledger_app::day_in_vietnam(chrono::Utc::now()).to_string();
    let (acked, acks) = mpsc::channel::<String>();
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let (address, token, today, acked) =
                (address.clone(), token.clone(), today.clone(), acked.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    let id = format!("don-vi-{w}-{i}");
                    let query = format!(
                        "mutation {{ registerUnit(input: {{ id: \"{id}\", kind: STATE_BODY, name: \"Đơn vị {w} {i}\", establishedOn: \"{today}\" }}) {{ lastPosition }} }}"
                    );
                    match post(&address, &token, &query) {
                        Some((200, answer)) if answer["data"]["registerUnit"]["lastPosition"].is_u64() => {
                            if acked.send(id).is_err() {
                                return;
                            }
                        }
                        // Refused while stopping (503) or cut: not acknowledged.
                        Some(_) | None => return,
                    }
                }
            })
        })
        .collect();
    drop(acked);
    let mut acknowledged: Vec<String> = acks.iter().take(60).collect();
    assert_eq!(acknowledged.len(), 60, "the writers got going");
    let signal = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    let started = std::time::Instant::now();
    let (exited, exit) = mpsc::channel();
    std::thread::spawn(move || {
        let status = child.wait();
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
        }
        let _ = exited.send((status, stderr));
    });
    let (status, stderr) = exit
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the server exits within the grace and a little");
    let status = status.unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("SIGTERM: stopping"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes into a pipe: {stderr:?}"
    );
    acknowledged.extend(acks.iter());
    for writer in writers {
        writer.join().unwrap();
    }
    eprintln!(
        "stopped {:.2} s after SIGTERM; {} writes acknowledged",
        started.elapsed().as_secs_f64(),
        acknowledged.len()
    );
    let out = ledger(&["export", "--database-url", &url, "--stream-type", "unit"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = text(&out.stdout);
    for id in &acknowledged {
        assert!(
            log.contains(&format!("\"stream_id\":\"unit/{id}\"")),
            "acknowledged {id} is missing from the log"
        );
    }
}

/// The demo says its port is taken before it writes anything; when it runs, its token secret
/// and checkpoint key are readable by their owner only, and SIGTERM stops it with exit 0.
#[test]
fn the_demo_checks_its_port_first_and_keeps_its_secrets_private() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.db");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let out = ledger(&[
        "demo",
        "--file",
        file.to_str().unwrap(),
        "--listen",
        &address,
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot listen"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    drop(taken);

    let mut child = Command::new(BIN)
        .args([
            "demo",
            "--file",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("GraphQL:"), "{first}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for private in ["demo.db.jwt-secret", "demo.db.checkpoint.key"] {
            let mode = std::fs::metadata(dir.path().join(private))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{private}");
        }
    }
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// `ledger verify` and `ledger export` never create, migrate or write: a mistyped SQLite path
/// is an error and no file appears; a file that holds no ledger says what to run; an empty
/// log is an error unless `--allow-empty`.
#[test]
fn verify_and_export_never_create_or_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("mistyped.db");
    let url = format!("sqlite://{}", missing.display());
    for command in ["verify", "export"] {
        let out = ledger(&[command, "--database-url", &url]);
        assert!(!out.status.success(), "{command}");
        assert!(
            text(&out.stderr).contains("does not exist"),
            "{}",
            text(&out.stderr)
        );
        assert!(!missing.exists(), "{command} created the file");
    }
    // A SQLite file that is not a ledger's.
    let foreign = dir.path().join("foreign.db");
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection as _;
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&foreign)
                .create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            sqlx::query("CREATE TABLE t (x)")
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
        });
    let before = std::fs::read(&foreign).unwrap();
    let foreign_url = format!("sqlite://{}", foreign.display());
    for command in ["verify", "export"] {
        let out = ledger(&[command, "--database-url", &foreign_url]);
        assert!(!out.status.success(), "{command}");
        assert!(
            text(&out.stderr).contains("holds no ledger")
                && text(&out.stderr).contains("ledger migrate"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        std::fs::read(&foreign).unwrap(),
        before,
        "the file is unchanged"
    );
    // A ledger with nothing in it.
    let empty = format!("sqlite://{}", dir.path().join("empty.db").display());
    assert!(
        ledger(&["migrate", "--database-url", &empty])
            .status
            .success()
    );
    for command in ["verify", "export"] {
        let out = ledger(&[command, "--database-url", &empty]);
        assert!(!out.status.success(), "{command}");
        assert!(
            text(&out.stderr).contains("empty log"),
            "{}",
            text(&out.stderr)
        );
        let out = ledger(&[command, "--database-url", &empty, "--allow-empty"]);
        assert!(out.status.success(), "{command}: {}", text(&out.stderr));
    }
}

/// `--log-format json`: every log line is one JSON object (with the level and the message),
/// for log collectors.
#[test]
fn logs_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "a test secret that is long enough for HS256").unwrap();
    let url = format!("sqlite://{}", dir.path().join("l.db").display());
    let (mut child, _) = serving(
        &[
            "--log-format",
            "json",
            "serve",
            "--database-url",
            &url,
            "--jwt-secret-file",
            secret.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        std::process::Stdio::piped(),
    );
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let logged: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        logged
            .iter()
            .any(|l| l["level"] == "INFO" && l["fields"]["message"] == "stopped"),
        "{stderr}"
    );
}

//! A PostgreSQL database per test.
//!
//! The server is `LEDGER_TEST_DATABASE_URL` when set, otherwise the local default
//! (`postgres://postgres@127.0.0.1:5432/postgres`). If nothing answers there but PostgreSQL's
//! binaries are installed, a throwaway cluster is started in a temporary folder (as the
//! `postgres` user when the tests run as root) and stopped when the test process exits.
//! Otherwise the tests fail with a message saying what to install or start.
//! `LEDGER_TEST_THROWAWAY=1` skips the local default and always starts a throwaway cluster
//! (to check that path on a machine where the local server runs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::OnceCell;

/// The local default server.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static SERVER: OnceCell<String> = OnceCell::const_new();

async fn answers(url: &str) -> Result<(), String> {
    let attempt = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url)).await;
    match attempt {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out after 5 s".to_owned()),
    }
}

/// The URL of a server the tests may create databases on (the maintenance database).
pub async fn server_url() -> String {
    SERVER.get_or_init(find_server).await.clone()
}

async fn find_server() -> String {
    if let Ok(url) = std::env::var("LEDGER_TEST_DATABASE_URL") {
        if let Err(e) = answers(&url).await {
            panic!("LEDGER_TEST_DATABASE_URL={url} does not answer: {e}");
        }
        return url;
    }
    let forced = std::env::var("LEDGER_TEST_THROWAWAY").is_ok_and(|v| v == "1");
    let local = if forced {
        Err("skipped: LEDGER_TEST_THROWAWAY=1".to_owned())
    } else {
        answers(DEFAULT_URL).await
    };
    if local.is_ok() {
        return DEFAULT_URL.to_owned();
    }
    if let Some(bin) = find_pg_bin() {
        match start_throwaway(&bin).await {
            Ok(url) => return url,
            Err(e) => panic!(
                "PostgreSQL does not answer at {DEFAULT_URL} ({}) and a throwaway cluster from {} \
                 failed to start: {e}",
                local.unwrap_err(),
                bin.display()
            ),
        }
    }
    panic!(
        "PostgreSQL tests need a server: none answers at {DEFAULT_URL} ({}), \
         LEDGER_TEST_DATABASE_URL is not set, and no PostgreSQL binaries (initdb, pg_ctl) are \
         installed. Start the local server (pg_ctlcluster --skip-systemctl-redirect \
         $(ls /etc/postgresql) main start), point LEDGER_TEST_DATABASE_URL at one, or install \
         PostgreSQL (apt-get install postgresql).",
        local.unwrap_err()
    )
}

fn find_pg_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    candidates.sort();
    candidates.reverse();
    if let Ok(path) = std::env::var("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb refuses root).
fn run_pg(bin: &Path, tool: &str, args: &[&str]) -> Result<(), String> {
    let program = bin.join(tool);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&program);
        c
    } else {
        Command::new(&program)
    };
    let out = cmd
        .args(args)
        .output()
        .map_err(|e| format!("{tool}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

async fn start_throwaway(bin: &Path) -> Result<String, String> {
    let dir = tempfile::Builder::new()
        .prefix("ledger-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?
        .keep();
    let data = dir.join("data");
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("cannot give the temporary folder to the postgres user".to_owned());
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let data_s = data.to_string_lossy().to_string();
    let dir_s = dir.to_string_lossy().to_string();
    run_pg(
        bin,
        "initdb",
        &[
            "-D",
            &data_s,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
    )?;
    let opts = format!("-p {port} -k {dir_s} -c listen_addresses=127.0.0.1 -c fsync=off");
    // With -l the server writes to a file rather than inheriting pg_ctl's output pipes, which
    // would otherwise stay open and keep this call waiting forever.
    let log = format!("{dir_s}/server.log");
    run_pg(
        bin,
        "pg_ctl",
        &["-D", &data_s, "-l", &log, "-o", &opts, "-w", "start"],
    )?;
    // Stop the cluster and remove its folder when this test process exits.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {ctl} -D {data_s} -m immediate stop; rm -rf {dir_s}",
        pid = std::process::id(),
        ctl = if is_root() {
            format!("runuser -u postgres -- {}", bin.join("pg_ctl").display())
        } else {
            bin.join("pg_ctl").display().to_string()
        },
    );
    Command::new("setsid")
        .args(["sh", "-c", &stop])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    answers(&url).await?;
    Ok(url)
}

/// A database created for one test, dropped by [`TestDatabase::drop_database`].
#[derive(Debug)]
pub struct TestDatabase {
    server: String,
    name: String,
    /// URL of the new database.
    pub url: String,
}

impl TestDatabase {
    /// Creates an empty database with a unique name.
    pub async fn create() -> Self {
        let server = server_url().await;
        let name = format!("ledger_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&server)
            .await
            .expect("connect to the test server");
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create a test database");
        let _ = conn.close().await;
        let url = match server.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("test server URL {server} has no database part"),
        };
        Self { server, name, url }
    }

    /// Drops the database, closing whatever connections remain.
    pub async fn drop_database(&self) {
        if let Ok(mut conn) = PgConnection::connect(&self.server).await {
            let _ = conn
                .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
                .await;
            let _ = conn.close().await;
        }
    }
}

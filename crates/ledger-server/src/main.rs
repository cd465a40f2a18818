//! `ledger`: run the progress ledger (`demo`, `serve`) and administer it (`migrate`, `import`,
//! `rebuild`, `token issue`). Every failure prints a message and exits non-zero.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ledger_app::CommandPath;
use ledger_app::scenario::{import, parse, print_progress};
use ledger_domain::command::AnyCommand;
use ledger_domain::policy::TemporalPolicy;
use ledger_domain::value::UnitId;
use ledger_graphql::auth::{Keys, Principal, Role};
use ledger_server::{Ledger, open_existing, open_log, open_store, rebuild_read_models};
use ledger_store::EventStore;

mod checks;

/// Projection allocates and frees many small strings; see docs/PERFORMANCE.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ledger",
    version,
    about = "A verifiable, event-sourced progress ledger"
)]
struct Cli {
    /// Log lines as `text` (colours only on a terminal) or `json` (one object a line).
    #[arg(long, global = true, env = "LEDGER__LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Database {
    /// postgres://user@host/db or sqlite://path/to/ledger.db
    #[arg(long, env = "LEDGER__DATABASE_URL")]
    database_url: String,
}

#[derive(clap::Args, Clone)]
struct KeyArgs {
    /// A file holding the HS256 shared secret (demo and tests only).
    #[arg(long, env = "LEDGER__JWT_SECRET_FILE")]
    jwt_secret_file: Option<PathBuf>,
    /// A PEM file with the public key that verifies tokens (EdDSA or RS256).
    #[arg(long, env = "LEDGER__JWT_PUBLIC_KEY")]
    jwt_public_key: Option<PathBuf>,
    /// A PEM file with the private key (only to issue tokens).
    #[arg(long, env = "LEDGER__JWT_PRIVATE_KEY")]
    jwt_private_key: Option<PathBuf>,
    /// `eddsa` or `rs256`, for the PEM keys.
    #[arg(long, env = "LEDGER__JWT_ALGORITHM", default_value = "eddsa")]
    jwt_algorithm: String,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the demo: a SQLite file with Đề án 10-ĐA/TU imported, the server on 127.0.0.1:8080
    /// and a token per role.
    Demo {
        /// The demo database file (created if missing, reused otherwise).
        #[arg(long, default_value = "ledger-demo.db")]
        file: PathBuf,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Serves the GraphQL API.
    Serve {
        /// A TOML file with any of these settings (`database_url = "…"`, `listen = "…"`,
        /// `jwt_public_key = "…"`, …); flags and `LEDGER__*` variables override it.
        #[arg(long, env = "LEDGER__CONFIG")]
        config: Option<PathBuf>,
        /// postgres://user@host/db or sqlite://path/to/ledger.db
        #[arg(long, env = "LEDGER__DATABASE_URL")]
        database_url: Option<String>,
        #[command(flatten)]
        keys: KeyArgs,
        /// Where to listen (default 127.0.0.1:8080).
        #[arg(long, env = "LEDGER__LISTEN")]
        listen: Option<String>,
        /// Let callers without a token read progress roll-ups.
        #[arg(long, env = "LEDGER__ANONYMOUS_ROLLUPS")]
        anonymous_rollups: bool,
        /// Hide the schema from introspection.
        #[arg(long, env = "LEDGER__NO_INTROSPECTION")]
        no_introspection: bool,
        /// MiB of answers kept to share between callers asking the same at the same position
        /// (default 64; 0 answers every request afresh).
        #[arg(long, env = "LEDGER__ANSWER_CACHE_MIB")]
        answer_cache_mib: Option<usize>,
        /// A private key file (`ledger key generate`) to sign checkpoints with: the
        /// `signedCheckpoint` field.
        #[arg(long, env = "LEDGER__CHECKPOINT_KEY")]
        checkpoint_key: Option<PathBuf>,
        /// How often to sign and keep a checkpoint when the log has grown (e.g. 10m, 1h;
        /// default 10m; needs --checkpoint-key).
        #[arg(long, env = "LEDGER__CHECKPOINT_EVERY")]
        checkpoint_every: Option<String>,
        /// A witness's public key whose cosignatures are kept (repeatable).
        #[arg(long)]
        witness_key: Vec<PathBuf>,
        /// Days before the day of recording a change may be dated and still count as recorded
        /// on time (default 7; per kind of command in the config file's `[grace_days_by_command]`).
        /// Earlier changes are backdated: secretariat and supervisors only, with a reason and a
        /// source document (docs/domain.md, "Time").
        #[arg(long, env = "LEDGER__GRACE_DAYS")]
        grace_days: Option<u32>,
        /// Seconds of clock skew allowed for tokens' `exp`, `nbf` and `iat` (default 5).
        #[arg(long, env = "LEDGER__JWT_LEEWAY_SECONDS")]
        jwt_leeway_seconds: Option<u64>,
        /// Require tokens to name this audience (`aud`), as an identity provider serving
        /// several services issues them.
        #[arg(long, env = "LEDGER__JWT_AUDIENCE")]
        jwt_audience: Option<String>,
        /// How long a stopping server (SIGTERM, Ctrl-C) lets requests in flight finish, e.g.
        /// 10s (the default) or 1m.
        #[arg(long, env = "LEDGER__SHUTDOWN_GRACE")]
        shutdown_grace: Option<String>,
        /// Answer only trusted documents (the cookbook's questions, and those of
        /// --trusted-documents-file), by text or by SHA-256 hash, to callers whose role is not
        /// in --ad-hoc-roles; `GET /graphql/documents` lists them.
        #[arg(long, env = "LEDGER__TRUSTED_DOCUMENTS")]
        trusted_documents: bool,
        /// More trusted documents: a JSON array of texts, or an object from hashes to texts.
        #[arg(long, env = "LEDGER__TRUSTED_DOCUMENTS_FILE")]
        trusted_documents_file: Option<PathBuf>,
        /// With --trusted-documents, the roles that may still send their own documents, comma
        /// separated (default: every signed-in role; `none` for nobody).
        #[arg(long, env = "LEDGER__AD_HOC_ROLES")]
        ad_hoc_roles: Option<String>,
    },
    /// Creates or upgrades the log's and the read models' tables.
    Migrate {
        #[command(flatten)]
        database: Database,
    },
    /// Imports a scenario file (JSON) through the command path, idempotently.
    Import {
        #[command(flatten)]
        database: Database,
        /// The scenario file.
        file: PathBuf,
    },
    /// Writes the log (or part of it) as JSON lines or CSV.
    Export {
        #[command(flatten)]
        database: Database,
        /// `jsonl` (one stored event per line, as `ledger verify` reads it) or `csv`.
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// Only these stream types (repeatable).
        #[arg(long)]
        stream_type: Vec<String>,
        /// Only these event types (repeatable).
        #[arg(long)]
        event_type: Vec<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Export an empty log without complaint (by default an empty log is an error: a
        /// mistyped database, most likely).
        #[arg(long)]
        allow_empty: bool,
    },
    /// Rebuilds every read model from the log without downtime.
    Rebuild {
        #[command(flatten)]
        database: Database,
    },
    /// Token commands.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Signing keys for checkpoints.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Signed checkpoints of the log.
    Checkpoint {
        #[command(subcommand)]
        command: CheckpointCommand,
    },
    /// Verifies the log: every event against its leaf hash, the order, the Merkle tree and
    /// head, and signed checkpoints; from a database (--database-url) or an exported file
    /// (--log), with no trust in either; or one event with its inclusion proof (--event,
    /// --proof) against a signed checkpoint. Exit codes: 0 verified; 1 cannot read; 3 an event was
    /// altered; 4 the sequence is broken (a missing or reordered event, a cut tail); 5 the
    /// stored Merkle hashes or head disagree with the events; 6 history differs from a signed
    /// checkpoint; 7 a checkpoint's signatures do not verify.
    Verify {
        /// The database to verify.
        #[arg(long, env = "LEDGER__DATABASE_URL", conflicts_with = "log")]
        database_url: Option<String>,
        /// An exported log (`ledger export --format jsonl`) to verify with no database.
        #[arg(long)]
        log: Option<PathBuf>,
        /// One event (a line of `ledger export`) to verify with --proof and one --checkpoint.
        #[arg(long, requires = "proof", conflicts_with_all = ["database_url", "log"])]
        event: Option<PathBuf>,
        /// The event's inclusion proof (the API's `inclusionProof`, as JSON).
        #[arg(long, requires = "event")]
        proof: Option<PathBuf>,
        /// A signed checkpoint the log must match (repeatable).
        #[arg(long)]
        checkpoint: Vec<PathBuf>,
        /// A public key trusted to sign checkpoints (repeatable; `ledger key generate` makes them).
        #[arg(long)]
        public_key: Vec<PathBuf>,
        /// Accept an empty log in the database (by default an error: a mistyped database, most
        /// likely).
        #[arg(long)]
        allow_empty: bool,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Makes an Ed25519 key pair in the signed-note format: NAME.key (private) and NAME.pub.
    Generate {
        /// The key's name, e.g. the log's origin (`ledger.example.gov.vn/de-an-10`); no spaces
        /// or '+'.
        #[arg(long)]
        name: String,
        /// Where to write: `OUT.key` and `OUT.pub`.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum CheckpointCommand {
    /// Signs the log's current head, keeps the checkpoint in the database, and prints it (a
    /// C2SP signed note).
    Sign {
        #[command(flatten)]
        database: Database,
        /// The private key file (its name is the log's name on the checkpoint).
        #[arg(long)]
        key: PathBuf,
    },
    /// Adds a witness's signature to a signed checkpoint after checking the log's own
    /// signature, and prints the cosigned checkpoint.
    Cosign {
        /// The signed checkpoint.
        #[arg(long)]
        checkpoint: PathBuf,
        /// The log's public key.
        #[arg(long)]
        log_key: PathBuf,
        /// The witness's private key.
        #[arg(long)]
        key: PathBuf,
        /// The last checkpoint this witness cosigned: the new one must extend it.
        #[arg(long, requires = "consistency")]
        previous: Option<PathBuf>,
        /// The consistency proof from the previous checkpoint's size to the new one's (the
        /// API's `consistencyProof`, as JSON).
        #[arg(long, requires = "previous")]
        consistency: Option<PathBuf>,
        /// Cosign in the C2SP tlog-cosignature/v1 format (timestamped; verified with the
        /// key's `.cosigner.pub`) instead of a plain signed-note signature.
        #[arg(long)]
        v1: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issues a token.
    Issue {
        #[command(flatten)]
        keys: KeyArgs,
        /// secretariat, unit_reporter, supervisor, inspector or archivist.
        #[arg(long)]
        role: Role,
        /// The unit the holder acts for (required for unit_reporter).
        #[arg(long)]
        unit: Option<UnitId>,
        /// The holder's stable id.
        #[arg(long)]
        subject: String,
        /// The holder's name, as histories show it.
        #[arg(long)]
        name: String,
        /// Validity, e.g. 3600s, 8h, 30d.
        #[arg(long, default_value = "8h")]
        ttl: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr);
    if cli.log_format == "json" {
        logs.json().init();
    } else {
        // Colour codes only for a person at a terminal, never into files or journals.
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    match run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failed) => {
            eprintln!("ledger: {}", failed.message);
            ExitCode::from(failed.code)
        }
    }
}

enum KeysAndChecks {
    Key(KeyCommand),
    Checkpoint(CheckpointCommand),
    Verify {
        database_url: Option<String>,
        log: Option<PathBuf>,
        event: Option<(PathBuf, PathBuf)>,
        checkpoint: Vec<PathBuf>,
        public_key: Vec<PathBuf>,
        allow_empty: bool,
    },
}

/// The commands with exit codes of their own (see `ledger verify --help`).
async fn keys_and_checks(command: KeysAndChecks) -> Result<(), checks::Failed> {
    match command {
        KeysAndChecks::Key(KeyCommand::Generate { name, out }) => checks::generate(&name, &out),
        KeysAndChecks::Checkpoint(CheckpointCommand::Sign { database, key }) => {
            let store = open_store(&database.database_url).await?;
            let note = checks::sign(&store.to_dyn(), &key).await?;
            print!("{note}");
            Ok(())
        }
        KeysAndChecks::Checkpoint(CheckpointCommand::Cosign {
            checkpoint,
            log_key,
            key,
            previous,
            consistency,
            v1,
        }) => {
            // The log's signature first: a witness never signs what the log did not.
            let opened = checks::open_checkpoints(std::slice::from_ref(&checkpoint), &[log_key])?;
            // Then that the log only grew since the last checkpoint this witness signed.
            if let (Some(previous), Some(proof), [new]) = (previous, consistency, opened.as_slice())
            {
                let own = ledger_proof::checkpoint::public_key(
                    &std::fs::read_to_string(&key)
                        .map_err(|e| format!("cannot read {}: {e}", key.display()))?,
                )
                .map_err(|e| e.to_string())?;
                let own_v1 = ledger_proof::checkpoint::cosigner_public_key(
                    &std::fs::read_to_string(&key)
                        .map_err(|e| format!("cannot read {}: {e}", key.display()))?,
                )
                .map_err(|e| e.to_string())?;
                let [old] = checks::open_with(std::slice::from_ref(&previous), &[own, own_v1])?
                    .try_into()
                    .map_err(|_| "one previous checkpoint".to_owned())?;
                checks::check_consistency(&old, new, &proof)?;
            }
            let note = std::fs::read_to_string(&checkpoint)
                .map_err(|e| format!("cannot read {}: {e}", checkpoint.display()))?;
            let skey = std::fs::read_to_string(&key)
                .map_err(|e| format!("cannot read {}: {e}", key.display()))?;
            let cosigned = if v1 {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                ledger_proof::checkpoint::cosign_v1(&note, &skey, now)
            } else {
                ledger_proof::checkpoint::cosign(&note, &skey)
            }
            .map_err(|e| format!("{}: {e}", checkpoint.display()))?;
            print!("{cosigned}");
            Ok(())
        }
        KeysAndChecks::Verify {
            database_url,
            log,
            event,
            checkpoint,
            public_key,
            allow_empty,
        } => {
            let checkpoints = checks::open_checkpoints(&checkpoint, &public_key)?;
            if let Some((event, proof)) = event {
                return checks::verify_event(&event, &proof, &checkpoints);
            }
            let started = std::time::Instant::now();
            let summary = match (database_url, log) {
                (Some(url), None) => {
                    let store = open_existing(&url).await?;
                    if !allow_empty && store.head().await.map_err(|e| e.to_string())?.size == 0 {
                        return Err(empty_log(&url).into());
                    }
                    let mut checkpoints = checkpoints;
                    checkpoints
                        .extend(checks::stored_checkpoints(&store.to_dyn(), &public_key).await?);
                    ledger_verify::verify_store(&store, checkpoints, &mut checks::progress(started))
                        .await?
                }
                (None, Some(path)) => {
                    let file = std::fs::File::open(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    let mut progress = checks::progress(started);
                    ledger_verify::verify_lines(
                        std::io::BufReader::new(file),
                        checkpoints,
                        &mut |done| progress(done, done + 1),
                    )?
                }
                _ => {
                    return Err(
                        "give --database-url (a database) or --log (an exported file)"
                            .to_owned()
                            .into(),
                    );
                }
            };
            checks::report(&summary, started);
            Ok(())
        }
    }
}

async fn run(command: Command) -> Result<(), checks::Failed> {
    match command {
        Command::Key { command } => keys_and_checks(KeysAndChecks::Key(command)).await,
        Command::Checkpoint { command } => {
            keys_and_checks(KeysAndChecks::Checkpoint(command)).await
        }
        Command::Verify {
            database_url,
            log,
            event,
            proof,
            checkpoint,
            public_key,
            allow_empty,
        } => {
            keys_and_checks(KeysAndChecks::Verify {
                database_url,
                log,
                event: event.zip(proof),
                checkpoint,
                public_key,
                allow_empty,
            })
            .await
        }
        Command::Demo { file, listen } => Ok(demo(&file, &listen).await?),
        Command::Serve {
            config,
            database_url,
            keys,
            listen,
            anonymous_rollups,
            no_introspection,
            answer_cache_mib,
            checkpoint_key,
            checkpoint_every,
            witness_key,
            grace_days,
            jwt_leeway_seconds,
            jwt_audience,
            shutdown_grace,
            trusted_documents,
            trusted_documents_file,
            ad_hoc_roles,
        } => {
            let file = match &config {
                Some(path) => ConfigFile::read(path)?,
                None => ConfigFile::default(),
            };
            let database_url = database_url.or(file.database_url).ok_or(
                "no database: give --database-url, LEDGER__DATABASE_URL or database_url in --config",
            )?;
            let keys = KeyArgs {
                jwt_secret_file: keys.jwt_secret_file.or(file.jwt_secret_file),
                jwt_public_key: keys.jwt_public_key.or(file.jwt_public_key),
                jwt_private_key: keys.jwt_private_key.or(file.jwt_private_key),
                jwt_algorithm: file
                    .jwt_algorithm
                    .filter(|_| keys.jwt_algorithm == "eddsa")
                    .unwrap_or(keys.jwt_algorithm),
            };
            let listen = listen
                .or(file.listen)
                .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
            let mut keys = load_keys(&keys)?.with_leeway(
                jwt_leeway_seconds
                    .or(file.jwt_leeway_seconds)
                    .unwrap_or(ledger_graphql::auth::DEFAULT_LEEWAY_SECONDS),
            );
            if let Some(audience) = jwt_audience.or(file.jwt_audience) {
                keys = keys.with_audience(audience);
            }
            let shutdown_grace = shutdown_grace
                .or(file.shutdown_grace)
                .map(|t| parse_ttl(&t))
                .transpose()?
                .map_or(ledger_server::SHUTDOWN_GRACE, |s| {
                    std::time::Duration::from_secs(u64::try_from(s).unwrap_or(10))
                });
            let trusted = trusted_documents_settings(
                trusted_documents || file.trusted_documents.unwrap_or(false),
                trusted_documents_file.or(file.trusted_documents_file),
                ad_hoc_roles.or(file.ad_hoc_roles),
            )?;
            let checkpoint_key = checkpoint_key
                .or(file.checkpoint_key)
                .map(|path| {
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))
                })
                .transpose()?;
            let policy =
                temporal_policy(grace_days.or(file.grace_days), file.grace_days_by_command)?;
            let listener = bind(&listen).await?;
            let store = open_store(&database_url).await?;
            let ledger = Ledger::start_with(
                store,
                keys,
                anonymous_rollups || file.anonymous_rollups.unwrap_or(false),
                !(no_introspection || file.no_introspection.unwrap_or(false)),
                |path| path.with_policy(policy),
            )
            .with_shutdown_grace(shutdown_grace)
            .with_answer_budget(
                answer_cache_mib
                    .or(file.answer_cache_mib)
                    .map_or(ledger_graphql::answers::DEFAULT_ANSWER_BUDGET, |mib| {
                        mib.saturating_mul(1 << 20)
                    }),
            );
            let ledger = match trusted {
                Some(trusted) => ledger.with_trusted_documents(trusted),
                None => ledger,
            };
            let every = checkpoint_every
                .or(file.checkpoint_every)
                .map_or(Ok(600), |t| parse_ttl(&t))?;
            let witnesses = witness_key
                .iter()
                .chain(&file.witness_keys)
                .map(|path| {
                    std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let ledger = match checkpoint_key {
                Some(key) => ledger
                    .with_checkpoint_key(&key)?
                    .with_witness_keys(witnesses)?
                    .sign_checkpoints_every(std::time::Duration::from_secs(
                        u64::try_from(every.max(1)).unwrap_or(600),
                    )),
                None if witnesses.is_empty() => ledger,
                None => return Err("--witness-key needs --checkpoint-key".into()),
            };
            Ok(serve(ledger, listener, None).await?)
        }
        Command::Migrate { database } => {
            open_store(&database.database_url).await?;
            println!("the log and the read models are up to date");
            Ok(())
        }
        Command::Import { database, file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let scenario = parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let store = open_store(&database.database_url).await?;
            let done = import(
                &CommandPath::new(store),
                &scenario,
                print_progress(std::io::stderr()),
            )
            .await
            .map_err(|e| format!("{}: {e}", file.display()))?;
            println!(
                "imported {}: {} steps applied, {} already there",
                scenario.name,
                done.done - done.skipped,
                done.skipped
            );
            Ok(())
        }
        Command::Export {
            database,
            format,
            stream_type,
            event_type,
            output,
            allow_empty,
        } => {
            let csv = match format.as_str() {
                "jsonl" => false,
                "csv" => true,
                other => return Err(format!("--format {other:?}: use jsonl or csv").into()),
            };
            let store = open_existing(&database.database_url).await?;
            if !allow_empty && store.head().await.map_err(|e| e.to_string())?.size == 0 {
                return Err(empty_log(&database.database_url).into());
            }
            let filter = ledger_store::LogFilter {
                stream_types: stream_type,
                event_types: event_type,
            };
            let out: Box<dyn std::io::Write> = match &output {
                Some(path) => Box::new(
                    std::fs::File::create(path)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
                ),
                None => Box::new(std::io::stdout().lock()),
            };
            let written = export(&store, &filter, csv, std::io::BufWriter::new(out)).await?;
            eprintln!("exported {written} events");
            Ok(())
        }
        Command::Rebuild { database } => {
            let store = open_log(&database.database_url).await?;
            let summary = rebuild_read_models(&store).await?;
            println!(
                "read models rebuilt: generation {} live at position {} ({:.1}s)",
                summary.generation, summary.position, summary.total_seconds
            );
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Issue {
                    keys,
                    role,
                    unit,
                    subject,
                    name,
                    ttl,
                },
        } => {
            let keys = load_keys(&keys)?;
            let principal = Principal {
                subject,
                name,
                role,
                unit,
            };
            if principal.role == Role::UnitReporter && principal.unit.is_none() {
                return Err("a unit reporter's token needs --unit".to_owned().into());
            }
            let token = keys
                .issue(&principal, parse_ttl(&ttl)?)
                .map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
    }
}

/// Settings of `ledger serve` read from a TOML file (`--config`); each has a flag and a
/// `LEDGER__*` variable that override it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    database_url: Option<String>,
    listen: Option<String>,
    jwt_secret_file: Option<PathBuf>,
    jwt_public_key: Option<PathBuf>,
    jwt_private_key: Option<PathBuf>,
    jwt_algorithm: Option<String>,
    anonymous_rollups: Option<bool>,
    no_introspection: Option<bool>,
    answer_cache_mib: Option<usize>,
    checkpoint_key: Option<PathBuf>,
    checkpoint_every: Option<String>,
    #[serde(default)]
    witness_keys: Vec<PathBuf>,
    grace_days: Option<u32>,
    #[serde(default)]
    grace_days_by_command: std::collections::BTreeMap<String, u32>,
    jwt_leeway_seconds: Option<u64>,
    jwt_audience: Option<String>,
    shutdown_grace: Option<String>,
    trusted_documents: Option<bool>,
    trusted_documents_file: Option<PathBuf>,
    ad_hoc_roles: Option<String>,
}

impl ConfigFile {
    fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Most days of grace a deployment may set: a year (a longer grace would make every change
/// "on time").
const MAX_GRACE_DAYS: u32 = 366;

/// The temporal policy of `ledger serve`: a default grace and one per command name.
fn temporal_policy(
    default: Option<u32>,
    by_command: std::collections::BTreeMap<String, u32>,
) -> Result<TemporalPolicy, String> {
    let mut policy = TemporalPolicy::default();
    if let Some(days) = default {
        policy.default_grace_days = days;
    }
    for (command, days) in &by_command {
        if !AnyCommand::NAMES.contains(&command.as_str()) {
            return Err(format!(
                "grace_days_by_command: {command:?} is not a command (one of {})",
                AnyCommand::NAMES.join(", ")
            ));
        }
        if *days > MAX_GRACE_DAYS {
            return Err(format!(
                "grace_days_by_command.{command}: {days} days; at most {MAX_GRACE_DAYS}"
            ));
        }
    }
    if policy.default_grace_days > MAX_GRACE_DAYS {
        return Err(format!(
            "grace days: {}; at most {MAX_GRACE_DAYS}",
            policy.default_grace_days
        ));
    }
    policy.grace_days = by_command;
    Ok(policy)
}

/// `3600s`, `90m`, `8h`, `30d` (or bare seconds) as seconds.
fn parse_ttl(text: &str) -> Result<i64, String> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("--ttl {text:?}: expected a number with s, m, h or d"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("--ttl {text:?}: the unit must be s, m, h or d")),
    };
    if seconds <= 0 {
        return Err(format!("--ttl {text:?}: must be positive"));
    }
    Ok(seconds)
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn load_keys(args: &KeyArgs) -> Result<Keys, String> {
    match (&args.jwt_secret_file, &args.jwt_public_key) {
        (Some(secret), None) => {
            let secret = read(secret)?;
            if secret.len() < 32 {
                return Err("the HS256 secret must be at least 32 bytes".into());
            }
            Ok(Keys::hs256(&secret))
        }
        (None, Some(public)) => {
            let public = read(public)?;
            let private = args.jwt_private_key.as_deref().map(read).transpose()?;
            match args.jwt_algorithm.as_str() {
                "eddsa" => Keys::ed25519(&public, private.as_deref()),
                "rs256" => Keys::rs256(&public, private.as_deref()),
                other => return Err(format!("--jwt-algorithm {other:?}: use eddsa or rs256")),
            }
            .map_err(|e| e.to_string())
        }
        (Some(_), Some(_)) => Err("give --jwt-secret-file or --jwt-public-key, not both".into()),
        (None, None) => Err(
            "no token keys: give --jwt-public-key (EdDSA or RS256) or, for a demo, --jwt-secret-file"
                .into(),
        ),
    }
}

/// Binds the listening socket: first, so a port in use is said before anything is written.
async fn bind(listen: &str) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))
}

async fn serve(
    ledger: Ledger,
    listener: tokio::net::TcpListener,
    banner: Option<String>,
) -> Result<(), String> {
    let stopped = stop_signal()?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    println!("GraphQL:  http://{address}/graphql");
    println!("GraphiQL: http://{address}/graphiql");
    if let Some(banner) = banner {
        println!("{banner}");
    }
    let shutdown = async {
        let signal = stopped.await;
        eprintln!("{signal}: stopping…");
    };
    ledger
        .serve(listener, shutdown)
        .await
        .map_err(|e| format!("the server failed: {e}"))
}

/// The refusal of an empty log where one was not expected.
fn empty_log(url: &str) -> String {
    format!(
        "{url} holds an empty log: check the URL, or pass --allow-empty if an empty ledger is what you expect"
    )
}

/// The trusted documents of `ledger serve`, when asked for.
fn trusted_documents_settings(
    on: bool,
    file: Option<PathBuf>,
    ad_hoc_roles: Option<String>,
) -> Result<Option<ledger_server::trusted::TrustedDocuments>, String> {
    if !on {
        if file.is_some() || ad_hoc_roles.is_some() {
            return Err(
                "--trusted-documents-file and --ad-hoc-roles need --trusted-documents".into(),
            );
        }
        return Ok(None);
    }
    let mut trusted = ledger_server::trusted::TrustedDocuments::cookbook();
    if let Some(file) = file {
        trusted.add_file(&file)?;
    }
    if let Some(roles) = ad_hoc_roles {
        let roles = if roles.trim() == "none" {
            Vec::new()
        } else {
            roles
                .split(',')
                .map(|r| {
                    r.trim()
                        .parse::<ledger_graphql::auth::Role>()
                        .map_err(|_| format!("--ad-hoc-roles: {r:?} is not a role"))
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        trusted = trusted.with_ad_hoc_roles(roles);
    }
    Ok(Some(trusted))
}

/// Listens for SIGTERM (what systemd and container runtimes send) and SIGINT (Ctrl-C) from now
/// on, so a signal sent as soon as the address is printed is not lost; the future names the
/// first to come.
fn stop_signal() -> Result<impl std::future::Future<Output = &'static str>, String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| signal(kind).map_err(|e| format!("cannot listen for signals: {e}"));
        let (mut term, mut int) = (
            listen(SignalKind::terminate())?,
            listen(SignalKind::interrupt())?,
        );
        Ok(async move {
            tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        })
    }
}

/// The demo: reuse or create the file, import the demo scenario (or finish importing it),
/// run its live actions once, serve.
async fn demo(file: &Path, listen: &str) -> Result<(), String> {
    let listener = bind(listen).await?;
    let url = format!("sqlite://{}", file.display());
    let store = open_store(&url).await?;
    let head = store.head().await.map_err(|e| e.to_string())?.size;
    if head == 0 {
        eprintln!("importing the demo scenario (Đề án 10-ĐA/TU, Kế hoạch 44-KH/TU)…");
    }
    ledger_app::demo::set_up(
        &CommandPath::new(store.clone()),
        print_progress(std::io::stderr()),
    )
    .await
    .map_err(|e| {
        if head == 0 {
            e.to_string()
        } else {
            format!(
                "{e}\n{} holds a demo this version cannot continue (an older version's, or \
                 changed by hand): remove it and the files beside it named {}.* to start afresh",
                file.display(),
                file.display()
            )
        }
    })?;
    let keys = Keys::hs256(&demo_secret(file)?);
    // The demo signs checkpoints too, with a key kept beside the database: `ledger verify
    // --database-url sqlite://FILE --public-key FILE.checkpoint.pub` checks them.
    let checkpoint_key = demo_checkpoint_key(file)?;
    let ledger = Ledger::start(store.clone(), keys.clone(), true, true)
        .with_checkpoint_key(&checkpoint_key)?
        .sign_checkpoints_every(std::time::Duration::from_secs(600));
    let mut tokens = String::from("Tokens (HS256, demo only; send as `Authorization: Bearer …`):");
    for principal in ledger_app::demo::principals() {
        let token = keys
            .issue(&principal, 30 * 86_400)
            .map_err(|e| e.to_string())?;
        tokens.push_str(&format!("\n  {:<14} {token}", principal.role.as_str()));
    }
    serve(ledger, listener, Some(tokens)).await
}

/// The demo's checkpoint key, made on first run beside the database (`FILE.checkpoint.key`,
/// and the public half in `FILE.checkpoint.pub`).
fn demo_checkpoint_key(file: &Path) -> Result<String, String> {
    let private = PathBuf::from(format!("{}.checkpoint.key", file.display()));
    if let Ok(key) = std::fs::read_to_string(&private) {
        return Ok(key);
    }
    let prefix = PathBuf::from(format!("{}.checkpoint", file.display()));
    checks::write_key_files("ledger.demo.local/de-an-10", &prefix).map_err(|f| f.message)?;
    std::fs::read_to_string(&private).map_err(|e| format!("cannot read {}: {e}", private.display()))
}

/// The demo's HS256 secret, kept beside the database so tokens survive a restart.
fn demo_secret(file: &Path) -> Result<Vec<u8>, String> {
    let path = PathBuf::from(format!("{}.jwt-secret", file.display()));
    if let Ok(secret) = std::fs::read(&path)
        && secret.len() >= 32
    {
        return Ok(secret);
    }
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    // A short or unreadable file from an older demo is replaced, owner-only.
    let _ = std::fs::remove_file(&path);
    checks::write_private(&path, &secret)?;
    Ok(secret.into_bytes())
}

/// The CSV columns of `ledger export --format csv`.
const CSV_HEADER: &str = "position,stream_id,stream_type,stream_version,event_type,schema_version,\
recorded_at,effective_at,actor,actor_name,actor_role,acting_unit,correlation_id,reason,\
source_document,payload,leaf_hash";

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Writes every event passing `filter`, oldest first; returns how many.
async fn export<S: EventStore>(
    store: &S,
    filter: &ledger_store::LogFilter,
    csv: bool,
    mut out: impl std::io::Write,
) -> Result<u64, String> {
    let io = |e: std::io::Error| format!("cannot write the export: {e}");
    let head = store.head().await.map_err(|e| e.to_string())?.size;
    if csv {
        writeln!(out, "{CSV_HEADER}").map_err(io)?;
    }
    let (mut after, mut written, mut next_tenth) = (0u64, 0u64, 1u64);
    loop {
        let read = ledger_store::ReadAll {
            after,
            limit: ledger_store::store::MAX_READ_LIMIT,
            filter: filter.clone(),
        };
        let events = store.read_all(&read).await.map_err(|e| e.to_string())?;
        let Some(last) = events.last().map(|e| e.position) else {
            break;
        };
        for e in &events {
            if csv {
                let m = &e.metadata;
                let fields = [
                    e.position.to_string(),
                    e.stream_id.clone(),
                    e.stream_type.clone(),
                    e.stream_version.to_string(),
                    e.event_type.clone(),
                    e.schema_version.to_string(),
                    e.recorded_at.to_string(),
                    e.effective_at.to_string(),
                    m.actor.subject.clone(),
                    m.actor.display_name.clone(),
                    m.actor.role.clone(),
                    m.acting_unit.clone().unwrap_or_default(),
                    m.correlation_id.to_string(),
                    m.reason.clone().unwrap_or_default(),
                    m.source_document.clone().unwrap_or_default(),
                    e.payload.to_string(),
                    ledger_store::envelope::hash_hex::to_hex(&e.leaf_hash),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(",")).map_err(io)?;
            } else {
                let line = serde_json::to_string(e).map_err(|e| e.to_string())?;
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        written += events.len() as u64;
        after = last;
        if head > 0 && after * 10 >= head * next_tenth {
            next_tenth = after * 10 / head + 1;
            eprintln!("exported up to position {after} of {head}");
        }
    }
    out.flush().map_err(io)?;
    Ok(written)
}

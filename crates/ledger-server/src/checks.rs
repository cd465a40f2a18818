//! `ledger key generate`, `ledger checkpoint sign|cosign` and `ledger verify`: the commands
//! an inspection team runs, with exit codes that tell the kind of failure
//! (`ledger_verify::Finding::exit_code`; 7 for a checkpoint whose signatures do not verify).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ledger_proof::checkpoint::{self, CheckpointError};
use ledger_verify::{Checkpoint, Finding, Summary};

/// Exit code: a checkpoint's signatures do not verify with the keys given.
pub const BAD_SIGNATURE: u8 = 7;

/// A failure: its message and exit code.
pub struct Failed {
    pub message: String,
    pub code: u8,
}

impl From<&str> for Failed {
    fn from(message: &str) -> Self {
        message.to_owned().into()
    }
}

impl From<String> for Failed {
    fn from(message: String) -> Self {
        Self { message, code: 1 }
    }
}

impl From<Finding> for Failed {
    fn from(finding: Finding) -> Self {
        Self {
            code: u8::try_from(finding.exit_code()).unwrap_or(1),
            message: format!("verification FAILED: {finding}"),
        }
    }
}

fn read_text(path: &Path) -> Result<String, Failed> {
    std::fs::read_to_string(path)
        .map_err(|e| Failed::from(format!("cannot read {}: {e}", path.display())))
}

/// Creates `path` (which must not exist) readable and writable by its owner only (mode 0600),
/// and writes `contents`: for private keys and secrets.
///
/// # Errors
/// A message naming the file.
pub fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(contents.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `ledger key generate`: writes the key files ([`write_key_files`]) and prints the public key.
pub fn generate(name: &str, out: &Path) -> Result<(), Failed> {
    let (public, key_file, pub_file, cosigner_file) = write_key_files(name, out)?;
    println!("{public}");
    eprintln!(
        "private key: {} (keep it secret); public key: {}; as a tlog-cosignature/v1 witness: {}",
        key_file.display(),
        pub_file.display(),
        cosigner_file.display()
    );
    Ok(())
}

/// Writes `<out>.key` (private, readable by its owner only), `<out>.pub` and
/// `<out>.cosigner.pub`; returns the public key and the three files.
pub fn write_key_files(
    name: &str,
    out: &Path,
) -> Result<(String, PathBuf, PathBuf, PathBuf), Failed> {
    let (private, public) = checkpoint::generate_key(&mut rand_core::OsRng, name)
        .map_err(|e| Failed::from(e.to_string()))?;
    let key_file = PathBuf::from(format!("{}.key", out.display()));
    let pub_file = PathBuf::from(format!("{}.pub", out.display()));
    for file in [&key_file, &pub_file] {
        if file.exists() {
            return Err(format!("{} exists; not overwriting a key", file.display()).into());
        }
    }
    write_private(&key_file, &format!("{private}\n")).map_err(Failed::from)?;
    std::fs::write(&pub_file, format!("{public}\n"))
        .map_err(|e| Failed::from(format!("cannot write {}: {e}", pub_file.display())))?;
    // The same key as a C2SP tlog-cosignature/v1 witness key (type 0x04).
    let cosigner_file = PathBuf::from(format!("{}.cosigner.pub", out.display()));
    let cosigner =
        checkpoint::cosigner_public_key(&private).map_err(|e| Failed::from(e.to_string()))?;
    std::fs::write(&cosigner_file, format!("{cosigner}\n"))
        .map_err(|e| Failed::from(format!("cannot write {}: {e}", cosigner_file.display())))?;
    Ok((public, key_file, pub_file, cosigner_file))
}

/// Signs the head of `store` with the private key in `key` (the origin is the key's name),
/// keeps the checkpoint in the database, and returns the signed note.
pub async fn sign(store: &ledger_store::DynStore, key: &Path) -> Result<String, Failed> {
    let skey = read_text(key)?;
    let kept = ledger_graphql::checkpoints::sign_head(store, skey.trim())
        .await
        .map_err(|e| Failed::from(format!("cannot sign the head: {e}")))?;
    Ok(kept.note)
}

/// The origin a signed note names (its first line), before any signature is checked.
fn origin_of(note: &str) -> &str {
    note.lines().next().unwrap_or_default()
}

/// Opens checkpoint files with the trusted public keys in `keys`.
pub fn open_checkpoints(files: &[PathBuf], keys: &[PathBuf]) -> Result<Vec<Checkpoint>, Failed> {
    if !files.is_empty() && keys.is_empty() {
        return Err(
            "--checkpoint needs --public-key: the key(s) trusted to sign it"
                .to_owned()
                .into(),
        );
    }
    let keys = keys
        .iter()
        .map(|k| read_text(k))
        .collect::<Result<Vec<_>, _>>()?;
    open_with(files, &keys)
}

/// Opens checkpoint files with the trusted public keys given as text.
pub fn open_with(files: &[PathBuf], keys: &[String]) -> Result<Vec<Checkpoint>, Failed> {
    let trusted: Vec<&str> = keys.iter().map(|k| k.trim()).collect();
    files
        .iter()
        .map(|file| {
            let note = read_text(file)?;
            let opened =
                checkpoint::open(&note, origin_of(&note), &trusted).map_err(|e| Failed {
                    code: match e {
                        CheckpointError::Signature(_) => BAD_SIGNATURE,
                        _ => 1,
                    },
                    message: format!("{}: {e}", file.display()),
                })?;
            eprintln!(
                "{}: {} events, signed by {}",
                file.display(),
                opened.size,
                opened.signed_by.join(", ")
            );
            Ok(Checkpoint {
                size: opened.size,
                root: opened.root,
                source: file.display().to_string(),
            })
        })
        .collect()
}

/// Progress on standard error: events checked, of how many, and the rate.
pub fn progress(started: Instant) -> impl FnMut(u64, u64) + Send {
    let mut last = Instant::now();
    move |done, total| {
        if last.elapsed().as_millis() < 500 && done < total {
            return;
        }
        last = Instant::now();
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        #[allow(clippy::cast_precision_loss)]
        let rate = done as f64 / seconds;
        eprintln!("verified {done} of {total} events ({rate:.0} events/s)");
    }
}

/// Prints what a successful check established.
pub fn report(summary: &Summary, started: Instant) {
    let root: String = summary.root.0.iter().map(|b| format!("{b:02x}")).collect();
    #[allow(clippy::cast_precision_loss)]
    let rate = summary.size as f64 / started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "verified: {} events, root {root}; {} signed checkpoint(s) matched{} ({rate:.0} events/s)",
        summary.size,
        summary.checkpoints.len(),
        if summary.checkpoints.is_empty() {
            String::new()
        } else {
            format!(
                " at {}",
                summary
                    .checkpoints
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
}

/// The `path` of a proof as the API gives it: hashes in hex.
fn path_of(proof: &serde_json::Value) -> Result<Vec<ledger_proof::Hash>, Failed> {
    proof["path"]
        .as_array()
        .ok_or_else(|| Failed::from("the proof has no path".to_owned()))?
        .iter()
        .map(|h| {
            h.as_str()
                .and_then(ledger_store::envelope::hash_hex::from_hex)
                .ok_or_else(|| Failed::from(format!("{h} is not a hash")))
        })
        .collect()
}

/// The inclusion proof a file holds: the `inclusionProof` object of a GraphQL answer (or the
/// whole answer).
fn proof_of(text: &str) -> Result<(u64, u64, Vec<ledger_proof::Hash>), Failed> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Failed::from(format!("the proof is not JSON: {e}")))?;
    let proof = value
        .pointer("/data/inclusionProof")
        .or_else(|| value.get("inclusionProof"))
        .unwrap_or(&value);
    let number = |name: &str| {
        proof[name]
            .as_u64()
            .ok_or_else(|| Failed::from(format!("the proof has no {name}")))
    };
    Ok((number("position")?, number("size")?, path_of(proof)?))
}

/// `ledger verify --event`: one event (a line of `ledger export`), its inclusion proof
/// (`inclusionProof` from the API) and a signed checkpoint of the proof's size, as a citizen
/// would receive them.
pub fn verify_event(event: &Path, proof: &Path, checkpoints: &[Checkpoint]) -> Result<(), Failed> {
    let event: ledger_store::StoredEvent = serde_json::from_str(read_text(event)?.trim())
        .map_err(|e| Failed::from(format!("{}: not a stored event: {e}", event.display())))?;
    let (position, size, path) = proof_of(&read_text(proof)?)?;
    let [checkpoint] = checkpoints else {
        return Err(
            "--event needs exactly one --checkpoint, of the proof's size"
                .to_owned()
                .into(),
        );
    };
    if position != event.position {
        return Err(format!(
            "the proof is for position {position}, the event is at {}",
            event.position
        )
        .into());
    }
    if size != checkpoint.size {
        return Err(format!(
            "the proof is for a tree of {size} events, the checkpoint signs {}: ask for the proof at size {}",
            checkpoint.size, checkpoint.size
        )
        .into());
    }
    let leaf = event
        .compute_leaf_hash()
        .map_err(|e| Failed::from(e.to_string()))?;
    if leaf != event.leaf_hash {
        return Err(Finding {
            position: Some(position),
            problem: ledger_verify::Problem::Altered {
                stored: ledger_store::envelope::hash_hex::to_hex(&event.leaf_hash),
                computed: ledger_store::envelope::hash_hex::to_hex(&leaf),
            },
        }
        .into());
    }
    ledger_proof::verify_inclusion(&path, position - 1, size, checkpoint.root, leaf).map_err(
        |e| Failed {
            code: 6,
            message: format!(
                "verification FAILED: position {position}: the event is not in the log {} signed: {e}",
                checkpoint.source
            ),
        },
    )?;
    println!(
        "verified: the event at position {position} ({}, {}) is in the log of {size} events that {} signed",
        event.event_type, event.stream_id, checkpoint.source
    );
    Ok(())
}

/// The checkpoints a database keeps, opened with the trusted public keys: each one's
/// signatures must verify (a kept note that does not is itself a finding: exit 7).
pub async fn stored_checkpoints(
    store: &ledger_store::DynStore,
    keys: &[PathBuf],
) -> Result<Vec<Checkpoint>, Failed> {
    let kept =
        ledger_graphql::checkpoints::list(store, usize::try_from(i64::MAX).unwrap_or(usize::MAX))
            .await
            .map_err(|e| Failed::from(format!("cannot read the kept checkpoints: {e}")))?;
    if kept.is_empty() {
        return Ok(Vec::new());
    }
    if keys.is_empty() {
        eprintln!(
            "{} kept checkpoint(s) not checked: give --public-key to check them",
            kept.len()
        );
        return Ok(Vec::new());
    }
    let keys = keys
        .iter()
        .map(|k| read_text(k))
        .collect::<Result<Vec<_>, _>>()?;
    let trusted: Vec<&str> = keys.iter().map(|k| k.trim()).collect();
    kept.iter()
        .map(|c| {
            let opened =
                checkpoint::open(&c.note, origin_of(&c.note), &trusted).map_err(|e| Failed {
                    code: BAD_SIGNATURE,
                    message: format!("the kept checkpoint of {} events: {e}", c.size),
                })?;
            Ok(Checkpoint {
                size: opened.size,
                root: opened.root,
                source: format!(
                    "the kept checkpoint of {} events (signed by {})",
                    opened.size,
                    opened.signed_by.join(", ")
                ),
            })
        })
        .collect()
}

/// Checks that `new` extends `old`, with the consistency proof in `proof` (the API's
/// `consistencyProof`, as JSON, or the whole answer): exit 6 if not.
pub fn check_consistency(old: &Checkpoint, new: &Checkpoint, proof: &Path) -> Result<(), Failed> {
    let value: serde_json::Value = serde_json::from_str(&read_text(proof)?)
        .map_err(|e| Failed::from(format!("{}: not JSON: {e}", proof.display())))?;
    let proof_value = value
        .pointer("/data/consistencyProof")
        .or_else(|| value.get("consistencyProof"))
        .unwrap_or(&value);
    let (from, to) = (proof_value["from"].as_u64(), proof_value["to"].as_u64());
    if from != Some(old.size) || to != Some(new.size) {
        return Err(format!(
            "the proof is from {from:?} to {to:?}; the checkpoints are of {} and {} events",
            old.size, new.size
        )
        .into());
    }
    let path = path_of(proof_value)?;
    ledger_proof::verify_consistency(&path, old.size, old.root, new.size, new.root).map_err(|e| {
        Failed {
            code: 6,
            message: format!(
                "not cosigning: the log of {} events does not extend the one of {} this witness signed: {e}",
                new.size, old.size
            ),
        }
    })
}

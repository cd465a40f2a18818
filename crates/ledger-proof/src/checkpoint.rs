//! Signed checkpoints: a C2SP `tlog-checkpoint` body (origin, tree size, base64 root) signed as
//! a C2SP `signed-note` with Ed25519 keys, through the `tlog_tiles` and `signed_note` crates.
//!
//! The ledger signs with its key; another body (a witness: the People's Council secretariat,
//! say) adds its own signature to the same note after checking the new tree is consistent with
//! the last one it signed. A verifier opens a note with the public keys it trusts and gets the
//! size and root, and who signed them.
//!
//! Keys are the `signed-note` text forms: `PRIVATE+KEY+<name>+<id>+<base64>` (keep secret)
//! and `<name>+<id>+<base64>` (publish). Key generation needs the operating system's
//! randomness and lives in the command line (`ledger key generate`).

use signed_note::{Note, Signer, StandardSigner, StandardVerifier, Verifier, VerifierList};
use tlog_tiles::{Checkpoint, Hash};

/// Why a checkpoint could not be made or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A key in the wrong form.
    #[error("bad key: {0}")]
    Key(String),
    /// The origin cannot head a checkpoint.
    #[error("bad origin {0:?}: one non-empty line")]
    Origin(String),
    /// The note or its body is not a well-formed checkpoint.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// No trusted key signed it, or a signature by a trusted key is wrong.
    #[error("the checkpoint's signatures do not verify: {0}")]
    Signature(String),
    /// It names another log.
    #[error("the checkpoint is of {found:?}, not {expected:?}")]
    OtherLog {
        /// The origin expected.
        expected: String,
        /// The origin found.
        found: String,
    },
}

/// A checkpoint opened with trusted keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The log it names.
    pub origin: String,
    /// Its tree size (events).
    pub size: u64,
    /// Its root hash.
    pub root: Hash,
    /// The names of the trusted keys that signed it, in the note's order.
    pub signed_by: Vec<String>,
}

/// The unsigned checkpoint body: `<origin>\n<size>\n<base64 root>\n`.
///
/// # Errors
/// [`CheckpointError::Origin`] for an empty origin or one with a line break.
pub fn body(origin: &str, size: u64, root: Hash) -> Result<Vec<u8>, CheckpointError> {
    if origin.contains('\n') {
        return Err(CheckpointError::Origin(origin.to_owned()));
    }
    Checkpoint::new(origin, size, root, "")
        .map(|c| c.to_bytes())
        .map_err(|_| CheckpointError::Origin(origin.to_owned()))
}

/// A new key pair named `name` from `rng` (the operating system's randomness in the command
/// line): `(private, public)` in the signed-note text forms.
///
/// # Errors
/// [`CheckpointError::Key`] for a name a signed note cannot carry (empty, spaces, `+`).
pub fn generate_key<R: rand_core::CryptoRngCore + ?Sized>(
    rng: &mut R,
    name: &str,
) -> Result<(String, String), CheckpointError> {
    if !signed_note::is_key_name_valid(name) {
        return Err(CheckpointError::Key(format!(
            "{name:?}: a key name is non-empty, without spaces or '+'"
        )));
    }
    Ok(signed_note::generate_key(rng, name))
}

/// The public key of a private key, both in the signed-note text forms.
///
/// # Errors
/// [`CheckpointError::Key`] when `skey` is not an Ed25519 private key.
pub fn public_key(skey: &str) -> Result<String, CheckpointError> {
    let name = signer(skey)?.name().to_owned();
    let key = seed_of(skey)?;
    Ok(signed_note::new_ed25519_verifier_key(
        &name,
        &key.verifying_key(),
    ))
}

fn signer(skey: &str) -> Result<StandardSigner, CheckpointError> {
    StandardSigner::new(skey.trim()).map_err(|e| CheckpointError::Key(e.to_string()))
}

/// The public key (`<name>+<id>+<base64>`) of a well-formed private key, to check a pair.
///
/// # Errors
/// [`CheckpointError::Key`].
pub fn verifier(vkey: &str) -> Result<StandardVerifier, CheckpointError> {
    StandardVerifier::new(vkey.trim()).map_err(|e| CheckpointError::Key(e.to_string()))
}

/// Signature type of C2SP `tlog-cosignature/v1` Ed25519 keys.
const COSIGNATURE_V1: u8 = 0x04;

/// A witness's public key for C2SP `tlog-cosignature/v1` (signature type 0x04): it verifies
/// `timestamp ‖ Ed25519 signature` over `cosignature/v1\ntime <timestamp>\n` followed by the
/// checkpoint body.
pub struct CosignatureV1Verifier {
    name: String,
    id: u32,
    key: ed25519_dalek::VerifyingKey,
}

impl CosignatureV1Verifier {
    /// Parses a `<name>+<key id>+<base64(0x04 ‖ public key)>` verifier key.
    ///
    /// # Errors
    /// [`CheckpointError::Key`] for another form, type or a key id that does not match.
    pub fn new(vkey: &str) -> Result<Self, CheckpointError> {
        use base64::Engine as _;
        let bad = |why: &str| CheckpointError::Key(format!("cosignature/v1 key: {why}"));
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(encoded)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected <name>+<id>+<key>"));
        };
        let id = u32::from_str_radix(id, 16).map_err(|_| bad("the key id is not hex"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| bad(&e.to_string()))?;
        let (Some(&COSIGNATURE_V1), Some(key)) = (bytes.first(), bytes.get(1..)) else {
            return Err(bad("not of type 0x04"));
        };
        let key: [u8; 32] = key.try_into().map_err(|_| bad("not 32 bytes"))?;
        if signed_note::key_id(name, &bytes) != id || !signed_note::is_key_name_valid(name) {
            return Err(bad("the key id does not match the name and key"));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            key: ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|e| bad(&e.to_string()))?,
        })
    }
}

/// The message a cosignature/v1 signs.
fn cosigned_message(timestamp: u64, body: &[u8]) -> Vec<u8> {
    let mut message = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    message.extend_from_slice(body);
    message
}

impl Verifier for CosignatureV1Verifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let (Some(timestamp), Some(signature)) = (sig.get(..8), sig.get(8..)) else {
            return false;
        };
        let Ok(timestamp) = <[u8; 8]>::try_from(timestamp).map(u64::from_be_bytes) else {
            return false;
        };
        let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else {
            return false;
        };
        timestamp <= i64::MAX.unsigned_abs()
            && self
                .key
                .verify_strict(&cosigned_message(timestamp, msg), &signature)
                .is_ok()
    }
}

/// Signs cosignature/v1 lines with an Ed25519 private key (the seed of a signed-note private
/// key) at a given time.
struct CosignatureV1Signer {
    name: String,
    id: u32,
    key: ed25519_dalek::SigningKey,
    timestamp: u64,
}

impl Signer for CosignatureV1Signer {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        use ed25519_dalek::Signer as _;
        let signature = self.key.sign(&cosigned_message(self.timestamp, msg));
        let mut out = self.timestamp.to_be_bytes().to_vec();
        out.extend_from_slice(&signature.to_bytes());
        Ok(out)
    }
}

fn seed_of(skey: &str) -> Result<ed25519_dalek::SigningKey, CheckpointError> {
    use base64::Engine as _;
    signer(skey)?;
    // PRIVATE+KEY+<name>+<id>+<base64>: names hold no '+', the base64 may.
    let encoded = skey.trim().splitn(5, '+').nth(4).unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| CheckpointError::Key(e.to_string()))?;
    let seed: [u8; 32] = bytes
        .get(1..)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CheckpointError::Key("not an Ed25519 private key".to_owned()))?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}

/// The cosignature/v1 public key (type 0x04) of a witness's private key.
///
/// # Errors
/// [`CheckpointError::Key`].
pub fn cosigner_public_key(skey: &str) -> Result<String, CheckpointError> {
    use base64::Engine as _;
    let name = signer(skey)?.name().to_owned();
    let key = seed_of(skey)?.verifying_key();
    let bytes = [&[COSIGNATURE_V1][..], key.as_bytes()].concat();
    Ok(format!(
        "{name}+{:08x}+{}",
        signed_note::key_id(&name, &bytes),
        base64::engine::general_purpose::STANDARD.encode(&bytes)
    ))
}

/// Adds a C2SP `tlog-cosignature/v1` cosignature by `skey`, dated `timestamp` (seconds since
/// the epoch), to a signed checkpoint.
///
/// # Errors
/// [`CheckpointError::Key`], [`CheckpointError::Malformed`].
pub fn cosign_v1(note: &str, skey: &str, timestamp: u64) -> Result<String, CheckpointError> {
    let name = signer(skey)?.name().to_owned();
    let key = seed_of(skey)?;
    let bytes = [&[COSIGNATURE_V1][..], key.verifying_key().as_bytes()].concat();
    let signer = CosignatureV1Signer {
        id: signed_note::key_id(&name, &bytes),
        name,
        key,
        timestamp,
    };
    let mut note =
        Note::from_bytes(note.as_bytes()).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    Checkpoint::from_bytes(note.text()).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    note.add_sigs(&[&signer as &dyn Signer])
        .map_err(|e| CheckpointError::Key(e.to_string()))?;
    String::from_utf8(note.to_bytes()).map_err(|e| CheckpointError::Malformed(e.to_string()))
}

/// A trusted key of either kind: a signed-note Ed25519 key (type 0x01: the log's, or a
/// witness's plain signature) or a cosignature/v1 key (type 0x04).
fn any_verifier(vkey: &str) -> Result<Box<dyn Verifier>, CheckpointError> {
    match CosignatureV1Verifier::new(vkey) {
        Ok(v) => Ok(Box::new(v)),
        Err(_) => Ok(Box::new(verifier(vkey)?)),
    }
}

/// The name a key (private or public) signs as.
///
/// # Errors
/// [`CheckpointError::Key`].
pub fn key_name(key: &str) -> Result<String, CheckpointError> {
    let key = key.trim();
    if key.starts_with("PRIVATE+KEY+") {
        Ok(signer(key)?.name().to_owned())
    } else {
        Ok(verifier(key)?.name().to_owned())
    }
}

/// Signs a checkpoint of `origin` at `size` with `root`: the signed note's text.
///
/// # Errors
/// [`CheckpointError::Key`], [`CheckpointError::Origin`].
pub fn sign(origin: &str, size: u64, root: Hash, skey: &str) -> Result<String, CheckpointError> {
    let signer = signer(skey)?;
    let mut note = Note::new(&body(origin, size, root)?, &[])
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    note.add_sigs(&[&signer as &dyn Signer])
        .map_err(|e| CheckpointError::Key(e.to_string()))?;
    String::from_utf8(note.to_bytes()).map_err(|e| CheckpointError::Malformed(e.to_string()))
}

/// Adds the signature of `skey` to a signed checkpoint (a witness's cosignature), keeping the
/// others. The caller checks consistency with what it signed before: see
/// [`crate::verify_consistency`].
///
/// # Errors
/// [`CheckpointError::Key`], [`CheckpointError::Malformed`].
pub fn cosign(note: &str, skey: &str) -> Result<String, CheckpointError> {
    let signer = signer(skey)?;
    let mut note =
        Note::from_bytes(note.as_bytes()).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    Checkpoint::from_bytes(note.text()).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    note.add_sigs(&[&signer as &dyn Signer])
        .map_err(|e| CheckpointError::Key(e.to_string()))?;
    String::from_utf8(note.to_bytes()).map_err(|e| CheckpointError::Malformed(e.to_string()))
}

/// Opens a signed checkpoint of `origin` with the public keys trusted (at least one must have
/// signed it, and every signature by a trusted key must verify; signatures by other keys are
/// ignored).
///
/// # Errors
/// [`CheckpointError::Key`] for a bad trusted key, [`CheckpointError::Malformed`],
/// [`CheckpointError::Signature`], [`CheckpointError::OtherLog`].
pub fn open(note: &str, origin: &str, trusted: &[&str]) -> Result<Opened, CheckpointError> {
    let verifiers = trusted
        .iter()
        .map(|k| any_verifier(k))
        .collect::<Result<Vec<_>, _>>()?;
    let note =
        Note::from_bytes(note.as_bytes()).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    let (verified, _) = note
        .verify(&VerifierList::new(verifiers))
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    let checkpoint = Checkpoint::from_bytes(note.text())
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    if checkpoint.origin() != origin {
        return Err(CheckpointError::OtherLog {
            expected: origin.to_owned(),
            found: checkpoint.origin().to_owned(),
        });
    }
    if !checkpoint.extension().is_empty() {
        return Err(CheckpointError::Malformed(
            "extension lines are not used by this ledger".to_owned(),
        ));
    }
    Ok(Opened {
        origin: checkpoint.origin().to_owned(),
        size: checkpoint.size(),
        root: *checkpoint.hash(),
        signed_by: verified.iter().map(|s| s.name().to_owned()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic "random" source: test keys only, never a real log's.
    struct Fixed(u8);

    impl rand_core::RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            u32::from(self.0)
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.0)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(self.0);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            dest.fill(self.0);
            Ok(())
        }
    }

    impl rand_core::CryptoRng for Fixed {}

    /// (private, public) test keys named `name`.
    fn keys(name: &str, seed: u8) -> (String, String) {
        generate_key(&mut Fixed(seed), name).unwrap_or_default()
    }

    #[test]
    fn signed_opened_and_cosigned() {
        let (log_skey, log) = keys("ledger.test", 1);
        let (witness_skey, witness) = keys("witness.test", 2);
        let root = crate::leaf_hash(b"root");
        let note = sign("ledger.test/thai-nguyen", 42, root, &log_skey).unwrap_or_default();
        assert!(note.starts_with("ledger.test/thai-nguyen\n42\n"), "{note}");
        assert!(note.contains("\n\n\u{2014} ledger.test "), "{note}");
        let opened = open(&note, "ledger.test/thai-nguyen", &[&log]);
        assert_eq!(
            opened,
            Ok(Opened {
                origin: "ledger.test/thai-nguyen".into(),
                size: 42,
                root,
                signed_by: vec!["ledger.test".into()],
            })
        );
        // Not signed by a key we trust.
        assert!(matches!(
            open(&note, "ledger.test/thai-nguyen", &[&witness]),
            Err(CheckpointError::Signature(_))
        ));
        // Another log's checkpoint.
        assert!(matches!(
            open(&note, "other.log", &[&log]),
            Err(CheckpointError::OtherLog { .. })
        ));
        // Cosigned: both names, either key opens it.
        let both = cosign(&note, &witness_skey).unwrap_or_default();
        let opened = open(&both, "ledger.test/thai-nguyen", &[&log, &witness])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(opened.signed_by, ["ledger.test", "witness.test"]);
        // A changed size, root or signature fails.
        let forged = note.replacen("\n42\n", "\n43\n", 1);
        assert!(open(&forged, "ledger.test/thai-nguyen", &[&log]).is_err());
        let other_root = sign(
            "ledger.test/thai-nguyen",
            42,
            crate::leaf_hash(b"x"),
            &log_skey,
        )
        .unwrap_or_default();
        let spliced = format!(
            "{}{}",
            other_root.split("\n\n").next().unwrap_or_default(),
            &note[note.find("\n\n").unwrap_or(0)..]
        );
        assert!(open(&spliced, "ledger.test/thai-nguyen", &[&log]).is_err());
        assert!(matches!(
            sign("two\nlines", 1, root, &log_skey),
            Err(CheckpointError::Origin(_))
        ));
        assert!(matches!(
            sign("o", 1, root, "not a key"),
            Err(CheckpointError::Key(_))
        ));
        assert_eq!(key_name(&log_skey), Ok("ledger.test".to_owned()));
        assert_eq!(key_name(&log), Ok("ledger.test".to_owned()));
        assert!(generate_key(&mut Fixed(3), "two words").is_err());
        assert_eq!(public_key(&log_skey), Ok(log.clone()));
        // Whatever the key's base64 holds ('+' included), its public half comes out right.
        let mut with_plus = 0;
        for seed in 0..=255u8 {
            let (private, public) = keys("k.test", seed);
            with_plus += usize::from(
                private
                    .splitn(5, '+')
                    .nth(4)
                    .unwrap_or_default()
                    .contains('+'),
            );
            assert_eq!(public_key(&private), Ok(public), "seed {seed}");
        }
        assert!(with_plus > 0, "some keys' base64 holds a '+'");
    }

    /// C2SP tlog-cosignature/v1: what deployed witnesses produce. The signed message and the
    /// key id are rebuilt here from the spec's text, independently of the verifier.
    #[test]
    fn cosignature_v1() {
        use base64::Engine as _;
        use sha2::Digest as _;
        let (log_skey, log) = keys("ledger.test", 1);
        let (witness_skey, _) = keys("witness.test/w1", 4);
        let witness_v1 = cosigner_public_key(&witness_skey).unwrap_or_default();
        let root = crate::leaf_hash(b"root");
        let note = sign("ledger.test/thai-nguyen", 42, root, &log_skey).unwrap_or_default();
        let cosigned = cosign_v1(&note, &witness_skey, 1_679_315_147).unwrap_or_default();
        let opened = open(&cosigned, "ledger.test/thai-nguyen", &[&log, &witness_v1]);
        assert_eq!(
            opened.map(|o| o.signed_by),
            Ok(vec!["ledger.test".to_owned(), "witness.test/w1".to_owned()])
        );

        // The public key: <name>+<id>+base64(0x04 ‖ key), id = SHA-256(name ‖ \n ‖ 0x04 ‖ key)[:4].
        let parts: Vec<&str> = witness_v1.splitn(3, '+').collect();
        let key_bytes = base64::engine::general_purpose::STANDARD
            .decode(parts[2])
            .unwrap_or_default();
        assert_eq!(key_bytes[0], 0x04);
        let digest = sha2::Sha256::digest([b"witness.test/w1\n".as_slice(), &key_bytes].concat());
        assert_eq!(
            parts[1],
            format!(
                "{:02x}{:02x}{:02x}{:02x}",
                digest[0], digest[1], digest[2], digest[3]
            )
        );

        // The line: base64(key id ‖ timestamp (u64, big-endian) ‖ Ed25519 signature) over
        // "cosignature/v1\ntime <t>\n" + the checkpoint body.
        let line = cosigned.lines().last().unwrap_or_default();
        assert!(line.starts_with("\u{2014} witness.test/w1 "), "{line}");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(line.rsplit(' ').next().unwrap_or_default())
            .unwrap_or_default();
        assert_eq!(bytes.len(), 4 + 8 + 64);
        assert_eq!(
            u64::from_be_bytes(bytes[4..12].try_into().unwrap_or_default()),
            1_679_315_147
        );
        let body = note.split("\n\n").next().unwrap_or_default().to_owned() + "\n";
        let message = format!("cosignature/v1\ntime 1679315147\n{body}");
        let key =
            ed25519_dalek::VerifyingKey::from_bytes(&key_bytes[1..].try_into().unwrap_or([0; 32]))
                .unwrap_or_else(|e| panic!("{e}"));
        let signature =
            ed25519_dalek::Signature::from_slice(&bytes[12..]).unwrap_or_else(|e| panic!("{e}"));
        assert!(key.verify_strict(message.as_bytes(), &signature).is_ok());

        // Another timestamp in the line, or the plain key in place of the v1 key, fails.
        let mut forged = bytes.clone();
        forged[11] ^= 1;
        let forged_line = format!(
            "\u{2014} witness.test/w1 {}",
            base64::engine::general_purpose::STANDARD.encode(&forged)
        );
        let forged_note = cosigned.replace(line, &forged_line);
        assert!(
            open(
                &forged_note,
                "ledger.test/thai-nguyen",
                &[&log, &witness_v1]
            )
            .is_err()
        );
        let plain = public_key(&witness_skey).unwrap_or_default();
        let only_log = open(&cosigned, "ledger.test/thai-nguyen", &[&log, &plain]);
        assert_eq!(
            only_log.map(|o| o.signed_by),
            Ok(vec!["ledger.test".to_owned()])
        );
        assert!(public_key(&log).is_err());
    }
}

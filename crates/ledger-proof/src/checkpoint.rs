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
    use base64::Engine as _;
    let name = signer(skey)?.name().to_owned();
    // PRIVATE+KEY+<name>+<id>+<base64>: names hold no '+', the base64 may.
    let encoded = skey.trim().splitn(5, '+').nth(4).unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| CheckpointError::Key(e.to_string()))?;
    let seed: [u8; 32] = bytes
        .get(1..)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CheckpointError::Key("not an Ed25519 private key".to_owned()))?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
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
        .map(|k| verifier(k).map(|v| Box::new(v) as Box<dyn Verifier>))
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
        assert!(public_key(&log).is_err());
    }
}

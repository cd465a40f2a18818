//! Checkpoints the ledger signed and witnesses cosigned, kept in the `checkpoints` table
//! (`schema/*/0002_checkpoints.sql`: rows are only added, like the log).
//!
//! The server signs the head when asked (`signCheckpoint`) and on a schedule
//! (`ledger serve --checkpoint-every`); a witness sends back the note with its own signature
//! added (`cosignCheckpoint`), which is kept once the ledger's signature and the witness's (a
//! key the deployment trusts: `--witness-key`) verify and the body is one the ledger signed.

use async_graphql::SimpleObject;
use ledger_proof::checkpoint::{self, Opened};
use ledger_store::envelope::hash_hex::to_hex;
use ledger_store::{DynStore, EventStore, KeptCheckpoint};

/// A kept checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct StoredCheckpoint {
    /// Tree size (events).
    pub size: u64,
    /// The keys whose signatures were verified when it was kept, by name.
    pub signers: Vec<String>,
    /// Root (hex).
    pub root: String,
    /// The signed note, as `ledger verify --checkpoint` reads it.
    pub note: String,
    /// When it was kept.
    pub stored_at: String,
}

impl From<KeptCheckpoint> for StoredCheckpoint {
    fn from(k: KeptCheckpoint) -> Self {
        Self {
            size: k.size,
            signers: k.signers,
            root: k.root,
            note: k.note,
            stored_at: k.stored_at,
        }
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Keeps an opened note; false if the same size and signers were kept already.
///
/// # Errors
/// A database failure, as a message.
pub async fn keep(store: &DynStore, opened: &Opened, note: &str) -> Result<bool, String> {
    let mut signers = opened.signed_by.clone();
    signers.sort();
    signers.dedup();
    store
        .keep_checkpoint(&KeptCheckpoint {
            size: opened.size,
            signers,
            root: to_hex(&opened.root),
            note: note.to_owned(),
            stored_at: String::new(),
        })
        .await
        .map_err(err)
}

/// Kept checkpoints, largest size first (and, for one size, the most signers first).
///
/// # Errors
/// A database failure, as a message.
pub async fn list(store: &DynStore, limit: usize) -> Result<Vec<StoredCheckpoint>, String> {
    Ok(store
        .checkpoints(None, limit)
        .await
        .map_err(err)?
        .into_iter()
        .map(StoredCheckpoint::from)
        .collect())
}

/// Whether a checkpoint of `size` events with `root` was kept.
async fn signed_before(store: &DynStore, size: u64, root: &str) -> Result<bool, String> {
    let kept = store
        .checkpoints(Some(size), usize::MAX)
        .await
        .map_err(err)?;
    Ok(kept.iter().any(|k| k.root == root))
}

/// Signs the log's head with `key` and keeps the note (unless that size is already kept).
///
/// # Errors
/// The store, the key or the database failing, as a message.
pub async fn sign_head(store: &DynStore, key: &str) -> Result<StoredCheckpoint, String> {
    let head = store.head().await.map_err(err)?;
    let origin = checkpoint::key_name(key).map_err(err)?;
    let note = checkpoint::sign(&origin, head.size, head.root, key).map_err(err)?;
    let opened = Opened {
        origin,
        size: head.size,
        root: head.root,
        signed_by: vec![checkpoint::key_name(key).map_err(err)?],
    };
    keep(store, &opened, &note).await?;
    Ok(StoredCheckpoint {
        size: head.size,
        signers: opened.signed_by,
        root: to_hex(&head.root),
        note,
        stored_at: String::new(),
    })
}

/// Why a cosigned note was not kept.
#[derive(Debug, thiserror::Error)]
pub enum CosignError {
    /// The note is not a checkpoint the ledger signed, or no trusted witness signed it.
    #[error("{0}")]
    Refused(String),
    /// The database failed.
    #[error("{0}")]
    Database(String),
}

/// Keeps a note a witness cosigned: the ledger's own signature must verify, the body must be
/// one the ledger kept, and at least one trusted witness must have signed.
///
/// # Errors
/// [`CosignError`].
pub async fn keep_cosigned(
    store: &DynStore,
    key: &str,
    witnesses: &[String],
    note: &str,
) -> Result<StoredCheckpoint, CosignError> {
    let refused = |e: &dyn std::fmt::Display| CosignError::Refused(e.to_string());
    let own = checkpoint::public_key(key).map_err(|e| refused(&e))?;
    let origin = checkpoint::key_name(key).map_err(|e| refused(&e))?;
    let mine = checkpoint::open(note, &origin, &[&own]).map_err(|e| refused(&e))?;
    let mut trusted: Vec<&str> = vec![&own];
    trusted.extend(witnesses.iter().map(String::as_str));
    let opened = checkpoint::open(note, &origin, &trusted).map_err(|e| refused(&e))?;
    if opened.signed_by.len() < 2 {
        return Err(CosignError::Refused(
            "no witness this deployment trusts signed it (see ledger serve --witness-key)"
                .to_owned(),
        ));
    }
    let root = to_hex(&mine.root);
    if !signed_before(store, mine.size, &root)
        .await
        .map_err(CosignError::Database)?
    {
        return Err(CosignError::Refused(format!(
            "the ledger kept no checkpoint of {} events with this root",
            mine.size
        )));
    }
    keep(store, &opened, note)
        .await
        .map_err(CosignError::Database)?;
    let mut signers = opened.signed_by;
    signers.sort();
    Ok(StoredCheckpoint {
        size: opened.size,
        signers,
        root,
        note: note.to_owned(),
        stored_at: String::new(),
    })
}

/// Checkpoint mutations (merged into the mutation root).
#[derive(Default)]
pub struct CheckpointMutation;

fn require(
    ctx: &async_graphql::Context<'_>,
    roles: &[crate::auth::Role],
    what: &str,
) -> async_graphql::Result<()> {
    use crate::error::Code;
    let principal = crate::principal(ctx).ok_or_else(crate::error::unauthenticated)?;
    if roles.contains(&principal.role) {
        Ok(())
    } else {
        Err(crate::error::coded_vi(
            Code::Forbidden,
            format!("a {} may not {what}", principal.role),
            "vai trò của bạn không được thực hiện thao tác này",
        ))
    }
}

fn key(api: &crate::Api) -> async_graphql::Result<&str> {
    api.checkpoint_key.get().map(String::as_str).ok_or_else(|| {
        crate::error::coded_vi(
            crate::error::Code::NotFound,
            "this server signs no checkpoints (start it with --checkpoint-key)",
            "máy chủ này không ký điểm kiểm (khởi động với --checkpoint-key)",
        )
    })
}

#[async_graphql::Object]
impl CheckpointMutation {
    /// Signs the log's head now with the ledger's key and keeps the checkpoint (secretariat,
    /// inspector).
    async fn sign_checkpoint(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<StoredCheckpoint> {
        use crate::auth::Role;
        require(
            ctx,
            &[Role::Secretariat, Role::Inspector],
            "sign checkpoints",
        )?;
        let api = ctx.data::<crate::Api>()?;
        sign_head(&api.store, key(api)?)
            .await
            .map_err(|e| crate::error::internal(&e))
    }

    /// Keeps a checkpoint a witness cosigned (supervisor, inspector): the note as the ledger
    /// signed it, with the witness's signature line added (`ledger checkpoint cosign`).
    async fn cosign_checkpoint(
        &self,
        ctx: &async_graphql::Context<'_>,
        note: String,
    ) -> async_graphql::Result<StoredCheckpoint> {
        use crate::auth::Role;
        require(
            ctx,
            &[Role::Supervisor, Role::Inspector],
            "cosign checkpoints",
        )?;
        let api = ctx.data::<crate::Api>()?;
        let witnesses = api.witness_keys.get().cloned().unwrap_or_default();
        keep_cosigned(&api.store, key(api)?, &witnesses, &note)
            .await
            .map_err(|e| match e {
                CosignError::Refused(m) => crate::error::coded_vi(
                    crate::error::Code::BadUserInput,
                    m.clone(),
                    format!("không nhận chữ ký đồng xác nhận: {m}"),
                ),
                CosignError::Database(m) => crate::error::internal(&m),
            })
    }
}

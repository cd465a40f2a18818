//! Trusted documents: a deployment open to the public can answer only the questions it
//! publishes, as public GraphQL APIs do. Each is known by the SHA-256 of its text (lowercase
//! hex); a client sends the text, or only the hash in Apollo's persisted-query form
//! (`"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "…"}}`). Callers whose role
//! is allowed ad-hoc documents (by default every signed-in role; anonymous callers never) may
//! still send any document. The default list is the cookbook's questions
//! (`docs/graphql.md`); `GET /graphql/documents` lists what is trusted.

use std::collections::BTreeMap;
use std::path::Path;

use async_graphql::Value;
use ledger_graphql::auth::Role;
use sha2::{Digest, Sha256};

/// The allow-list and who may go beyond it.
#[derive(Debug, Clone)]
pub struct TrustedDocuments {
    by_hash: BTreeMap<String, String>,
    ad_hoc: Vec<Role>,
}

/// Why a request was not admitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAdmitted {
    /// Only the hash was sent, and no trusted document has it.
    UnknownHash(String),
    /// The text and the hash sent with it disagree.
    HashMismatch,
    /// An ad-hoc document from a caller whose role may send only trusted ones.
    AdHoc,
}

impl NotAdmitted {
    /// `extensions.code`, English and Vietnamese.
    #[must_use]
    pub fn refusal(&self) -> (&'static str, String, String) {
        match self {
            Self::UnknownHash(hash) => (
                "PERSISTED_QUERY_NOT_FOUND",
                format!(
                    "no trusted document has the hash {hash}; GET /graphql/documents lists them"
                ),
                format!(
                    "không có truy vấn được phép nào có mã băm {hash}; xem danh sách tại GET /graphql/documents"
                ),
            ),
            Self::HashMismatch => (
                "BAD_USER_INPUT",
                "the query's SHA-256 is not the sha256Hash sent with it".to_owned(),
                "mã băm SHA-256 của truy vấn không khớp với sha256Hash gửi kèm".to_owned(),
            ),
            Self::AdHoc => (
                "TRUSTED_DOCUMENTS_ONLY",
                "this server answers only its published questions for your role: GET /graphql/documents lists them".to_owned(),
                "máy chủ chỉ trả lời các truy vấn đã công bố cho vai trò của bạn: xem GET /graphql/documents".to_owned(),
            ),
        }
    }
}

/// The SHA-256 of a document's text, lowercase hex.
#[must_use]
pub fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl TrustedDocuments {
    /// The cookbook's questions; every signed-in role may also send its own documents.
    #[must_use]
    pub fn cookbook() -> Self {
        let mut trusted = Self {
            by_hash: BTreeMap::new(),
            ad_hoc: Role::ALL.to_vec(),
        };
        for question in ledger_graphql::cookbook() {
            trusted.add(question.query);
        }
        trusted
    }

    /// Adds a document.
    pub fn add(&mut self, text: String) {
        self.by_hash.insert(hash(&text), text);
    }

    /// Adds the documents of a file: a JSON array of document texts, or an object from their
    /// hashes to their texts (each hash is checked).
    ///
    /// # Errors
    /// A message naming the file and what is wrong.
    pub fn add_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        match value {
            serde_json::Value::Array(items) => {
                for item in items {
                    let serde_json::Value::String(text) = item else {
                        return Err(format!(
                            "{}: each item must be a document's text",
                            path.display()
                        ));
                    };
                    self.add(text);
                }
            }
            serde_json::Value::Object(map) => {
                for (given, item) in map {
                    let serde_json::Value::String(text) = item else {
                        return Err(format!(
                            "{}: {given}: must map to a document's text",
                            path.display()
                        ));
                    };
                    if hash(&text) != given {
                        return Err(format!(
                            "{}: {given} is not the SHA-256 of its document ({})",
                            path.display(),
                            hash(&text)
                        ));
                    }
                    self.add(text);
                }
            }
            _ => {
                return Err(format!(
                    "{}: expected an array of documents or an object from hashes to documents",
                    path.display()
                ));
            }
        }
        Ok(())
    }

    /// Lets only these roles send ad-hoc documents (none: everyone sends trusted ones only).
    #[must_use]
    pub fn with_ad_hoc_roles(mut self, roles: Vec<Role>) -> Self {
        self.ad_hoc = roles;
        self
    }

    /// The trusted documents by hash.
    #[must_use]
    pub fn documents(&self) -> &BTreeMap<String, String> {
        &self.by_hash
    }

    /// Admits `request` from a caller of `role` (none: anonymous), filling in the text of a
    /// document sent by hash only.
    ///
    /// # Errors
    /// [`NotAdmitted`], saying why.
    pub fn admit(
        &self,
        request: &mut async_graphql::Request,
        role: Option<Role>,
    ) -> Result<(), NotAdmitted> {
        let sent_hash = match request.extensions.0.get("persistedQuery") {
            Some(Value::Object(persisted)) => match persisted.get("sha256Hash") {
                Some(Value::String(hash)) => Some(hash.to_ascii_lowercase()),
                _ => None,
            },
            _ => None,
        };
        if request.query.is_empty() {
            let Some(hash) = sent_hash else {
                // Nothing to run: the engine refuses it as an empty document.
                return Ok(());
            };
            return match self.by_hash.get(&hash) {
                Some(text) => {
                    request.query.clone_from(text);
                    Ok(())
                }
                None => Err(NotAdmitted::UnknownHash(hash)),
            };
        }
        let actual = hash(&request.query);
        if sent_hash.is_some_and(|h| h != actual) {
            return Err(NotAdmitted::HashMismatch);
        }
        if self.by_hash.contains_key(&actual) || role.is_some_and(|r| self.ad_hoc.contains(&r)) {
            Ok(())
        } else {
            Err(NotAdmitted::AdHoc)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_hash(hash: &str) -> async_graphql::Request {
        let mut request = async_graphql::Request::new("");
        let mut persisted = async_graphql::indexmap::IndexMap::new();
        persisted.insert(
            async_graphql::Name::new("sha256Hash"),
            Value::String(hash.to_owned()),
        );
        request
            .extensions
            .0
            .insert("persistedQuery".to_owned(), Value::Object(persisted));
        request
    }

    #[test]
    fn trusted_documents_by_text_or_hash_ad_hoc_by_role() {
        let trusted = TrustedDocuments::cookbook().with_ad_hoc_roles(vec![Role::Inspector]);
        let (hash, text) = trusted
            .documents()
            .iter()
            .next()
            .map(|(h, t)| (h.clone(), t.clone()))
            .unwrap_or_default();
        assert_eq!(trusted.documents().len(), ledger_graphql::cookbook().len());
        // By hash only: the text is filled in.
        let mut request = by_hash(&hash);
        assert_eq!(trusted.admit(&mut request, None), Ok(()));
        assert_eq!(request.query, text);
        // By text: admitted for anyone.
        assert_eq!(
            trusted.admit(&mut async_graphql::Request::new(text.clone()), None),
            Ok(())
        );
        // Unknown hash; a text whose hash is not the one sent.
        assert_eq!(
            trusted.admit(&mut by_hash("00"), None),
            Err(NotAdmitted::UnknownHash("00".into()))
        );
        let mut mismatched = by_hash(&hash);
        mismatched.query = "{ checkpoint { head } }".into();
        assert_eq!(
            trusted.admit(&mut mismatched, Some(Role::Inspector)),
            Err(NotAdmitted::HashMismatch)
        );
        // Ad hoc: the inspector may, the supervisor and anonymous callers may not.
        let ad_hoc = || async_graphql::Request::new("{ checkpoint { head } }");
        assert_eq!(trusted.admit(&mut ad_hoc(), Some(Role::Inspector)), Ok(()));
        assert_eq!(
            trusted.admit(&mut ad_hoc(), Some(Role::Supervisor)),
            Err(NotAdmitted::AdHoc)
        );
        assert_eq!(trusted.admit(&mut ad_hoc(), None), Err(NotAdmitted::AdHoc));
    }

    #[test]
    fn a_file_of_documents_is_checked() {
        let dir = std::env::temp_dir().join(format!("trusted-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("docs.json");
        let text = "{ checkpoint { head } }";
        std::fs::write(&file, serde_json::json!({ hash(text): text }).to_string())
            .unwrap_or_default();
        let mut trusted = TrustedDocuments::cookbook();
        assert_eq!(trusted.add_file(&file), Ok(()));
        assert!(trusted.documents().contains_key(&hash(text)));
        std::fs::write(&file, serde_json::json!({ "00": text }).to_string()).unwrap_or_default();
        assert!(
            trusted
                .add_file(&file)
                .unwrap_err()
                .contains("not the SHA-256")
        );
        std::fs::write(
            &file,
            serde_json::json!([text, "{ units { totalCount } }"]).to_string(),
        )
        .unwrap_or_default();
        assert_eq!(trusted.add_file(&file), Ok(()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! print@home documents: what a case issues, the signed token in its QR code, the tagged PDF, the
//! public check and revocation, renewal and the reminder before a document ends.
//!
//! Every query runs in a [`portal_db::TenantTx`]: the tables are the tenant's, under forced
//! row-level security.

pub mod keys;
pub mod pdf;
pub mod repo;
pub mod token;
pub mod types;

pub use repo::{Document, NewDocument, PrintedFact, ServiceSetting};
pub use token::{Claims, Refused, Validity};
pub use types::{Catalogue, DocumentType, Fact, Kind};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Db(#[from] portal_db::DbError),
    #[error("the signing key cannot be made or opened (is APP__SECURITY__SECRETS_KEY the one it was sealed with?)")]
    Key,
    #[error("the document cannot be encoded: {0}")]
    Unencodable(#[from] token::Unencodable),
    #[error("the document is already revoked")]
    AlreadyRevoked,
    #[error("a reason of 10 to 500 characters is needed")]
    Reason,
}

impl From<sqlx::Error> for DocumentError {
    fn from(e: sqlx::Error) -> Self {
        DocumentError::Db(portal_db::DbError::Sqlx(e))
    }
}

pub type Result<T, E = DocumentError> = std::result::Result<T, E>;

/// What issuing and checking need at run time: the document types of the base catalogue and the
/// platform key that seals the tenants' signing keys.
pub struct Documents {
    pub catalogue: Catalogue,
    pub sealer: portal_identity::sealed::SecretsKey,
}

impl Documents {
    /// Reads `documents.toml` of the base catalogue's folder.
    pub fn load(
        catalogue_dir: &std::path::Path,
        sealer: portal_identity::sealed::SecretsKey,
    ) -> Result<Self, types::CatalogueError> {
        let path = catalogue_dir.join("documents.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| types::CatalogueError::Toml(format!("{}: {e}", path.display())))?;
        Ok(Self { catalogue: Catalogue::parse(&text)?, sealer })
    }
}

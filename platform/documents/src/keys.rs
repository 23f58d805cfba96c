//! A tenant's signing keys: Ed25519, made here, the private half sealed at rest under the platform
//! key (`APP__SECURITY__SECRETS_KEY`, AES-256-GCM, bound to the tenant and the key id). One key is
//! current; rotation makes a new current key, and the retired ones stay in the key set so that
//! what they signed keeps verifying. A key thought known to others is withdrawn: its private half
//! is erased and the key set names it withdrawn, so that offline checks stop trusting it at their
//! next sync (the online check trusts the register, not a signature alone).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portal_db::TenantTx;
use portal_identity::sealed::SecretsKey;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use sqlx::Row;
use time::OffsetDateTime;

use crate::token::{Kid, kid_hex, kid_of};
use crate::{DocumentError, Result};

fn purpose(kid: &Kid) -> String {
    format!("document_key:{}", kid_hex(kid))
}

/// The tenant's key lock (rotation and the first key, one at a time; re-entrant in a transaction).
async fn lock(tx: &mut TenantTx) -> Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('document_key:' || $1::text, 0))")
        .bind(tx.tenant_id().0)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A public key of the set.
#[derive(Debug, Clone)]
pub struct PublicKey {
    pub kid: Kid,
    pub public: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// Where a key stands, as the key set says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Signs new documents.
    Current,
    /// Replaced by a newer key; keeps verifying what it signed.
    Retired,
    /// Thought known to others: verifies nothing offline.
    Withdrawn,
}

impl KeyState {
    pub fn code(self) -> &'static str {
        match self {
            KeyState::Current => "current",
            KeyState::Retired => "retired",
            KeyState::Withdrawn => "withdrawn",
        }
    }
}

impl PublicKey {
    pub fn state(&self) -> KeyState {
        match (self.withdrawn_at, self.retired_at) {
            (Some(_), _) => KeyState::Withdrawn,
            (None, Some(_)) => KeyState::Retired,
            (None, None) => KeyState::Current,
        }
    }
}

/// A new key pair: (kid, PKCS#8 document, raw public key).
pub fn generate() -> Result<(Kid, Vec<u8>, Vec<u8>)> {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| DocumentError::Key)?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| DocumentError::Key)?;
    let public = pair.public_key().as_ref().to_vec();
    Ok((kid_of(&public), pkcs8.as_ref().to_vec(), public))
}

/// Makes a new current key and retires the one before (it keeps verifying).
pub async fn rotate(tx: &mut TenantTx, sealer: &SecretsKey) -> Result<Kid> {
    Ok(make_key(tx, sealer).await?.0)
}

/// A new current key: its id and its sealed private half.
async fn make_key(tx: &mut TenantTx, sealer: &SecretsKey) -> Result<(Kid, Vec<u8>)> {
    lock(tx).await?;
    let (kid, pkcs8, public) = generate()?;
    let sealed = sealer.seal(tx.tenant_id().0, &purpose(&kid), &STANDARD.encode(&pkcs8));
    if sealed.is_empty() {
        return Err(DocumentError::Key);
    }
    sqlx::query("update document_key set retired_at = app_now() where retired_at is null").execute(tx.conn()).await?;
    sqlx::query("insert into document_key (tenant_id, kid, public_key, private_sealed) values ($1, $2, $3, $4)")
        .bind(tx.tenant_id().0)
        .bind(kid.as_slice())
        .bind(&public)
        .bind(&sealed)
        .execute(tx.conn())
        .await?;
    Ok((kid, sealed))
}

/// The current signing key, made on first use. Opening it needs the platform key it was sealed
/// under: a database copied elsewhere cannot sign.
pub async fn current(tx: &mut TenantTx, sealer: &SecretsKey) -> Result<Ed25519KeyPair> {
    // one signer at a time makes the first key (two concurrent first issues would otherwise make two)
    lock(tx).await?;
    let row = sqlx::query(
        "select kid, private_sealed from document_key where retired_at is null order by created_at desc limit 1",
    )
    .fetch_optional(tx.conn())
    .await?;
    let (kid, sealed): (Vec<u8>, Vec<u8>) = match row {
        Some(r) => (r.get("kid"), r.get("private_sealed")),
        None => {
            let (kid, sealed) = make_key(tx, sealer).await?;
            (kid.to_vec(), sealed)
        }
    };
    let kid: Kid = kid.try_into().map_err(|_| DocumentError::Key)?;
    let plain = sealer.open(tx.tenant_id().0, &purpose(&kid), &sealed).ok_or(DocumentError::Key)?;
    let pkcs8 = STANDARD.decode(plain).map_err(|_| DocumentError::Key)?;
    Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| DocumentError::Key)
}

/// The tenant's public keys, current first.
pub async fn public_keys(tx: &mut TenantTx) -> Result<Vec<PublicKey>> {
    let rows = sqlx::query("select kid, public_key, created_at, retired_at, withdrawn_at from document_key order by retired_at is not null, created_at desc").fetch_all(tx.conn()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kid: Vec<u8> = r.get("kid");
        out.push(PublicKey {
            kid: kid.try_into().map_err(|_| DocumentError::Key)?,
            public: r.get("public_key"),
            created_at: r.get("created_at"),
            retired_at: r.get("retired_at"),
            withdrawn_at: r.get("withdrawn_at"),
        });
    }
    Ok(out)
}

/// Withdraws a key thought known to others: a current key is first replaced by a new one, then the
/// key's private half is erased (nothing signs with it again, also not this server) and the key set
/// names it withdrawn, so that offline checks stop trusting it at their next sync. Documents it
/// signed keep checking online, where the register decides. `false` if there is no such key or it
/// was withdrawn before.
pub async fn withdraw(tx: &mut TenantTx, sealer: &SecretsKey, kid: &Kid) -> Result<bool> {
    lock(tx).await?;
    let current: Option<bool> =
        sqlx::query_scalar("select retired_at is null from document_key where kid = $1 and withdrawn_at is null")
            .bind(kid.as_slice())
            .fetch_optional(tx.conn())
            .await?;
    match current {
        None => return Ok(false),
        Some(true) => {
            make_key(tx, sealer).await?;
        }
        Some(false) => {}
    }
    let done = sqlx::query("update document_key set withdrawn_at = app_now(), retired_at = coalesce(retired_at, app_now()), private_sealed = '' where kid = $1 and withdrawn_at is null")
        .bind(kid.as_slice())
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(done == 1)
}

/// The key set as JSON (RFC 8037 OKP keys in an RFC 7517 set), for the offline check.
pub fn key_set_json(keys: &[PublicKey]) -> serde_json::Value {
    serde_json::json!({
        "keys": keys.iter().map(|k| serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": kid_hex(&k.kid),
            "x": URL_SAFE_NO_PAD.encode(&k.public),
            "created": k.created_at.unix_timestamp(),
            "retired": k.retired_at.map(|t| t.unix_timestamp()),
            // the offline check verifies with current and retired keys only
            "state": k.state().code(),
            "withdrawn": k.withdrawn_at.map(|t| t.unix_timestamp()),
        })).collect::<Vec<_>>()
    })
}

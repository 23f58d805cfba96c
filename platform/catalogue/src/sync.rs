//! Syncs the catalogue files into the platform tables: upsert in one transaction, bump the version of
//! entries whose content changed, prune what the files no longer hold.

use portal_db::{DbError, PlatformTx};
use sha2::{Digest, Sha256};

use crate::files::{BaseService, Catalogue};

/// What a sync changed, for the start-up log.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    pub inserted: u64,
    pub updated: u64,
    pub removed: u64,
}

fn content_hash(service: &BaseService) -> String {
    let json = serde_json::to_vec(service).unwrap_or_default();
    let digest = Sha256::digest(&json);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Upserts the catalogue. Idempotent: a second run with the same files changes nothing.
pub async fn sync_catalogue(tx: &mut PlatformTx, catalogue: &Catalogue) -> Result<SyncReport, DbError> {
    let conn = tx.conn();
    let mut report = SyncReport::default();

    for (position, c) in catalogue.categories.iter().enumerate() {
        sqlx::query(
            "insert into service_category (category_slug, position, name_de, name_en) values ($1, $2, $3, $4)
             on conflict (category_slug) do update
                set position = excluded.position, name_de = excluded.name_de, name_en = excluded.name_en",
        )
        .bind(c.slug.as_str())
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .bind(&c.name.de)
        .bind(&c.name.en)
        .execute(&mut *conn)
        .await?;
    }

    for s in &catalogue.services {
        let hash = content_hash(s);
        let documents = serde_json::to_value(&s.documents).unwrap_or_default();
        // xmax = 0 tells an inserted row from an updated one.
        let inserted: Option<bool> = sqlx::query_scalar(
            "insert into base_service (service_slug, content_hash, category_slug, leika_key, name_de, name_en,
                 summary_de, summary_en, description_de, description_en, keywords_de, keywords_en, fee_cents,
                 fee_note_de, fee_note_en, appointment_required, fully_online, documents, form_schema)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
             on conflict (service_slug) do update set
                 version = base_service.version + 1, content_hash = excluded.content_hash,
                 category_slug = excluded.category_slug, leika_key = excluded.leika_key,
                 name_de = excluded.name_de, name_en = excluded.name_en,
                 summary_de = excluded.summary_de, summary_en = excluded.summary_en,
                 description_de = excluded.description_de, description_en = excluded.description_en,
                 keywords_de = excluded.keywords_de, keywords_en = excluded.keywords_en,
                 fee_cents = excluded.fee_cents, fee_note_de = excluded.fee_note_de, fee_note_en = excluded.fee_note_en,
                 appointment_required = excluded.appointment_required, fully_online = excluded.fully_online,
                 documents = excluded.documents, form_schema = excluded.form_schema, updated_at = app_now()
             where base_service.content_hash <> excluded.content_hash
             returning (xmax = 0)",
        )
        .bind(s.slug.as_str())
        .bind(&hash)
        .bind(s.category.as_ref().map(|c| c.as_str()))
        .bind(s.leika.as_ref().map(|k| k.as_str()))
        .bind(&s.name.de)
        .bind(&s.name.en)
        .bind(&s.summary.de)
        .bind(&s.summary.en)
        .bind(&s.description.de)
        .bind(&s.description.en)
        .bind(&s.keywords.de)
        .bind(&s.keywords.en)
        .bind(s.fee_cents.map(i64::from))
        .bind(&s.fee_note.de)
        .bind(&s.fee_note.en)
        .bind(s.appointment)
        .bind(s.online)
        .bind(documents)
        .bind(s.form.as_ref().map(|f| serde_json::to_value(f).unwrap_or_default()))
        .fetch_optional(&mut *conn)
        .await?;
        match inserted {
            Some(true) => report.inserted += 1,
            Some(false) => report.updated += 1,
            None => {}
        }
    }

    let slugs: Vec<&str> = catalogue.services.iter().map(|s| s.slug.as_str()).collect();
    report.removed = sqlx::query("delete from base_service where service_slug <> all($1)")
        .bind(&slugs)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let categories: Vec<&str> = catalogue.categories.iter().map(|c| c.slug.as_str()).collect();
    sqlx::query("delete from service_category where category_slug <> all($1)")
        .bind(&categories)
        .execute(&mut *conn)
        .await?;

    let presets: Vec<&str> = catalogue.presets.iter().map(|p| p.slug.as_str()).collect();
    sqlx::query("delete from catalogue_preset where preset_slug <> all($1)").bind(&presets).execute(&mut *conn).await?;
    for p in &catalogue.presets {
        sqlx::query(
            "insert into catalogue_preset (preset_slug, name_de, name_en) values ($1, $2, $3)
             on conflict (preset_slug) do update set name_de = excluded.name_de, name_en = excluded.name_en",
        )
        .bind(p.slug.as_str())
        .bind(&p.name.de)
        .bind(&p.name.en)
        .execute(&mut *conn)
        .await?;
        let members: Vec<&str> = p.services.iter().map(|s| s.as_str()).collect();
        sqlx::query("delete from catalogue_preset_service where preset_slug = $1 and service_slug <> all($2)")
            .bind(p.slug.as_str())
            .bind(&members)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "insert into catalogue_preset_service (preset_slug, service_slug)
             select $1, unnest($2::text[]) on conflict do nothing",
        )
        .bind(p.slug.as_str())
        .bind(&members)
        .execute(&mut *conn)
        .await?;
    }

    let terms: Vec<&str> = catalogue.synonyms.keys().map(String::as_str).collect();
    sqlx::query("delete from search_synonym where term <> all($1)").bind(&terms).execute(&mut *conn).await?;
    for (term, expansions) in &catalogue.synonyms {
        sqlx::query(
            "insert into search_synonym (term, expansions) values ($1, $2)
             on conflict (term) do update set expansions = excluded.expansions
             where search_synonym.expansions <> excluded.expansions",
        )
        .bind(term)
        .bind(expansions)
        .execute(&mut *conn)
        .await?;
    }

    Ok(report)
}

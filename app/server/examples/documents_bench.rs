//! The benchmark of print@home documents (run by `benches/documents.sh`): in memory, signing and
//! verifying tokens and rendering the PDFs (A4 and the windscreen card: time and size); then, with
//! a database, issuing a permit as the office does (key opened, token signed, row written), printing
//! its token for the check endpoint's load test.

use std::time::Instant;

use portal_db::{Db, PoolSettings};
use portal_documents::pdf::{self, Sheet};
use portal_documents::token::{self, Claims};
use portal_documents::{Fact, Kind, NewDocument, PrintedFact};
use portal_domain::Localized;
use sqlx::postgres::PgConnectOptions;
use time::macros::date;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn fact(f: Fact, label: &str, value: &str, check: bool) -> PrintedFact {
    PrintedFact {
        fact: f,
        label: Localized { de: label.into(), en: label.into() },
        value: Localized { de: value.into(), en: value.into() },
        check,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let env = |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} is not set"));
    let runs: usize = env("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(200);

    // 1. tokens
    let (_, pkcs8, _) = portal_documents::keys::generate()?;
    let key = ring::signature::Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| anyhow::anyhow!("key"))?;
    let public = ring::signature::KeyPair::public_key(&key).as_ref().to_vec();
    let kid = token::kid_of(&public);
    let claims = Claims {
        kind: Kind::ParkingPermit,
        number: "BPA-2026-7K3Q-9XW2".into(),
        valid_from: date!(2026 - 12 - 01),
        valid_until: date!(2027 - 11 - 30),
        facts: vec![(Fact::Plate, "KL-AB 123".into()), (Fact::Zone, "Zone A – Innenstadt".into())],
    };
    let n = 20_000;
    let t = Instant::now();
    let mut text = String::new();
    for _ in 0..n {
        text = token::sign(&key, &claims)?;
    }
    let sign_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..n {
        token::verify(&text, [(&kid, public.as_slice())]).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let verify_s = t.elapsed().as_secs_f64();
    println!("token.chars={} sign_per_s={:.0} verify_per_s={:.0}", text.len(), n as f64 / sign_s, n as f64 / verify_s);

    // 2. the PDFs
    let facts = vec![
        ("Kennzeichen".to_owned(), "KL-AB 123".to_owned()),
        ("Parkzone".to_owned(), "Zone A – Innenstadt".to_owned()),
        ("Name".to_owned(), "Erika Mustermann".to_owned()),
        ("Anschrift".to_owned(), "Fackelstraße 3, 67655 Kaiserslautern".to_owned()),
        ("Gültig ab".to_owned(), "01.12.2026".to_owned()),
        ("Gültig bis".to_owned(), "30.11.2027".to_owned()),
    ];
    let address = vec!["Willy-Brandt-Platz 1".to_owned(), "67657 Kaiserslautern".to_owned()];
    let qr = format!("https://kaiserslautern.example/pruefen/{text}");
    let sheet = Sheet {
        lang: "de-DE",
        tenant: "Stadt Kaiserslautern",
        address: &address,
        colour: (0.7, 0.07, 0.12),
        title: "Bewohnerparkausweis",
        subtitle: "Nr. BPA-2026-7K3Q-9XW2 · ausgestellt am 30.11.2026",
        facts: &facts,
        note: "Der Ausweis berechtigt zum Parken in der genannten Bewohnerparkzone.",
        qr: &qr,
        qr_alt: "QR-Code zur Echtheitsprüfung",
        check_hint: "Echtheit prüfen\nScannen Sie den QR-Code.",
        footer: "Elektronisch erstellt, ohne Unterschrift gültig.",
        card_lines: &facts[..2],
        card_hint: "Ausschneiden.",
        revoked: None,
    };
    for (name, render) in [("a4", pdf::a4 as fn(&Sheet<'_>) -> Vec<u8>), ("card", pdf::card)] {
        let mut ms = Vec::with_capacity(runs);
        let mut size = 0;
        for _ in 0..runs {
            let t = Instant::now();
            size = render(&sheet).len();
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("pdf.{name} median_ms={:.2} bytes={size}", median(ms));
    }

    // 3. issuing in the database
    let Ok(app_url) = env("APP__DATABASE__URL") else { return Ok(()) };
    let app: PgConnectOptions = app_url.parse()?;
    let platform: PgConnectOptions = env("APP__DATABASE__PLATFORM_URL")?.parse()?;
    let db = Db::connect_lazy(app, platform, &PoolSettings { max_connections: 2, ..PoolSettings::default() });
    let tenant = {
        let mut p = db.platform().await?;
        let t = portal_tenancy::repo::get_by_slug(&mut p, "kaiserslautern")
            .await?
            .ok_or_else(|| anyhow::anyhow!("no tenant"))?
            .id();
        p.commit().await?;
        t
    };
    let sealer = portal_identity::sealed::SecretsKey::from_base64(
        &env("APP__SECURITY__SECRETS_KEY").unwrap_or_else(|_| portal_settings::DEVELOPMENT_SECRETS_KEY.to_owned()),
    )?;
    let catalogue = portal_documents::Catalogue::parse(&std::fs::read_to_string(env("DOCUMENTS_TOML")?)?)?;
    let doc_type = catalogue.for_service("bewohnerparkausweis").ok_or_else(|| anyhow::anyhow!("no type"))?;
    let base = env("BENCH_BASE").unwrap_or_else(|_| "http://kaiserslautern.localhost".into());
    let mut ms = Vec::new();
    let mut token_text = String::new();
    for i in 0..20 {
        let mut tx = db.tenant(tenant).await?;
        let case = uuid::Uuid::now_v7();
        sqlx::query("insert into form_version (tenant_id, schema_hash, service_slug, schema) values ($1, 'bench', 'bewohnerparkausweis', '{}') on conflict do nothing")
            .bind(tenant.0)
            .execute(tx.conn())
            .await?;
        sqlx::query(
            "insert into case_record (tenant_id, case_id, reference, service_slug, service_version, schema_hash, applicant_name, answers, submission_key, due_at)
             values ($1, $2, $3, 'bewohnerparkausweis', 1, 'bench', 'Erika Mustermann', '{}', gen_random_uuid(), app_now() + interval '14 days')",
        )
        .bind(tenant.0)
        .bind(case)
        .bind(format!("BENCH-{i}-{case}"))
        .execute(tx.conn())
        .await?;
        let facts = vec![
            fact(Fact::Plate, "Kennzeichen", "KL-AB 123", true),
            fact(Fact::Zone, "Parkzone", "Zone A – Innenstadt", true),
            fact(Fact::Name, "Name", "Erika Mustermann", false),
        ];
        let t = Instant::now();
        let n = NewDocument {
            doc_type,
            case_id: case,
            citizen_id: None,
            facts,
            answers: serde_json::json!({}),
            valid_from: time::OffsetDateTime::now_utc().date(),
            lang: "de",
            portal_url: &base,
            issued_by: "bench",
            renews: None,
        };
        let (d, _) = portal_documents::repo::issue(&mut tx, &sealer, n).await?;
        tx.commit().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
        token_text = d.token.unwrap_or_default();
    }
    println!("issue.median_ms={:.2} (key opened, token signed, row written, committed)", median(ms));
    println!("token={token_text}");
    Ok(())
}

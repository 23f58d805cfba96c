//! The benchmark of the form builder (run by `benches/forms.sh`): in memory, a 100-field form built
//! by 100 of the builder's operations (each checked as the loader checks) and the import of the
//! largest FIM example against the smallest; with a database, the builder's save of the 100-field
//! draft (read, one change applied, saved with its revision check, committed) and its publication;
//! and an own service made from the imported schema, published and offered, whose slug is printed
//! for the form page's load test.

use std::time::Instant;

use portal_cases::builder;
use portal_catalogue::own::{self, OwnServiceInput};
use portal_db::{Db, PoolSettings};
use portal_domain::Localized;
use portal_forms::edit::{Op, apply};
use portal_forms::schema::{Field, FormSchema, Kind, Page};
use sqlx::postgres::PgConnectOptions;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn text(s: &str) -> Localized {
    Localized { de: s.into(), en: format!("{s} (en)") }
}

fn input(name: &str) -> OwnServiceInput {
    OwnServiceInput {
        category: "buergerservice".into(),
        name: text(name),
        summary: text("Benchmark"),
        description: text(""),
        keywords: text(""),
        fee: None,
        fee_note: text(""),
        appointment_required: false,
        fully_online: true,
        office: None,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let env = |k: &str| std::env::var(k).map_err(|_| anyhow::anyhow!("{k} is not set"));
    let runs: usize = env("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(50);

    // 1. a 100-field form, one operation at a time (10 pages of 10 fields)
    let first = Field::new("f0".into(), Kind::Text, text("Feld 0"));
    let mut schema = FormSchema {
        version: 1,
        guest: false,
        pages: vec![Page { id: "p0".into(), title: text("Seite 0"), help: None, show_if: None, fields: vec![first] }],
    };
    let kinds = [
        Kind::Text,
        Kind::Number,
        Kind::Date,
        Kind::Email,
        Kind::YesNo,
        Kind::Textarea,
        Kind::Phone,
        Kind::Iban,
        Kind::Address,
        Kind::PostcodeTown,
    ];
    let mut op_ms = Vec::new();
    for i in 1..100 {
        let field = Field::new(format!("f{i}"), kinds[i % kinds.len()], text(&format!("Feld {i}")));
        let op = if i % 10 == 0 {
            Op::AddPage {
                after: Some(schema.pages.len() - 1),
                id: format!("p{}", i / 10),
                title: text(&format!("Seite {}", i / 10)),
                first: field,
            }
        } else {
            Op::AddField { page: schema.pages.len() - 1, at: None, field }
        };
        let t = Instant::now();
        schema = apply(&schema, &op)?;
        op_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    assert_eq!(schema.fields().count(), 100);
    let mut move_ms = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let moved = apply(&schema, &Op::MoveField { page: 5, field: 3, by: 1 })?;
        move_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(moved);
    }
    println!("builder.op_on_100_fields median_ms={:.3} (add) {:.3} (move)", median(op_ms), median(move_ms));

    // 2. the FIM import: the largest example against the smallest
    let dir = std::path::PathBuf::from(env("FIM_DIR")?);
    let largest = std::fs::read_to_string(dir.join("xdf2/BlaueKarte.xml"))?;
    let smallest = std::fs::read_to_string(dir.join("xdf2/minimal.xml"))?;
    let mut imported = None;
    for (name, xml) in [("largest", &largest), ("smallest", &smallest)] {
        let mut ms = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let i = portal_fim::import(xml)?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            if name == "largest" {
                imported = Some(i);
            }
        }
        println!("fim.import.{name} bytes={} median_ms={:.2}", xml.len(), median(ms));
    }
    let imported = imported.ok_or_else(|| anyhow::anyhow!("no import"))?;
    println!(
        "fim.import.largest fields={} pages={} notes={}",
        imported.schema.fields().count(),
        imported.schema.pages.len(),
        imported.report.len()
    );

    // 3. saving the 100-field draft as the builder does, then publishing it
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
    let mut tx = db.tenant(tenant).await?;
    let (slug, _) = own::create(&mut tx, &input("Benchmark hundert Felder"), "bench", uuid::Uuid::new_v4()).await?;
    builder::save_draft(&mut tx, &slug, &schema, &[], None, "bench").await?;
    tx.commit().await?;
    let mut ms = Vec::new();
    for i in 0..runs {
        let t = Instant::now();
        let mut tx = db.tenant(tenant).await?;
        let d = builder::draft(&mut tx, &slug).await?.ok_or_else(|| anyhow::anyhow!("no draft"))?;
        let changed = apply(&d.schema, &Op::MoveField { page: 5, field: 3, by: if i % 2 == 0 { 1 } else { -1 } })?;
        builder::save_draft(&mut tx, &slug, &changed, &d.report, Some(d.revision), "bench").await?;
        tx.commit().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let saved_bytes = serde_json::to_vec(&schema)?.len();
    println!(
        "builder.save_100_fields median_ms={:.2} json_bytes={saved_bytes} (draft read, one change applied and checked, saved with its revision check, committed)",
        median(ms)
    );
    let t = Instant::now();
    let mut tx = db.tenant(tenant).await?;
    let revision = builder::draft(&mut tx, &slug).await?.map(|d| d.revision).unwrap_or(1);
    builder::publish(&mut tx, &slug, revision, "bench").await?;
    tx.commit().await?;
    println!("builder.publish_100_fields ms={:.2}", t.elapsed().as_secs_f64() * 1000.0);

    // 4. an own service from the largest import, published and offered
    let mut tx = db.tenant(tenant).await?;
    let (slug, _) = own::create(&mut tx, &input("Benchmark Blaue Karte"), "bench", uuid::Uuid::new_v4()).await?;
    builder::save_draft(&mut tx, &slug, &imported.schema, &[], None, "bench").await?;
    builder::publish(&mut tx, &slug, 1, "bench").await?;
    own::set_offered(&mut tx, &slug, true).await?;
    tx.commit().await?;
    println!("slug={slug}");
    Ok(())
}

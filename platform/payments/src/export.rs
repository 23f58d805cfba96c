//! The cash office's export: one CSV line per booking of a day (a payment received, a refund
//! made), UTF-8, `;`-separated, amounts in euro with a decimal comma, as German cash office
//! software and spreadsheets read it. The column layout is documented in docs/operations.md.

use portal_db::TenantTx;
use portal_domain::decimal_de as euro;
use sqlx::Row;
use time::Date;

use crate::repo::RepoError;

/// The header line (column names as the cash office reads them).
pub const HEADER: &str = "buchungsdatum;art;kassenzeichen;buchungstext;kostenstelle;sachkonto;kostentraeger;betrag;plattformgebuehr;erstattung;zahlungsart;vorgang;leistung;stripe_konto;stripe_zahlung;stripe_erstattung";

/// A field made safe for CSV: quoted when it holds the separator, quotes or line breaks, and with a
/// leading `'` where a spreadsheet would take it for a formula.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([';', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The CSV of `date` (German civil date) with its line count (without header) and net total in
/// cents; with `scope`, only the lines of those services (a case worker limited to them).
pub async fn day_csv(tx: &mut TenantTx, date: Date, scope: Option<&[String]>) -> Result<(String, i32, i64), RepoError> {
    let rows = sqlx::query(
        "select 'zahlung' as art, p.kassenzeichen, p.booking_text, p.cost_centre, p.account, p.cost_unit, p.amount_cents as betrag,
                p.application_fee_cents as gebuehr, 0::bigint as erstattung, coalesce(p.method, '') as methode, coalesce(c.reference, '') as vorgang,
                p.service_slug, p.stripe_account_id, coalesce(p.intent_id, '') as intent, '' as refund, p.paid_at as at
           from payment p left join case_record c on c.case_id = p.case_id
          where p.status = 'succeeded' and (p.paid_at at time zone 'Europe/Berlin')::date = $1 and ($2::text[] is null or p.service_slug = any($2))
         union all
         select 'erstattung', p.kassenzeichen, p.booking_text, p.cost_centre, p.account, p.cost_unit, 0::bigint, 0::bigint, r.amount_cents,
                coalesce(p.method, ''), coalesce(c.reference, ''), p.service_slug, p.stripe_account_id, coalesce(p.intent_id, ''),
                coalesce(r.stripe_refund_id, ''), r.created_at
           from payment_refund r join payment p on p.payment_id = r.payment_id left join case_record c on c.case_id = p.case_id
          where r.status in ('succeeded', 'pending') and (r.created_at at time zone 'Europe/Berlin')::date = $1 and ($2::text[] is null or p.service_slug = any($2))
         order by at, kassenzeichen",
    )
    .bind(date)
    .bind(scope)
    .fetch_all(tx.conn())
    .await?;
    let mut out = String::from(HEADER);
    out.push('\n');
    let mut total = 0i64;
    let day = format!("{:02}.{:02}.{}", date.day(), u8::from(date.month()), date.year());
    for r in &rows {
        let (betrag, gebuehr, erstattung): (i64, i64, i64) = (r.get("betrag"), r.get("gebuehr"), r.get("erstattung"));
        total += betrag - erstattung;
        let cols = [
            day.clone(),
            r.get::<String, _>("art"),
            r.get("kassenzeichen"),
            r.get("booking_text"),
            r.get("cost_centre"),
            r.get("account"),
            r.get("cost_unit"),
            euro(betrag),
            euro(gebuehr),
            euro(erstattung),
            r.get("methode"),
            r.get("vorgang"),
            r.get("service_slug"),
            r.get("stripe_account_id"),
            r.get("intent"),
            r.get("refund"),
        ];
        out.push_str(&cols.iter().map(|c| field(c)).collect::<Vec<_>>().join(";"));
        out.push('\n');
    }
    Ok((out, i32::try_from(rows.len()).unwrap_or(i32::MAX), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_amounts() {
        assert_eq!(euro(1250), "12,50");
        assert_eq!(euro(-5), "-0,05");
        assert_eq!(field("a;b"), "\"a;b\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("Sag \"ja\""), "\"Sag \"\"ja\"\"\"");
        assert_eq!(HEADER.split(';').count(), 16);
    }
}

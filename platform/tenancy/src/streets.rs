//! The tenant's street directory: which streets lie in the town (by postcode and, where a street
//! is split, by house-number range), and for each the Kita district and the residents' parking
//! zone it belongs to. Forms check a resident's address against it; the parking zone and the Kita
//! district follow from the address where the directory maps them. No outside geocoder is asked.
//!
//! The rows come from the demo files (`tenants/demo/streets/<tenant>.toml`, [`StreetRow`]) or the
//! office's CSV import ([`parse_csv`]); both replace the whole directory at once.

use portal_db::{DbError, TenantTx};
use serde::Deserialize;
use sqlx::Row;
use uuid::Uuid;

/// Most bytes of a CSV import.
pub const MAX_CSV_BYTES: usize = 512 * 1024;
/// Most rows of a directory (a city of 100,000 people has some 1,500 streets).
pub const MAX_ROWS: usize = 10_000;

/// A street name as the directory compares it: lower case, umlauts spelt out, "Straße", "Strasse"
/// and "Str." alike, hyphens and dots as spaces ("Richard-Wagner-Straße" → "richard wagner str").
pub fn street_key(street: &str) -> String {
    let mut s = String::with_capacity(street.len());
    for c in street.trim().chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => s.push_str("ae"),
            'ö' => s.push_str("oe"),
            'ü' => s.push_str("ue"),
            'ß' => s.push_str("ss"),
            c if c.is_alphanumeric() => s.push(c),
            _ => s.push(' '),
        }
    }
    s.split_whitespace()
        .map(|t| match t.strip_suffix("strasse").or_else(|| t.strip_suffix("str")) {
            Some("") => "str".to_owned(),
            Some(stem) => format!("{stem}str"),
            None => t.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits "Kölnstraße 12a" into the street's key and its house number (12): the number is the
/// last word starting with a digit that is not an ordinal ("Straße des 17. Juni 5" → 5).
pub fn split_street(street: &str) -> (String, Option<i32>) {
    let tokens: Vec<&str> = street.split_whitespace().collect();
    match tokens.iter().rposition(|t| t.starts_with(|c: char| c.is_ascii_digit()) && !t.ends_with('.')) {
        Some(0) | None => (street_key(street), None),
        Some(i) => {
            let digits: String = tokens[i].chars().take_while(char::is_ascii_digit).collect();
            (street_key(&tokens[..i].join(" ")), digits.parse().ok())
        }
    }
}

/// An address as typed in one line ("Pariser Str. 12, 67655 Kaiserslautern"): its street's key,
/// house number and postcode (if it has one).
pub fn parse_line(text: &str) -> (String, Option<i32>, Option<String>) {
    let mut parts = text.splitn(2, ',');
    let first = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();
    let is_postcode = |t: &&str| t.len() == 5 && t.chars().all(|c| c.is_ascii_digit());
    // without a comma the postcode and town follow the number: "Fackelstraße 3 67655 …"
    let (street, postcode) = match first.split_whitespace().position(|t| is_postcode(&t)) {
        Some(i) if i > 0 => (
            first.split_whitespace().take(i).collect::<Vec<_>>().join(" "),
            first.split_whitespace().nth(i).map(str::to_owned),
        ),
        _ => (first.to_owned(), rest.split_whitespace().find(is_postcode).map(str::to_owned)),
    };
    let (key, number) = split_street(&street);
    (key, number, postcode)
}

/// One row of a directory file or import, as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreetRow {
    /// The street's name ("Kölnstraße").
    pub name: String,
    pub postcode: String,
    /// First and last house number of the section (default: the whole street).
    #[serde(default)]
    pub from: Option<i32>,
    #[serde(default)]
    pub to: Option<i32>,
    /// The Kita district's name (as the Kita portal has it).
    #[serde(default)]
    pub kita_district: Option<String>,
    /// The residents' parking zone's code ("a").
    #[serde(default)]
    pub zone: Option<String>,
}

/// Why a row is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    Name,
    Postcode,
    Numbers,
    Zone,
    Columns,
    UnknownDistrict(String),
    TooMany,
    TooLarge,
    Encoding,
    Twice,
}

impl RowProblem {
    /// The problem's code, for the texts (`streets.error_<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            RowProblem::Name => "name",
            RowProblem::Postcode => "postcode",
            RowProblem::Numbers => "numbers",
            RowProblem::Zone => "zone",
            RowProblem::Columns => "columns",
            RowProblem::UnknownDistrict(_) => "district",
            RowProblem::TooMany => "too_many",
            RowProblem::TooLarge => "too_large",
            RowProblem::Encoding => "encoding",
            RowProblem::Twice => "twice",
        }
    }
}

/// A refused row: its line (1-based; 0 for the whole file) and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub problem: RowProblem,
}

/// A checked entry, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub street: String,
    pub postcode: String,
    pub number_from: i32,
    pub number_to: i32,
    pub kita_district_id: Option<Uuid>,
    pub parking_zone: Option<String>,
}

impl StreetRow {
    /// Checks the row; `district` finds a Kita district's id by its name.
    pub fn check(&self, district: impl Fn(&str) -> Option<Uuid>) -> Result<Entry, RowProblem> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 || street_key(name).is_empty() {
            return Err(RowProblem::Name);
        }
        let postcode = self.postcode.trim();
        if postcode.len() != 5 || !postcode.chars().all(|c| c.is_ascii_digit()) {
            return Err(RowProblem::Postcode);
        }
        let (from, to) = (self.from.unwrap_or(1), self.to.unwrap_or(9999));
        if !(1..=9999).contains(&from) || !(from..=9999).contains(&to) {
            return Err(RowProblem::Numbers);
        }
        let zone = self.zone.as_deref().map(str::trim).filter(|z| !z.is_empty()).map(str::to_lowercase);
        if zone
            .as_deref()
            .is_some_and(|z| z.len() > 40 || !z.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(RowProblem::Zone);
        }
        let kita_district_id = match self.kita_district.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(district(d).ok_or_else(|| RowProblem::UnknownDistrict(d.to_owned()))?),
        };
        Ok(Entry {
            street: name.to_owned(),
            postcode: postcode.to_owned(),
            number_from: from,
            number_to: to,
            kita_district_id,
            parking_zone: zone,
        })
    }
}

/// Reads a CSV import: one street (section) per line, `Straße;PLZ;von;bis;Kita-Bezirk;Parkzone`
/// (separated by semicolons or commas; the last four may be empty; a first line naming the
/// columns is skipped). Bounded in bytes and rows; each row comes with its line, the first problem
/// found is returned with its line.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<(usize, StreetRow)>, RowError> {
    let whole = |problem| RowError { line: 0, problem };
    if bytes.len() > MAX_CSV_BYTES {
        return Err(whole(RowProblem::TooLarge));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| whole(RowProblem::Encoding))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let sep = if line.contains(';') { ';' } else { ',' };
        let cols: Vec<&str> = line.split(sep).map(|c| c.trim().trim_matches('"').trim()).collect();
        if i == 0 && cols.get(1).is_some_and(|c| c.chars().any(char::is_alphabetic)) {
            continue;
        }
        if cols.len() < 2 || cols.len() > 6 {
            return Err(RowError { line: line_no, problem: RowProblem::Columns });
        }
        if rows.len() >= MAX_ROWS {
            return Err(RowError { line: line_no, problem: RowProblem::TooMany });
        }
        let col = |n: usize| cols.get(n).map(|c| (*c).to_owned()).filter(|c| !c.is_empty());
        let number = |n: usize| -> Result<Option<i32>, RowError> {
            match col(n) {
                None => Ok(None),
                Some(c) => c.parse().map(Some).map_err(|_| RowError { line: line_no, problem: RowProblem::Numbers }),
            }
        };
        rows.push((
            line_no,
            StreetRow {
                name: cols[0].to_owned(),
                postcode: cols[1].to_owned(),
                from: number(2)?,
                to: number(3)?,
                kita_district: col(4),
                zone: col(5),
            },
        ));
    }
    Ok(rows)
}

/// Checks every row (with its line, or its place in a file) and refuses a section listed twice.
pub fn check_rows(
    rows: &[(usize, StreetRow)],
    district: impl Fn(&str) -> Option<Uuid>,
) -> Result<Vec<Entry>, RowError> {
    if rows.len() > MAX_ROWS {
        return Err(RowError { line: 0, problem: RowProblem::TooMany });
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for (line, r) in rows {
        let e = r.check(&district).map_err(|problem| RowError { line: *line, problem })?;
        if !seen.insert((e.postcode.clone(), street_key(&e.street), e.number_from)) {
            return Err(RowError { line: *line, problem: RowProblem::Twice });
        }
        out.push(e);
    }
    Ok(out)
}

/// What the directory says about an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The tenant has no directory: nothing can be checked.
    NoDirectory,
    /// The street (with this postcode and number) is not in the town.
    Unknown,
    /// In the town; the Kita district and parking zone where the directory maps them (and every
    /// matching section agrees).
    Known { street: String, kita_district_id: Option<Uuid>, parking_zone: Option<String> },
}

impl Lookup {
    pub fn zone(&self) -> Option<&str> {
        match self {
            Lookup::Known { parking_zone, .. } => parking_zone.as_deref(),
            _ => None,
        }
    }
    pub fn kita_district(&self) -> Option<Uuid> {
        match self {
            Lookup::Known { kita_district_id, .. } => *kita_district_id,
            _ => None,
        }
    }
}

/// Looks an address up: the street's key, and the house number and postcode where known.
pub async fn lookup(
    tx: &mut TenantTx,
    key: &str,
    number: Option<i32>,
    postcode: Option<&str>,
) -> Result<Lookup, DbError> {
    let rows = sqlx::query(
        "select street, kita_district_id, parking_zone from street_directory
          where street_key = $1 and ($2::text is null or postcode = $2) and ($3::int is null or $3 between number_from and number_to)
          order by number_to - number_from, postcode limit 50",
    )
    .bind(key)
    .bind(postcode)
    .bind(number)
    .fetch_all(tx.conn())
    .await?;
    if rows.is_empty() {
        let any: bool =
            sqlx::query_scalar("select exists (select 1 from street_directory)").fetch_one(tx.conn()).await?;
        return Ok(if any { Lookup::Unknown } else { Lookup::NoDirectory });
    }
    let agreed = |values: Vec<Option<String>>| {
        if values.windows(2).all(|w| w[0] == w[1]) { values.into_iter().next().flatten() } else { None }
    };
    let districts: Vec<Option<Uuid>> = rows.iter().map(|r| r.get(1)).collect();
    let kita_district_id = if districts.windows(2).all(|w| w[0] == w[1]) { districts[0] } else { None };
    Ok(Lookup::Known {
        street: rows[0].get(0),
        kita_district_id,
        parking_zone: agreed(rows.iter().map(|r| r.get(2)).collect()),
    })
}

/// Looks up an address typed in one line (a Kita application's).
pub async fn lookup_line(tx: &mut TenantTx, text: &str) -> Result<Lookup, DbError> {
    let (key, number, postcode) = parse_line(text);
    if key.is_empty() {
        return Ok(Lookup::Unknown);
    }
    lookup(tx, &key, number, postcode.as_deref()).await
}

/// Replaces the whole directory with `entries` (checked before); returns how many were stored.
pub async fn replace(tx: &mut TenantTx, entries: &[Entry]) -> Result<usize, DbError> {
    let tenant = tx.tenant_id().0;
    sqlx::query("delete from street_directory").execute(tx.conn()).await?;
    for chunk in entries.chunks(1000) {
        let mut q = sqlx::QueryBuilder::new(
            "insert into street_directory (tenant_id, street_key, postcode, number_from, number_to, street, kita_district_id, parking_zone) ",
        );
        q.push_values(chunk, |mut b, e| {
            b.push_bind(tenant)
                .push_bind(street_key(&e.street))
                .push_bind(&e.postcode)
                .push_bind(e.number_from)
                .push_bind(e.number_to)
                .push_bind(&e.street)
                .push_bind(e.kita_district_id)
                .push_bind(&e.parking_zone);
        });
        q.build().execute(tx.conn()).await?;
    }
    Ok(entries.len())
}

/// A listed entry with its Kita district's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub street: String,
    pub postcode: String,
    pub number_from: i32,
    pub number_to: i32,
    pub kita_district: Option<String>,
    pub parking_zone: Option<String>,
}

/// How many entries the directory has, and the first `limit` by street (those whose street or
/// postcode contains `filter`, if given).
pub async fn list(tx: &mut TenantTx, filter: &str, limit: i64) -> Result<(i64, Vec<Listed>), DbError> {
    let total: i64 = sqlx::query_scalar("select count(*) from street_directory").fetch_one(tx.conn()).await?;
    let pattern = format!("%{}%", filter.trim().replace(['%', '_', '\\'], ""));
    let rows = sqlx::query(
        "select s.street, s.postcode, s.number_from, s.number_to, d.name, s.parking_zone from street_directory s
           left join kita_district d on d.tenant_id = s.tenant_id and d.district_id = s.kita_district_id
          where s.street ilike $1 or s.postcode like $1 order by s.street_key, s.postcode, s.number_from limit $2",
    )
    .bind(pattern)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    let listed = rows
        .iter()
        .map(|r| Listed {
            street: r.get(0),
            postcode: r.get(1),
            number_from: r.get(2),
            number_to: r.get(3),
            kita_district: r.get(4),
            parking_zone: r.get(5),
        })
        .collect();
    Ok((total, listed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn street_names_compare_alike_however_written() {
        assert_eq!(street_key("Richard-Wagner-Straße"), "richard wagner str");
        assert_eq!(street_key("Richard Wagner Str."), "richard wagner str");
        assert_eq!(street_key("Kölnstraße"), "koelnstr");
        assert_eq!(street_key("KOELNSTRASSE"), "koelnstr");
        assert_eq!(street_key("Pariser Str."), "pariser str");
        assert_eq!(street_key("Am Harzhübel"), "am harzhuebel");
    }

    #[test]
    fn an_address_line_gives_street_number_and_postcode() {
        assert_eq!(
            parse_line("Pariser Str. 12, 67655 Kaiserslautern"),
            ("pariser str".into(), Some(12), Some("67655".into()))
        );
        assert_eq!(
            parse_line("Fackelstraße 3 67655 Kaiserslautern"),
            ("fackelstr".into(), Some(3), Some("67655".into()))
        );
        assert_eq!(parse_line("Kölnstraße 12a"), ("koelnstr".into(), Some(12), None));
        assert_eq!(parse_line("Straße des 17. Juni"), ("str des 17 juni".into(), None, None));
        assert_eq!(
            parse_line("Straße des 17. Juni 5, 10623 Berlin"),
            ("str des 17 juni".into(), Some(5), Some("10623".into()))
        );
    }

    #[test]
    fn a_csv_import_is_read_and_bounded() {
        let rows = parse_csv(
            "Straße;PLZ;von;bis;Kita-Bezirk;Parkzone\nKölnstraße;52351;;;Innenstadt;a\nWirtelstraße,52349\n".as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].0, rows[0].1.zone.as_deref()), (2, Some("a")));
        assert_eq!((rows[1].0, rows[1].1.kita_district.as_deref()), (3, None));
        assert_eq!(parse_csv(b"Weg;52349;x").err(), Some(RowError { line: 1, problem: RowProblem::Numbers }));
        assert_eq!(
            parse_csv(&vec![b'a'; MAX_CSV_BYTES + 1]).err(),
            Some(RowError { line: 0, problem: RowProblem::TooLarge })
        );
        let many = "Weg;52349\n".repeat(MAX_ROWS + 1);
        assert_eq!(parse_csv(many.as_bytes()).err().map(|e| e.problem), Some(RowProblem::TooMany));
        let checked = check_rows(&parse_csv(b"Weg;52349\n\nweg;52349").unwrap_or_default(), |_| None);
        assert_eq!(checked.err(), Some(RowError { line: 3, problem: RowProblem::Twice }));
        let unknown = check_rows(&parse_csv(b"Weg;52349;;;Nirgendwo").unwrap_or_default(), |_| None);
        assert_eq!(unknown.err().map(|e| e.problem), Some(RowProblem::UnknownDistrict("Nirgendwo".into())));
    }
}

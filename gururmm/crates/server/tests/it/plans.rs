//! Asking the database how it would run a query, and judging the answer: SQLite's `EXPLAIN
//! QUERY PLAN`, and PostgreSQL's `EXPLAIN` with sequential scans (and, where order matters,
//! sorts) priced out, so the tiny tables of a test cannot make a scan the cheaper choice and
//! a scan or sort left in the plan means no index can do the job.

use gururmm_server::db::{Backend, Db};
use std::collections::HashMap;

/// What a hot query's plan must show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Every table is reached by an index seek: nothing is scanned, not even an index.
    Seeks,
    /// Rows come out of an index in the requested order (no sort of all matches), so the
    /// LIMIT stops the walk early; no table is scanned without an index.
    Ordered,
    /// Both: a seek whose matches are already in order.
    SeeksInOrder,
}

impl Expect {
    fn seeks(self) -> bool {
        matches!(self, Expect::Seeks | Expect::SeeksInOrder)
    }

    fn ordered(self) -> bool {
        matches!(self, Expect::Ordered | Expect::SeeksInOrder)
    }
}

/// One parameter of a planned query. Only the type matters to the plan (PostgreSQL refuses a
/// text where a number belongs), so numbers are all the same small value.
#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    Number,
}

/// Text parameters, in order (the usual shape: `$1…` text, then limits and times).
pub fn texts(values: &[&str]) -> Vec<Bind> {
    values.iter().map(|v| Bind::Text((*v).to_owned())).collect()
}

/// The highest `$n` in `sql`.
fn parameter_count(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// The plan's lines for `sql` with `binds` (parameters past them are numbers). On PostgreSQL
/// inside a transaction that is rolled back, so the planner settings stay with it.
pub async fn plan(db: &Db, sql: &str, binds: &[Bind], expect: Expect) -> Vec<String> {
    let mut tx = db.pool.begin().await.expect("begin");
    let explain = match db.backend {
        Backend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
        Backend::Postgres => {
            let mut settings = vec!["SET LOCAL enable_seqscan = off"];
            if expect.ordered() {
                settings.push("SET LOCAL enable_sort = off");
            }
            for setting in settings {
                sqlx::query(setting)
                    .execute(&mut *tx)
                    .await
                    .expect("planner setting");
            }
            format!("EXPLAIN {sql}")
        }
    };
    let mut query = sqlx::query(&explain);
    for bind in binds {
        query = match bind {
            Bind::Text(text) => query.bind(text.clone()),
            Bind::Number => query.bind(5_i64),
        };
    }
    for _ in binds.len()..parameter_count(sql) {
        query = query.bind(5_i64);
    }
    let rows = query.fetch_all(&mut *tx).await.expect("plan");
    tx.rollback().await.expect("rollback");
    use sqlx::Row;
    // SQLite: (id, parent, notused, detail); PostgreSQL: one text column per line.
    let column = if db.backend == Backend::Sqlite { 3 } else { 0 };
    rows.iter()
        .map(|row| row.try_get::<String, _>(column).expect("plan line"))
        .collect()
}

/// The first column of every PostgreSQL index, by index name (empty on SQLite, whose plan
/// says itself whether an index is sought or walked).
pub async fn leading_columns(db: &Db) -> HashMap<String, String> {
    if db.backend != Backend::Postgres {
        return HashMap::new();
    }
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(indexname AS TEXT), indexdef FROM pg_indexes WHERE schemaname = 'public'",
    )
    .fetch_all(&db.pool)
    .await
    .expect("indexes");
    rows.into_iter()
        .filter_map(|(name, definition)| {
            // `CREATE INDEX x ON public.t USING btree (first, second)`
            let columns = definition.split_once(" (")?.1;
            let first = columns.split([',', ')']).next()?.trim().to_owned();
            Some((name, first))
        })
        .collect()
}

/// Why `plan` falls short of `expect`, if it does. `leading` is [`leading_columns`].
pub fn problem(
    backend: Backend,
    plan: &[String],
    expect: Expect,
    leading: &HashMap<String, String>,
) -> Option<&'static str> {
    if plan.is_empty() {
        return Some("no plan");
    }
    match backend {
        Backend::Sqlite => sqlite_problem(plan, expect),
        Backend::Postgres => postgres_problem(plan, expect, leading),
    }
}

fn sqlite_problem(plan: &[String], expect: Expect) -> Option<&'static str> {
    let scans_table = plan
        .iter()
        .any(|l| l.starts_with("SCAN ") && !l.contains(" USING "));
    let scans = plan.iter().any(|l| l.starts_with("SCAN "));
    let sorts = plan
        .iter()
        .any(|l| l.contains("TEMP B-TREE FOR") && l.contains("ORDER BY"));
    if scans_table {
        Some("a table is scanned without an index")
    } else if expect.seeks() && scans {
        Some("a table or index is walked instead of sought")
    } else if expect.ordered() && sorts {
        Some("the matches are sorted instead of read in index order")
    } else {
        None
    }
}

/// PostgreSQL's text plan: a node per line that opens with `->` (and the first line), each
/// followed by its detail lines (`Index Cond: …`, `Filter: …`).
fn postgres_problem(
    plan: &[String],
    expect: Expect,
    leading: &HashMap<String, String>,
) -> Option<&'static str> {
    let mut nodes: Vec<(String, Vec<String>)> = Vec::new();
    for line in plan {
        let line = line.trim_start();
        match line.strip_prefix("->") {
            Some(node) => nodes.push((node.trim().to_owned(), Vec::new())),
            None if nodes.is_empty() => nodes.push((line.to_owned(), Vec::new())),
            None => nodes.last_mut().expect("a node").1.push(line.to_owned()),
        }
    }
    let is = |node: &str, kinds: &[&str]| kinds.iter().any(|k| node.starts_with(k));
    let seq_scan = nodes.iter().any(|(n, _)| is(n, &["Seq Scan"]));
    let walks = nodes
        .iter()
        .any(|(node, detail)| walks_an_index(node, detail, leading));
    let sorts = nodes
        .iter()
        .any(|(n, _)| is(n, &["Sort", "Incremental Sort"]));
    if seq_scan {
        Some("a table is scanned without an index")
    } else if expect.seeks() && walks {
        Some("a table or index is walked instead of sought")
    } else if expect.ordered() && sorts {
        Some("the matches are sorted instead of read in index order")
    } else {
        None
    }
}

/// An index scan node that reads the whole index: no index condition, or none on the index's
/// first column (PostgreSQL can test a later column of every entry, which is still a walk).
fn walks_an_index(node: &str, detail: &[String], leading: &HashMap<String, String>) -> bool {
    let index = if let Some(rest) = node.strip_prefix("Bitmap Index Scan on ") {
        rest
    } else if node.starts_with("Index Scan") || node.starts_with("Index Only Scan") {
        match node.split_once(" using ") {
            Some((_, rest)) => rest,
            None => return true,
        }
    } else {
        return false;
    };
    let index = index.split_whitespace().next().unwrap_or_default();
    let Some(condition) = detail.iter().find_map(|d| d.strip_prefix("Index Cond: ")) else {
        return true;
    };
    match leading.get(index) {
        Some(first) => !condition.contains(&format!("({first} ")),
        None => true,
    }
}

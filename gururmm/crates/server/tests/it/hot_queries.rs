//! Missing indexes (known_issues.rs, MAJOR 4): every hot query, exactly as the application runs
//! it (public constants and builders in `db::*`), is planned by the database itself — SQLite
//! and PostgreSQL both (see `plans`) — and must reach its rows through an index: the agents
//! list and its counts, the command queue and history, metrics history, alerts, key and
//! device lookups, every reaper pass, retention, watchdog events, site-code enrolment, update
//! offers and refusals, and the audit list. (The login and site-code throttles are counters in
//! memory, not queries.)

use crate::helpers::*;
use crate::plans::{leading_columns, plan, problem, texts, Bind, Expect};
use gururmm_server::db;

/// The application's hot queries, as the code runs them: (name, SQL, parameters, what the plan
/// must show). Parameters past the listed ones (limits, offsets, times) are numbers.
fn hot_queries() -> Vec<(String, String, Vec<Bind>, Expect)> {
    use db::agents::{ListFilter, SortKey};
    let mut queries = Vec::new();
    let mut list = |name: &str, filter: ListFilter, page: Expect, count: Option<Expect>| {
        let sql = db::agents::list_sql(&filter);
        let binds: Vec<Bind> = sql.binds.into_iter().map(Bind::Text).collect();
        queries.push((format!("agents list {name}"), sql.page, binds.clone(), page));
        if let Some(count) = count {
            queries.push((format!("agents count {name}"), sql.count, binds, count));
        }
    };
    let by = |f: fn(&mut ListFilter)| {
        let mut filter = ListFilter {
            sort: SortKey::Hostname,
            ..ListFilter::default()
        };
        f(&mut filter);
        filter
    };
    // The dashboard's default order, both ways, with a search, and with each filter. A
    // substring search cannot seek; walking the hostname index in order lets the page stop
    // early. (Its count, and the count of everything, must read every row or index entry:
    // nothing to assert there.)
    list("by hostname", by(|_| {}), Expect::Ordered, None);
    list(
        "by hostname, descending",
        by(|f| f.descending = true),
        Expect::Ordered,
        None,
    );
    list(
        "searched",
        by(|f| f.q = Some("web 01".into())),
        Expect::Ordered,
        None,
    );
    let status = by(|f| f.status = Some("online".into()));
    list(
        "by status",
        status,
        Expect::SeeksInOrder,
        Some(Expect::Seeks),
    );
    let site = by(|f| f.site_id = Some("s".into()));
    list("of a site", site, Expect::SeeksInOrder, Some(Expect::Seeks));
    let os = by(|f| f.os_type = Some("linux".into()));
    list("by OS", os, Expect::SeeksInOrder, Some(Expect::Seeks));
    // Through sites: the matches are found by index and sorted (one client's machines).
    let client = by(|f| f.client_id = Some("c".into()));
    list("of a client", client, Expect::Seeks, Some(Expect::Seeks));

    let text = |name: &str, sql: &str, binds: &[&str], expect| {
        (name.to_owned(), sql.to_owned(), texts(binds), expect)
    };
    let (open_alerts, _) = db::alerts::list_sql(None, None);
    let (agent_alerts, _) = db::alerts::list_sql(None, Some("a"));
    queries.extend([
        text(
            "pending commands of an agent",
            db::commands::PENDING_FOR_AGENT,
            &["a"],
            Expect::SeeksInOrder,
        ),
        text(
            "recent commands",
            db::commands::RECENT,
            &[],
            Expect::Ordered,
        ),
        text(
            "recent commands of an agent",
            db::commands::RECENT_FOR_AGENT,
            &["a"],
            Expect::SeeksInOrder,
        ),
        text(
            "metrics history of an agent",
            db::metrics::HISTORY,
            &["a"],
            Expect::SeeksInOrder,
        ),
        text("open alerts", &open_alerts, &[], Expect::Seeks),
        text(
            "open alerts of an agent",
            &agent_alerts,
            &["a"],
            Expect::Seeks,
        ),
        text(
            "agent by key hash",
            db::agents::FIND_BY_KEY_HASH,
            &["h"],
            Expect::Seeks,
        ),
        text(
            "agent by device id",
            db::agents::FIND_BY_DEVICE,
            &["d"],
            Expect::Seeks,
        ),
        // Every reaper pass.
        text(
            "agents with pending commands",
            db::commands::AGENTS_WITH_PENDING_ONLINE,
            &[],
            Expect::Seeks,
        ),
        text(
            "overdue commands",
            db::commands::TIME_OUT_OVERDUE,
            &[],
            Expect::Seeks,
        ),
        text(
            "silent polling agents",
            db::agents::EXPIRE_POLLED,
            &["legacy-poll"],
            Expect::Seeks,
        ),
        text(
            "offline agents without an alert",
            db::alerts::OFFLINE_WITHOUT_ALERT,
            &[],
            Expect::Seeks,
        ),
        // Retention (hourly), over the biggest tables.
        text("metrics retention", db::metrics::PRUNE, &[], Expect::Seeks),
        text(
            "watchdog events retention",
            db::watchdog::PRUNE,
            &[],
            Expect::Seeks,
        ),
        text(
            "watchdog events of an agent",
            db::watchdog::LIST,
            &["a"],
            Expect::SeeksInOrder,
        ),
        // Every site-code enrolment (and its agent count).
        text(
            "site by code hash",
            db::sites::FIND_BY_CODE_HASH,
            &["h"],
            Expect::Seeks,
        ),
        // Every connect of an agent older than the newest release.
        text(
            "open update offer of an agent",
            db::releases::OPEN_OFFER,
            &["a", "r"],
            Expect::Seeks,
        ),
        text(
            "update refused since",
            db::releases::REFUSED_SINCE,
            &["a", "r"],
            Expect::Seeks,
        ),
    ]);
    queries.push((
        "complete update offers".to_owned(),
        db::releases::COMPLETE_OFFERS.to_owned(),
        vec![
            Bind::Number,
            Bind::Text("a".into()),
            Bind::Text("1.0".into()),
        ],
        Expect::Seeks,
    ));
    // The audit list, unfiltered (its count must read every row: nothing to assert) and by
    // action, target or both.
    let mut audit = |name: &str, action: Option<&str>, target: Option<&str>, page| {
        let filter = db::audit::AuditFilter {
            action: action.map(str::to_owned),
            target: target.map(str::to_owned),
        };
        let (count, list, binds) = db::audit::list_sql(&filter);
        let binds = texts(&binds);
        queries.push((format!("audit list {name}"), list, binds.clone(), page));
        if !binds.is_empty() {
            queries.push((format!("audit count {name}"), count, binds, Expect::Seeks));
        }
    };
    audit("newest first", None, None, Expect::Ordered);
    audit("by action", Some("login"), None, Expect::SeeksInOrder);
    audit("by target", None, Some("agent:a"), Expect::SeeksInOrder);
    audit(
        "by action and target",
        Some("login"),
        Some("agent:a"),
        Expect::SeeksInOrder,
    );
    queries
}

#[tokio::test]
async fn hot_queries_use_an_index() {
    let app = TestApp::spawn().await;
    let db = &app.state().db;
    let leading = leading_columns(db).await;
    let mut problems = Vec::new();
    for (name, sql, binds, expect) in hot_queries() {
        let lines = plan(db, &sql, &binds, expect).await;
        if let Some(why) = problem(db.backend, &lines, expect, &leading) {
            problems.push(format!("{name}: {why} ({expect:?}): {}", lines.join(" | ")));
        }
    }
    assert!(
        problems.is_empty(),
        "on {:?}:\n{}",
        db.backend,
        problems.join("\n")
    );
}

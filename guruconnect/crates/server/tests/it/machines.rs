//! The machines list at fleet size: a thousand and more machines across companies, seeded
//! through the server's own database layer. Every machine is reachable page by page and by
//! company, and the company counts are the whole fleet's, not one page's.

use crate::helpers::*;
use guruconnect_server::db::machines::{self, Inventory, Registration};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// (company, machines, of which online). "Acme Labs" is not "Acme": a company filter is exact.
const FLEET: [(&str, usize, usize); 6] = [
    ("Acme", 420, 100),
    ("Acme Labs", 35, 35),
    ("Globex", 510, 0),
    ("Initech", 3, 1),
    ("Umbrella", 232, 200),
    ("", 50, 7),
];

async fn seed(app: &TestApp) -> usize {
    let db = &app.state().db;
    let mut seeded = 0;
    for (company, count, online) in FLEET {
        for i in 0..count {
            let agent_id = format!(
                "{}-{i:04}",
                if company.is_empty() { "none" } else { company }
            );
            let agent_id =
                guruconnect_server::model::AgentId::from(agent_id.replace(' ', "-").to_lowercase());
            let registration = Registration {
                agent_id: &agent_id,
                machine_uid: &format!("uid-{agent_id}"),
                hostname: &format!("host-{agent_id}"),
                agent_version: "test",
                persistent: true,
                external_ip: "",
            };
            machines::register_online(db, &registration)
                .await
                .expect("register");
            let inventory = Inventory {
                hostname: registration.hostname.to_owned(),
                organization: company.to_owned(),
                ..Inventory::default()
            };
            machines::update_inventory(db, &agent_id, &inventory)
                .await
                .expect("inventory");
            if i >= online {
                machines::set_offline(db, &agent_id).await.expect("offline");
            }
            seeded += 1;
        }
    }
    seeded
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["agent_id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn every_machine_is_reachable_and_company_counts_are_the_whole_fleets() {
    let app = TestApp::spawn().await;
    let seeded = seed(&app).await;

    // The groups: one per company, with true totals and online counts.
    let groups: Value = app.get_json("/api/machine-groups", &app.admin_token).await;
    let got: BTreeMap<String, (i64, i64)> = groups
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            let name = g["organization"].as_str().expect("name").to_owned();
            (
                name,
                (
                    g["total"].as_i64().expect("total"),
                    g["online"].as_i64().expect("online"),
                ),
            )
        })
        .collect();
    let want: BTreeMap<String, (i64, i64)> = FLEET
        .iter()
        .map(|(c, n, on)| ((*c).to_owned(), (*n as i64, *on as i64)))
        .collect();
    assert_eq!(got, want);

    // Page by page at the largest page size, every machine exactly once.
    let mut seen = BTreeSet::new();
    let mut page_no = 1;
    loop {
        let page: Value = app
            .get_json(
                &format!("/api/machines?per_page=200&page={page_no}"),
                &app.admin_token,
            )
            .await;
        assert_eq!(page["total"], seeded as i64);
        let page_ids = ids(&page);
        if page_ids.is_empty() {
            break;
        }
        for id in page_ids {
            assert!(seen.insert(id.clone()), "{id} listed twice");
        }
        page_no += 1;
        assert!(page_no <= 10, "more pages than machines");
    }
    assert_eq!(seen.len(), seeded);

    // One company, exactly: its machines only, all of them across its pages.
    let acme: Value = app
        .get_json(
            "/api/machines?organization=Acme&per_page=200&page=3",
            &app.admin_token,
        )
        .await;
    assert_eq!(acme["total"], 420);
    assert_eq!(ids(&acme).len(), 20);
    assert!(ids(&acme).iter().all(|id| id.starts_with("acme-0")));
    let unlabelled: Value = app
        .get_json("/api/machines?organization=&per_page=5", &app.admin_token)
        .await;
    assert_eq!(unlabelled["total"], 50);

    // Counts follow the search.
    let searched: Value = app
        .get_json("/api/machine-groups?q=company%3Aacme", &app.admin_token)
        .await;
    let names: Vec<&str> = searched
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["organization"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Acme", "Acme Labs"]);
}

#[tokio::test]
async fn machine_groups_need_a_technician() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/machine-groups"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 401);
}

/// An attended visit shows its live session on the machine's row, for whoever may join it.
#[tokio::test]
async fn an_attended_machine_names_its_live_session_to_those_who_may_join_it() {
    let app = TestApp::spawn().await;
    let tech = app.user("code-maker", "technician").await;
    let other = app.user("bystander", "technician").await;
    let created = app
        .post_json("/api/codes", &tech, serde_json::json!({"note": "visit"}))
        .await;
    let code = created["code"].as_str().expect("code");
    let agent = TestAgent::connect(&app, hello_with_code("uid-visit", code)).await;
    let path = format!("/api/machines/{}", agent.agent_id);
    let seen_by = |token: String| {
        let app = &app;
        let path = path.clone();
        async move { app.get_json(&path, &token).await["session_id"].clone() }
    };
    assert_eq!(seen_by(tech.clone()).await, agent.session_id.as_str());
    assert_eq!(
        seen_by(app.admin_token.clone()).await,
        agent.session_id.as_str()
    );
    assert_eq!(seen_by(other).await, Value::Null, "not theirs to join");
    let listed: Value = app.get_json("/api/machines", &tech).await;
    assert_eq!(listed["items"][0]["session_id"], agent.session_id.as_str());
    assert_eq!(listed["items"][0]["is_persistent"], false);
}

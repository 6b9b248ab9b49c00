use crate::db::{Db, Migration, Store};
use std::collections::HashMap;

crate::id_type! {
    /// A note.
    pub struct NoteId;
}

const NOTES: Migration = Migration {
    version: 1,
    name: "notes",
    sql: "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL);",
};

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: NoteId,
    body: String,
}

#[tokio::test]
async fn an_id_is_stored_and_read_back_as_its_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("ids.db");
    let db = Db::open(Store {
        database_url: None,
        sqlite_file: &file,
        migrations: &[NOTES],
        migration_lock: 1,
    })
    .await
    .expect("open");
    let id = NoteId::new();
    sqlx::query("INSERT INTO notes (id, body) VALUES ($1, 'hi')")
        .bind(&id)
        .execute(&db.pool)
        .await
        .expect("insert");
    let row: NoteRow = sqlx::query_as("SELECT id, body FROM notes WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(&db.pool)
        .await
        .expect("select by its text");
    assert_eq!((row.id, row.body.as_str()), (id, "hi"));
}

#[test]
fn json_and_the_schema_see_plain_text() {
    let id = NoteId::from("4f0c".to_owned());
    assert_eq!(serde_json::to_string(&id).expect("json"), r#""4f0c""#);
    let back: NoteId = serde_json::from_str(r#""4f0c""#).expect("parse");
    assert_eq!(back, id);
    let schema = serde_json::to_value(<NoteId as utoipa::PartialSchema>::schema()).expect("schema");
    assert_eq!(schema["type"], "string");
    assert_eq!(<NoteId as utoipa::ToSchema>::name(), "NoteId");
}

#[test]
fn new_ids_differ_and_maps_keyed_by_one_are_read_with_text() {
    let (a, b) = (NoteId::new(), NoteId::new());
    assert_ne!(a, b);
    assert_eq!(a.as_str().len(), 36, "a UUID");
    let map = HashMap::from([(a.clone(), 1)]);
    assert_eq!(map.get(a.as_str()), Some(&1));
    assert_eq!(a.to_string(), a.as_str());
    let text: String = a.clone().into();
    assert_eq!(text, a.as_str(), "back to text for a protocol message");
}

#[test]
fn ids_made_one_after_another_sort_in_that_order() {
    let made: Vec<String> = (0..2000).map(|_| NoteId::new().to_string()).collect();
    let mut sorted = made.clone();
    sorted.sort();
    assert_eq!(sorted, made, "an id sorts before one made earlier");
    sorted.dedup();
    assert_eq!(sorted.len(), made.len(), "an id was made twice");
}

//! Checked-in generated files (OpenAPI documents, the types generated from them) held to what
//! the code generates: a test compares, and rewrites the file when asked to by its variable.

use std::path::Path;

/// `Ok` when `path` holds exactly `fresh`. When the environment variable `update_var` is set,
/// writes `fresh` to `path` first, so regenerating is running the same test with it set.
pub fn check(path: &Path, fresh: &str, update_var: &str) -> Result<(), String> {
    if std::env::var_os(update_var).is_some() {
        std::fs::write(path, fresh).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == fresh {
        Ok(())
    } else {
        Err(format!(
            "{} differs from what the code generates: regenerate it with {update_var}=1 and review the diff",
            path.display()
        ))
    }
}

/// [`check`] for a JSON document, written as the checked-in files are: pretty, one newline at
/// the end.
pub fn check_json(
    path: &Path,
    document: &serde_json::Value,
    update_var: &str,
) -> Result<(), String> {
    let fresh = serde_json::to_string_pretty(document).map_err(|e| e.to_string())? + "\n";
    check(path, &fresh, update_var)
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn a_file_that_differs_is_reported_and_an_equal_one_passes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("doc.json");
        std::fs::write(&path, "{}\n").expect("write");
        let err = check(&path, "{\"a\":1}\n", "GOLDEN_TEST_VAR_NEVER_SET").expect_err("differs");
        assert!(err.contains("GOLDEN_TEST_VAR_NEVER_SET=1"), "{err}");
        assert_eq!(check(&path, "{}\n", "GOLDEN_TEST_VAR_NEVER_SET"), Ok(()));
    }

    #[test]
    fn a_json_document_is_compared_in_its_checked_in_form() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("doc.json");
        std::fs::write(&path, "{\n  \"a\": 1\n}\n").expect("write");
        let same = super::check_json(
            &path,
            &serde_json::json!({"a": 1}),
            "GOLDEN_TEST_VAR_NEVER_SET",
        );
        assert_eq!(same, Ok(()));
    }

    #[test]
    fn a_missing_file_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(check(&dir.path().join("absent"), "x", "GOLDEN_TEST_VAR_NEVER_SET").is_err());
    }
}

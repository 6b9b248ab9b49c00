//! Environment overrides. Each variable is named once here, always `GURUCONNECT_*`; the bare
//! names earlier releases also read are refused with their replacement named.

use super::{Config, ConfigError};
use server_kit::config::{overwrite, Env};
use server_kit::sso::SsoConfig;

/// Bare names earlier releases also read, and their replacements (server-kit's config/env.rs:
/// why).
pub(super) const RENAMED: &[(&str, &str)] = &[
    ("BIND_ADDRESS", "GURUCONNECT_BIND"),
    ("DATABASE_URL", "GURUCONNECT_DATABASE_URL"),
    ("JWT_SECRET", "GURUCONNECT_JWT_SECRET"),
    ("TLS_CERT", "GURUCONNECT_TLS_CERT"),
    ("TLS_KEY", "GURUCONNECT_TLS_KEY"),
    (
        "CONNECT_EMBED_ALLOWED_ORIGINS",
        "GURUCONNECT_EMBED_ALLOWED_ORIGINS",
    ),
    ("AGENT_API_KEY", "GURUCONNECT_AGENT_API_KEY"),
    ("CONNECT_INTEGRATION_KEY", "GURUCONNECT_INTEGRATION_KEY"),
];

/// Applies every override that `get` knows about. `get` is `std::env::var` in production and a
/// map in tests.
pub fn apply_overrides(
    config: &mut Config,
    get: impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let env = Env::new(get, RENAMED)?;
    let c = config;
    overwrite(
        &mut c.bind,
        env.parse("GURUCONNECT_BIND", "an address like 127.0.0.1:8443")?,
    );
    overwrite(
        &mut c.public_url,
        env.text("GURUCONNECT_PUBLIC_URL").map(Some),
    );
    overwrite(&mut c.data_dir, env.path("GURUCONNECT_DATA_DIR"));
    overwrite(
        &mut c.database_url,
        env.secret("GURUCONNECT_DATABASE_URL").map(Some),
    );
    overwrite(
        &mut c.jwt_secret,
        env.secret("GURUCONNECT_JWT_SECRET").map(Some),
    );
    overwrite(
        &mut c.tls,
        env.tls("GURUCONNECT_TLS_CERT", "GURUCONNECT_TLS_KEY")?
            .map(Some),
    );
    overwrite(
        &mut c.cors_allowed_origins,
        env.list("GURUCONNECT_CORS_ALLOWED_ORIGINS"),
    );
    overwrite(
        &mut c.viewer_allowed_origins,
        env.list("GURUCONNECT_VIEWER_ALLOWED_ORIGINS"),
    );
    overwrite(
        &mut c.embed_allowed_origins,
        env.list("GURUCONNECT_EMBED_ALLOWED_ORIGINS"),
    );
    overwrite(
        &mut c.second_factor_roles,
        env.list("GURUCONNECT_SECOND_FACTOR_ROLES"),
    );
    overwrite(
        &mut c.sso,
        SsoConfig::from_env(&env, "GURUCONNECT")?.map(Some),
    );
    overwrite(&mut c.web_dir, env.path("GURUCONNECT_WEB_DIR").map(Some));
    overwrite(
        &mut c.agent_api_key,
        env.secret("GURUCONNECT_AGENT_API_KEY").map(Some),
    );
    overwrite(
        &mut c.allow_shared_agent_key,
        env.boolean("GURUCONNECT_ALLOW_SHARED_AGENT_KEY")?,
    );
    overwrite(
        &mut c.integration_key,
        env.secret("GURUCONNECT_INTEGRATION_KEY").map(Some),
    );
    overwrite(
        &mut c.release_public_key,
        env.text("GURUCONNECT_RELEASE_PUBLIC_KEY").map(Some),
    );
    overwrite(
        &mut c.attended_consent,
        env.boolean("GURUCONNECT_ATTENDED_CONSENT")?,
    );
    overwrite(
        &mut c.trust_forwarded_for,
        env.boolean("GURUCONNECT_TRUST_FORWARDED_FOR")?,
    );
    overwrite(
        &mut c.bootstrap_admin,
        env.boolean("GURUCONNECT_BOOTSTRAP_ADMIN")?,
    );
    overwrite(
        &mut c.log_format,
        env.parse("GURUCONNECT_LOG_FORMAT", "text or json")?,
    );
    Ok(())
}

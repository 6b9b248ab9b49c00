//! Environment overrides. Each variable is named once here, always `GURURMM_*`; the bare names
//! earlier releases also read are refused with their replacement named.

use super::{Config, ConfigError};
use server_kit::config::{overwrite, Env};
use server_kit::sso::SsoConfig;

/// Bare names earlier releases also read, and their replacements (server-kit's config/env.rs:
/// why).
pub(super) const RENAMED: &[(&str, &str)] = &[
    ("DATABASE_URL", "GURURMM_DATABASE_URL"),
    ("JWT_SECRET", "GURURMM_JWT_SECRET"),
    ("CONNECT_SERVER_URL", "GURURMM_CONNECT_URL"),
    ("CONNECT_INTEGRATION_KEY", "GURURMM_CONNECT_INTEGRATION_KEY"),
];

/// Applies every override `get` knows: `std::env::var` in production, a map in tests.
pub fn apply_overrides(
    config: &mut Config,
    get: impl Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let env = Env::new(get, RENAMED)?;
    let c = config;
    overwrite(
        &mut c.bind,
        env.parse("GURURMM_BIND", "an address like 127.0.0.1:3001")?,
    );
    overwrite(&mut c.public_url, env.text("GURURMM_PUBLIC_URL").map(Some));
    overwrite(&mut c.data_dir, env.path("GURURMM_DATA_DIR"));
    overwrite(&mut c.dashboard_dir, env.path("GURURMM_DASHBOARD_DIR"));
    overwrite(
        &mut c.dashboard_frame_src,
        env.list("GURURMM_DASHBOARD_FRAME_SRC"),
    );
    overwrite(
        &mut c.database_url,
        env.secret("GURURMM_DATABASE_URL").map(Some),
    );
    overwrite(
        &mut c.jwt_secret,
        env.secret("GURURMM_JWT_SECRET").map(Some),
    );
    overwrite(
        &mut c.tls,
        env.tls("GURURMM_TLS_CERT", "GURURMM_TLS_KEY")?.map(Some),
    );
    overwrite(
        &mut c.cors_allowed_origins,
        env.list("GURURMM_CORS_ALLOWED_ORIGINS"),
    );
    overwrite(
        &mut c.second_factor_roles,
        env.list("GURURMM_SECOND_FACTOR_ROLES"),
    );
    overwrite(&mut c.sso, SsoConfig::from_env(&env, "GURURMM")?.map(Some));
    overwrite(
        &mut c.trust_forwarded_for,
        env.boolean("GURURMM_TRUST_FORWARDED_FOR")?,
    );
    overwrite(
        &mut c.bootstrap_admin,
        env.boolean("GURURMM_BOOTSTRAP_ADMIN")?,
    );
    overwrite(
        &mut c.allow_registration,
        env.boolean("GURURMM_ALLOW_REGISTRATION")?,
    );
    let connect = &mut c.connect;
    overwrite(&mut connect.url, env.text("GURURMM_CONNECT_URL").map(Some));
    overwrite(
        &mut connect.integration_key,
        env.secret("GURURMM_CONNECT_INTEGRATION_KEY").map(Some),
    );
    overwrite(
        &mut connect.public_url,
        env.text("GURURMM_CONNECT_PUBLIC_URL").map(Some),
    );
    overwrite(
        &mut connect.agent_server_url,
        env.text("GURURMM_CONNECT_AGENT_SERVER_URL").map(Some),
    );
    let release_key = env.text("GURURMM_CONNECT_RELEASE_PUBLIC_KEY");
    overwrite(
        &mut connect.release_public_key,
        release_key.map(|k| Some(k.trim().to_owned())),
    );
    overwrite(
        &mut connect.ca_cert,
        env.path("GURURMM_CONNECT_CA_CERT").map(Some),
    );
    overwrite(
        &mut c.log_format,
        env.parse("GURURMM_LOG_FORMAT", "text or json")?,
    );
    Ok(())
}

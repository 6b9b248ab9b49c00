//! The security schemes both API documents declare: `bearer`, the access token a person gets
//! at sign-in, and any other bearer credential a product takes (GuruConnect's integration key).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;

/// Adds the `bearer` scheme (a JWT) to `openapi`, and each of `others` — (name, description)
/// — as a bearer scheme of its own.
pub fn add_bearer_schemes(openapi: &mut OpenApi, others: &[(&str, &str)]) {
    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, description) in others {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(*description));
        components.add_security_scheme(*name, SecurityScheme::Http(scheme.build()));
    }
    let jwt = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT");
    components.add_security_scheme("bearer", SecurityScheme::Http(jwt.build()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwt_scheme_and_the_others_are_declared() {
        let mut openapi = OpenApi::default();
        add_bearer_schemes(&mut openapi, &[("integration", "the integration key")]);
        let doc = serde_json::to_value(&openapi).expect("json");
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
        assert_eq!(schemes["integration"]["description"], "the integration key");
        assert!(schemes["integration"].get("bearerFormat").is_none());
    }
}

// The suite's admin account, created by global setup through `gururmm-server admin create`.
export const ADMIN_EMAIL = 'admin@e2e.test';
export const ADMIN_PASSWORD = 'e2e-Correct-Horse-Battery-9';
// A technician, made the same way.
export const TECH_EMAIL = 'tech@e2e.test';
export const TECH_PASSWORD = 'e2e-Technician-Battery-7';
// A technician of its own for the two-factor spec, which turns the second factor on.
export const TWO_FACTOR_EMAIL = 'two-factor@e2e.test';
// A technician who signs in at the test identity provider (as `sso-tech`) in sso.spec.ts.
export const SSO_EMAIL = 'sso@e2e.test';

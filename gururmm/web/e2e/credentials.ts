// The suite's admin account, created by global setup through `gururmm-server admin create`.
export const ADMIN_EMAIL = 'admin@e2e.test';
export const ADMIN_PASSWORD = 'e2e-Correct-Horse-Battery-9';

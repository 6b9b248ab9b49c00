// `npm run bench`: the viewer benchmark (e2e/bench) on the same real stack as the e2e suite,
// at 1920×1080. It prints a table; nothing in it is asserted against a time.
import base from "./playwright.config";
import { defineConfig } from "@playwright/test";

export default defineConfig({ ...base, testDir: "e2e/bench", testMatch: "**/*.bench.ts", timeout: 300_000, reporter: "line" });

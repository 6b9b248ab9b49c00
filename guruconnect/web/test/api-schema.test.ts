// src/app/schema.ts must be what kit/api-types makes of guruconnect/openapi.json today (and that
// file what the server documents: a Rust test holds it there), so a changed DTO without
// `npm run gen:api` fails here rather than in a technician's browser.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

it("src/app/schema.ts matches guruconnect/openapi.json (run `npm run gen:api` when it does not)", () => {
  const out = mkdtempSync(join(tmpdir(), "gc-api-"));
  try {
    const fresh = join(out, "schema.ts");
    execFileSync(process.execPath, ["../../kit/api-types/openapi-types.mjs", "../openapi.json", fresh]);
    expect(readFileSync("src/app/schema.ts", "utf8") === readFileSync(fresh, "utf8")).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

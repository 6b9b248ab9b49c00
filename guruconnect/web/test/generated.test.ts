// src/gen must be what ts-proto makes of guruconnect.proto today: a field added to the proto
// without `npm run gen` fails here rather than on the wire.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

it("src/gen matches guruconnect.proto (run `npm run gen` when it does not)", () => {
  const out = mkdtempSync(join(tmpdir(), "gc-gen-"));
  try {
    const buf = join("node_modules", ".bin", "buf");
    execFileSync(buf, ["generate", "../proto", "--template", "buf.gen.yaml", "-o", out]);
    const fresh = readFileSync(join(out, "src/gen/guruconnect.ts"), "utf8");
    const committed = readFileSync("src/gen/guruconnect.ts", "utf8");
    expect(committed === fresh).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

// schema.ts must be what kit/api-types makes of gururmm/openapi.json today (and that file what
// the server documents: a Rust test holds it there), so a changed DTO without `npm run gen:api`
// fails here rather than in a technician's browser.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('src/api/schema.ts matches gururmm/openapi.json (run `npm run gen:api` when it does not)', () => {
  const out = mkdtempSync(join(tmpdir(), 'grmm-api-'));
  try {
    const fresh = join(out, 'schema.ts');
    execFileSync(process.execPath, ['../../kit/api-types/openapi-types.mjs', '../openapi.json', fresh]);
    expect(readFileSync('src/api/schema.ts', 'utf8') === readFileSync(fresh, 'utf8')).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

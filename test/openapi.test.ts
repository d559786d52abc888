import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApi } from '../src/openapi.js';

describe('openapi/openapi.json', () => {
  let generated: string;
  beforeAll(async () => {
    generated = await generateOpenApi();
  });

  it('is what the code generates (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(generated);
  });

  it('describes every /v1 route with a bearer token and problem answers', () => {
    const doc = JSON.parse(generated);
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, any>).map(([method, op]) => ({ path, method, op })),
    );
    const v1 = operations.filter((o) => o.path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThanOrEqual(13);
    for (const { op } of v1) {
      expect(op.security ?? doc.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401']));
    }
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validate } from '@hyperjump/json-schema/openapi-3-1';
import { type NormalizedProblem, lint, loadConfig } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_PATH, openApiDocument } from '../helpers/openapi-validator.js';

const CONFIG_PATH = fileURLToPath(new URL('../../redocly.yaml', import.meta.url));

describe('openapi/openapi.json as a document', () => {
  it('is valid OpenAPI 3.1, its schemas valid in the OAS 3.1 dialect', async () => {
    // schema-base also validates every Schema Object against the OAS base dialect, not only the document's shape.
    const output = await validate('https://spec.openapis.org/oas/3.1/schema-base', openApiDocument(), 'BASIC');
    const errors = (output.valid ? [] : (output.errors ?? [])).slice(0, 20).map((e) => `${e.instanceLocation}: ${e.keyword} (${e.absoluteKeywordLocation})`);
    expect(errors.join('\n')).toBe('');
    expect(output.valid).toBe(true);
  });

  it('passes `redocly lint` with the recommended rules: no error, no warning', async () => {
    const problems = await lint({ ref: DOCUMENT_PATH, config: await loadConfig({ configPath: CONFIG_PATH }) });
    const shown = (list: NormalizedProblem[]) =>
      list.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`).join('\n');
    // Grouped by rule first, so that one missing field on 76 operations reads as one finding.
    const byRule = new Map<string, number>();
    for (const p of problems) byRule.set(`${p.severity} ${p.ruleId}`, (byRule.get(`${p.severity} ${p.ruleId}`) ?? 0) + 1);
    expect([...byRule].map(([rule, n]) => `${rule} ×${n}`).join('\n') + (problems.length ? `\n\n${shown(problems.slice(0, 30))}` : '')).toBe('');
  });

  it('lints with every recommended rule, each one turned off or lowered only with a comment saying why', () => {
    const lines = readFileSync(CONFIG_PATH, 'utf8').split('\n');
    expect(lines.join('\n')).toMatch(/^extends:\n\s+- recommended$/m);
    const unexplained = lines.flatMap((line, i) => {
      const rule = /^\s+([\w/-]+):\s*(off|warn)\s*(#.*)?$/.exec(line);
      return rule && !rule[3] && !/^\s*#/.test(lines[i - 1] ?? '') ? [`redocly.yaml:${i + 1} ${line.trim()}`] : [];
    });
    expect(unexplained.join('\n')).toBe('');
  });
});

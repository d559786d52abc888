import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_PATH } from '../helpers/openapi-validator.js';
import { mistaken, typed } from './client-programs.js';

// What an integrating system does with the committed document: openapi-typescript's types, openapi-fetch's
// client, strict TypeScript. Inside node_modules/.cache so that the programs resolve openapi-fetch as any
// project would, from the node_modules above them.
const root = fileURLToPath(new URL('../../', import.meta.url));
const folder = join(root, 'node_modules', '.cache', `fund-ledger-contract-${process.pid}`);

interface Finding {
  file: string;
  line: number;
  code: number;
  text: string;
}

let findings: Finding[];

beforeAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), '{ "type": "module" }\n');
  // silent: openapi-typescript's own redocly pass prints warnings that typescript-client is not the place for.
  const types = astToString(await openapiTS(JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')), { silent: true }));
  // .ts, not .d.ts: skipLibCheck must not hide a broken type the document produced.
  writeFileSync(join(folder, 'api.ts'), types);
  writeFileSync(join(folder, 'typed.ts'), typed);
  writeFileSync(join(folder, 'mistaken.ts'), mistaken);

  // One program for both files: the generated types and openapi-fetch are checked once.
  const program = ts.createProgram([join(folder, 'typed.ts'), join(folder, 'mistaken.ts')], {
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: false,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
    noEmit: true,
  });
  findings = ts.getPreEmitDiagnostics(program).map((d) => {
    const position = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return {
      file: d.file ? d.file.fileName.slice(folder.length + 1) : '(options)',
      line: (position?.line ?? -1) + 1,
      code: d.code,
      text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    };
  });
}, 60_000);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

const show = (list: Finding[]) => list.map((f) => `${f.file}:${f.line} TS${f.code} ${f.text}`).join('\n');

describe('a strict TypeScript client from openapi-typescript and openapi-fetch', () => {
  it('compiles the generated types', () => {
    const inTypes = findings.filter((f) => f.file === 'api.ts' || f.file === '(options)');
    expect(show(inTypes)).toBe('');
  });

  it('reads success bodies, each error code, pages and event payloads without a cast', () => {
    const inTyped = findings.filter((f) => f.file === 'typed.ts');
    expect(show(inTyped), 'the document no longer types what a client relies on').toBe('');
  });

  it('refuses a misspelt error code, a field of another code and a field an event does not carry', () => {
    const expected = mistaken.split('\n').flatMap((text, i) => {
      const codes = /\/\/ expect ((?:TS\d+ ?)+)$/.exec(text)?.[1]?.trim().split(' ').map((c) => Number(c.slice(2)));
      return codes ? [{ line: i + 1, codes }] : [];
    });
    expect(expected.length).toBe(3);
    const inMistaken = findings.filter((f) => f.file === 'mistaken.ts');
    for (const { line, codes } of expected) {
      const here = inMistaken.filter((f) => f.line === line);
      expect(here.some((f) => codes.includes(f.code)), `mistaken.ts:${line} must fail with ${codes.map((c) => `TS${c}`).join(' or ')}; got:\n${show(inMistaken)}`).toBe(true);
    }
    // Nothing else may fail there: a program broken for another reason would prove nothing.
    const elsewhere = inMistaken.filter((f) => !expected.some((e) => e.line === f.line));
    expect(show(elsewhere)).toBe('');
    // The misspelling is named in the diagnostic a developer would read.
    expect(inMistaken.find((f) => f.line === expected[0]!.line)?.text).toContain("'\"unbalanced_transation\"'");
  });
});

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, rows } from '../../src/db/client.js';
import { villages } from '../../src/db/schema.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { idNumber, uniqueCode } from '../helpers/fixtures.js';

const HEADER_ZH = '户编号,户主姓名,身份证号,村编码,家庭人口,监测类型,风险类型,纳入监测日期';

// Names as officers meet them: Extension B (𪚥 U+2A6A5, 𠮷 U+20BB7), a compatibility ideograph (﨎 U+FA0E),
// Extensions A, C and E. Spelt by code point, so no editor can swap one for a look-alike.
const c = String.fromCodePoint;
const NAMES = [`王${c(0x2a6a5)}龘`, `赵${c(0x20bb7)}`, `陈${c(0xfa0e)}`, `${c(0x3400)}${c(0x2a700)}${c(0x2b820)}`];

/** The text as Excel on a Chinese Windows saves it, by an encoder other than the one under test (glibc's iconv). */
const gb18030 = (text: string) => execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text });

let nextId = 5000;
const freshId = () => idNumber(++nextId + (process.pid % 1000) * 10);

describe.each(backends)('CSV import encodings on $name', (backend) => {
  let t: TestApp;
  let officer: string;
  let villageCode: string;

  const send = (payload: Buffer, contentType = 'text/csv') =>
    t.app.inject({ method: 'POST', url: '/v1/households/import', headers: { authorization: `Bearer ${officer}`, 'content-type': contentType }, payload });
  const headNames = async (codes: string[]) =>
    (await rows<{ code: string; head_name: string }>(t.database.db, sql`select code, head_name from households where code in ${codes} order by code`)).map((h) => [h.code, h.head_name]);
  const count = async () => (await rows<{ n: number }>(t.database.db, sql`select count(*)::int as n from households`))[0]!.n;
  const file = (codes: string[], names: string[]) =>
    [HEADER_ZH, ...codes.map((code, i) => `${code},${names[i]},${freshId()},${villageCode},3,边缘易致贫户,因病、因学,2025-01-01`)].join('\r\n') + '\r\n';

  beforeAll(async () => {
    t = await startApp(backend);
    officer = await t.keyFor('officer');
    villageCode = uniqueCode('GB');
    const v = await t.call('POST', '/v1/villages', { body: { code: villageCode, name: '青山村', township: '红旗乡', county: '某县' } });
    expect(v.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('imports a GB18030 file (Excel’s “CSV”) with every rare character exactly', async () => {
    const codes = NAMES.map(() => uniqueCode('H'));
    const bytes = gb18030(file(codes, NAMES));
    // Really GB18030, not UTF-8: 𪚥 is the four bytes 98 35 EE 37.
    expect(bytes.includes(Buffer.from([0x98, 0x35, 0xee, 0x37]))).toBe(true);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();

    const r = await send(bytes);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ rows: 4, created: 4, included: 4 });
    expect(await headNames(codes)).toEqual(codes.map((code, i) => [code, NAMES[i]]).sort());
    // Declared or not, the bytes decide.
    const again = await send(bytes, 'text/csv; charset=gbk');
    expect(again.json()).toMatchObject({ rows: 4, unchanged: 4 });
  });

  it('imports UTF-8 with a BOM (Excel’s “CSV UTF-8”) and without one alike', async () => {
    const codes = [uniqueCode('H')];
    const text = file(codes, [NAMES[0]!]);
    const withBom = await send(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(withBom.statusCode, withBom.body).toBe(200);
    expect(withBom.json()).toMatchObject({ created: 1 });
    expect(await headNames(codes)).toEqual([[codes[0], NAMES[0]]]);
    expect((await send(Buffer.from(text), 'text/csv; charset=utf-8')).json()).toMatchObject({ unchanged: 1 });
  });

  it('refuses a file that is neither, naming the line and the byte, and writes nothing', async () => {
    const before = await count();
    const good = gb18030(file([uniqueCode('H')], ['张三明']));
    // 0x81 opens a two- or four-byte GB18030 character; a comma cannot follow it, and it is no UTF-8 at all.
    const bad = Buffer.concat([good, Buffer.from(`${uniqueCode('H')},`), Buffer.from([0x81, 0x2c]), Buffer.from('\r\n')]);
    const r = await send(bad);
    expect(r.statusCode).toBe(422);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    const at = bad.indexOf(0x81, good.length);
    expect(r.json()).toMatchObject({
      code: 'import_failed',
      errors: [{ line: 3, column: null, message: expect.stringContaining(`byte ${at} `) }],
    });
    expect(r.json().errors[0].message).toContain('neither UTF-8 nor GB18030');
    expect(await count()).toBe(before);
    // A declared charset that is neither is refused before the file is read.
    expect((await send(Buffer.from(file([uniqueCode('H')], ['张三明'])), 'text/csv; charset=iso-8859-1')).statusCode).toBe(415);
  });

  it('refuses a NUL or another control character in a cell, naming the line and the column, and writes nothing', async () => {
    const before = await count();
    const codes = [uniqueCode('H'), uniqueCode('H'), uniqueCode('H')];
    const text = [
      HEADER_ZH,
      `${codes[0]},张三明,${freshId()},${villageCode},3,,,`,
      `${codes[1]},李\u0000四,${freshId()},${villageCode},3,边缘易致贫户,因病\u0085,2025-01-01`,
      `${codes[2]},王五,${freshId()},${villageCode},3,,,`,
    ].join('\n');
    const r = await send(Buffer.from(text));
    expect(r.statusCode).toBe(422);
    const errors = r.json().errors as { line: number; column: string; message: string }[];
    expect(errors).toEqual([
      expect.objectContaining({ line: 3, column: '户主姓名', message: expect.stringContaining('U+0000') }),
      expect.objectContaining({ line: 3, column: '风险类型', message: expect.stringContaining('U+0085') }),
    ]);
    expect(await count()).toBe(before);
  });
});

// The CLI reads the file's bytes the same way.
describe('scripts/import-households.ts with a GB18030 file', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'fund-ledger-gb18030-'));
  const dataDir = join(dir, 'data');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A process starting and opening the embedded database from disk: time on a busy machine.
  it('imports it with every rare character exactly', { timeout: 180_000 }, async () => {
    const database = openDatabase({ dataDir });
    await database.migrate();
    await database.db.insert(villages).values({ code: 'QS-001', name: '青山村', township: '红旗乡', county: '某县' });
    await database.close();

    const csv = join(dir, 'excel.csv');
    writeFileSync(csv, gb18030([HEADER_ZH, ...NAMES.map((name, i) => `H-${i + 1},${name},${idNumber(i + 1)},QS-001,3,,,`)].join('\r\n') + '\r\n'));
    const env: NodeJS.ProcessEnv = { ...process.env, LEDGER_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    delete env.LEDGER_ID_HASH_KEY;
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(join(root, 'node_modules/.bin/tsx'), ['scripts/import-households.ts', csv], { cwd: root, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('4 created');

    const after = openDatabase({ dataDir });
    const found = await rows<{ head_name: string }>(after.db, sql`select head_name from households order by code`);
    await after.close();
    expect(found.map((h) => h.head_name)).toEqual(NAMES);
  });
});

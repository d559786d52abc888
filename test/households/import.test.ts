import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, rows } from '../../src/db/client.js';
import { villages } from '../../src/db/schema.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { idNumber, uniqueCode } from '../helpers/fixtures.js';

const HEADER_ZH = '户编号,户主姓名,身份证号,村编码,家庭人口,监测类型,风险类型,纳入监测日期,风险消除日期,消除原因';
const HEADER_EN = 'householdCode,headName,idNumber,villageCode,memberCount,category,riskCauses,since,eliminatedOn,eliminationReason';

/** An ID number whose check digit is wrong. */
const spoilt = (id: string) => id.slice(0, 17) + (id[17] === '0' ? '1' : '0');

let nextId = 1000;
const freshId = () => idNumber(++nextId);

describe.each(backends)('importing households from CSV on $name', (backend) => {
  let t: TestApp;
  let village: { id: string; code: string };

  const importCsv = (csv: string, headers: Record<string, string> = {}) =>
    t.call('POST', '/v1/households/import', { body: csv, headers: { 'content-type': 'text/csv; charset=utf-8', ...headers } });
  const household = async (code: string) => {
    const [found] = await rows<{ id: string }>(t.database.db, sql`select id from households where code = ${code}`);
    return found ? (await t.call('GET', `/v1/households/${found.id}`)).body : undefined;
  };
  /** Everything an import could change, to compare before and after. */
  const snapshot = async () => ({
    households: await rows(t.database.db, sql`select code, head_name, member_count, village_id, id_number_hash, updated_at::text from households order by code`),
    monitoring: await rows(t.database.db, sql`select household_id, since::text, eliminated_on::text, elimination_reason from household_monitoring order by id`),
    events: await rows(t.database.db, sql`select count(*)::int as n from events`),
  });
  const eventsOf = (householdId: string) =>
    rows<{ type: string; payload: any }>(t.database.db, sql`select type, payload from events where subject_id = ${householdId} order by id`);

  beforeAll(async () => {
    t = await startApp(backend);
    const code = uniqueCode('QS');
    const v = await t.call('POST', '/v1/villages', { body: { code, name: '青山村', township: '红旗乡', county: '某县' } });
    village = { id: v.body.id, code };
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('imports households with their monitoring from a file with Chinese headers', async () => {
    const codes = [uniqueCode('H'), uniqueCode('H'), uniqueCode('H'), uniqueCode('H')];
    const ids = [freshId(), freshId(), freshId(), freshId()];
    const csv =
      '\ufeff' +
      [
        HEADER_ZH,
        `${codes[0]},张三明,${ids[0]},${village.code},3,边缘易致贫户,因病、因学,2025-01-01,,`,
        `${codes[1]},李四,${ids[1]},${village.code},5,脱贫不稳定户,因残|因灾,2025/3/1,,`,
        `${codes[2]},王五,${ids[2]},${village.code},2,突发严重困难户,因意外,2024年6月1日,2025-02-01,收入稳定`,
        `${codes[3]},赵六,${ids[3]},${village.code},4,,,,,`,
      ].join('\r\n') +
      '\r\n';
    const r = await importCsv(csv);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ rows: 4, created: 4, updated: 0, unchanged: 0, included: 3, eliminated: 1 });
    for (const id of ids) expect(JSON.stringify(r.body)).not.toContain(id);

    const first = await household(codes[0]!);
    expect(first).toMatchObject({ headName: '张三明', memberCount: 3, villageId: village.id, monitoredToday: true });
    expect(first.idNumberMasked).toBe(`${ids[0]!.slice(0, 4)}**********${ids[0]!.slice(-4)}`);
    expect(first.monitoring).toMatchObject([{ category: 'marginal', riskCauses: ['illness', 'schooling'], since: '2025-01-01', eliminatedOn: null }]);
    expect((await household(codes[1]!)).monitoring).toMatchObject([{ category: 'unstable', riskCauses: ['disability', 'disaster'], since: '2025-03-01' }]);
    const third = await household(codes[2]!);
    expect(third.monitoredToday).toBe(false);
    expect(third.monitoring).toMatchObject([
      { category: 'sudden_hardship', riskCauses: ['accident'], since: '2024-06-01', eliminatedOn: '2025-02-01', eliminationReason: '收入稳定' },
    ]);
    const fourth = await household(codes[3]!);
    expect(fourth).toMatchObject({ headName: '赵六', monitoredToday: false, monitoring: [] });

    expect((await eventsOf(first.id)).map((e) => e.type)).toEqual(['household.created', 'household.included']);
    expect((await eventsOf(third.id)).map((e) => e.type)).toEqual(['household.created', 'household.included', 'household.eliminated']);
    expect((await eventsOf(fourth.id)).map((e) => e.type)).toEqual(['household.created']);
    // The stored rows and events hold no ID number, only its hash and mask.
    const dump = JSON.stringify(await rows(t.database.db, sql`select h.*, e.payload from households h left join events e on e.subject_id = h.id::text`));
    for (const id of ids) expect(dump).not.toContain(id);
  });

  it('offers a template whose example row imports once it names a real village', async () => {
    const r = await t.call('GET', '/v1/households/import/template');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    expect(r.headers['content-disposition']).toMatch(/attachment/);
    const template: string = r.body;
    expect(template.startsWith('\ufeff' + HEADER_ZH + '\r\n')).toBe(true);
    // As an officer fills it in: the example's code, ID number and village replaced by their own.
    const [, example] = template.split('\r\n');
    const [code, , id, villageCode] = example!.split(',');
    const code2 = uniqueCode('H');
    const filled = template.replace(code!, code2).replace(id!, freshId()).replace(`,${villageCode},`, `,${village.code},`);
    const imported = await importCsv(filled);
    expect(imported.status).toBe(200);
    expect(imported.body).toMatchObject({ rows: 1, created: 1, included: 1 });
    expect(await household(code2)).toMatchObject({ headName: '张三明', monitoredToday: true });
    // Unfilled, it is refused for its made-up village rather than imported.
    const unfilled = await importCsv(template);
    expect(unfilled.status).toBe(422);
    expect(unfilled.body.errors[0]).toMatchObject({ line: 2, column: '村编码' });
  });

  it('changes nothing when the same file is imported again', async () => {
    const codes = [uniqueCode('H'), uniqueCode('H'), uniqueCode('H')];
    const csv = [
      HEADER_EN,
      `${codes[0]},张三明,${freshId()},${village.code},3,marginal,illness;schooling,2025-01-01,,`,
      `${codes[1]},李四,${freshId()},${village.code},5,unstable,disability,2025-03-01,2025-08-01,务工收入稳定`,
      `${codes[2]},赵六,${freshId()},${village.code},4,,,,,`,
    ].join('\n');
    expect((await importCsv(csv)).body).toEqual({ rows: 3, created: 3, updated: 0, unchanged: 0, included: 2, eliminated: 1 });
    const before = await snapshot();

    const again = await importCsv(csv);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ rows: 3, created: 0, updated: 0, unchanged: 3, included: 0, eliminated: 0 });
    expect(await snapshot()).toEqual(before);

    // The same facts written differently (Chinese names, causes in another order) are the same facts.
    const reworded = [
      HEADER_ZH,
      `${codes[0]},张三明,${(await idOf(csv, 1))},${village.code},3,边缘易致贫户,因学、因病,2025/1/1,,`,
    ].join('\n');
    expect((await importCsv(reworded)).body).toMatchObject({ unchanged: 1, updated: 0, included: 0 });
    expect(await snapshot()).toEqual(before);
  });

  /** The ID number on a line of a CSV built in this file (column 3). */
  const idOf = async (csv: string, row: number) => csv.split('\n')[row]!.split(',')[2]!;

  it('updates only what changed, with an event for each change', async () => {
    const [a, b, c] = [uniqueCode('H'), uniqueCode('H'), uniqueCode('H')];
    const [idA, idB, idC] = [freshId(), freshId(), freshId()];
    const row = (code: string, id: string, members: number, eliminated = ',') =>
      `${code},张三明,${id},${village.code},${members},marginal,illness,2025-01-01,${eliminated}`;
    await importCsv([HEADER_EN, row(a, idA, 3), row(b, idB, 3), row(c, idC, 3)].join('\n'));
    const [before] = await Promise.all([household(c)]);
    const hA = await household(a);
    const hB = await household(b);

    const newIdB = freshId();
    const r = await importCsv([HEADER_EN, row(a, idA, 4), row(b, newIdB, 3, '2025-09-01,收入稳定'), row(c, idC, 3)].join('\n'));
    expect(r.body).toEqual({ rows: 3, created: 0, updated: 2, unchanged: 1, included: 0, eliminated: 1 });

    const afterA = await household(a);
    expect(afterA.memberCount).toBe(4);
    expect(afterA.updatedAt).not.toBe(hA.updatedAt);
    const afterB = await household(b);
    expect(afterB.idNumberMasked).toBe(`${newIdB.slice(0, 4)}**********${newIdB.slice(-4)}`);
    expect(afterB.monitoring).toMatchObject([{ since: '2025-01-01', eliminatedOn: '2025-09-01', eliminationReason: '收入稳定' }]);
    expect(afterB.updatedAt).not.toBe(hB.updatedAt);
    expect((await household(c)).updatedAt).toBe(before.updatedAt);

    expect((await eventsOf(hA.id)).slice(2)).toMatchObject([{ type: 'household.updated', payload: { code: a, changed: ['memberCount'] } }]);
    const bEvents = (await eventsOf(hB.id)).slice(2);
    expect(bEvents).toMatchObject([
      { type: 'household.updated', payload: { changed: ['idNumber'] } },
      { type: 'household.eliminated', payload: { date: '2025-09-01', reason: '收入稳定' } },
    ]);
    expect(JSON.stringify(bEvents)).not.toContain(newIdB);
    expect(JSON.stringify(bEvents)).not.toContain(idB);
  });

  it('refuses a file with bad rows, listing every bad line, and writes nothing', async () => {
    const monitored = uniqueCode('H');
    const monitoredId = freshId();
    await importCsv([HEADER_EN, `${monitored},张三明,${monitoredId},${village.code},3,marginal,illness,2025-01-01,,`].join('\n'));
    const before = await snapshot();

    const good = uniqueCode('H');
    const badId = spoilt(freshId());
    const csv = [
      HEADER_ZH,
      `${good},李四,${freshId()},${village.code},3,边缘易致贫户,因病,2025-01-01,,`, // line 2: fine
      `${uniqueCode('H')},王五,${badId},${village.code},3,边缘易致贫户,因病,2025-01-01,,`, // 3: check digit
      `${uniqueCode('H')},赵六,${freshId()},NO-SUCH-VILLAGE,3,边缘易致贫户,因病,2025-01-01,,`, // 4: village
      `${uniqueCode('H')},钱七,${freshId()},${village.code},3,边缘易致贫户,因病,2025-02-30,,`, // 5: date
      `${good},孙八,${freshId()},${village.code},2,,,,,`, // 6: code already on line 2
      `${monitored},张三明,${monitoredId},${village.code},3,边缘易致贫户,因病,2025-06-01,,`, // 7: second open period
      `${uniqueCode('H')},周九,${freshId()},${village.code},3,边缘易致贫户,因病,2099-01-01,,`, // 8: future
    ].join('\n');
    const r = await importCsv(csv);
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('import_failed');
    expect(r.body.errorCount).toBe(6);
    expect(r.body.detail).toContain('6 of 7 rows have errors');
    expect(r.body.errors).toEqual([
      { line: 3, column: '身份证号', code: 'validation_failed', message: 'the ID number check digit is wrong' },
      { line: 4, column: '村编码', code: 'unknown_village', message: 'no village with code NO-SUCH-VILLAGE' },
      { line: 5, column: '纳入监测日期', code: 'validation_failed', message: expect.stringContaining('is not a date') },
      { line: 6, column: '户编号', code: 'validation_failed', message: `household ${good} is also on line 2` },
      { line: 7, column: '纳入监测日期', code: 'already_monitored', message: expect.stringContaining('already monitored since 2025-01-01') },
      { line: 8, column: '纳入监测日期', code: 'date_in_future', message: expect.stringContaining('after today') },
    ]);
    // No ID number of the file, good or bad, is echoed.
    for (const line of csv.split('\n').slice(1)) expect(JSON.stringify(r.body)).not.toContain(line.split(',')[2]);
    expect(await snapshot()).toEqual(before);
    expect(await household(good)).toBeUndefined();
  });

  it('refuses an ID number another household holds, in the file or already registered, without echoing it', async () => {
    const holder = uniqueCode('H');
    const taken = freshId();
    await importCsv([HEADER_EN, `${holder},张三明,${taken},${village.code},3,,,,,`].join('\n'));
    const twice = freshId();
    const r = await importCsv(
      [
        HEADER_EN,
        `${uniqueCode('H')},李四,${taken},${village.code},3,,,,,`,
        `${uniqueCode('H')},王五,${twice},${village.code},3,,,,,`,
        `${uniqueCode('H')},赵六,${twice.toLowerCase()},${village.code},3,,,,,`,
        `${uniqueCode('H')},钱七,${taken.slice(0, 17)},${village.code},3,,,,,`,
        `${uniqueCode('H')},孙八,5.10700197E+17,${village.code},3,,,,,`,
      ].join('\n'),
    );
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      { line: 2, column: 'idNumber', code: 'already_exists', message: `this ID number is already registered to household ${holder}` },
      { line: 4, column: 'idNumber', code: 'already_exists', message: 'the same ID number as on line 3' },
      { line: 5, column: 'idNumber', code: 'validation_failed', message: expect.stringContaining('18 characters') },
      { line: 6, column: 'idNumber', code: 'validation_failed', message: expect.stringContaining('format the column as text') },
    ]);
    expect(JSON.stringify(r.body)).not.toContain(taken.slice(0, 17));
    expect(JSON.stringify(r.body)).not.toContain(twice.slice(0, 17));
  });

  it('closes a period with eliminatedOn, then takes a later inclusion but no overlapping one', async () => {
    const code = uniqueCode('H');
    const id = freshId();
    const line = (rest: string) => [HEADER_EN, `${code},张三明,${id},${village.code},3,${rest}`].join('\n');
    await importCsv(line('unstable,illness,2025-01-01,,'));
    expect((await household(code)).monitoredToday).toBe(true);

    const closed = await importCsv(line('unstable,illness,2025-01-01,2025-07-01,"收入超过监测线, 经村评议"'));
    expect(closed.body).toEqual({ rows: 1, created: 0, updated: 1, unchanged: 0, included: 0, eliminated: 1 });
    const h = await household(code);
    expect(h.monitoredToday).toBe(false);
    expect(h.monitoring).toMatchObject([{ since: '2025-01-01', eliminatedOn: '2025-07-01', eliminationReason: '收入超过监测线, 经村评议' }]);
    // An older file without the elimination reopens nothing.
    expect((await importCsv(line('unstable,illness,2025-01-01,,'))).body).toMatchObject({ unchanged: 1 });
    expect((await household(code)).monitoredToday).toBe(false);

    const overlapping = await importCsv(line('marginal,accident,2025-06-01,,'));
    expect(overlapping.status).toBe(422);
    expect(overlapping.body.errors).toEqual([
      { line: 2, column: 'since', code: 'validation_failed', message: 'a new monitoring period starts on or after the last elimination (2025-07-01)' },
    ]);
    const otherEnd = await importCsv(line('unstable,illness,2025-01-01,2025-08-01,另一日期'));
    expect(otherEnd.body.errors).toMatchObject([{ line: 2, column: 'eliminatedOn', code: 'invalid_state' }]);
    const recategorised = await importCsv(line('marginal,illness,2025-01-01,2025-07-01,x'));
    expect(recategorised.body.errors).toMatchObject([{ line: 2, column: 'category', message: expect.stringContaining('recorded as unstable') }]);

    const again = await importCsv(line('marginal,accident,2025-07-01,,'));
    expect(again.body).toMatchObject({ updated: 1, included: 1 });
    expect((await household(code)).monitoring).toMatchObject([
      { since: '2025-01-01', eliminatedOn: '2025-07-01' },
      { category: 'marginal', riskCauses: ['accident'], since: '2025-07-01', eliminatedOn: null },
    ]);
  });

  it('never echoes an ID number that landed in the wrong place: a missing header or a date column', async () => {
    const id = freshId();
    const headerless = await importCsv(`${uniqueCode('H')},王五,${id},${village.code},3,,,,,\n`);
    expect(headerless.status).toBe(422);
    const misplaced = await importCsv([HEADER_EN, `${uniqueCode('H')},王五,${freshId()},${village.code},3,unstable,illness,${id},,`].join('\n'));
    expect(misplaced.status).toBe(422);
    for (const answer of [headerless, misplaced]) {
      expect(answer.body.errors.length).toBeGreaterThan(0);
      expect(JSON.stringify(answer.body)).not.toContain(id);
      expect(JSON.stringify(answer.body)).not.toMatch(/\d{14,}/);
    }
  });

  it('refuses a new period that starts before the last elimination, as the API does', async () => {
    const code = uniqueCode('H');
    const id = freshId();
    const first = await importCsv([HEADER_EN, `${code},赵六,${id},${village.code},2,marginal,illness,2025-01-01,2025-06-01,收入稳定`].join('\n'));
    expect(first.status).toBe(200);
    const backfill = await importCsv([HEADER_EN, `${code},赵六,${id},${village.code},2,unstable,illness,2024-01-01,2024-06-01,补录`].join('\n'));
    expect(backfill.status).toBe(422);
    expect(backfill.body.errors[0].message).toMatch(/on or after the last elimination \(2025-06-01\)/);
  });

  it('reads quoted fields with commas, quotes and line breaks, and numbers lines as an editor does', async () => {
    const code = uniqueCode('H');
    const csv = [
      'memberCount,householdCode,"headName",id_number,village code,category,risk_causes,since,eliminatedOn,eliminationReason',
      `3,${code},"欧阳,娜娜",${freshId()},${village.code},marginal,"illness;other",2025-01-01,2025-05-01,"经""三评议""
村公示无异议"`,
      ',,,,,,,,,',
      `0,${uniqueCode('H')},李四,${freshId()},${village.code},,,,,`,
      `3,${uniqueCode('H')},"李"四,${freshId()},${village.code},,,,,`,
      `3,${uniqueCode('H')},李四,${freshId()},${village.code},,,`,
    ].join('\r\n');
    const refused = await importCsv(csv);
    expect(refused.status).toBe(422);
    expect(refused.body.errorCount).toBe(3);
    expect(refused.body.errors).toMatchObject([
      { line: 5, column: 'memberCount', message: 'must be a whole number from 1 to 100' },
      { line: 6, column: null, message: expect.stringContaining('text after the closing quote') },
      { line: 7, column: null, message: '8 fields, but the header names 10 columns' },
    ]);

    // The header and the record over lines 2–3.
    const fine = csv.split('\r\n').slice(0, 2).join('\r\n');
    expect((await importCsv(fine)).body).toMatchObject({ rows: 1, created: 1, eliminated: 1 });
    const h = await household(code);
    expect(h.headName).toBe('欧阳,娜娜');
    expect(h.monitoring).toMatchObject([{ riskCauses: ['illness', 'other'], eliminationReason: '经"三评议"\n村公示无异议' }]);
  });

  it('refuses a header it cannot read, naming the columns', async () => {
    const r = await importCsv('户编号,户主姓名,身份证号,家庭人口,电话,监测类型\nH-1,张三,x,3,123,\n');
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      { line: 1, column: '电话', code: 'validation_failed', message: expect.stringContaining('unknown column') },
      { line: 1, column: null, code: 'validation_failed', message: expect.stringContaining('villageCode/村编码 is missing') },
      { line: 1, column: null, code: 'validation_failed', message: expect.stringContaining('riskCauses/风险类型 is missing') },
      { line: 1, column: null, code: 'validation_failed', message: expect.stringContaining('since/纳入监测日期 is missing') },
    ]);
    expect((await importCsv('')).body.errors).toMatchObject([{ line: 1, message: expect.stringContaining('empty') }]);
  });

  it('lists the first 1,000 problems and counts them all', async () => {
    const lines = Array.from({ length: 1001 }, (_, i) => `${uniqueCode('H')},,${idNumber(900_000 + i)},${village.code},3,,,,,`);
    const r = await importCsv([HEADER_EN, ...lines].join('\n'));
    expect(r.status).toBe(422);
    expect(r.body.errors).toHaveLength(1000);
    expect(r.body.errors[999]).toEqual({ line: 1001, column: 'headName', code: 'validation_failed', message: 'is empty' });
    expect(r.body.errorCount).toBe(1001);
    expect(r.body.detail).toBe('Nothing was imported: 1001 of 1001 rows have errors; the first 1000 of 1001 problems are listed.');
  });

  it('takes only CSV (UTF-8 or GB18030, see import-encoding.test.ts), from a writer, and honours Idempotency-Key', async () => {
    const code = uniqueCode('H');
    const csv = `${HEADER_EN}\n${code},张三明,${freshId()},${village.code},3,,,,,\n`;
    const reader = await t.keyFor('reader');
    expect((await t.call('POST', '/v1/households/import', { body: csv, token: reader, headers: { 'content-type': 'text/csv' } })).status).toBe(403);
    const json = await t.call('POST', '/v1/households/import', { body: { csv } });
    expect(json.status).toBe(400);
    expect(json.body.detail).toContain('text/csv');
    const latin1 = await importCsv('householdCode,headName\nH-1,\xd5\xc5\xc8\xfd\n', { 'content-type': 'text/csv; charset=iso-8859-1' });
    expect(latin1.status).toBe(415);
    const notUtf8 = await t.app.inject({
      method: 'POST',
      url: '/v1/households/import',
      headers: { authorization: `Bearer ${(await t.keyFor('officer'))}`, 'content-type': 'text/csv' },
      // 张 in GBK, then a byte no GB18030 character starts with: neither encoding.
      payload: Buffer.concat([Buffer.from(`${HEADER_EN}\n`), Buffer.from([0xd5, 0xc5, 0xff, 0x0a])]),
    });
    expect(notUtf8.statusCode).toBe(422);
    expect(notUtf8.json()).toMatchObject({ code: 'import_failed', errors: [{ line: 2, message: expect.stringContaining('UTF-8') }] });

    const first = await importCsv(csv, { 'idempotency-key': `import-${code}` });
    expect(first.body).toMatchObject({ created: 1 });
    const replay = await importCsv(csv, { 'idempotency-key': `import-${code}` });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
  });
});

// The CLI as an operator runs it: a child process on the embedded database of a data folder.
describe('scripts/import-households.ts', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'fund-ledger-import-'));
  const dataDir = join(dir, 'data');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const runCli = (file: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, LEDGER_DATA_DIR: dataDir };
      delete env.DATABASE_URL;
      delete env.LEDGER_ID_HASH_KEY;
      const child = spawn(join(root, 'node_modules/.bin/tsx'), ['scripts/import-households.ts', file], { cwd: root, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });

  // Each run starts a process and opens the embedded database from disk: give it time on a busy machine.
  it('refuses a bad file with exit status 1, then imports a good one with a progress report', { timeout: 180_000 }, async () => {
    // The first run finds no data folder: it creates and migrates it, as the service would, and writes nothing.
    const bad = join(dir, 'bad.csv');
    const badId = spoilt(idNumber(3));
    writeFileSync(bad, `${HEADER_ZH}\nH-3,王五,${badId},QS-001,3,,,,,\nH-4,赵六,${idNumber(4)},QS-404,3,,,,,\n`);
    const refused = await runCli(bad);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('Nothing was imported: 2 of 2 rows have errors.');
    expect(refused.stderr).toContain('line 2: 身份证号: the ID number check digit is wrong');
    expect(refused.stderr).toContain('line 3: 村编码: no village with code QS-404');
    expect(refused.stderr + refused.stdout).not.toContain(badId);

    const database = openDatabase({ dataDir });
    expect(await rows(database.db, sql`select 1 from households`)).toEqual([]);
    await database.db.insert(villages).values({ code: 'QS-001', name: '青山村', township: '红旗乡', county: '某县' });
    await database.close();

    const good = join(dir, 'good.csv');
    writeFileSync(good, `${HEADER_ZH}\nH-1,张三明,${idNumber(1)},QS-001,3,边缘易致贫户,因病,2025-01-01,,\nH-2,李四,${idNumber(2)},QS-001,2,,,,,\n`);
    const ok = await runCli(good);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Imported good\.csv: 2 rows in [\d.]+ s — 2 created, 0 updated, 0 unchanged; 1 included in monitoring, 0 eliminated\./);
    expect(ok.stderr).toContain('validating 100% (2/2 rows)');
    expect(ok.stderr).toContain('writing 100% (2/2 rows)');

    const after = openDatabase({ dataDir });
    const found = await rows<{ code: string }>(after.db, sql`select code from households order by code`);
    await after.close();
    expect(found.map((h) => h.code)).toEqual(['H-1', 'H-2']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { download, fieldScenario, pdfText } from './setup.js';

// What a printed statement says in words: the moment it was generated as the county reads a clock (with
// the offset), and English labels in English, never the API's codes.
describe.each(backends)('printed statements on $name', (backend) => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  async function printed(timeZone: string) {
    const t = await startApp(backend, { LEDGER_TIMEZONE: timeZone });
    apps.push(t);
    const s = await fieldScenario(t, { maker: await t.keyFor('officer'), checker: await t.keyFor('approver') });
    const period = `from=2026-01-01&to=${t.app.ctx.today()}`;
    const json = (await download(t, `/v1/funds/${s.fundId}/statement?${period}&format=json`)).text;
    const pdf = await download(t, `/v1/funds/${s.fundId}/statement?${period}&format=pdf`);
    expect(pdf.status).toBe(200);
    return { generatedAt: JSON.parse(json).generatedAt as string, text: pdfText(pdf.body) };
  }

  let shanghai: Awaited<ReturnType<typeof printed>>;
  beforeAll(async () => {
    shanghai = await printed('Asia/Shanghai');
  });

  it('prints when it was generated in LEDGER_TIMEZONE with its offset, the JSON keeping UTC', async () => {
    const line = shanghai.text.split('\n').find((l) => l.includes('Generated'))!;
    expect(line).toMatch(/生成 Generated：\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+08:00/);
    const [, day, time] = /(\d{4}-\d\d-\d\d) (\d\d:\d\d):\d\d UTC/.exec(line)!;
    // The same moment: eight hours ahead of the JSON's UTC (at most a minute apart, PDF and JSON being two requests).
    const utc = new Date(shanghai.generatedAt).getTime();
    const printedAsUtc = new Date(`${day}T${time}:00+08:00`).getTime();
    expect(Math.abs(printedAsUtc - utc)).toBeLessThan(2 * 60_000);
    expect(shanghai.generatedAt).toMatch(/Z$/);

    const utcPrint = await printed('UTC');
    expect(utcPrint.text).toMatch(/生成 Generated：\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\+00:00/);
  });

  it('names categories in English words beside the Chinese, never by their codes', () => {
    expect(shanghai.text).toContain('Medical subsidy');
    expect(shanghai.text).not.toMatch(/\b(medical_subsidy|living_allowance|temporary_relief)\b/);
    // Who generated it is named, not numbered.
    expect(shanghai.text).not.toMatch(/\(env-admin\)/);
  });
});

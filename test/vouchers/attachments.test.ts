import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, type FundFixture, transfer } from '../helpers/fixtures.js';
import { download, pdfText } from '../statements/setup.js';

/** A small real PDF (pdfkit is what the service prints with), a PNG and a JPEG by their signatures. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 7)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 3), Buffer.from([0xff, 0xd9])]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)]);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const squeeze = (text: string) => text.replace(/\s+/g, '');

describe.each(backends)('source documents (原始凭证) on $name', (backend) => {
  let t: TestApp;
  let f: FundFixture;
  let officer: string;
  let approver: string;
  let reader: string;
  let elsewhere: string;

  const upload = async (path: string, bytes: Buffer, name: string, type = 'application/pdf', token = officer) => {
    const r = await t.app.inject({
      method: 'POST',
      url: `${path}?name=${encodeURIComponent(name)}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      payload: bytes,
    });
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };

  beforeAll(async () => {
    t = await startApp(backend, { LEDGER_ATTACHMENT_MAX_BYTES: '4096' });
    f = await createFund(t);
    await t.call('PATCH', `/v1/funds/${f.fundId}`, { body: { township: '某乡' } });
    [officer, approver, reader, elsewhere] = await Promise.all([
      t.keyFor('officer', { townships: ['某乡'] }),
      t.keyFor('approver', { townships: ['某乡'] }),
      t.keyFor('reader', { townships: ['某乡'] }),
      t.keyFor('officer', { townships: ['别乡'] }),
    ]);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-01-05', f.accounts.bank!, f.accounts.income!, '1000.00', '县财政拨款') });
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('keeps each file with its hash, counts it on the printed voucher, and withdraws a wrong one without deleting it', async () => {
    const drafted = await t.call('POST', '/v1/vouchers', {
      body: { ...transfer('2026-01-20', f.accounts.expense!, f.accounts.bank!, '300.00', '医疗救助 陈﨎'), attachments: 5 },
      token: officer,
    });
    const bill = await upload(`/v1/vouchers/${drafted.body.id}/attachments`, PDF, '住院费用结算单（陈﨎）.pdf');
    expect(bill.status, JSON.stringify(bill.body)).toBe(201);
    expect(bill.body).toMatchObject({ subjectKind: 'voucher', mediaType: 'application/pdf', size: PDF.length, sha256: sha256(PDF), withdrawn: false, addedByName: 'officer for tests', fileName: '住院费用结算单（陈﨎）.pdf' });
    const approved = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, { token: approver });
    const transactionId = approved.body.transactionId;
    // Files attached: the print counts them, not the five the preparer declared.
    expect((await t.call('GET', `/v1/transactions/${transactionId}/voucher`)).body.attachments).toBe(1);

    // A photo of the bank slip, sent as octet-stream and named .pdf: its bytes say JPEG.
    const slip = await upload(`/v1/transactions/${transactionId}/attachments`, JPEG, '银行回单.pdf', 'application/octet-stream');
    expect(slip.body.mediaType).toBe('image/jpeg');
    const png = await upload(`/v1/transactions/${transactionId}/attachments`, PNG, '审批表.png', 'image/png');
    expect(png.status).toBe(201);
    expect((await t.call('GET', `/v1/transactions/${transactionId}/voucher`)).body.attachments).toBe(3);

    const file = await t.app.inject({ method: 'GET', url: `/v1/attachments/${bill.body.id}/content`, headers: { authorization: `Bearer ${approver}` } });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(sha256(file.rawPayload)).toBe(bill.body.sha256);
    expect(file.headers['repr-digest']).toBe(`sha-256=:${createHash('sha256').update(PDF).digest('base64')}:`);
    expect(decodeURIComponent(String(file.headers['content-disposition']).split("UTF-8''")[1]!)).toBe('住院费用结算单（陈﨎）.pdf');

    const withdrawn = await t.call('POST', `/v1/attachments/${png.body.id}/withdrawal`, { body: { reason: '传错了文件' }, token: officer });
    expect(withdrawn.body).toMatchObject({ withdrawn: true, withdrawalReason: '传错了文件', withdrawnByName: 'officer for tests' });
    expect((await t.call('POST', `/v1/attachments/${png.body.id}/withdrawal`, { body: { reason: '再次' }, token: officer })).status).toBe(409);
    const listed = await t.call('GET', `/v1/transactions/${transactionId}/attachments`, { token: approver });
    expect(listed.body.items.map((a: { fileName: string; withdrawn: boolean }) => [a.fileName, a.withdrawn])).toEqual([
      ['银行回单.pdf', false],
      ['审批表.png', true],
    ]);
    // Still downloadable, and the print counts the two that stand.
    expect((await t.app.inject({ method: 'GET', url: `/v1/attachments/${png.body.id}/content`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).rawPayload.equals(PNG)).toBe(true);
    const pdf = await download(t, `/v1/transactions/${transactionId}/voucher?format=pdf`);
    expect(squeeze(pdfText(pdf.body))).toContain('附件2张');

    // Never deleted, nor its bytes changed, whatever asks.
    await expect(t.database.db.execute(sql`delete from attachments where id = ${png.body.id}`)).rejects.toThrow();
    await expect(t.database.db.execute(sql`update attachments set content = '\\x00'::bytea where id = ${png.body.id}`)).rejects.toThrow();
  });

  it('makes a new version of a draft when its documents change, and follows the draft to the fund it is moved to', async () => {
    const drafted = await t.call('POST', '/v1/vouchers', { body: transfer('2026-01-22', f.accounts.expense!, f.accounts.bank!, '2.00'), token: ADMIN_TOKEN });
    expect(drafted.body.version).toBe(1);
    const bill = await upload(`/v1/vouchers/${drafted.body.id}/attachments`, PDF, '发票.pdf', 'application/pdf', ADMIN_TOKEN);
    // The reviewer read version 1, before the document came: approving it is refused.
    const stale = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, { body: { version: 1 }, token: approver });
    expect(stale.body).toMatchObject({ code: 'voucher_changed', version: 2 });

    // Moved to another township's fund, its document goes with it: out of reach of the first township's keys.
    const g = await createFund(t);
    await t.call('PATCH', `/v1/funds/${g.fundId}`, { body: { township: '别乡' } });
    const moved = await t.call('PUT', `/v1/vouchers/${drafted.body.id}`, { body: transfer('2026-01-22', g.accounts.expense!, g.accounts.income!, '2.00'), token: ADMIN_TOKEN });
    expect(moved.body.fundIds).toEqual([g.fundId]);
    const read = (token: string) => t.app.inject({ method: 'GET', url: `/v1/attachments/${bill.body.id}/content`, headers: { authorization: `Bearer ${token}` } });
    expect((await read(approver)).statusCode).toBe(404);
    expect((await read(elsewhere)).statusCode).toBe(200);
    // Nor can the first township's approver approve it there.
    expect((await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, { token: approver })).status).toBe(404);
  });

  it('refuses a file by its type, its size and the key, and stores nothing', async () => {
    const drafted = await t.call('POST', '/v1/vouchers', { body: transfer('2026-01-21', f.accounts.expense!, f.accounts.bank!, '1.00'), token: officer });
    const path = `/v1/vouchers/${drafted.body.id}/attachments`;
    const disguised = await upload(path, EXE, '发票.pdf', 'application/pdf');
    expect(disguised.status).toBe(415);
    expect(disguised.body).toMatchObject({ code: 'attachment_type_not_allowed', allowed: ['application/pdf', 'image/jpeg', 'image/png'] });
    const text = await upload(path, Buffer.from('hello'), 'a.txt', 'text/plain');
    expect(text.status).toBe(415);
    const large = await upload(path, Buffer.concat([PDF, Buffer.alloc(5000)]), '大文件.pdf');
    expect(large.status).toBe(413);
    expect(large.body).toMatchObject({ code: 'attachment_too_large', limit: 4096 });
    expect((await upload(path, PDF, 'a.pdf', 'application/pdf', approver)).status).toBe(403);
    expect((await upload(path, PDF, 'a.pdf', 'application/pdf', elsewhere)).status).toBe(404);
    expect((await t.call('GET', path, { token: reader })).status).toBe(403);
    expect((await t.call('GET', path, { token: approver })).body.items).toEqual([]);

    const kept = await upload(path, PDF, 'a.pdf');
    expect((await t.call('GET', `/v1/attachments/${kept.body.id}/content`, { token: reader })).status).toBe(403);
    expect((await t.call('GET', `/v1/attachments/${kept.body.id}/content`, { token: elsewhere })).status).toBe(404);
    expect((await upload('/v1/disbursements/00000000-0000-7000-8000-000000000000/attachments', PDF, 'a.pdf', 'application/pdf', ADMIN_TOKEN)).status).toBe(404);
  });
});

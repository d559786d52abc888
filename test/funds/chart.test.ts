import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createPreventionFund, uniqueCode } from '../helpers/fixtures.js';

describe.each(backends)('the prevention chart on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  it('opens every account the operations post to, each with its role', async () => {
    const { fund, byRole } = await createPreventionFund(t, { yearlyCaps: { medical_subsidy: '5000.00' } });
    expect(fund).toMatchObject({
      template: 'prevention',
      allowedCategories: ['medical_subsidy', 'living_allowance', 'temporary_relief', 'insurance'],
      yearlyCaps: { medical_subsidy: '5000.00' },
    });
    expect(Object.keys(byRole).sort()).toEqual(
      [
        'bank',
        'bank_reserved',
        'dividend_income',
        'donation_income',
        'expense:basic_guarantee',
        'expense:education_aid',
        'expense:employment_aid',
        'expense:facility_maintenance',
        'expense:industry_support',
        'expense:insurance',
        'expense:living_allowance',
        'expense:medical_subsidy',
        'expense:temporary_relief',
        'fiscal_transfer_income',
        'village_distribution',
      ].sort(),
    );
    const bank = await t.call('GET', `/v1/accounts/${byRole.bank}`);
    expect(bank.body).toMatchObject({ code: '1002', type: 'asset', noOverdraft: true, role: 'bank' });
  });

  it('makes a template fund declare its categories, and refuses unknown ones or bad caps', async () => {
    const base = { code: uniqueCode('PF'), name: '基金', organisation: '某乡', purpose: '防返贫', template: 'prevention' };
    const undeclared = await t.call('POST', '/v1/funds', { body: base });
    expect(undeclared.status).toBe(400);
    expect(undeclared.body.detail).toMatch(/allowedCategories/);
    expect((await t.call('POST', '/v1/funds', { body: { ...base, allowedCategories: ['vehicles'] } })).status).toBe(400);
    expect((await t.call('POST', '/v1/funds', { body: { ...base, allowedCategories: [], yearlyCaps: { medical_subsidy: 5000 } } })).status).toBe(400);
    expect((await t.call('GET', `/v1/funds?limit=500`)).body.items.some((f: any) => f.code === base.code)).toBe(false);
  });

  it('changes allowed categories and caps with PATCH', async () => {
    const { fundId } = await createPreventionFund(t);
    const patched = await t.call('PATCH', `/v1/funds/${fundId}`, {
      body: { allowedCategories: ['living_allowance'], yearlyCaps: { living_allowance: '3600.00' } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ allowedCategories: ['living_allowance'], yearlyCaps: { living_allowance: '3600.00' } });
    expect((await t.call('GET', `/v1/funds/${fundId}`)).body.yearlyCaps).toEqual({ living_allowance: '3600.00' });
    expect((await t.call('PATCH', `/v1/funds/${fundId}`, { body: {} })).status).toBe(400);
    expect((await t.call('PATCH', `/v1/funds/00000000-0000-4000-8000-000000000000`, { body: { name: 'x' } })).status).toBe(404);
  });
});

// Two programs an integrating system could write with openapi-fetch over the types openapi-typescript makes
// from openapi/openapi.json. They are text, compiled by typescript-client.test.ts next to the generated
// types: as .ts files under test/ the project's own `tsc --noEmit` would try to compile them without those.
//
// `typed` must compile under strict settings with no cast: if it stops compiling, the document no longer types
// what integrators rely on. `mistaken` holds mistakes that must not compile, each marked `// expect TSnnnn` on
// the line where the compiler must report it (either of two codes where a closed and an open schema word it
// differently), so that a document whose error side were typed loosely (a `code`
// that is any string, a `payload` that is any record) would let them through and fail the test.

export const typed = `
import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:3000', headers: { authorization: 'Bearer fl_token' } });

type Transaction = components['schemas']['Transaction'];

export async function post(fundAccount: string, bankAccount: string): Promise<Transaction | string> {
  const { data, error } = await client.POST('/v1/transactions', {
    params: { header: { 'idempotency-key': 'payroll-2026-11' } },
    body: {
      date: '2026-11-30',
      description: '收到县财政拨款',
      lines: [
        { accountId: bankAccount, direction: 'debit', amount: '1000.00' },
        { accountId: fundAccount, direction: 'credit', amount: '1000.00' },
      ],
    },
  });
  if (data) {
    // A success body is the Transaction, typed to its fields.
    const voucher: number = data.number;
    const lastBalance: string | undefined = data.lines[0]?.balanceAfter;
    return \`#\${voucher} \${lastBalance ?? ''}\`;
  }
  // Each refusal through its own branch, with the figures that code carries.
  switch (error.code) {
    case 'unbalanced_transaction':
      return error.funds.map((f) => {
        const debit: string = f.debit;
        const credit: string = f.credit;
        return \`\${f.fundId}: debit \${debit}, credit \${credit}\`;
      }).join('; ');
    case 'insufficient_funds':
      return (error.accounts ?? []).map((a) => {
        const shortfall: string = a.shortfall;
        const balance: string = a.balance;
        return \`\${a.accountId} short by \${shortfall} of \${balance}\`;
      }).join('; ');
    case 'validation_failed':
      return (error.errors ?? []).map((e) => {
        const message: string = e.message;
        return message;
      }).join('; ');
    case 'idempotency_conflict':
    case 'unauthorized':
    case 'rate_limited':
      return \`\${error.status} \${error.title}: \${error.detail}\`;
    default:
      return error.detail;
  }
}

export async function journal(fundId: string): Promise<Transaction[]> {
  const all: Transaction[] = [];
  // The cursor a page returns goes back as the next request's cursor as it is: null ends the walk.
  let cursor: string | null | undefined;
  do {
    const { data, error } = await client.GET('/v1/transactions', { params: { query: { fundId, limit: 500, cursor } } });
    if (error) throw new Error(error.detail);
    all.push(...data.items);
    cursor = data.nextCursor;
  } while (cursor);
  return all;
}

export async function follow(after?: string): Promise<string[]> {
  const { data, error } = await client.GET('/v1/events', { params: { query: { after, limit: 100 } } });
  if (error) throw new Error(error.detail);
  return data.items.map((event) => {
    // The payload is typed by the event's type.
    if (event.type === 'transaction.posted') {
      const voucher: number = event.payload.number;
      const transactionId: string = event.payload.transactionId;
      return \`voucher \${voucher} (\${transactionId})\`;
    }
    if (event.type === 'disbursement.paid') {
      const amount: string = event.payload.amount;
      const householdId: string = event.payload.householdId;
      return \`paid \${amount} to \${householdId}\`;
    }
    return event.type;
  });
}

// A client that reads JSON (openapi-fetch's media-type parameter): a statement, which is also served as CSV and
// PDF, is then typed as the statement, not as statement-or-text; problems stay typed.
const jsonClient = createClient<paths, \`application/\${string}json\`>({ baseUrl: 'http://127.0.0.1:3000' });

export async function statement(fundId: string): Promise<string> {
  const { data, error } = await jsonClient.GET('/v1/funds/{fundId}/statement', { params: { path: { fundId }, query: { from: '2026-01-01', to: '2026-11-30' } } });
  if (error) return error.code === 'not_found' ? 'no such fund' : error.detail;
  const opening: string = data.openingBalance;
  const closing: string = data.closingBalance;
  return \`\${data.fund.name}: \${opening} → \${closing}\`;
}
`;

export const mistaken = `
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:3000' });

export async function post(): Promise<string> {
  const { data, error } = await client.POST('/v1/transactions', { body: { date: '2026-11-30', description: 'x', lines: [] } });
  if (data) return data.id;
  if (error.code === 'unbalanced_transation') return 'misspelt'; // expect TS2367
  if (error.code === 'insufficient_funds') {
    const shortfall: number = error.accounts?.[0]?.shortfall ?? 0; // expect TS2322
    return String(shortfall);
  }
  return error.detail;
}

export async function follow(): Promise<string> {
  const { data } = await client.GET('/v1/events', {});
  const event = data?.items[0];
  if (event?.type === 'transaction.posted') {
    const amount: string = event.payload.amount; // expect TS2339 TS2322
    return amount;
  }
  return '';
}
`;

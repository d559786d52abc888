import { checkResponse } from '../helpers/openapi-validator.js';
const body = Buffer.from(JSON.stringify({ type: 'urn:fund-ledger:problem:validation_failed', title: 'The request is not valid', status: 400, detail: 'body /lines: too small', code: 'validation_failed', instance: '/v1/transactions', errors: [{ in: 'body', path: '/lines', message: 'too small' }] }));
const headers = { 'content-type': 'application/problem+json; charset=utf-8', 'content-length': String(body.length), 'x-content-type-options': 'nosniff' };
const o = { method: 'POST', url: '/v1/transactions', status: 400, headers, body };
console.log(await checkResponse(o));
for (let round = 0; round < 3; round++) { const t = performance.now(); for (let i = 0; i < 2000; i++) await checkResponse(o); console.log('per check', ((performance.now() - t) / 2000).toFixed(3), 'ms'); }
const { validate } = await import('@hyperjump/json-schema/openapi-3-1');

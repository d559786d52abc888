import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { DomainError } from '../errors.js';
import { controlCharacterIn } from '../http/control-characters.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, postingCodes, problems } from '../http/schemas.js';
import * as s from './schemas.js';
import { createDividendService } from './dividends.js';
import { createIndustryService } from './service.js';

/** The industries cursor is the last [name, id] read, as JSON. */
function decodeNameCursor(value: string | undefined): [string, string] | undefined {
  const raw = decodeCursor(value, 'string');
  if (raw === undefined) return undefined;
  try {
    const position = JSON.parse(raw) as unknown;
    if (Array.isArray(position) && position.length === 2 && position.every((p) => typeof p === 'string' && !controlCharacterIn(p))) {
      return position as [string, string];
    }
  } catch {
    // fall through to the error below
  }
  throw new DomainError('validation_failed', 'cursor: not a cursor this service issued; use nextCursor from a previous page.');
}

export const industriesRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { write } = ctx;
  const industries = createIndustryService(ctx.database.db, { today: ctx.today });
  const dividends = createDividendService(ctx.database.db, { today: ctx.today });

  app.post('/v1/industries', {
    config: { permission: 'record' },
    schema: {
      operationId: 'createIndustry',
      headers: idempotencyHeaders,
      tags: ['industries'],
      summary: 'Register an assisted industry (资产收益项目) with its distribution rule, version 1',
      body: s.createIndustryBody,
      response: { 201: s.industry, ...problems('not_found', 'unknown_village', 'invalid_rule', 'chart_account_missing') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => industries.createIndustry(tx, req.body, req.principal.id)),
  });

  app.get('/v1/industries', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listIndustries',
      tags: ['industries'],
      summary: 'List industries by name, optionally of one fund',
      querystring: s.listIndustriesQuery,
      response: { 200: page(s.industry) },
    },
    handler: async (req) => {
      const { fundId, limit } = req.query;
      const items = await industries.listIndustries({ fundId, limit, after: decodeNameCursor(req.query.cursor), reach: req.principal.reach });
      return toPage(items, limit, (i) => JSON.stringify([i.name, i.id]));
    },
  });

  app.get('/v1/industries/:industryId', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getIndustry',
      tags: ['industries'],
      summary: 'Get an industry with every version of its distribution rule',
      params: s.industryParams,
      response: { 200: s.industry },
    },
    handler: (req) => industries.getIndustry(req.params.industryId),
  });

  app.post('/v1/industries/:industryId/rules', {
    config: { permission: 'record' },
    schema: {
      operationId: 'addDistributionRule',
      headers: idempotencyHeaders,
      tags: ['industries'],
      summary: 'Add the next version of the distribution rule, in force from a date',
      params: s.industryParams,
      body: s.createRuleBody,
      response: { 201: s.rule, ...problems('invalid_rule', 'unknown_village') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => industries.addRule(tx, req.params.industryId, req.body, req.principal.id)),
  });

  app.get('/v1/industries/:industryId/dividends/preview', {
    config: { permission: 'read' },
    schema: {
      operationId: 'previewDividend',
      tags: ['industries'],
      summary: 'Preview the split of a dividend by the rule in force on its date, to the fen, writing nothing',
      params: s.industryParams,
      querystring: s.previewDividendQuery,
      response: { 200: s.dividendPreview, ...problems('date_in_future') },
    },
    handler: (req) => dividends.previewDividend(req.params.industryId, req.query),
  });

  app.post('/v1/industries/:industryId/dividends', {
    config: { permission: 'record' },
    schema: {
      operationId: 'recordDividend',
      headers: idempotencyHeaders,
      tags: ['industries'],
      summary: 'Record a dividend (分红) and split it among the villages by the rule in force on its date',
      params: s.industryParams,
      body: s.recordDividendBody,
      response: { 201: s.dividend, ...problems('date_in_future', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => dividends.recordDividend(tx, req.params.industryId, req.body, req.principal.id)),
  });

  app.post('/v1/industries/:industryId/dividends/:dividendId/void', {
    config: { permission: 'record' },
    schema: {
      operationId: 'voidDividend',
      headers: idempotencyHeaders,
      tags: ['industries'],
      summary: 'Void a dividend recorded with a wrong amount or date (作废分红): a linked reversal of its voucher and village allocations',
      description:
        'Posts, dated today, the reversal of the dividend’s voucher (bank, dividend income and every village’s allocation) and marks the ' +
        'dividend voided with who, when and why; its villages count the allocation no more. Refused with insufficient_funds, writing nothing, ' +
        'once money allocated from it has been spent past what remains (a village’s allocation or the bank would go below zero); ' +
        'a dividend already voided answers invalid_state. Record the right figures as a new dividend.',
      params: s.dividendParams,
      body: s.voidDividendBody,
      response: { 200: s.dividend, ...problems('not_found', 'invalid_state', ...postingCodes) },
    },
    handler: (req, reply) =>
      write(req, reply, 200, (tx) => dividends.voidDividend(tx, req.params.industryId, req.params.dividendId, req.body, req.principal.id)),
  });

  app.get('/v1/industries/:industryId/dividends', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listDividends',
      tags: ['industries'],
      summary: "An industry's dividends in posting order, each with its split and rule version",
      params: s.industryParams,
      querystring: s.listDividendsQuery,
      response: { 200: page(s.dividend) },
    },
    handler: async (req) => {
      const { from, to, limit } = req.query;
      const items = await dividends.listDividends(req.params.industryId, { from, to, limit, after: decodeCursor(req.query.cursor, 'number') });
      return toPage(
        items.map(({ seq: _seq, ...d }) => d),
        limit,
        () => items.at(-1)!.seq,
      );
    },
  });

  app.get('/v1/villages/:villageId/allocations', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getVillageAllocations',
      tags: ['villages'],
      summary: "A village's earmarked income per fund: allocated, spent and remaining",
      params: s.villageParams,
      querystring: s.villageAllocationsQuery,
      response: { 200: s.villageAllocations },
    },
    handler: (req) => dividends.villageAllocations(req.params.villageId, req.query.asOf, req.principal.reach),
  });
};

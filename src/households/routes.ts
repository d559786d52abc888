import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { seesNames } from '../auth/roles.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, problems } from '../http/schemas.js';
import * as s from './schemas.js';

export const householdRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { households, write } = ctx;

  app.post('/v1/villages', {
    config: { permission: 'record' },
    schema: { operationId: 'createVillage', headers: idempotencyHeaders, tags: ['villages'], summary: 'Register a village (村)', body: s.createVillageBody, response: { 201: s.village, ...problems('already_exists') } },
    handler: (req, reply) => write(req, reply, 201, (tx) => households.createVillage(tx, req.body)),
  });

  app.get('/v1/villages', {
    config: { permission: 'read' },
    schema: { operationId: 'listVillages', tags: ['villages'], summary: 'List villages by code', querystring: s.listVillagesQuery, response: { 200: page(s.village) } },
    handler: async (req) => {
      const { township, county, limit } = req.query;
      const items = await households.listVillages({ township, county, limit, afterCode: decodeCursor(req.query.cursor, 'string'), reach: req.principal.reach });
      return toPage(items, limit, (v) => v.code);
    },
  });

  app.get('/v1/villages/:villageId', {
    config: { permission: 'read' },
    schema: { operationId: 'getVillage', tags: ['villages'], summary: 'Get a village', params: s.villageParams, response: { 200: s.village } },
    handler: (req) => households.getVillage(req.params.villageId),
  });

  app.patch('/v1/villages/:villageId', {
    config: { permission: 'record' },
    schema: {
      operationId: 'updateVillage',
      headers: idempotencyHeaders,
      tags: ['villages'],
      summary: "Correct a village's name, township or county (its code stays)",
      description:
        'A township-scoped key may edit only villages of its townships and may not move one to a township outside them. ' +
        'The code is not editable: imports, distribution rules and printed statements name the village by it.',
      params: s.villageParams,
      body: s.updateVillageBody,
      response: { 200: s.village },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => households.updateVillage(tx, req.params.villageId, req.body)),
  });

  app.post('/v1/households', {
    config: { permission: 'record' },
    schema: {
      operationId: 'createHousehold',
      headers: idempotencyHeaders,
      tags: ['households'],
      summary: 'Register a household (农户)',
      body: s.createHouseholdBody,
      response: { 201: s.household, ...problems('already_exists', 'unknown_village') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => households.createHousehold(tx, req.body, req.principal.id, req.principal.reach)),
  });

  app.get('/v1/households', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listHouseholds',
      tags: ['households'],
      summary: 'List households by code, by village, monitoring category or day, or search by code or name (q)',
      querystring: s.listHouseholdsQuery,
      response: { 200: page(s.household) },
    },
    handler: async (req) => {
      const { villageId, category, monitoredOn, q, limit } = req.query;
      const items = await households.listHouseholds({
        villageId,
        category,
        monitoredOn,
        search: q === undefined ? undefined : { text: q, byName: seesNames(req.principal.role) },
        limit,
        afterCode: decodeCursor(req.query.cursor, 'string'),
        reach: req.principal.reach,
      });
      return toPage(items, limit, (h) => h.code);
    },
  });

  app.get('/v1/households/:householdId', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getHousehold',
      tags: ['households'],
      summary: 'Get a household with its monitoring history',
      params: s.householdParams,
      response: { 200: s.household },
    },
    handler: (req) => households.getHousehold(req.params.householdId),
  });

  app.get('/v1/households/:householdId/benefits', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getHouseholdBenefits',
      tags: ['households'],
      summary: 'Every benefit a household received across funds, with totals by category',
      params: s.householdParams,
      querystring: s.benefitsQuery,
      response: { 200: s.benefits },
    },
    handler: (req) => households.benefits(req.params.householdId, req.query, req.principal.reach),
  });

  app.post('/v1/households/:householdId/monitoring', {
    config: { permission: 'record' },
    schema: {
      operationId: 'includeHousehold',
      headers: idempotencyHeaders,
      tags: ['households'],
      summary: 'Include a household in monitoring (纳入监测) from a date',
      params: s.householdParams,
      body: s.includeBody,
      response: { 201: s.monitoringPeriod, ...problems('already_monitored', 'date_in_future') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => households.include(tx, req.params.householdId, req.body, req.principal.id)),
  });

  app.post('/v1/households/:householdId/monitoring/eliminate', {
    config: { permission: 'record' },
    schema: {
      operationId: 'eliminateHouseholdRisk',
      headers: idempotencyHeaders,
      tags: ['households'],
      summary: 'Record that the risk was eliminated (风险消除/销号) on a date',
      params: s.householdParams,
      body: s.eliminateBody,
      response: { 200: s.monitoringPeriod, ...problems('invalid_state', 'date_in_future') },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => households.eliminate(tx, req.params.householdId, req.body, req.principal.id)),
  });
};

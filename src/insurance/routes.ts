import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { incomeRoutes } from '../funds/income.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, postingCodes, problems } from '../http/schemas.js';
import * as s from './schemas.js';
import { createInsuranceService } from './service.js';
import { datePosition } from './access.js';

export const insuranceRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const insurance = createInsuranceService(ctx.database.db, { today: ctx.today });
  const { write } = ctx;

  // Donations and fiscal transfers: registered here so that the funds plugin stays as it is.
  await app.register(incomeRoutes, { ctx });

  app.post('/v1/insurance-policies', {
    config: { permission: 'record' },
    schema: {
      operationId: 'createPolicy',
      tags: ['insurance'],
      summary: 'Record a poverty-prevention insurance policy (防贫保) and open its premium pool',
      headers: idempotencyHeaders,
      body: s.createPolicyBody,
      response: { 201: s.policy, ...problems('not_found', 'already_exists', 'fund_closed', 'category_not_allowed', 'chart_account_missing') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => insurance.createPolicy(tx, req.body, req.principal.id)),
  });

  app.get('/v1/insurance-policies', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listPolicies',
      tags: ['insurance'],
      summary: 'List policies by start of cover, with their figures',
      querystring: s.listPoliciesQuery,
      response: { 200: page(s.policy) },
    },
    handler: async (req) => {
      const { fundId, limit } = req.query;
      const items = await insurance.listPolicies({ fundId, limit, after: decodeCursor(req.query.cursor, 'string'), reach: req.principal.reach });
      return toPage(items, limit, (p) => datePosition(p.coverFrom, p.id));
    },
  });

  app.get('/v1/insurance-policies/:policyId', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getPolicy',
      tags: ['insurance'],
      summary: 'Get a policy with its premium paid, claims by status, payouts, refunds, carry-forwards and pool balance',
      params: s.policyParams,
      response: { 200: s.policy },
    },
    handler: (req) => insurance.getPolicy(req.params.policyId),
  });

  app.post('/v1/insurance-policies/:policyId/premium', {
    config: { permission: 'record' },
    schema: {
      operationId: 'payPremium',
      tags: ['insurance'],
      summary: "Pay premium from the fund's bank into the policy's pool",
      description:
        "Dr the policy's pool / Cr the fund's bank. The agreed premium is paid once: a payment that would take the total paid past it " +
        'is refused with 409 invalid_state (giving the agreed premium, what is already paid and this payment) unless the body says ' +
        '"topUp": true. Refused with insufficient_funds when the bank does not hold the amount.',
      headers: idempotencyHeaders,
      params: s.policyParams,
      body: s.premiumBody,
      response: { 201: s.movement, ...problems('invalid_state', 'date_in_future', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => insurance.payPremium(tx, req.params.policyId, req.body, req.principal.id)),
  });

  app.post('/v1/insurance-policies/:policyId/refund', {
    config: { permission: 'record' },
    schema: {
      operationId: 'recordPolicyRefund',
      tags: ['insurance'],
      summary: "Record surplus premium refunded by the insurer (多退) into the fund's bank",
      headers: idempotencyHeaders,
      params: s.policyParams,
      body: s.refundBody,
      response: { 201: s.movement, ...problems('date_in_future', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => insurance.recordRefund(tx, req.params.policyId, req.body, req.principal.id)),
  });

  app.post('/v1/insurance-policies/:policyId/carry-forward', {
    config: { permission: 'record' },
    schema: {
      operationId: 'carryPolicyForward',
      tags: ['insurance'],
      summary: "Carry the pool's surplus forward to the next policy of the same fund (余额结转)",
      headers: idempotencyHeaders,
      params: s.policyParams,
      body: s.carryForwardBody,
      response: { 201: s.carryForward, ...problems('date_in_future', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => insurance.carryForward(tx, req.params.policyId, req.body, req.principal.id)),
  });

  app.post('/v1/insurance-claims', {
    config: { permission: 'record' },
    schema: {
      operationId: 'fileClaim',
      tags: ['insurance'],
      summary: "File a household's claim on a policy",
      headers: idempotencyHeaders,
      body: s.fileClaimBody,
      response: { 201: s.claim, ...problems('not_found', 'unknown_household', 'date_in_future', 'category_not_allowed') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => insurance.fileClaim(tx, req.body, req.principal.id)),
  });

  app.get('/v1/insurance-claims', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listClaims',
      tags: ['insurance'],
      summary: 'List claims by date: of a fund (all its policies), a policy, a household, a status or a period',
      querystring: s.listClaimsQuery,
      response: { 200: page(s.claim) },
    },
    handler: async (req) => {
      const { fundId, policyId, householdId, status, from, to, limit } = req.query;
      const items = await insurance.listClaims({
        fundId,
        policyId,
        householdId,
        status,
        from,
        to,
        limit,
        after: decodeCursor(req.query.cursor, 'string'),
        reach: req.principal.reach,
      });
      return toPage(items, limit, (c) => datePosition(c.date, c.id));
    },
  });

  app.get('/v1/insurance-claims/:claimId', {
    config: { permission: 'read' },
    schema: { operationId: 'getClaim', tags: ['insurance'], summary: 'Get a claim', params: s.claimParams, response: { 200: s.claim } },
    handler: (req) => insurance.getClaim(req.params.claimId),
  });

  app.post('/v1/insurance-claims/:claimId/approve', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'approveClaim',
      tags: ['insurance'],
      summary: 'Approve a filed claim for an amount (by another key than the filer)',
      headers: idempotencyHeaders,
      params: s.claimParams,
      body: s.approveClaimBody,
      response: { 200: s.claim, ...problems('invalid_state', 'not_approved', 'already_paid', 'approver_is_requester') },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => insurance.approveClaim(tx, req.params.claimId, req.body, req.principal.id)),
  });

  app.post('/v1/insurance-claims/:claimId/pay', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'payClaim',
      tags: ['insurance'],
      summary: "Record the insurer's payout of an approved claim to the household",
      headers: idempotencyHeaders,
      params: s.claimParams,
      body: s.payClaimBody,
      response: { 200: s.claim, ...problems('not_approved', 'already_paid', 'invalid_state', 'approver_is_requester', 'date_in_future', 'category_not_allowed', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => insurance.payClaim(tx, req.params.claimId, req.body, req.principal.id)),
  });

  app.post('/v1/insurance-claims/:claimId/reject', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'rejectClaim',
      tags: ['insurance'],
      summary: 'Reject a filed or approved claim, with the reason',
      headers: idempotencyHeaders,
      params: s.claimParams,
      body: s.rejectClaimBody,
      response: { 200: s.claim, ...problems('invalid_state', 'not_approved', 'already_paid', 'approver_is_requester') },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => insurance.rejectClaim(tx, req.params.claimId, req.body, req.principal.id)),
  });
};

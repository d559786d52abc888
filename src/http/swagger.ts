import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { DOCS_FONT_CSS } from '../console/fonts.js';
import { describeOperation, shareResponseHeaders } from './operations.js';

type Document = ReturnType<typeof jsonSchemaTransformObject>;
type WithComponents = { components?: { schemas?: Record<string, unknown> } & Record<string, unknown> };

/**
 * The zod provider adds an "…Input" twin of every named schema, even of those only ever returned;
 * keep only the component schemas that something refers to, so the document says what is used.
 */
function pruneUnusedSchemas(transformed: Document): Document {
  const document = transformed as Document & WithComponents;
  const schemas = document.components?.schemas ?? {};
  const refsIn = (value: unknown) => [...JSON.stringify(value).matchAll(/#\/components\/schemas\/([^"]+)/g)].map((m) => m[1]!);
  const kept = new Set(refsIn({ ...document, components: { ...document.components, schemas: {} } }));
  for (const name of kept) for (const ref of refsIn(schemas[name])) kept.add(ref);
  const used = Object.fromEntries(Object.entries(schemas).filter(([name]) => kept.has(name)));
  return { ...document, components: { ...document.components, schemas: used } } as Document;
}

/**
 * @fastify/swagger marks every request body required. A body schema that also takes null (`.nullish()`,
 * as the period close, which a reconciled month sends without a body) is not: say so, or a validating proxy
 * refuses the request that leaves it out.
 */
function optionalBodies(transformed: Document): Document {
  const paths = (transformed as { paths?: Record<string, Record<string, { requestBody?: { required?: boolean; content?: Record<string, { schema?: { anyOf?: { type?: string }[] } }> } }>> }).paths ?? {};
  for (const methods of Object.values(paths)) {
    for (const operation of Object.values(methods)) {
      const body = operation.requestBody;
      const takesNull = Object.values(body?.content ?? {}).some((c) => c.schema?.anyOf?.some((s) => s.type === 'null'));
      if (body && takesNull) body.required = false;
    }
  }
  return transformed;
}

const tags = [
  { name: 'funds', description: 'Earmarked funds (专项基金) and their settings' },
  { name: 'accounts', description: "A fund's accounts, balances and lines" },
  { name: 'transactions', description: 'Vouchers (凭证): balanced postings and their reversals' },
  { name: 'vouchers', description: 'Vouchers reviewed before posting (制单 → 审核 → 记账), their print (记账凭证, monthly binding) and source documents (原始凭证)' },
  { name: 'income', description: 'Donations and fiscal transfers received' },
  { name: 'periods', description: 'Accounting months: closing, reopening, and verifying a fund’s books' },
  { name: 'bank', description: 'Bank reconciliation (银行对账): the bank’s statements of a fund’s account, matched to the books, and the monthly 余额调节表' },
  { name: 'statements', description: 'Statements as JSON, CSV or PDF, each with a digest that can be verified' },
  { name: 'villages', description: 'Villages and the income allocated to them' },
  { name: 'households', description: 'Monitored households (监测户), their monitoring history, benefits and CSV import' },
  { name: 'industries', description: 'Assisted industries, their versioned distribution rules and dividends' },
  { name: 'disbursements', description: 'Subsidies and relief, one by one or in batches, with maker–checker approval' },
  { name: 'insurance', description: 'Poverty-prevention insurance (防贫保): policies, premiums and claims' },
  { name: 'events', description: 'The change feed' },
  { name: 'api keys', description: 'API keys, roles and scopes; the calling key' },
  { name: 'audit', description: 'Every write, succeeded or refused' },
  { name: 'health', description: 'Liveness and readiness, without a key' },
];

export async function registerSwagger(app: FastifyInstance, info: { title: string; version: string; description: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      // Relative: the document is served by the service it describes (/docs/json), so "Try it out" and a client
      // given this document's own address reach the same service wherever it runs.
      servers: [{ url: '/', description: 'The service that serves this document' }],
      tags,
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: describeOperation,
    transformObject: (document) => shareResponseHeaders(optionalBodies(pruneUnusedSchemas(jsonSchemaTransformObject(document)))),
  });
  // The console's fonts (src/console/fonts.ts), so Chinese shows on a machine without a Chinese font.
  await app.register(swaggerUi, { routePrefix: '/docs', theme: { css: [{ filename: 'fonts.css', content: DOCS_FONT_CSS }] } });
}

import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

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

export async function registerSwagger(app: FastifyInstance, info: { title: string; version: string; description: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info,
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => pruneUnusedSchemas(jsonSchemaTransformObject(document)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

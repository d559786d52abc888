import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { idempotencyHeaders, problems } from '../http/schemas.js';
import { checkCharacter } from './id-numbers.js';
import { acceptCsvBodies, csvTemplateResponse, sendCsvTemplate } from '../http/csv.js';
import { createHouseholdImporter } from './import.js';

/** A roster of 100,000 households is about 12 MiB; this leaves room for long names and reasons. */
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

const csvBody = z.string({ error: 'send the CSV file itself as the body, with Content-Type: text/csv' }).meta({
  description:
    'The CSV file: UTF-8 (with or without a BOM) or GB18030/GBK (what Excel in China saves as "CSV"), told apart by its bytes. ' +
    'First line: the column names, English or Chinese, any order — householdCode/户编号, headName/户主姓名, ' +
    'idNumber/身份证号, villageCode/村编码, memberCount/家庭人口, and optionally category/监测类型, riskCauses/风险类型, ' +
    'since/纳入监测日期, eliminatedOn/风险消除日期, eliminationReason/消除原因.',
  examples: ['户编号,户主姓名,身份证号,村编码,家庭人口,监测类型,风险类型,纳入监测日期\nH-0001,张三明,510700197001010011,QS-001,3,边缘易致贫户,因病、因学,2025-01-01\n'],
});

const importReport = z
  .object({
    rows: z.number().int(),
    created: z.number().int().meta({ description: 'Households registered' }),
    updated: z.number().int().meta({ description: 'Existing households whose details or monitoring changed' }),
    unchanged: z.number().int(),
    included: z.number().int().meta({ description: 'Monitoring periods recorded' }),
    eliminated: z.number().int().meta({ description: 'Monitoring periods eliminated' }),
  })
  .meta({ id: 'HouseholdImportReport' });

/**
 * The file to fill in: every column the importer reads, named in Chinese, and one example row (a made-up
 * person whose ID number only passes the check digit) to overwrite. With a BOM, so that Excel opens it
 * as UTF-8; saved back from Excel as "CSV" it is GB18030, which the import reads too.
 */
const EXAMPLE_ID = `11010119900307123${checkCharacter('11010119900307123')}`;
export const IMPORT_TEMPLATE =
  '\ufeff户编号,户主姓名,身份证号,村编码,家庭人口,监测类型,风险类型,纳入监测日期,风险消除日期,消除原因\r\n' +
  `H-0001,张三明,${EXAMPLE_ID},QS-001,3,边缘易致贫户,因病、因学,2025-01-01,,\r\n`;

export const householdImportRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const importer = createHouseholdImporter(ctx.households, { today: ctx.today });

  acceptCsvBodies(app, IMPORT_BODY_LIMIT);

  app.get('/v1/households/import/template', {
    config: { permission: 'record' },
    schema: {
      operationId: 'getHouseholdImportTemplate',
      tags: ['households'],
      summary: 'The CSV file to fill in for an import (模板)',
      querystring: z.strictObject({}),
      description:
        'Every column the import reads, named in Chinese, and one example row of a made-up household to overwrite. ' +
        'UTF-8 with a byte-order mark, so that Excel opens it as it should.',
      response: csvTemplateResponse,
    },
    handler: async (_req, reply) => sendCsvTemplate(reply, 'households-template.csv', '农户导入模板.csv', IMPORT_TEMPLATE),
  });

  app.post('/v1/households/import', {
    config: { permission: 'record' },
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      operationId: 'importHouseholds',
      headers: idempotencyHeaders,
      tags: ['households'],
      summary: 'Import households and their monitoring status from a CSV file (all or nothing)',
      description:
        'Creates or updates each household by its code and records its monitoring period. Every row is checked first; ' +
        'if any is wrong, nothing is written and the answer is 422 import_failed listing each problem as ' +
        '{line, column, code, message} (the first 1,000, with errorCount). Importing the same file again changes nothing. ' +
        'ID numbers are never returned or echoed. Honours Idempotency-Key.',
      consumes: ['text/csv'],
      body: csvBody,
      response: { 200: importReport, ...problems('import_failed') },
    },
    handler: (req, reply) => ctx.write(req, reply, 200, (tx) => importer.run(tx, req.body, { actor: req.principal.id, reach: req.principal.reach }), { alone: true }),
  });
};

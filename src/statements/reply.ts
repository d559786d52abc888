import type { FastifyReply } from 'fastify';
import { statementCsv } from './csv.js';
import type { Format } from './schemas.js';
import type { Statement, StatementKind, StatementService } from './service.js';

/**
 * Answers with a statement in the format asked for. The statement is fully read before this is called,
 * so a refusal is still a problem+json; the PDF is then streamed page by page.
 */
export function sendStatement<K extends StatementKind>(reply: FastifyReply, service: StatementService, statement: Statement<K>, format: Format) {
  if (format === 'json') return reply.type('application/json; charset=utf-8').send(statement);
  const doc = service.present(statement);
  const meta = { digest: statement.digest, generatedAt: statement.generatedAt, printedAt: service.printedAt(statement), generatedBy: statement.generatedBy };
  reply.header('x-statement-digest', statement.digest);
  if (format === 'csv') {
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${doc.fileName}.csv"`)
      .send(statementCsv(doc, meta));
  }
  return reply.type('application/pdf').header('content-disposition', `inline; filename="${doc.fileName}.pdf"`).send(service.pdf(statement, meta));
}

// Groups the contract violations a test run logged (CONTRACT_FINDINGS_LOG=<file> npx vitest run …, see
// test/helpers/contract.ts) by operation, status and violation, with how often and where each was seen:
//   npx tsx test/contract/findings.ts <log.jsonl> [title] >> findings.md
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface Entry {
  file?: string;
  test?: string;
  operation: string;
  status: number;
  violations: string[];
}

const [log, title = 'Contract violations seen by the test suite'] = process.argv.slice(2);
if (!log) {
  console.error('usage: tsx test/contract/findings.ts <log.jsonl> [title]');
  process.exit(2);
}
const entries: Entry[] = (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n').filter(Boolean).map((line) => JSON.parse(line));

// Values in a violation (ids, figures) differ per request; the rule broken does not.
const normalise = (v: string) => v.replace(/value .*$/, 'value …').replace(/"[0-9a-f-]{36}"/g, '"<uuid>"');

const groups = new Map<string, { operation: string; status: number; violation: string; count: number; files: Set<string> }>();
for (const e of entries) {
  for (const v of e.violations) {
    const violation = normalise(v);
    const key = `${e.operation}\u0000${e.status}\u0000${violation}`;
    const group = groups.get(key) ?? { operation: e.operation, status: e.status, violation, count: 0, files: new Set<string>() };
    group.count++;
    if (e.file) group.files.add(relative(process.cwd(), e.file));
    groups.set(key, group);
  }
}

const sorted = [...groups.values()].sort((a, b) => a.operation.localeCompare(b.operation) || a.status - b.status || b.count - a.count);
const lines = [`## ${title}`, '', `${entries.length} responses with violations, ${sorted.length} distinct findings.`, ''];
let current = '';
for (const g of sorted) {
  if (g.operation !== current) {
    current = g.operation;
    lines.push(`### ${g.operation}`);
  }
  lines.push(`- **${g.status}** ×${g.count}: ${g.violation}  \n  seen in: ${[...g.files].slice(0, 4).join(', ')}${g.files.size > 4 ? ` and ${g.files.size - 4} more` : ''}`);
}
console.log(lines.join('\n'));

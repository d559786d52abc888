import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

// `npm run demo` is documented in the README as the field scenario: it must keep running, and its figures hold.
describe('npm run demo', () => {
  it('loads the field scenario through the API and prints balanced books', () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    delete env.LEDGER_DATA_DIR;
    const run = spawnSync(join(root, 'node_modules/.bin/tsx'), ['scripts/demo.ts'], { cwd: root, env, encoding: 'utf8', timeout: 170_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/青山村\s+project\s+52800\.00/);
    expect(out.match(/radiating\s+26400\.00/g)).toHaveLength(3);
    expect(out).toMatch(/资产收益分红收入\s+0\.00\s+320000\.00/);
    expect(out.match(/→ balanced/g)).toHaveLength(2);
    expect(out).toMatch(/premium 2500000\.00, 2 households paid 39000\.00, pool 2461000\.00/);
    expect(out).toMatch(/total\s+33300\.00/);
    expect(out).not.toMatch(/510700\d{12}/);
  }, 180_000);
});

import { describe, expect, it } from 'vitest';
import { id } from '../../src/http/schemas.js';
import { voucherId } from '../../src/ledger/posting.js';

describe('voucher ids', () => {
  it('are UUIDs of version 7 that the API takes as ids, ordered by the millisecond they were made in', () => {
    const made = Date.UTC(2026, 11, 5, 3, 0, 0);
    const first = voucherId(made);
    const later = voucherId(made + 1);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(first.replace(/-/g, '').slice(0, 12), 16)).toBe(made);
    expect(first < later).toBe(true);
    expect(id.safeParse(first).success).toBe(true);
    // The rest is random: two ids of one millisecond differ.
    expect(voucherId(made)).not.toBe(voucherId(made));
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('has defaults that run the embedded database locally', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 3000, HOST: '127.0.0.1', LEDGER_DATA_DIR: './data', LOG_LEVEL: 'info', LEDGER_TIMEZONE: 'Asia/Shanghai' });
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(3000);
  });

  it('trusts no proxy unless told, and only proxies it can name', () => {
    expect(loadConfig({}).LEDGER_TRUST_PROXY).toEqual([]);
    expect(loadConfig({ LEDGER_TRUST_PROXY: '10.0.0.0/8, 192.168.1.7 ,::1,fd00::/8,loopback' }).LEDGER_TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    // Trusting every hop would let any client choose the address it is limited and audited under.
    for (const bad of ['true', '1', '10.0.0.0/33', '::1/129', 'proxy.example', '10.0.0.1/8/8']) {
      expect(() => loadConfig({ LEDGER_TRUST_PROXY: bad }), bad).toThrow(/LEDGER_TRUST_PROXY/);
    }
  });

  it('names every bad variable at once', () => {
    const attempt = () => loadConfig({ PORT: '70000', LOG_LEVEL: 'loud', LEDGER_ADMIN_TOKEN: 'short', LEDGER_TIMEZONE: 'Mars/Base' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT[\s\S]*LEDGER_ADMIN_TOKEN[\s\S]*LOG_LEVEL[\s\S]*LEDGER_TIMEZONE/);
  });
});

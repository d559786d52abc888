// Amounts in Chinese capitals, as a bank writes them on a voucher (人民币大写), against a table of cases.
import { describe, expect, it } from 'vitest';
import { chineseCapitals } from '../../src/statements/capitals.js';

describe('Chinese capital amounts', () => {
  it.each([
    ['188000.00', '壹拾捌万捌仟元整'],
    ['100000.00', '壹拾万元整'],
    ['100500.00', '壹拾万零伍佰元整'],
    ['0.05', '伍分'],
    ['0.50', '伍角整'],
    ['0.00', '零元整'],
    ['1000000.10', '壹佰万元零壹角整'],
    ['9999999999999.99', '玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
    ['1680.32', '壹仟陆佰捌拾元零叁角贰分'],
    ['1.05', '壹元零伍分'],
    ['1.10', '壹元壹角整'],
    ['10.00', '壹拾元整'],
    ['15.00', '壹拾伍元整'],
    ['101.00', '壹佰零壹元整'],
    ['1001.00', '壹仟零壹元整'],
    ['1010.00', '壹仟零壹拾元整'],
    ['30000.00', '叁万元整'],
    ['30001.00', '叁万零壹元整'],
    ['100000000.00', '壹亿元整'],
    ['100050000.00', '壹亿零伍万元整'],
    ['1000000000000.00', '壹万亿元整'],
    ['2500000.00', '贰佰伍拾万元整'],
    ['107000.53', '壹拾万柒仟元零伍角叁分'], // the rules' own example, written with its 零
    ['-300.00', '负叁佰元整'],
  ])('%s → %s', (amount, capitals) => {
    expect(chineseCapitals(amount)).toBe(capitals);
  });

  it('refuses what is not an amount', () => {
    expect(() => chineseCapitals('1e5')).toThrow();
    expect(() => chineseCapitals('1.234')).toThrow();
  });
});

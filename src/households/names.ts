/**
 * A name as a public notice shows it: first and last character kept, the middle masked — 张三明 → 张*明,
 * 欧阳明月 → 欧**月; a two-character name keeps its first (李四 → 李*). Counted in characters, not UTF-16 units.
 */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 1) return chars.join('');
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars.at(-1)}`;
}

import { DomainError } from '../errors.js';
import { type Category, categoryNames } from './chart.js';

/** A category as an officer reads it: its Chinese name with the code the API takes. */
export const categoryLabel = (category: string) => `${categoryNames[category as Category] ?? category} (${category})`;

/** 专款专用: a fund pays only the purposes it declared. Shared by disbursements and insurance claims. */
export function assertCategoryAllowed(fund: { code: string; allowedCategories: string[] }, category: string) {
  if (fund.allowedCategories.includes(category)) return;
  throw new DomainError(
    'category_not_allowed',
    `Fund ${fund.code} may not pay ${categoryLabel(category)}; it may pay only ${fund.allowedCategories.join(', ') || 'nothing yet'}.`,
    { category, allowedCategories: fund.allowedCategories },
  );
}

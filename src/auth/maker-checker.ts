import { DomainError } from '../errors.js';

/**
 * Maker–checker: whoever asked for money (requested a payment, filed a claim) never approves, pays or
 * rejects it with the same key. Approver keys cannot request at all, so this bites on admin keys and
 * keeps holding if roles are ever widened.
 */
export function assertChecker(subject: string, maker: string, actor: string, act: 'approve' | 'pay' | 'reject'): void {
  if (maker === actor) {
    throw new DomainError('approver_is_requester', `${subject} was requested with this API key; another key (an approver's) must ${act} it.`);
  }
}

import type { ApiKeyService } from './auth/service.js';
import type { BankService } from './bank/service.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { FundService } from './funds/service.js';
import type { HouseholdService } from './households/service.js';
import type { Writer } from './http/idempotency.js';
import type { PostingGroups } from './ledger/group.js';

/** What route plugins are given: the services, the one way to write, and the ledger's clock. */
export interface AppContext {
  config: Config;
  database: Database;
  funds: FundService;
  households: HouseholdService;
  bank: BankService;
  apiKeys: ApiKeyService;
  write: Writer;
  /** Where every write waits for its group (src/ledger/group.ts): the writer's, and its figures. */
  postingGroups: PostingGroups;
  /** Today's accounting date in the ledger's time zone. */
  today(): string;
}

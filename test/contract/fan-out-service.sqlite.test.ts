import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { fanOutServiceRules } from './fan-out-service.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'skadi-fanout-'));
let n = 0;
// A file (not :memory:) so that two "processes" open two connections to one database.
fanOutServiceRules('SQLite', async () => {
  const file = join(dir, `fanout-${n++}.db`);
  return () => createTypeormStores({ url: `sqlite:${file}`, migrate: true });
});

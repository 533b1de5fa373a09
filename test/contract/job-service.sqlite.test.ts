import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { jobServiceRules } from './job-service.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'skadi-jobs-'));
let n = 0;
// A file (not :memory:) so that the two-process test opens two connections to one database.
jobServiceRules('SQLite', async () => {
  const file = join(dir, `jobs-${n++}.db`);
  return () => createTypeormStores({ url: `sqlite:${file}`, migrate: true });
});

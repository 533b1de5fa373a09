import { afterAll } from 'vitest';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { jobServiceRules } from './job-service.contract.js';
import { createTestDatabase, type TestDatabase } from '../helpers/e2e-services.js';

const created: TestDatabase[] = [];

jobServiceRules('MariaDB', async () => {
  const db = await createTestDatabase('skadi_js');
  created.push(db);
  return () => createTypeormStores({ url: db.url, migrate: true });
});

afterAll(async () => {
  for (const db of created) await db.drop();
});

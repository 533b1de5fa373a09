import { afterAll } from 'vitest';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { fanOutServiceRules } from './fan-out-service.contract.js';
import { createTestDatabase, type TestDatabase } from '../helpers/e2e-services.js';

const created: TestDatabase[] = [];

fanOutServiceRules('MariaDB', async () => {
  const db = await createTestDatabase('skadi_fo');
  created.push(db);
  return () => createTypeormStores({ url: db.url, migrate: true });
});

afterAll(async () => {
  for (const db of created) await db.drop();
});

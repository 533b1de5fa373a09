import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDataSource } from '../../src/store/create-data-source.js';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { storesContract } from './stores.contract.js';
import { schemaContract } from './stores-schema.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'skadi-stores-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A directory that does not exist yet: the data source creates it.
const url = `sqlite:${join(dir, 'data', 'skadi.db')}`;

storesContract('sqlite', () => createTypeormStores({ url, migrate: true }));

let scratchCount = 0;
schemaContract('sqlite', async () => {
  const file = join(dir, `schema-${++scratchCount}.db`);
  return { url: `sqlite:${file}`, drop: async () => rmSync(file, { force: true }) };
});

describe('sqlite connection', () => {
  it('runs in WAL mode with a busy timeout and foreign keys on', async () => {
    const dataSource = await createDataSource(`sqlite:${join(dir, 'pragmas', 'p.db')}`);
    try {
      const pragma = async (name: string) => Object.values(((await dataSource.query(`PRAGMA ${name}`)) as Record<string, unknown>[])[0]!)[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('busy_timeout')).toBe(5000);
      expect(await pragma('foreign_keys')).toBe(1);
      // NORMAL (1): WAL commits are not fsynced unless the URL asks for ?synchronous=full.
      expect(await pragma('synchronous')).toBe(1);
    } finally {
      await dataSource.destroy();
    }
  });

  it('takes ?synchronous=full from the URL', async () => {
    const dataSource = await createDataSource(`sqlite:${join(dir, 'pragmas', 'n.db')}?synchronous=full`);
    try {
      expect(Object.values(((await dataSource.query('PRAGMA synchronous')) as Record<string, unknown>[])[0]!)[0]).toBe(2);
    } finally {
      await dataSource.destroy();
    }
  });

  it('works as a private in-memory database', async () => {
    const stores = await createTypeormStores({ url: 'sqlite::memory:', migrate: true });
    try {
      await stores.kv.set('k', { v: 1 });
      expect(await stores.kv.get('k')).toEqual({ v: 1 });
    } finally {
      await stores.close();
    }
  });
});

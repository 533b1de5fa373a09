import { createConnection } from 'mysql2/promise';
import { afterAll } from 'vitest';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { fanOutServiceRules } from './fan-out-service.contract.js';
import { mysqlUrl, uniqueName } from '../helpers/services.js';

const created: string[] = [];
const base = new URL(mysqlUrl());
const admin = () => createConnection({ host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) });

fanOutServiceRules('MariaDB', async () => {
  const db = uniqueName('skadi_fo');
  const conn = await admin();
  await conn.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  created.push(db);
  const url = new URL(base);
  url.pathname = `/${db}`;
  return () => createTypeormStores({ url: url.toString(), migrate: true });
});

afterAll(async () => {
  const conn = await admin();
  for (const db of created) await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
  await conn.end();
});

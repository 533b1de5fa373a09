import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, redact } from '../../../src/store/parse-database-url.js';

describe('parseDatabaseUrl', () => {
  it('reads SQLite files, relative to the working directory, and memory databases', () => {
    expect(parseDatabaseUrl('sqlite:data/skadi.db', '/srv/skadi')).toEqual({ dialect: 'sqlite', file: '/srv/skadi/data/skadi.db' });
    expect(parseDatabaseUrl('sqlite:/var/lib/skadi.db', '/x')).toEqual({ dialect: 'sqlite', file: '/var/lib/skadi.db' });
    expect(parseDatabaseUrl('sqlite:///var/lib/skadi.db', '/x')).toEqual({ dialect: 'sqlite', file: '/var/lib/skadi.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', file: ':memory:' });
  });

  it('reads the SQLite durability parameter', () => {
    expect(parseDatabaseUrl('sqlite:data/skadi.db?synchronous=normal', '/srv')).toEqual({ dialect: 'sqlite', file: '/srv/data/skadi.db', synchronous: 'normal' });
    expect(parseDatabaseUrl('sqlite:/a.db?synchronous=FULL')).toEqual({ dialect: 'sqlite', file: '/a.db', synchronous: 'full' });
    for (const bad of ['sqlite:/a.db?synchronous=off', 'sqlite:/a.db?journal=wal', 'sqlite:?synchronous=full']) {
      expect(() => parseDatabaseUrl(bad), bad).toThrow(expect.objectContaining({ code: 'SKADI_CONFIG_INVALID' }));
    }
  });

  it('reads MySQL and MariaDB URLs with their defaults and escapes', () => {
    expect(parseDatabaseUrl('mysql://root@127.0.0.1:3306/test')).toEqual({
      dialect: 'mysql',
      flavour: 'auto',
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      password: '',
      database: 'test',
      connectionLimit: undefined,
    });
    expect(parseDatabaseUrl('mariadb://sk%40di:p%2Fss%3A@db.internal/skadi?connectionLimit=20')).toMatchObject({
      flavour: 'mariadb',
      host: 'db.internal',
      port: 3306,
      user: 'sk@di',
      password: 'p/ss:',
      database: 'skadi',
      connectionLimit: 20,
    });
  });

  it('refuses what it cannot use, naming the config key', () => {
    for (const bad of ['sqlite:', 'postgres://h/db', 'mysql://h', 'mysql://h/a/b', 'mysql://h/db?ssl=1', 'mysql://h/db?connectionLimit=0', 'not a url']) {
      expect(() => parseDatabaseUrl(bad), bad).toThrow(expect.objectContaining({ code: 'SKADI_CONFIG_INVALID' }));
    }
  });

  it('keeps passwords out of messages', () => {
    expect(redact('mysql://skadi:s3cret@db/skadi')).toBe('mysql://skadi:***@db/skadi');
    expect(() => parseDatabaseUrl('mysql://skadi:s3cret@db/a/b')).toThrow(expect.not.objectContaining({ message: expect.stringContaining('s3cret') }));
  });
});

import { describe, expect, it } from 'vitest';
import { createTeamsPlatform } from '../../../../adapters/teams/teams-platform.js';
import { validateTeamsConfig } from '../../../../adapters/teams/teams-config.js';
import { loadConfig } from '../../../../src/config/load-config.js';
import { CONFIG_VALIDATORS } from '../../../../src/config-validators.js';
import { ConfigError, silentLogger, systemClock, type PlatformDeps } from '../../../../src/core/index.js';

const APP_ID = '8f0d2c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f';
const TENANT = '3c6e9b1a-5d4f-4a2b-8c7d-1e2f3a4b5c6d';

function keyOf(raw: unknown): string {
  try {
    validateTeamsConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).key;
  }
  throw new Error('expected a ConfigError');
}

describe('validateTeamsConfig', () => {
  it('accepts a single-tenant bot with a password and fills the defaults; its output validates to itself', () => {
    const config = validateTeamsConfig({ appId: APP_ID, appPassword: 'secret~value', tenantId: TENANT, appType: 'singletenant' });
    expect(config).toEqual({
      appId: APP_ID,
      appPassword: 'secret~value',
      certificateThumbprint: null,
      certificatePrivateKey: null,
      certificatePrivateKeyFile: null,
      tenantId: TENANT,
      appType: 'SingleTenant',
      allowedTenants: [TENANT],
      allowUnauthenticated: false,
    });
    expect(validateTeamsConfig(config)).toEqual(config);
    expect(validateTeamsConfig(Object.freeze({ ...config }))).toEqual(config);
  });

  it('a tenant id without an app type means SingleTenant; neither means MultiTenant, open to any tenant', () => {
    expect(validateTeamsConfig({ appId: APP_ID, appPassword: 'p', tenantId: TENANT }).appType).toBe('SingleTenant');
    const multi = validateTeamsConfig({ appId: APP_ID, appPassword: 'p' });
    expect(multi).toMatchObject({ appType: 'MultiTenant', allowedTenants: ['*'] });
    expect(validateTeamsConfig(multi)).toEqual(multi);
    expect(validateTeamsConfig({ appId: APP_ID, appPassword: 'p', allowedTenants: [TENANT.toUpperCase()] }).allowedTenants).toEqual([TENANT]);
  });

  it('accepts certificate credentials and a user-assigned managed identity', () => {
    expect(validateTeamsConfig({ appId: APP_ID, tenantId: TENANT, certificateThumbprint: 'AB12', certificatePrivateKeyFile: '/etc/skadi/bot.pem' })).toMatchObject({ appPassword: null, certificateThumbprint: 'AB12' });
    expect(validateTeamsConfig({ appId: APP_ID, tenantId: TENANT, appType: 'UserAssignedMSI' }).appType).toBe('UserAssignedMSI');
  });

  it('allowUnauthenticated (tests only) must be set explicitly and alone', () => {
    expect(validateTeamsConfig({ allowUnauthenticated: true })).toMatchObject({ allowUnauthenticated: true, appId: null, allowedTenants: ['*'] });
    expect(keyOf({})).toBe('teams.appId');
    expect(keyOf({ allowUnauthenticated: 'yes' })).toBe('teams.allowUnauthenticated');
    expect(keyOf({ allowUnauthenticated: true, appId: APP_ID, appPassword: 'p' })).toBe('teams.allowUnauthenticated');
    expect(keyOf({ allowUnauthenticated: false })).toBe('teams.appId');
  });

  it('names the key of each misconfiguration', () => {
    expect(keyOf({ appId: APP_ID })).toBe('teams.appPassword');
    expect(keyOf({ appId: APP_ID, appPassword: 'p', appType: 'SingleTenant' })).toBe('teams.tenantId');
    expect(keyOf({ appId: APP_ID, appType: 'UserAssignedMSI' })).toBe('teams.tenantId');
    expect(keyOf({ appId: APP_ID, tenantId: TENANT, appType: 'UserAssignedMSI', appPassword: 'p' })).toBe('teams.appPassword');
    expect(keyOf({ appId: 'my-bot', appPassword: 'p' })).toBe('teams.appId');
    expect(keyOf({ appId: APP_ID, appPassword: 'p', appType: 'Global' })).toBe('teams.appType');
    expect(keyOf({ appId: APP_ID, appPassword: 'p', tenantId: 'not a tenant' })).toBe('teams.tenantId');
    expect(keyOf({ appId: APP_ID, appPassword: 'p', certificateThumbprint: 'AB' })).toBe('teams.certificatePrivateKeyFile');
    expect(keyOf({ appId: APP_ID, certificatePrivateKey: '-----BEGIN PRIVATE KEY-----' })).toBe('teams.certificateThumbprint');
    expect(keyOf({ appId: APP_ID, appPassword: 'p', allowedTenants: [] })).toBe('teams.allowedTenants');
    expect(keyOf({ appId: APP_ID, appPassword: 'p', allowedTenants: ['x y'] })).toBe('teams.allowedTenants[0]');
    expect(keyOf({ appID: APP_ID })).toBe('teams.appID');
    expect(keyOf('yes')).toBe('teams');
    expect(() => validateTeamsConfig({ appPasword: 'p' })).toThrow(/did you mean appPassword/);
  });
});

describe('teams config through the loader', () => {
  it('takes the secrets from SKADI_TEAMS_APP_ID, SKADI_TEAMS_APP_PASSWORD and SKADI_TEAMS_TENANT_ID', () => {
    const config = loadConfig({ env: { SKADI_TEAMS_APP_ID: APP_ID, SKADI_TEAMS_APP_PASSWORD: 'from-env', SKADI_TEAMS_TENANT_ID: TENANT }, validate: CONFIG_VALIDATORS });
    expect(config.teams).toMatchObject({ appId: APP_ID, appPassword: 'from-env', tenantId: TENANT, appType: 'SingleTenant' });
    // The wiring validates the loader's output again.
    expect(validateTeamsConfig(config.teams)).toEqual(config.teams);
  });

  it('stops the start-up on an app id without a password', () => {
    expect(() => loadConfig({ env: { SKADI_TEAMS_APP_ID: APP_ID }, validate: CONFIG_VALIDATORS })).toThrow(/config teams\.appPassword: missing/);
  });

  it('reports an unreadable certificate key file when the platform is created', async () => {
    const config = validateTeamsConfig({ appId: APP_ID, tenantId: TENANT, certificateThumbprint: 'AB12', certificatePrivateKeyFile: '/nonexistent/skadi-bot.pem' });
    const deps = { clock: systemClock, logger: silentLogger } as unknown as PlatformDeps;
    await expect(createTeamsPlatform(config, deps)).rejects.toThrow(/teams\.certificatePrivateKeyFile: cannot read/);
  });
});

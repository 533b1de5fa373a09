import { ConfigError, closestNames } from '../../src/core/index.js';

/** How the Azure Bot's app registration authenticates (the Azure portal's "Type of App"). */
export type TeamsAppType = 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';

/** The validated `teams` config section. Validating it again returns it unchanged. */
export interface TeamsConfig {
  /** Microsoft App ID of the Azure Bot; null only with allowUnauthenticated. */
  appId: string | null;
  /** Client secret of the app registration (or use the certificate). */
  appPassword: string | null;
  /** Certificate credentials instead of a password: thumbprint plus the PEM private key (inline or a file). */
  certificateThumbprint: string | null;
  certificatePrivateKey: string | null;
  certificatePrivateKeyFile: string | null;
  /** Directory (tenant) id of the app registration; required for SingleTenant and UserAssignedMSI. */
  tenantId: string | null;
  appType: TeamsAppType;
  /** Tenants whose users may talk to the bot (lower case); `['*']` = any tenant, the MultiTenant default. */
  allowedTenants: readonly string[];
  /** Turns Bot Framework authentication off. For local tests only: anyone reaching the endpoint could post as anyone. */
  allowUnauthenticated: boolean;
}

const KEYS = [
  'appId',
  'appPassword',
  'certificateThumbprint',
  'certificatePrivateKey',
  'certificatePrivateKeyFile',
  'tenantId',
  'appType',
  'allowedTenants',
  'allowUnauthenticated',
] as const;

const APP_TYPES: readonly TeamsAppType[] = ['MultiTenant', 'SingleTenant', 'UserAssignedMSI'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A tenant is a GUID or a verified domain (contoso.onmicrosoft.com): both work in the login URL. */
const TENANT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9][a-z0-9.-]*\.[a-z]{2,})$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A trimmed non-empty string, or null when absent (null and undefined and '' count as absent). */
function optionalString(raw: Record<string, unknown>, key: string): string | null {
  const value = raw[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ConfigError(`teams.${key}`, `expected a string, got ${typeof value}`);
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function appTypeOf(raw: Record<string, unknown>, tenantId: string | null): TeamsAppType {
  const value = optionalString(raw, 'appType');
  // Azure creates new bots single-tenant; a tenant id without a type means that.
  if (value === null) return tenantId ? 'SingleTenant' : 'MultiTenant';
  const match = APP_TYPES.find((t) => t.toLowerCase() === value.toLowerCase());
  if (!match) throw new ConfigError('teams.appType', `"${value}" is not valid: expected ${APP_TYPES.join(', ')} (the "Type of App" of the Azure Bot)`);
  return match;
}

function tenantList(raw: Record<string, unknown>): string[] | null {
  const value = raw.allowedTenants;
  if (value === undefined || value === null) return null;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw new ConfigError('teams.allowedTenants', 'expected a list of tenant ids, or "*" for any tenant');
  const tenants = list.map((item, i) => {
    if (typeof item !== 'string' || (item.trim() !== '*' && !TENANT.test(item.trim()))) {
      throw new ConfigError(`teams.allowedTenants[${i}]`, `${JSON.stringify(item)} is not a tenant id (a GUID) or "*"`);
    }
    return item.trim().toLowerCase();
  });
  if (tenants.length === 0) throw new ConfigError('teams.allowedTenants', 'an empty list would refuse everyone; leave it out, or list tenant ids');
  return tenants.includes('*') ? ['*'] : tenants;
}

function checkCredentials(c: Omit<TeamsConfig, 'allowedTenants'>): void {
  const hasCertificate = c.certificateThumbprint !== null || c.certificatePrivateKey !== null || c.certificatePrivateKeyFile !== null;
  if (c.allowUnauthenticated) {
    const set = (['appId', 'appPassword', 'certificateThumbprint', 'tenantId'] as const).find((key) => c[key] !== null);
    if (set) throw new ConfigError('teams.allowUnauthenticated', `is for local tests only and turns authentication off; it cannot be combined with teams.${set}`);
    return;
  }
  if (c.appId === null) throw new ConfigError('teams.appId', 'missing: the Microsoft App ID of your Azure Bot (or set SKADI_TEAMS_APP_ID)');
  if (!GUID.test(c.appId)) throw new ConfigError('teams.appId', `"${c.appId}" is not an app id: expected a GUID such as 00000000-0000-0000-0000-000000000000`);
  if (c.tenantId !== null && !TENANT.test(c.tenantId)) throw new ConfigError('teams.tenantId', `"${c.tenantId}" is not a tenant id: expected the Directory (tenant) ID, a GUID`);
  if (c.appType !== 'MultiTenant' && c.tenantId === null) throw new ConfigError('teams.tenantId', `missing: a ${c.appType} bot needs the Directory (tenant) ID of its app registration (or set SKADI_TEAMS_TENANT_ID)`);
  if (hasCertificate) {
    if (c.certificateThumbprint === null) throw new ConfigError('teams.certificateThumbprint', 'missing: certificate credentials need the thumbprint and the private key');
    if (c.certificatePrivateKey === null && c.certificatePrivateKeyFile === null) throw new ConfigError('teams.certificatePrivateKeyFile', 'missing: certificate credentials need the private key (PEM), inline or as a file');
    if (c.certificatePrivateKey !== null && c.certificatePrivateKeyFile !== null) throw new ConfigError('teams.certificatePrivateKey', 'give the private key once: inline or as certificatePrivateKeyFile, not both');
  }
  if (c.appType === 'UserAssignedMSI') {
    if (c.appPassword !== null || hasCertificate) throw new ConfigError('teams.appPassword', 'a UserAssignedMSI bot authenticates with its managed identity; remove the password and certificate');
    return;
  }
  if (c.appPassword !== null && hasCertificate) throw new ConfigError('teams.appPassword', 'give either a password or a certificate, not both');
  if (c.appPassword === null && !hasCertificate) throw new ConfigError('teams.appPassword', `missing: the bot's client secret (or set SKADI_TEAMS_APP_PASSWORD), or certificateThumbprint with its private key`);
}

/**
 * Validates the `teams` section (called by the config loader and again by the wiring on its own
 * output). Misconfigurations stop the start-up with the exact key: a SingleTenant bot without a
 * tenant, an app id without a password, authentication turned off next to real credentials.
 */
export function validateTeamsConfig(raw: unknown): TeamsConfig {
  if (!isRecord(raw)) throw new ConfigError('teams', 'expected an object with appId, appPassword, tenantId, …');
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      const near = closestNames(key, KEYS);
      throw new ConfigError(`teams.${key}`, `unknown key${near.length ? `; did you mean ${near.slice(0, 2).join(' or ')}?` : `; known keys: ${KEYS.join(', ')}`}`);
    }
  }
  const allowUnauthenticated = raw.allowUnauthenticated ?? false;
  if (typeof allowUnauthenticated !== 'boolean') throw new ConfigError('teams.allowUnauthenticated', 'expected true or false');
  const tenantId = optionalString(raw, 'tenantId');
  const config = {
    appId: optionalString(raw, 'appId'),
    appPassword: optionalString(raw, 'appPassword'),
    certificateThumbprint: optionalString(raw, 'certificateThumbprint'),
    certificatePrivateKey: optionalString(raw, 'certificatePrivateKey'),
    certificatePrivateKeyFile: optionalString(raw, 'certificatePrivateKeyFile'),
    tenantId,
    appType: appTypeOf(raw, tenantId),
    allowUnauthenticated,
  };
  checkCredentials(config);
  // A single-tenant bot only ever hears its own tenant; say so explicitly so the check is visible.
  const allowedTenants = tenantList(raw) ?? (config.appType !== 'MultiTenant' && config.tenantId !== null ? [config.tenantId.toLowerCase()] : ['*']);
  return { ...config, allowedTenants };
}

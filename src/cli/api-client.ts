import { SkadiError, type ErrorCode } from '../core/errors.js';

/** Talks to the user API with a user token, turning `{code, message}` answers into SkadiErrors. */
export function createApiClient(options: { server: string; token: string | undefined }) {
  const base = options.server.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    if (!options.token) throw new SkadiError('SKADI_UNAUTHENTICATED', 'no API token: pass --token or set SKADI_TOKEN (create one with `skadi token create NAME`)');
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${options.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new SkadiError('SKADI_UNAVAILABLE', `cannot reach ${base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const e = (parsed ?? {}) as { code?: string; message?: string; details?: Record<string, unknown> };
      throw new SkadiError((e.code as ErrorCode) ?? 'SKADI_INTERNAL', e.message ?? `HTTP ${res.status}`, e.details);
    }
    return { status: res.status, body: parsed as T };
  }
  return { call };
}

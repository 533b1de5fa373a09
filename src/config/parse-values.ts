/** Parsers for the human-friendly value forms the config accepts. Each returns undefined when the text does not fit. */
import { parseDuration } from '../core/index.js';

export { parseDuration, parseSize } from '../core/index.js';

export function parseBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return undefined;
}

export function parseInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value !== 'string' || !/^\s*-?\d+\s*$/.test(value)) return undefined;
  return Number(value);
}

/** A rate limit: at most `count` per `perMs`, refilled evenly (a token bucket holding `count`). */
export interface RateSpec {
  count: number;
  perMs: number;
}

const RATE_UNITS: Record<string, number> = { s: 1000, sec: 1000, second: 1000, m: 60_000, min: 60_000, minute: 60_000, h: 3_600_000, hour: 3_600_000, d: 86_400_000, day: 86_400_000 };

/** `30/1m`, `30/min`, `5/10s`, `1000/1h`; `0`, `off` or empty: no limit (null). */
export function parseRate(value: unknown): RateSpec | null | undefined {
  if (value === null || value === '' || value === 0 || value === '0' || value === 'off' || value === false) return null;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(value);
  if (!m) return undefined;
  const count = Number(m[1]);
  const perMs = RATE_UNITS[m[2]!.toLowerCase()] ?? parseDuration(m[2]);
  if (!Number.isSafeInteger(count) || perMs === undefined || perMs < 1) return undefined;
  return count === 0 ? null : { count, perMs };
}

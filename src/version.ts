import { readFileSync } from 'node:fs';

function readVersion(): string {
  // Works from src/ (tests) and dist/src/ (built): package.json is two or three levels up.
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next place
    }
  }
  return '0.0.0';
}

/** Skadi's version, from package.json. */
export const SKADI_VERSION = readVersion();

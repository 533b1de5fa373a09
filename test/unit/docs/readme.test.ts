import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../src/core/errors.js';
import { CONFIG_SCHEMA, STRUCTURED_ENV } from '../../../src/config/config-schema.js';
import { EVENTS } from '../../../src/core/events.js';
import { BUILTIN_COMMANDS } from '../../../commands/index.js';
import { EXIT } from '../../../src/cli/exit-codes.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = (title: string) => {
  const start = readme.indexOf(`\n## ${title}`);
  expect(start, `README section "${title}"`).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end < 0 ? undefined : end);
};

/** The README is the user's manual; these keep its reference tables in step with the code. */
describe('README', () => {
  it('lists every error code with its HTTP status', () => {
    const table = section('Error codes');
    for (const [code, { status }] of Object.entries(ERROR_CODES)) expect(table).toContain(`| \`${code}\` | ${status} |`);
  });

  it('lists every configuration key and its environment variable', () => {
    const table = section('Configuration');
    for (const [key, spec] of Object.entries(CONFIG_SCHEMA)) {
      expect(table).toContain(`| \`${key}\` |`);
      const env = (spec as { env?: string }).env;
      if (env) expect(table).toContain(`\`${env}\``);
    }
    for (const env of Object.keys(STRUCTURED_ENV)) expect(table).toContain(`\`${env}\``);
  });

  it('lists every event and every built-in command', () => {
    const events = section('Events');
    for (const [name, e] of Object.entries(EVENTS)) {
      expect(events).toContain(`\`${name}\``);
      expect(events).toContain(e.stream);
    }
    const commands = section('Chat commands');
    for (const spec of BUILTIN_COMMANDS) {
      expect(commands).toContain(`\`${spec.name}`);
      expect(commands).toContain(spec.permission);
    }
  });

  it('documents every CLI exit code', () => {
    const cli = section('CLI');
    for (const code of Object.values(EXIT)) expect(cli).toMatch(new RegExp(`\\| ${code} \\|`));
  });

  it('gives the two quick-start commands', () => {
    const quick = section('Quick start');
    expect(quick).toContain('npm ci && npm start');
    expect(quick).toContain('npm test');
  });
});

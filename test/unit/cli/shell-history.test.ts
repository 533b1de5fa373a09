import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyFilePath, isPrivateLine, openShellHistory } from '../../../src/cli/shell-history.js';
import { tempDir } from '../../helpers/skadi-process.js';

const TOKEN = 'skadi_usr_abc123_SeCrEtSeCrEt';

describe('shell history file', () => {
  it('is SKADI_HISTORY_FILE, none when that is empty, else ~/.skadi_history', () => {
    expect(historyFilePath({ SKADI_HISTORY_FILE: '/tmp/h' }, () => '/home/x')).toBe('/tmp/h');
    expect(historyFilePath({ SKADI_HISTORY_FILE: '' }, () => '/home/x')).toBeNull();
    expect(historyFilePath({}, () => '/home/x')).toBe('/home/x/.skadi_history');
  });

  it('never keeps a token, the session token, or a line typed with a leading space', () => {
    expect(isPrivateLine('send deploy skadi_agt_x_y', [])).toBe(true);
    expect(isPrivateLine('send echo hunter22', ['hunter22'])).toBe(true);
    expect(isPrivateLine(' send echo secret', [])).toBe(true);
    expect(isPrivateLine('use role=web', [TOKEN])).toBe(false);
  });

  it('appends entered lines (mode 0600), reads them back newest first, skips repeats and private lines', () => {
    const file = join(tempDir('skadi-history-'), 'history');
    const first = openShellHistory({ file, secrets: [TOKEN] });
    expect(first.lines).toEqual([]);
    for (const line of ['use role=web', 'use role=web', 'list', `send echo ${TOKEN}`, ' send echo quiet', '', 'jobs failed']) first.add(line);
    first.close();
    expect(readFileSync(file, 'utf8')).toBe('use role=web\nlist\njobs failed\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(openShellHistory({ file }).lines).toEqual(['jobs failed', 'list', 'use role=web']);
  });

  it('keeps only the newest lines, and drops token lines found in an older file', () => {
    const file = join(tempDir('skadi-history-'), 'history');
    writeFileSync(file, `${Array.from({ length: 30 }, (_, i) => `send echo ${i}`).join('\n')}\nsend x skadi_usr_a_b\n`);
    const h = openShellHistory({ file, size: 10 });
    expect(h.lines).toHaveLength(10);
    expect(h.lines[0]).toBe('send echo 29');
    h.add('list');
    h.close();
    const kept = readFileSync(file, 'utf8').trim().split('\n');
    expect(kept).toHaveLength(10);
    expect(kept.at(-1)).toBe('list');
  });

  it('a file it cannot write costs the history, not the session', () => {
    const warnings: string[] = [];
    const h = openShellHistory({ file: join(tempDir('skadi-history-'), 'missing-dir', 'history'), warn: (l) => warnings.push(l) });
    h.add('list');
    h.add('jobs');
    h.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^history not saved to /);
  });
});

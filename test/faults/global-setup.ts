import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { processStartTime } from './helpers/processes.js';
import { formatTable, readReport, writeReport } from './helpers/report.js';

/**
 * The fault suite's start and end: a directory shared by its test files (the MariaDB data
 * template, made once), a fresh results file, and at the end the table of every fault's figures.
 */
export default function setup(project: TestProject): () => void {
  const suiteDir = mkdtempSync(join(tmpdir(), 'skadi-faults-suite-'));
  project.provide('faultsSuiteDir', suiteDir);
  writeReport({ startedAt: new Date().toISOString(), rows: [] });
  return () => {
    cleanUpAfterCrashes(suiteDir);
    rmSync(suiteDir, { recursive: true, force: true });
    const report = readReport();
    report.finishedAt = new Date().toISOString();
    writeReport(report);
    const seconds = Math.round((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000);
    console.log(`\nFault suite (${seconds} s; test-results/faults.json)\n${formatTable(report.rows)}\n`);
  };
}

/**
 * Ends the processes the suite started that still run (a worker that crashed or timed out
 * before its afterEach), by pid and start time, and deletes the
 * temp directories left. Normally there is nothing to do.
 */
function cleanUpAfterCrashes(suiteDir: string): void {
  const read = (name: string): string[] => (existsSync(join(suiteDir, name)) ? readFileSync(join(suiteDir, name), 'utf8').split('\n').filter(Boolean) : []);
  for (const line of read('pids')) {
    const [pid, started] = line.split(' ');
    // Same pid and same start time: still the process the suite started, not a later one that got its pid.
    if (!started || processStartTime(Number(pid)) !== started) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
      console.warn(`fault suite: killed leftover process ${pid}`);
    } catch {
      // gone meanwhile
    }
  }
  for (const dir of read('dirs')) rmSync(dir, { recursive: true, force: true });
}

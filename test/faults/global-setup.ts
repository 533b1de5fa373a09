import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
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
    rmSync(suiteDir, { recursive: true, force: true });
    const report = readReport();
    report.finishedAt = new Date().toISOString();
    writeReport(report);
    const seconds = Math.round((Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000);
    console.log(`\nFault suite (${seconds} s; test-results/faults.json)\n${formatTable(report.rows)}\n`);
  };
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../../helpers/skadi-process.js';
import type { FaultRow } from './verdict.js';

/** Where the suite's figures go: one row per fault test, read back by the global teardown. */
export const RESULTS_FILE = join(ROOT, 'test-results', 'faults.json');
/** Each fault test's process logs, for a look after the run. */
export const LOGS_DIR = join(ROOT, 'test-results', 'faults-logs');

/** Writes what the processes of a fault test logged to `test-results/faults-logs/<fault>.log`. */
export function writeLogs(fault: string, text: string): string {
  mkdirSync(LOGS_DIR, { recursive: true });
  const file = join(LOGS_DIR, `${fault.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.log`);
  writeFileSync(file, text);
  return file;
}

export interface FaultsReport {
  startedAt: string;
  finishedAt?: string;
  rows: FaultRow[];
}

export function readReport(): FaultsReport {
  if (!existsSync(RESULTS_FILE)) return { startedAt: new Date().toISOString(), rows: [] };
  return JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as FaultsReport;
}

export function writeReport(report: FaultsReport): void {
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
}

/** Adds (or replaces) a fault's row; test files run one at a time, so read-modify-write is safe. */
export function recordRow(row: FaultRow): void {
  const report = readReport();
  report.rows = [...report.rows.filter((r) => r.fault !== row.fault), row];
  writeReport(report);
}

const COLUMNS: Array<[title: string, value: (r: FaultRow) => string | number]> = [
  ['fault', (r) => r.fault],
  ['jobs sent', (r) => r.jobsSent],
  ['jobs finished', (r) => r.jobsFinished],
  ['replies sent', (r) => r.repliesSent],
  ['lost', (r) => r.lost],
  ['duplicated', (r) => r.duplicated],
  ['expired', (r) => r.expired],
  ['failed', (r) => r.failed],
  ['redelivered', (r) => r.redelivered],
  ['error replies', (r) => r.errorReplies],
  ['not accepted', (r) => r.notAccepted],
  ['client retries', (r) => r.clientRetries],
  ['seconds', (r) => r.seconds],
];

/** The table, as plain text. */
export function formatTable(rows: readonly FaultRow[]): string {
  const cells = [COLUMNS.map(([title]) => title), ...rows.map((r) => COLUMNS.map(([, value]) => String(value(r))))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  return [line(cells[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

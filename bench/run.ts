/**
 * `npm run bench`: dispatch latency, end-to-end throughput (10 and 100 agents) against a BullMQ
 * anchor, the chat path, 10,000 connected agents and offline detection of Skadi, for the
 * embedded stack (SQLite + in-process bus) and the production one (MariaDB + Redis). See
 * bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanupAll, installExitHandlers } from './lib/cleanup.js';
import { startBenchServer, waitForAgents } from './lib/bench-server.js';
import { checkClocks, forkLoadProcess, type ClockCheck } from './lib/load-process.js';
import { prepareStack, STACK_LABELS, type StackId } from './lib/stacks.js';
import { renderTable, type Section } from './lib/table.js';
import { installQueryCounter, type QueryCounter } from './lib/query-counter.js';
import { dispatchLatency } from './scenarios/dispatch-latency.js';
import { throughput } from './scenarios/throughput.js';
import { throughputMany } from './scenarios/throughput-many.js';
import { bullmqAnchor } from './scenarios/bullmq-anchor.js';
import { chatPath } from './scenarios/chat-path.js';
import { scale } from './scenarios/scale.js';
import { offlineDetection } from './scenarios/offline-detection.js';
import type { BenchServer } from './lib/bench-server.js';
import type { LoadProcess } from './lib/load-process.js';
import type { RunOptions, Scenario } from './scenarios/scenario.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCENARIOS: Record<string, Scenario<unknown>> = {
  [dispatchLatency.id]: dispatchLatency as Scenario<unknown>,
  [throughput.id]: throughput as Scenario<unknown>,
  [throughputMany.id]: throughputMany as Scenario<unknown>,
  // After both throughput scenarios: it divides their jobs/s by BullMQ's.
  [bullmqAnchor.id]: bullmqAnchor as Scenario<unknown>,
  [chatPath.id]: chatPath as Scenario<unknown>,
  [scale.id]: scale as Scenario<unknown>,
  [offlineDetection.id]: offlineDetection as Scenario<unknown>,
};

const HELP = `usage: npm run bench -- [options]

  --json                  print the results as JSON on stdout (the table goes to stderr)
  --stacks LIST           sqlite,mariadb (default both; mysql = mariadb); --stack is the same
  --scenarios LIST        ${Object.keys(SCENARIOS).join(',')} (default all); --only is the same
  --agents N              agents in the load process (default 10)
  --capacity N            jobs one agent runs at once (default 10)
  --rate N                latency scenario: jobs per second (default 50)
  --duration S            latency scenario: seconds measured (default 10)
  --tp-duration S         throughput scenario: seconds measured (default 10)
  --in-flight N           throughput scenario: jobs kept between POST and result (default 200)
  --output-ratio R        share of jobs sending one output chunk (default 0.5)
  --many-agents N         throughput100 scenario: agents (default 100)
  --bullmq-concurrency N  bullmq scenario: worker concurrency (default 100)
  --scale-agents N        scale scenario: agents connected by long-poll (default 10000)
  --scale-ramp N          scale scenario: agents connected per second (default 0: spread over one poll wait, 25 s)
  --scale-idle S          scale scenario: seconds of idle measured (default 25: one poll wait, so every agent re-polls once)
  --scale-rate N          scale scenario: jobs per second to random agents (default 20)
  --scale-jobs N          scale scenario: jobs to random agents (default 200)
  --offline-agents N      offline scenario: agents going silent at once (default 1000)
  --offline-after S       offline scenario: the server's agents.offlineAfter, shortened (default 5)
  --chat-messages N       chat scenario: messages measured (default 200, after 10 uncounted)
  --chat-rate N           chat scenario: messages per second (default 10)
  --quick                 3 s per scenario (a smoke run; fewer jobs and messages in the newer scenarios)
  --no-save               do not write bench/results/<timestamp>.json
  --mysql-url URL         MariaDB server (default $SKADI_BENCH_MYSQL_URL or mysql://root@127.0.0.1:3306)
  --redis-url URL         Redis (default $SKADI_BENCH_REDIS_URL or redis://127.0.0.1:6379)
  --sqlite-sync MODE      SQLite durability: full or normal (default: the server's own default, normal)
  --log-level LEVEL       server log level on stderr (default warn)
  --wait-quiet LOAD       before each stack, wait (up to 5 min) until the 1-minute load average is below LOAD
  --nice N                run the runner and the load process at this nice value (e.g. -5; needs privileges);
                          MariaDB and Redis are left as they are
  --count-queries         count SQL statements per job by shape (diagnostic; slows the server a little)
`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      stacks: { type: 'string', default: 'sqlite,mariadb' },
      stack: { type: 'string' },
      scenarios: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
      only: { type: 'string' },
      'many-agents': { type: 'string', default: '100' },
      'bullmq-concurrency': { type: 'string', default: '100' },
      'scale-agents': { type: 'string', default: '10000' },
      'scale-ramp': { type: 'string', default: '0' },
      'scale-idle': { type: 'string', default: '25' },
      'scale-rate': { type: 'string', default: '20' },
      'scale-jobs': { type: 'string', default: '200' },
      'offline-agents': { type: 'string', default: '1000' },
      'offline-after': { type: 'string', default: '5' },
      'chat-messages': { type: 'string', default: '200' },
      'chat-rate': { type: 'string', default: '10' },
      agents: { type: 'string', default: '10' },
      capacity: { type: 'string', default: '10' },
      rate: { type: 'string', default: '50' },
      duration: { type: 'string', default: '10' },
      'tp-duration': { type: 'string', default: '10' },
      'in-flight': { type: 'string', default: '200' },
      'output-ratio': { type: 'string', default: '0.5' },
      quick: { type: 'boolean', default: false },
      'no-save': { type: 'boolean', default: false },
      'mysql-url': { type: 'string', default: process.env.SKADI_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306' },
      'redis-url': { type: 'string', default: process.env.SKADI_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
      'log-level': { type: 'string', default: 'warn' },
      'sqlite-sync': { type: 'string' },
      'count-queries': { type: 'boolean', default: false },
      'wait-quiet': { type: 'string' },
      nice: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const num = (name: string, raw: string, min: number) => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${raw}`);
    return n;
  };
  const stacks = (values.stack ?? values.stacks).split(',').map((s) => (s.trim() === 'mysql' ? 'mariadb' : s.trim())) as StackId[];
  for (const s of stacks) if (!(s in STACK_LABELS)) throw new Error(`unknown stack ${s} (sqlite, mariadb)`);
  const scenarios = (values.only ?? values.scenarios).split(',').map((s) => s.trim());
  for (const s of scenarios) if (!(s in SCENARIOS)) throw new Error(`unknown scenario ${s} (${Object.keys(SCENARIOS).join(', ')})`);
  const sqliteSync = values['sqlite-sync'];
  if (sqliteSync !== undefined && sqliteSync !== 'full' && sqliteSync !== 'normal') throw new Error(`--sqlite-sync must be full or normal, got ${sqliteSync}`);
  const seconds = (name: string, raw: string) => (values.quick ? 3 : num(name, raw, 1)) * 1000;
  const run: RunOptions = {
    agents: num('agents', values.agents, 1),
    capacity: num('capacity', values.capacity, 1),
    outputRatio: Math.min(1, num('output-ratio', values['output-ratio'], 0)),
    latency: { ratePerSec: num('rate', values.rate, 1), durationMs: seconds('duration', values.duration), warmupMs: values.quick ? 1000 : 2000 },
    throughput: { inFlight: num('in-flight', values['in-flight'], 1), durationMs: seconds('tp-duration', values['tp-duration']), warmupMs: values.quick ? 1000 : 3000 },
    manyAgents: num('many-agents', values['many-agents'], 1),
    bullmq: { concurrency: num('bullmq-concurrency', values['bullmq-concurrency'], 1) },
    scale: {
      agents: num('scale-agents', values['scale-agents'], 1),
      rampPerSec: num('scale-ramp', values['scale-ramp'], 0),
      idleMs: (values.quick ? 5 : num('scale-idle', values['scale-idle'], 1)) * 1000,
      ratePerSec: num('scale-rate', values['scale-rate'], 1),
      jobs: values.quick ? 50 : num('scale-jobs', values['scale-jobs'], 1),
    },
    offline: { agents: num('offline-agents', values['offline-agents'], 1), offlineAfterMs: num('offline-after', values['offline-after'], 1) * 1000, pollWaitSeconds: 2, timerIntervalMs: 1000 },
    chat: { messages: values.quick ? 30 : num('chat-messages', values['chat-messages'], 1), ratePerSec: num('chat-rate', values['chat-rate'], 1), warmup: values.quick ? 3 : 10 },
  };
  if (run.offline.offlineAfterMs <= run.offline.pollWaitSeconds * 1000 + 1000) throw new Error(`--offline-after must exceed the agents' poll wait (${run.offline.pollWaitSeconds} s) by more than a second`);
  return { json: values.json, save: !values['no-save'], stacks, scenarios, run, mysqlUrl: values['mysql-url'], redisUrl: values['redis-url'], logLevel: values['log-level'], waitQuiet: values['wait-quiet'] === undefined ? null : num('wait-quiet', values['wait-quiet'], 0.1), nice: values.nice === undefined ? null : Number(values.nice), sqliteSync: sqliteSync as 'full' | 'normal' | undefined, countQueries: values['count-queries'] };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

interface StackReport {
  stack: StackId;
  label: string;
  /** 1-minute load average when the stack started. */
  loadAverageAtStart?: number;
  clock?: ClockCheck;
  results: Record<string, unknown>;
  errors: Record<string, string>;
  /** With --count-queries: SQL statements per finished job, by shape. */
  queries?: Record<string, { perJob: number; shapes: Array<{ sql: string; perJob: number; meanUs: number }> }>;
}

function jobsOf(result: unknown): number {
  const r = result as { jobs?: number; load?: { completed?: number } };
  return r.load?.completed ?? r.jobs ?? 0;
}

/** Waits until the machine's 1-minute load average is below `threshold` (at most `maxMs`); returns it. */
async function waitQuiet(threshold: number, maxMs: number, log: (line: string) => void): Promise<number> {
  const until = Date.now() + maxMs;
  let said = false;
  for (;;) {
    const [load1] = os.loadavg();
    if (load1! < threshold || Date.now() > until) return load1!;
    if (!said) log(`waiting for the load average (${load1!.toFixed(1)}) to fall below ${threshold}`);
    said = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function runStack(id: StackId, opts: ReturnType<typeof parseOptions>, log: (line: string) => void, counter: QueryCounter | null): Promise<StackReport> {
  const report: StackReport = { stack: id, label: STACK_LABELS[id], results: {}, errors: {} };
  if (opts.waitQuiet !== null) report.loadAverageAtStart = await waitQuiet(opts.waitQuiet, 300_000, log);
  else report.loadAverageAtStart = os.loadavg()[0]!;
  const endpoints = { mysqlUrl: opts.mysqlUrl, redisUrl: opts.redisUrl, sqliteSynchronous: opts.sqliteSync };
  const stack = await prepareStack(id, endpoints);
  // The shared in-process server and its load process (10 agents) serve every scenario that is not standalone.
  const shared = opts.scenarios.some((name) => !SCENARIOS[name]!.standalone);
  let bench: BenchServer | null = null;
  let load: LoadProcess | null = null;
  try {
    if (shared) {
      log(`[${id}] starting the server (${stack.databaseUrl.replace(/\/\/[^@]*@/, '//')}${stack.redisUrl ? `, ${stack.redisUrl}` : ''})`);
      bench = await startBenchServer(stack, { agents: opts.run.agents, logLevel: opts.logLevel });
      load = forkLoadProcess();
      if (opts.nice !== null) {
        try {
          os.setPriority(load.pid, opts.nice);
        } catch (err) {
          log(`[${id}] cannot renice the load process: ${(err as Error).message}`);
        }
      }
      await load.request(
        { type: 'init', server: bench.url, agents: bench.agents, userToken: bench.userToken, agent: { capacity: opts.run.capacity, outputRatio: opts.run.outputRatio, pollWaitSeconds: 25 }, submitSockets: 32 },
        'ready',
      );
      await waitForAgents(bench);
      report.clock = await checkClocks(load);
      if (report.clock.worstSkewMs > 0.05) log(`[${id}] warning: the two processes' clocks disagree by ${report.clock.worstSkewMs} ms`);
    }
    for (const name of opts.scenarios) {
      const scenario = SCENARIOS[name]!;
      log(`[${id}] ${scenario.title(opts.run)}`);
      try {
        counter?.reset();
        // Standalone scenarios start their own server and never touch bench/load (absent when only they run).
        report.results[name] = await scenario.run({ stack, bench: bench as BenchServer, load: load as LoadProcess, options: opts.run, log, endpoints, logLevel: opts.logLevel, results: report.results });
        if (counter && !scenario.standalone) {
          const jobs = Math.max(1, jobsOf(report.results[name]));
          const per = (n: number) => Math.round((n / jobs) * 100) / 100;
          report.queries ??= {};
          report.queries[name] = { perJob: per(counter.total()), shapes: counter.snapshot().map((q) => ({ sql: q.sql, perJob: per(q.count), meanUs: Math.round((q.totalMs / q.count) * 1000) })) };
          log(`[${id}] ${name}: ${per(counter.total())} SQL statements per job`);
          for (const q of report.queries[name].shapes.slice(0, 25)) log(`    ${q.perJob.toFixed(2).padStart(6)}  ${(q.meanUs ? `${q.meanUs} µs` : '').padStart(9)}  ${q.sql}`);
        }
      } catch (err) {
        report.errors[name] = err instanceof Error ? err.message : String(err);
        log(`[${id}] ${name} failed: ${report.errors[name]}`);
      }
      if (bench) await waitForAgents(bench).catch(() => undefined);
    }
  } finally {
    try {
      await load?.stop();
    } finally {
      try {
        await bench?.close();
      } finally {
        await stack.dispose();
      }
    }
  }
  return report;
}

async function main(): Promise<void> {
  installExitHandlers();
  const opts = parseOptions();
  const counter = opts.countQueries ? installQueryCounter() : null;
  if (opts.nice !== null) os.setPriority(opts.nice);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const startedAt = new Date();
  const [load1] = os.loadavg();
  if (load1! > os.cpus().length * 0.5) log(`warning: the machine is busy (load average ${load1!.toFixed(1)} on ${os.cpus().length} CPUs); figures will be noisy`);
  const reports: StackReport[] = [];
  for (const id of opts.stacks) {
    try {
      reports.push(await runStack(id, opts, log, counter));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`[${id}] failed: ${message}`);
      reports.push({ stack: id, label: STACK_LABELS[id], results: {}, errors: { setup: message } });
    }
  }

  const document = {
    format: 'skadi-bench/1',
    startedAt: startedAt.toISOString(),
    durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: { loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100), node: process.version, platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, memoryMiB: Math.round(os.totalmem() / 2 ** 20) },
    git: { commit: git(['rev-parse', '--short', 'HEAD']), dirty: (git(['status', '--porcelain']) ?? '') !== '' },
    options: { ...opts.run, sqliteSynchronous: opts.sqliteSync ?? 'server default', nice: opts.nice },
    stacks: reports,
  };

  const sections: Section[] = opts.scenarios.map((name) => {
    const scenario = SCENARIOS[name]!;
    return {
      title: scenario.title(opts.run),
      columns: reports.map((r) => (name in r.results ? scenario.rows(r.results[name]) : { error: r.errors[name] ?? r.errors.setup ?? 'not run' })),
    };
  });
  const table = renderTable(reports.map((r) => (r.loadAverageAtStart === undefined ? r.label : `${r.label} (load ${r.loadAverageAtStart.toFixed(1)})`)), sections);
  const header = `Skadi bench — ${document.startedAt}, node ${process.version}, ${document.machine.cpus} CPUs (${document.machine.cpuModel ?? '?'}), commit ${document.git.commit ?? '?'}${document.git.dirty ? '+dirty' : ''}, load average ${document.machine.loadAverageAtStart[0]}`;

  let savedTo: string | null = null;
  if (opts.save) {
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    savedTo = join(dir, `${document.startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(savedTo, `${JSON.stringify(document, null, 2)}\n`);
  }
  if (opts.json) {
    process.stderr.write(`\n${header}\n\n${table}\n\n`);
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${header}\n\n${table}\n\n${savedTo ? `results: ${savedTo}\n` : ''}`);
  }
  const failed = reports.some((r) => Object.keys(r.errors).length > 0);
  process.exitCode = failed ? 1 : 0;
}

main()
  .catch((err: unknown) => {
    console.error('bench failed:', err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
    // Kept-alive sockets or a stray timer must not keep a finished run alive.
    setTimeout(() => process.exit(), 200).unref();
  });

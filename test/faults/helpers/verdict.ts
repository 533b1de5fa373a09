import { existsSync, readFileSync } from 'node:fs';
import type { RowDataPacket } from 'mysql2/promise';
import { shownText } from '../../helpers/slack-fake-api.js';
import type { FaultRig } from './fault-rig.js';
import type { Load, LoadRecord } from './load.js';
import { sleep } from './processes.js';

const FINAL = new Set(['succeeded', 'failed', 'expired', 'cancelled']);

/** One line of the suite's table. */
export interface FaultRow {
  fault: string;
  /** Jobs the servers accepted (chat messages answered 202/200, API calls 201/200). */
  jobsSent: number;
  /** Of those, jobs in a final state. */
  jobsFinished: number;
  /** Result replies recorded as sent (jobs asked for in a chat). */
  repliesSent: number;
  /** Accepted but no job, a job that never finished, a result never sent or never seen. */
  lost: number;
  /** A second job for one request, a second run, a second final state, a result seen twice. */
  duplicated: number;
  expired: number;
  /** Jobs that failed: the load's handler always succeeds, so each one is a fault's doing (told to the user). */
  failed: number;
  /** Jobs handed out more than once before an agent acknowledged one (attempt > 1). */
  redelivered: number;
  /** Requests the client gave up on (never accepted): visible failures, not losses. */
  notAccepted: number;
  /** Accepted chat messages answered with an error instead of a job (the user was told). */
  errorReplies: number;
  /** Requests the clients had to send again (the fault reached them). */
  clientRetries: number;
  seconds: number;
  /** One line per lost or duplicated item (the first 40). */
  problems: string[];
}

interface JobRow extends RowDataPacket {
  id: string;
  agent: string;
  message: string;
  state: string;
  reason: string | null;
  attempt: number;
  thread: string | null;
  /** Epoch ms (a BIGINT, read as a string). */
  running_at: string | null;
}

interface Snapshot {
  jobs: JobRow[];
  finals: Map<string, number>;
  /** Each job's transitions, from the outbox, in version order (for the problem lines). */
  history: Map<string, string[]>;
  replies: Map<string, string>;
  claimed: number;
  unrelayed: number;
}

async function snapshot(rig: FaultRig): Promise<Snapshot> {
  const jobs = await rig.db.query<JobRow>("SELECT id, agent, message, state, reason, attempt, thread, running_at FROM jobs WHERE requester_identity IN ('web:alice', 'api:loadgen', 'slack:TFAKE/UALICE')");
  const events = await rig.db.query<RowDataPacket & { payload: string }>("SELECT payload FROM outbox_events WHERE name = 'EventJobStatus'");
  const finals = new Map<string, number>();
  const history = new Map<string, string[]>();
  for (const e of events) {
    const p = JSON.parse(e.payload) as { jobId: string; from: string | null; to: string; reason: string | null; version: number; at: string };
    if (FINAL.has(p.to)) finals.set(p.jobId, (finals.get(p.jobId) ?? 0) + 1);
    history.set(p.jobId, [...(history.get(p.jobId) ?? []), `v${p.version} ${p.at.slice(11, 23)} ${p.from}→${p.to}${p.reason ? ` (${p.reason})` : ''}`]);
  }
  const replyRows = await rig.db.query<RowDataPacket & { job_id: string; reply_key: string; state: string }>('SELECT job_id, reply_key, state FROM replies');
  const replies = new Map(replyRows.map((r) => [`${r.job_id}/${r.reply_key}`, r.state]));
  const [unrelayed] = await rig.db.query<RowDataPacket & { n: string }>('SELECT COUNT(*) AS n FROM outbox_events WHERE relayed_at IS NULL');
  for (const lines of history.values()) lines.sort((a, b) => Number(a.split(' ')[0]!.slice(1)) - Number(b.split(' ')[0]!.slice(1)));
  return { jobs, finals, history, replies, claimed: replyRows.filter((r) => r.state !== 'sent').length, unrelayed: Number(unrelayed!.n) };
}

function platformOf(job: JobRow): string | null {
  return job.thread ? (JSON.parse(job.thread) as { platform: string }).platform : null;
}

/** The latest version of each web chat bot message an observer tab saw, and how often each job's result showed. */
function webView(rig: FaultRig) {
  return rig.observers
    .filter((o) => o.complete)
    .map((o) => {
      const results = new Map<string, number>();
      const acks = new Map<string, number>();
      const errorThreads = new Set<string>();
      for (const { event, message } of o.tab.events()) {
        if (message.author.kind !== 'bot') continue;
        if (message.jobId && FINAL.has(message.status ?? '')) results.set(message.jobId, (results.get(message.jobId) ?? 0) + 1);
        if (message.jobId && event === 'message.new') acks.set(message.jobId, (acks.get(message.jobId) ?? 0) + 1);
        if (!message.jobId && (message.status === 'error' || message.status === 'refused')) errorThreads.add(message.threadId);
      }
      return { node: o.node, results, acks, errorThreads };
    });
}

const SLACK_FINAL = /^:(white_check_mark|x|hourglass|no_entry_sign): Job (\w+) /;

/** Slack: versions of messages showing each job's result, and distinct bot messages per thread. */
function slackView(rig: FaultRig) {
  const results = new Map<string, number>();
  const messagesPerJob = new Map<string, Set<string>>();
  const errorThreads = new Set<string>();
  for (const m of rig.slack?.fake.history ?? []) {
    const text = shownText(m);
    const final = SLACK_FINAL.exec(text);
    if (final) results.set(final[2]!, (results.get(final[2]!) ?? 0) + 1);
    const job = /Job (\w+) /.exec(text)?.[1];
    if (job) messagesPerJob.set(job, (messagesPerJob.get(job) ?? new Set()).add(m.ts));
    if (text.startsWith(':warning:') && m.threadTs) errorThreads.add(m.threadTs);
  }
  return { results, messagesPerJob, errorThreads };
}

function labelOf(message: string): string | null {
  return /\b(L\d+)\b/.exec(message)?.[1] ?? null;
}

/** What still moves: empty when the system is quiet and every reply went out and was seen. */
async function pending(rig: FaultRig, load: Load): Promise<string[]> {
  const s = await snapshot(rig);
  const out: string[] = [];
  const active = s.jobs.filter((j) => !FINAL.has(j.state));
  if (active.length) out.push(`${active.length} jobs not final (${active.slice(0, 5).map((j) => `${j.id}:${j.state}`).join(', ')})`);
  if (s.unrelayed) out.push(`${s.unrelayed} outbox events not relayed`);
  if (s.claimed) out.push(`${s.claimed} reply claims not sent`);
  const threaded = s.jobs.filter((j) => FINAL.has(j.state) && platformOf(j) !== null);
  const unreplied = threaded.filter((j) => s.replies.get(`${j.id}/result`) !== 'sent');
  if (unreplied.length) out.push(`${unreplied.length} results not replied`);
  for (const view of webView(rig)) {
    const unseen = threaded.filter((j) => platformOf(j) === 'web' && !view.results.has(j.id));
    if (unseen.length) out.push(`${unseen.length} results not seen by the tab on ${view.node}`);
  }
  if (rig.slack) {
    const seen = slackView(rig).results;
    const unseen = threaded.filter((j) => platformOf(j) === 'slack' && !seen.has(j.id));
    if (unseen.length) out.push(`${unseen.length} results not in Slack`);
  }
  const labels = new Set(s.jobs.map((j) => labelOf(j.message)));
  const missing = load.accepted.filter((r) => !labels.has(r.label));
  if (missing.length) out.push(`${missing.length} accepted requests without a job`);
  return out;
}

/**
 * Waits until nothing moves any more (every job final, every event relayed, every reply sent and
 * seen), at most `timeoutMs`, then a moment more for a late duplicate to show up. Returns what
 * was still pending at the deadline (empty when quiet).
 */
export async function waitForQuiet(rig: FaultRig, load: Load, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left: string[] = [];
  for (;;) {
    left = await pending(rig, load).catch((err: unknown) => [`cannot read the state: ${String(err)}`]);
    if (left.length === 0 || Date.now() >= deadline) break;
    await sleep(500);
  }
  await sleep(2000);
  return left;
}

/** Reads the runs log: job id → when the handler started, each time (epoch ms). */
function runs(rig: FaultRig): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (!existsSync(rig.runsLog)) return out;
  for (const line of readFileSync(rig.runsLog, 'utf8').split('\n')) {
    const [id, , at] = line.split(' ');
    if (id) out.set(id, [...(out.get(id) ?? []), Number(at)]);
  }
  return out;
}

/**
 * Checks every job of the load: one job per accepted request, one final state each, handlers
 * run at most once (and exactly once for a job with a result), one result reply each — in the
 * replies table, and as the clients saw it (web tabs, the fake Slack).
 */
export async function verdict(rig: FaultRig, load: Load, startedAt: number): Promise<FaultRow> {
  const s = await snapshot(rig);
  const ran = runs(rig);
  const web = webView(rig);
  const slack = rig.slack ? slackView(rig) : null;
  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let errorReplies = 0;
  const lose = (what: string) => {
    lost++;
    problems.push(`LOST ${what}`);
  };
  const dup = (what: string) => {
    duplicated++;
    problems.push(`DUPLICATE ${what}`);
  };

  const byLabel = new Map<string, JobRow[]>();
  for (const job of s.jobs) {
    const label = labelOf(job.message);
    if (label) byLabel.set(label, [...(byLabel.get(label) ?? []), job]);
  }
  const records = new Map<string, LoadRecord>(load.records.map((r) => [r.label, r]));
  for (const record of load.accepted) {
    const jobs = byLabel.get(record.label) ?? [];
    if (jobs.length > 1) dup(`${record.label}: ${jobs.length} jobs for one ${record.channel} request (${jobs.map((j) => j.id).join(', ')})`);
    if (jobs.length === 0) {
      const told = record.channel === 'web' ? web.some((v) => v.errorThreads.has(record.ref)) : record.channel === 'slack' ? slack?.errorThreads.has(record.ref) : false;
      if (told) errorReplies++;
      else lose(`${record.label}: accepted ${record.channel} request without a job or an error reply`);
    }
  }

  let finished = 0;
  let repliesSent = 0;
  let expired = 0;
  let failed = 0;
  let redelivered = 0;
  for (const job of s.jobs) {
    const label = labelOf(job.message) ?? '?';
    const record = records.get(label);
    const where = `${label} job ${job.id} (${job.agent}, ${job.state}${job.reason ? `: ${job.reason}` : ''}, attempt ${job.attempt})`;
    if (!FINAL.has(job.state)) {
      lose(`${where}: never reached a final state`);
      continue;
    }
    finished++;
    if (job.state === 'expired') expired++;
    if (job.state === 'failed') failed++;
    if (job.attempt > 1) redelivered++;
    const finals = s.finals.get(job.id) ?? 0;
    if (finals > 1) dup(`${where}: ${finals} final-state events`);
    if (finals === 0) lose(`${where}: no final-state event in the outbox`);
    const starts = ran.get(job.id) ?? [];
    const runCount = starts.length;
    if (runCount > 1) dup(`${where}: the handler ran ${runCount} times`);
    if (job.state === 'succeeded' && runCount === 0) lose(`${where}: a result without a run`);
    // The agent runs a job only once the server recorded its acknowledgement (sent → running).
    const acknowledgedAt = job.running_at === null ? null : Number(job.running_at);
    if (runCount > 0 && (acknowledgedAt === null || starts.some((at) => at < acknowledgedAt - 100))) {
      dup(`${where}: the handler ran before the server recorded an acknowledgement (${(s.history.get(job.id) ?? []).join(', ')})`);
    }

    const platform = platformOf(job);
    if (!platform) continue;
    if (s.replies.get(`${job.id}/result`) === 'sent') repliesSent++;
    else lose(`${where}: result reply not sent (${s.replies.get(`${job.id}/result`) ?? 'no record'})`);
    if (platform === 'web') {
      for (const view of web) {
        const seen = view.results.get(job.id) ?? 0;
        if (seen === 0) lose(`${where}: the tab on ${view.node} never showed the result`);
        if (seen > 1) dup(`${where}: the tab on ${view.node} showed the result ${seen} times`);
        const acks = view.acks.get(job.id) ?? 0;
        if (acks > 1) dup(`${where}: the tab on ${view.node} got ${acks} new messages for the job`);
      }
    } else if (platform === 'slack' && slack) {
      const seen = slack.results.get(job.id) ?? 0;
      if (seen === 0) lose(`${where}: Slack never showed the result`);
      if (seen > 1) dup(`${where}: Slack got the result ${seen} times`);
      const messages = slack.messagesPerJob.get(job.id)?.size ?? 0;
      if (messages > 1) dup(`${where}: ${messages} Slack messages for the job (one status message expected)`);
    }
    if (record === undefined) problems.push(`NOTE ${where}: no load record`);
    // A job that failed without its handler failing: say how it got there.
    if (job.state === 'failed' && job.reason) problems.push(`NOTE ${where}: ${(s.history.get(job.id) ?? []).join(', ')}`);
  }

  return {
    fault: rig.options.fault,
    jobsSent: load.accepted.length,
    jobsFinished: finished,
    repliesSent,
    lost,
    duplicated,
    expired,
    failed,
    redelivered,
    notAccepted: load.records.length - load.accepted.length,
    errorReplies,
    clientRetries: load.records.reduce((n, r) => n + Math.max(0, r.attempts - 1), 0),
    seconds: Math.round((Date.now() - startedAt) / 1000),
    problems: problems.slice(0, 40),
  };
}

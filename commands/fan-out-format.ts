import { displayText, isTerminal, summaryLines, viewOf } from '../src/core/index.js';
import type { FanOutJob, FanOutSkip, Job, MessageStatus, OutboundMessage } from '../src/core/index.js';
import { shorten } from './format.js';

/**
 * Wording of a fan-out, shared by its aggregated reply (src/chat/fan-out-replies.ts), `status`
 * on the parent and the dispatcher's answer when nothing can run.
 */

function names(agents: readonly string[], max = 10): string {
  const shown = agents.slice(0, max).map((a) => displayText(a));
  return agents.length > max ? `${shown.join(', ')} and ${agents.length - max} more` : shown.join(', ');
}

/** `web-5 (offline, skipped), db-1 (not allowed)`. */
export function skippedText(skipped: readonly FanOutSkip[]): string {
  const label = (s: FanOutSkip) => (s.why === 'offline' ? 'offline, skipped' : s.why === 'not-allowed' ? 'not allowed' : 'could not start');
  const shown = skipped.slice(0, 10).map((s) => `${displayText(s.agent)} (${label(s)})`);
  return skipped.length > 10 ? `${shown.join(', ')} and ${skipped.length - 10} more` : shown.join(', ');
}

/** `2 succeeded, 1 failed, 0 expired` (+ cancelled, could not start, when there are any). */
export function countsText(parent: FanOutJob, children: readonly Job[]): string {
  const { counts } = viewOf(parent.fanout, children);
  const parts = [`${counts.succeeded} succeeded`, `${counts.failed} failed`, `${counts.expired} expired`];
  if (counts.cancelled) parts.push(`${counts.cancelled} cancelled`);
  if (counts.unavailable) parts.push(`${counts.unavailable} could not start`);
  return parts.join(', ');
}

function statusOf(job: Job): MessageStatus {
  return isTerminal(job.state) ? job.state as MessageStatus : 'running';
}

/**
 * The one message a fan-out has in its thread, edited as children finish:
 * "Fan-out k3f… (role=web): 3/4 done — 2 succeeded, 1 failed, 0 expired; running: web-4".
 */
export function renderFanOut(parent: FanOutJob, children: readonly Job[]): OutboundMessage {
  const plan = parent.fanout;
  const view = viewOf(plan, children);
  const total = plan.targets.length;
  const head = `Fan-out ${parent.id} (${displayText(plan.selector)})`;
  let text: string;
  if (!isTerminal(parent.state)) {
    const waiting = plan.stopped === null ? total - plan.started : 0;
    const running = view.inFlight.length ? `; running: ${names(view.inFlight)}` : '';
    text = `${head}: ${view.finished}/${total} done — ${countsText(parent, children)}${running}${waiting ? ` (${waiting} waiting, at most ${plan.concurrency} at once)` : ''}.`;
  } else {
    const failed = plan.targets.filter((a) => ['failed', 'expired'].includes(view.byAgent.get(a)?.state ?? ''));
    const word = parent.state === 'succeeded' ? 'succeeded' : parent.state === 'failed' ? 'failed' : `was ${parent.state}`;
    text = `${head} ${word}: ${view.finished}/${total} done — ${countsText(parent, children)}.`;
    if (failed.length) text += ` Failed or expired: ${names(failed)}.`;
  }
  if (plan.stopped === 'max-failures') {
    const notStarted = total - plan.started + view.counts.cancelled;
    text += ` Stopped after ${view.failures} failure${view.failures === 1 ? '' : 's'} (--max-failures ${plan.maxFailures})${notStarted ? `: ${notStarted} not started` : ''}.`;
  }
  if (plan.skipped.some((s) => s.why !== 'unavailable')) text += ` Skipped: ${skippedText(plan.skipped.filter((s) => s.why !== 'unavailable'))}.`;
  text += ` Say "status ${parent.id}" for each agent's result, "status <job>" for one agent's output.`;
  return {
    text,
    status: statusOf(parent),
    fields: [
      { label: 'Selector', value: displayText(plan.selector) },
      { label: 'Message', value: shorten(parent.message, 200) },
      { label: 'Requested by', value: displayText(parent.requester.displayName ?? parent.requester.identity) },
    ],
    jobId: parent.id,
    ...(isTerminal(parent.state) ? {} : { actions: [{ id: 'cancel' as const, label: 'Cancel', jobId: parent.id }] }),
  };
}

/** `status <parent>`: the summary and one line per agent (agent, state, exit code, job id). */
export function fanOutStatusMessage(parent: FanOutJob, children: readonly Job[]): OutboundMessage {
  const summary = renderFanOut(parent, children);
  return { ...summary, title: `Fan-out ${parent.id}`, code: { content: `${summaryLines(parent.fanout, viewOf(parent.fanout, children)).join('\n')}\n`, filename: `${parent.id}.txt` } };
}

/** Why a fan-out made no job: nothing matched, or every match was offline or not allowed. */
export function noTargetsMessage(selector: string, matched: number, skipped: readonly FanOutSkip[]): OutboundMessage {
  const shown = displayText(selector);
  if (matched === 0) return { text: `No agent matches ${shown}, so nothing was run. Say "agents ${shown}" to see what it selects.`, status: 'error' };
  const refused = skipped.find((s) => s.why === 'not-allowed')?.detail;
  const hint = refused ? ` (${refused})` : '';
  return { text: `Nothing was run: none of the ${matched} agent${matched === 1 ? '' : 's'} matching ${shown} can take it — ${skippedText(skipped)}${hint}.`, status: skipped.every((s) => s.why === 'offline') ? 'expired' : 'refused' };
}

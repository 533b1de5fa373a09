import type { EventAgentStatusPayload } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { PublishEvent } from './outbox-publisher.js';

/**
 * The JobService's `onAgentStatus` hook: turns an agent going offline or coming back into an
 * EventAgentStatus. It never throws: the change is already stored and audited, and a failed
 * notice must not fail the check-in (a poll) or the sweep that noticed it.
 */
export function createAgentStatusPublisher(deps: { publish: PublishEvent; logger: Logger }): (change: EventAgentStatusPayload) => Promise<void> {
  return async (change) => {
    // One id per change: the offline sweep and the check-in are compare-and-set, so exactly one
    // process sees each change, and a retry of the same change writes the same row.
    const id = `agent-status:${change.agent}:${change.to}:${Date.parse(change.at)}`;
    try {
      await deps.publish('EventAgentStatus', change, id);
    } catch (err) {
      deps.logger.warn({ err, agent: change.agent, to: change.to }, 'could not publish EventAgentStatus; the change is in the audit log');
    }
  };
}

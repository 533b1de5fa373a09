import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Agent } from '../core/agent.js';
import { SkadiError } from '../core/errors.js';
import type { BusEvent, EventAgentStatusPayload, EventFleetDriftPayload, EventJobStatusPayload } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { parseSelector, selectorMatches, type Selector } from '../core/selector.js';
import type { TokenService } from '../auth/token-service.js';
import { WATCHABLE_EVENTS, type EventFanout, type WatchableEvent } from '../watch/event-fanout.js';
import { bearerToken } from './bearer.js';
import { openSse } from './sse-response.js';

export interface EventStreamDeps {
  fanout: EventFanout;
  tokens: TokenService;
  /** Agents' labels, for `?selector=`. */
  agents: { getAgent(name: string): Promise<Agent | null>; listAgents(): Promise<Agent[]> };
  logger: Logger;
  /** Comment lines this often keep proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
}

const DEFAULT_TYPES: readonly WatchableEvent[] = ['EventAgentStatus', 'EventFleetDrift'];
/** Ids already sent on one stream, to drop an event that comes both from the replay and live. */
const SEEN_IDS = 1000;

const querySchema = {
  type: 'object',
  additionalProperties: false,
  properties: { types: { type: 'string', maxLength: 200 }, selector: { type: 'string', maxLength: 1000 } },
} as const;

function parseTypes(raw: string | undefined): WatchableEvent[] {
  if (!raw) return [...DEFAULT_TYPES];
  const names = raw.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(WATCHABLE_EVENTS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0) throw new SkadiError('SKADI_BAD_REQUEST', `types: unknown event ${unknown.join(', ') || '(none)'}; watchable: ${WATCHABLE_EVENTS.join(', ')}`);
  return [...new Set(names)] as WatchableEvent[];
}

/** The event as this stream shows it (a drift narrowed to the selected agents), or null to skip it. */
async function narrow(event: BusEvent<WatchableEvent>, selector: Selector | null, agents: EventStreamDeps['agents']): Promise<BusEvent<WatchableEvent> | null> {
  if (!selector) return event;
  const matches = async (name: string) => {
    const agent = await agents.getAgent(name);
    return selectorMatches(selector, { name, labels: agent?.labels ?? {} });
  };
  if (event.name === 'EventAgentStatus') return (await matches((event.payload as EventAgentStatusPayload).agent)) ? event : null;
  if (event.name === 'EventJobStatus') return (await matches((event.payload as EventJobStatusPayload).agent)) ? event : null;
  const drift = event.payload as EventFleetDriftPayload;
  const labels = new Map((await agents.listAgents()).map((a) => [a.name, a.labels]));
  const versions: Record<string, string[]> = {};
  for (const [version, names] of Object.entries(drift.versions)) {
    const kept = names.filter((name) => selectorMatches(selector, { name, labels: labels.get(name) ?? {} }));
    if (kept.length) versions[version] = kept;
  }
  return Object.keys(versions).length ? { ...event, payload: { ...drift, versions } } : null;
}

/**
 * `GET /api/v1/events?types=…&selector=…`: fleet events as server-sent events for `skadi watch`
 * and scripts, authenticated with a user token. Each SSE event is named after the bus event, its
 * id is the bus event id and its data the payload. A client that reconnects with Last-Event-ID
 * gets what it missed while this process still holds it, or a `gap` event when it does not.
 */
export function registerEventStream(app: FastifyInstance, deps: EventStreamDeps): void {
  const open = new Set<() => void>();
  // Open streams would keep fastify.close() waiting for ever.
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });

  void app.register(
    async (scope) => {
      scope.addHook('preHandler', async (req: FastifyRequest) => {
        await deps.tokens.verify(bearerToken(req), 'user');
      });

      scope.get<{ Querystring: { types?: string; selector?: string } }>('/events', { schema: { querystring: querySchema }, exposeHeadRoute: false }, async (req, reply) => {
        const types = parseTypes(req.query.types);
        const selector = req.query.selector ? parseSelector(req.query.selector) : null;
        const header = req.headers['last-event-id'];
        const lastId = typeof header === 'string' && header !== '' ? header : null;

        const stream = openSse(reply, 2000);
        open.add(stream.close);
        const seen: string[] = [];
        const emit = async (event: BusEvent<WatchableEvent>): Promise<void> => {
          if (seen.includes(event.id)) return;
          seen.push(event.id);
          if (seen.length > SEEN_IDS) seen.shift();
          const shown = await narrow(event, selector, deps.agents);
          if (shown) stream.send(shown.name, JSON.stringify(shown.payload), shown.id);
        };
        // Live events wait behind the replay, so the client sees them in order.
        let release!: () => void;
        let chain: Promise<void> = new Promise((resolve) => (release = resolve));
        const forward = (event: BusEvent<WatchableEvent>): void => {
          chain = chain.then(() => emit(event)).catch((err: unknown) => deps.logger.warn({ err, eventId: event.id }, 'event stream: cannot show an event'));
        };
        const heartbeat = setInterval(() => stream.heartbeat(), deps.heartbeatMs ?? 15_000);
        heartbeat.unref();
        let unlisten: (() => void) | null = null;
        stream.onClose(() => {
          clearInterval(heartbeat);
          open.delete(stream.close);
          unlisten?.();
        });
        try {
          unlisten = await deps.fanout.listen(types, forward);
        } catch (err) {
          deps.logger.warn({ err }, 'event stream: cannot subscribe to the bus');
          stream.send('error', JSON.stringify({ code: 'SKADI_UNAVAILABLE', message: 'the event bus is not reachable right now; reconnect shortly' }));
          stream.close();
          return;
        }
        if (stream.isClosed()) return unlisten();
        // Ordered after listen: an event in between is in both the buffer and the live queue, and `seen` drops the second.
        const missed = lastId ? deps.fanout.since(lastId, types) : [];
        if (missed === null) stream.send('gap', JSON.stringify({ lastEventId: lastId }));
        let replay = Promise.resolve();
        for (const event of missed ?? []) replay = replay.then(() => emit(event));
        await replay.catch((err: unknown) => deps.logger.warn({ err }, 'event stream: replay failed'));
        stream.send('ready', JSON.stringify({ types, selector: selector?.source ?? null }));
        release();
      });
    },
    { prefix: '/api/v1' },
  );
}

import type { FastifyPluginAsync } from 'fastify';
import type { TeamsChatAdapter } from './teams-adapter.js';

/** The Azure Bot's messaging endpoint: `https://<host>/api/messages`. */
export const TEAMS_MESSAGES_PATH = '/api/messages';

/**
 * The route the Bot Framework posts activities to, on Skadi's own HTTP server. Fastify has
 * parsed the JSON body already; the adapter authenticates and answers the status.
 */
export function teamsRoutes(adapter: TeamsChatAdapter, path = TEAMS_MESSAGES_PATH): FastifyPluginAsync {
  return async (app) => {
    app.post(path, async (req, reply) => {
      const header = req.headers.authorization;
      const result = await adapter.receive(typeof header === 'string' ? header : '', req.body);
      return reply.status(result.status).send(result.body);
    });
  };
}

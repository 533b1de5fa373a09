import { WEB_ID_PATTERN, WEB_USER_PATTERN } from './normalize.js';

/** JSON schemas of the web routes. Bodies allow no unknown keys; every error is `{code, message}`. */

const errorBody = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 413: errorBody, 429: errorBody, 500: errorBody, 503: errorBody } as const;

const nullableString = { type: ['string', 'null'] } as const;

export const loginSchema = {
  body: {
    type: 'object',
    required: ['user', 'token'],
    additionalProperties: false,
    properties: { user: { type: 'string', pattern: WEB_USER_PATTERN }, token: { type: 'string', minLength: 1, maxLength: 512 } },
  },
  response: { 200: { type: 'object', required: ['user'], properties: { user: { type: 'string' }, expiresAt: { type: 'string' } } }, ...errors },
} as const;

export const sessionSchema = {
  response: { 200: loginSchema.response[200], ...errors },
} as const;

export const logoutSchema = {
  response: { 204: { type: 'null' }, ...errors },
} as const;

/** The text limit is the adapter's own, so the schema is built per adapter. */
export function postMessageSchema(maxTextLength: number) {
  return {
    body: {
      type: 'object',
      required: ['conversationId', 'clientMessageId', 'text'],
      additionalProperties: false,
      properties: {
        conversationId: { type: 'string', pattern: WEB_ID_PATTERN },
        threadId: { type: 'string', pattern: WEB_ID_PATTERN },
        clientMessageId: { type: 'string', pattern: WEB_ID_PATTERN },
        // At least one visible character; ajv counts code points, like the adapter's limit.
        text: { type: 'string', minLength: 1, maxLength: maxTextLength, pattern: '\\S' },
      },
    },
    response: {
      202: { type: 'object', required: ['accepted', 'threadId'], properties: { accepted: { type: 'boolean' }, threadId: { type: 'string' }, duplicate: { type: 'boolean' } } },
      ...errors,
    },
  } as const;
}

export const eventsSchema = {
  querystring: {
    type: 'object',
    required: ['conversationId'],
    additionalProperties: false,
    properties: {
      conversationId: { type: 'string', pattern: WEB_ID_PATTERN },
      // For clients that cannot set the Last-Event-ID header; the header wins.
      lastEventId: { type: 'string', maxLength: 64 },
    },
  },
  response: errors,
} as const;

const agentSummary = {
  type: 'object',
  required: ['name', 'status', 'lastSeenAt', 'version', 'host', 'labels', 'revoked'],
  properties: {
    name: { type: 'string' },
    status: { type: 'string' },
    lastSeenAt: nullableString,
    version: nullableString,
    host: nullableString,
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    revoked: { type: 'boolean' },
  },
} as const;

const jobSummary = {
  type: 'object',
  required: ['id', 'agent', 'state', 'requester', 'message', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    agent: { type: 'string' },
    state: { type: 'string' },
    reason: nullableString,
    requester: { type: 'string' },
    requesterName: nullableString,
    message: { type: 'string' },
    exitCode: { type: ['integer', 'null'] },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export const agentsSchema = {
  response: { 200: { type: 'object', required: ['agents'], properties: { agents: { type: 'array', items: agentSummary } } }, ...errors },
} as const;

export const jobsSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
  },
  response: { 200: { type: 'object', required: ['jobs'], properties: { jobs: { type: 'array', items: jobSummary } } }, ...errors },
} as const;

export const liveSchema = {
  querystring: { type: 'object', additionalProperties: false, properties: {} },
  response: errors,
} as const;

export const pageSchema = {
  querystring: { type: 'object', properties: {} },
} as const;

export const staticSchema = {
  params: { type: 'object', required: ['file'], properties: { file: { type: 'string', pattern: '^[a-z0-9-]+\\.(js|css|svg)$' } } },
  response: { 404: errorBody },
} as const;

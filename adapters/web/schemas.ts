import { JOB_STATES } from '../../src/core/index.js';
import { WEB_ID_PATTERN, WEB_USER_PATTERN } from './normalize.js';

/** JSON schemas of the web routes. Bodies allow no unknown keys; every error is `{code, message}`. */

const errorBody = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 413: errorBody, 429: errorBody, 500: errorBody, 503: errorBody } as const;

const nullableString = { type: ['string', 'null'] } as const;

const JOB_STATE_WORDS = JOB_STATES.join('|');

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
  required: ['name', 'status', 'lastSeenAt', 'version', 'host', 'os', 'labels', 'revoked', 'running', 'queued'],
  properties: {
    name: { type: 'string' },
    status: { type: 'string' },
    lastSeenAt: nullableString,
    version: nullableString,
    host: nullableString,
    os: nullableString,
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    revoked: { type: 'boolean' },
    running: { type: 'integer' },
    queued: { type: 'integer' },
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
    sentAt: nullableString,
    finishedAt: nullableString,
    updatedAt: { type: 'string' },
  },
} as const;

const jobDetail = {
  type: 'object',
  required: [...jobSummary.required, 'platform', 'attempt', 'timeoutMs', 'parentId', 'runningAt', 'expiresAt', 'outputTruncated'],
  properties: {
    ...jobSummary.properties,
    platform: nullableString,
    attempt: { type: 'integer' },
    timeoutMs: { type: 'integer' },
    parentId: nullableString,
    runningAt: nullableString,
    expiresAt: { type: 'string' },
    outputTruncated: { type: 'boolean' },
    fanout: {
      type: ['object', 'null'],
      properties: {
        selector: { type: 'string' },
        concurrency: { type: 'integer' },
        maxFailures: { type: 'integer' },
        targets: { type: 'array', items: { type: 'string' } },
        skipped: { type: 'array', items: { type: 'object', properties: { agent: { type: 'string' }, reason: { type: 'string' } } } },
        stopped: nullableString,
      },
    },
  },
} as const;

/** Job ids are short random words; anything else cannot name a job. */
const jobIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const;

export const agentsSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    // A selector as the CLI and chat take it (role=web,region=eu; web-*; !canary).
    properties: { selector: { type: 'string', minLength: 1, maxLength: 1000 } },
  },
  response: { 200: { type: 'object', required: ['agents'], properties: { agents: { type: 'array', items: agentSummary } } }, ...errors },
} as const;

export const jobsSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
      /** Comma-separated states. */
      state: { type: 'string', pattern: `^(${JOB_STATE_WORDS})(,(${JOB_STATE_WORDS}))*$` },
      /** An agent name or a selector over the agents. */
      agent: { type: 'string', minLength: 1, maxLength: 1000 },
      /** Requester identity, e.g. web:alice or api:ci. */
      requester: { type: 'string', minLength: 1, maxLength: 200 },
      /** Paging: jobs created before this ISO time (the `next` of the previous page). */
      before: { type: 'string', minLength: 1, maxLength: 40 },
      /** The children of a fan-out parent (its job page lists them). */
      parent: { type: 'string', minLength: 1, maxLength: 64 },
    },
  },
  response: {
    200: { type: 'object', required: ['jobs', 'next'], properties: { jobs: { type: 'array', items: jobSummary }, next: nullableString } },
    ...errors,
  },
} as const;

export const jobSchema = {
  params: jobIdParams,
  response: { 200: { type: 'object', required: ['job', 'output'], properties: { job: jobDetail, output: { type: 'string' } } }, ...errors },
} as const;

export const jobEventsSchema = {
  params: jobIdParams,
  querystring: { type: 'object', additionalProperties: false, properties: {} },
  response: errors,
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

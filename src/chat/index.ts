/** The platform-neutral chat pipeline, for the wiring (src/main.ts). */
export { authorize, createAccessControl, validateAccessConfig, type AccessConfig, type AccessControl, type AccessControlDeps, type AccessRule, type ValidateAccessOptions } from './access-control.js';
export { createCommandRegistry, type BindResult, type CommandRegistry } from './command-registry.js';
export { createDispatcher, type Dispatcher, type DispatcherDeps, type DispatcherOptions } from './dispatcher.js';
export { errorSentence, isUserError } from './error-sentences.js';
export { DEFAULT_MAX_MESSAGE_LENGTH, normaliseName, parseCommand, type ParsedInput, type ParseOptions } from './parse-command.js';
export { fitsInOneMessage, renderQueued, renderResult, renderRunning } from './render-job.js';
export { ReplyDeferredError, createReplyRouter, replyKeyFor, type ReplyKey, type ReplyRouter, type ReplyRouterDeps, type ReplyRouterOptions } from './reply-router.js';
export { tokenize, type Token, type TokenizeResult } from './tokenize.js';

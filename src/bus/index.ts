export { createInProcessBus, type InProcessBusOptions, type InProcessBusDeps } from './in-process-bus.js';
export { createRedisStreamBus, type RedisStreamBusOptions, type RedisStreamBusDeps } from './redis-stream-bus.js';
export { createInProcessNotifier, type InProcessNotifierOptions, type InProcessNotifierDeps } from './in-process-notifier.js';
export { createRedisNotifier, type RedisNotifierOptions, type RedisNotifierDeps } from './redis-notifier.js';
export { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions, type OutboxRelayDeps } from './outbox-relay.js';

import { createInProcessNotifier } from '../../src/bus/in-process-notifier.js';
import { notifierContract } from './notifier.contract.js';

notifierContract('in-process', async () => createInProcessNotifier());

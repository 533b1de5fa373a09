import { createInProcessBus } from '../../src/bus/in-process-bus.js';
import { eventBusContract } from './event-bus.contract.js';

eventBusContract('in-process', async () => createInProcessBus());

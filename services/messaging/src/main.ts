import { runMain } from '@trades/runtime';
import { messagingService } from './app.ts';

await runMain(messagingService);

import { runMain } from '@trades/runtime';
import { paymentsService } from './app.ts';

await runMain(paymentsService);

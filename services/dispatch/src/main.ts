import { runMain } from '@trades/runtime';
import { dispatchService } from './app.ts';

await runMain(dispatchService);

import { runMain } from '@trades/runtime';
import { registryService } from './app.ts';

await runMain(registryService);

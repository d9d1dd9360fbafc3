import { runMain } from '@trades/runtime';
import { intakeService } from './app.ts';

await runMain(intakeService);

export { dispatchService } from './app.ts';

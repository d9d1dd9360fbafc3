export { paymentsService } from './app.ts';

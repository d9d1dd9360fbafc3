export { messagingService } from './app.ts';

export { intakeService } from './app.ts';

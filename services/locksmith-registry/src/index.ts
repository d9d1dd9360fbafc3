export { registryService } from './app.ts';

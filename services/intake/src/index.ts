export { intakeService } from './app.ts';
export { DEMO_PARTNERS, seedDemoPartners, type DemoPartner } from './demo-partners.ts';

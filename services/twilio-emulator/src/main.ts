// Starts the Twilio emulator from the environment; stops on SIGTERM / SIGINT.
import { createTwilioEmulator, DEFAULT_PHONE_NUMBER, type TwilioEmulatorOptions } from './emulator.ts';
import { isE164 } from './phone.ts';

function readConfig(env: NodeJS.ProcessEnv): TwilioEmulatorOptions {
  const problems: string[] = [];
  const port = Number(env.TWILIO_EMULATOR_PORT ?? '12112');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    problems.push('TWILIO_EMULATOR_PORT must be an integer from 0 to 65535');
  }
  const accountSid = env.TWILIO_ACCOUNT_SID ?? 'ACdev00000000000000000000000000000';
  if (!/^AC\w{32}$/.test(accountSid))
    problems.push('TWILIO_ACCOUNT_SID must be AC followed by 32 characters');
  const authToken = env.TWILIO_AUTH_TOKEN ?? 'dev_twilio_auth_token';
  if (authToken === '') problems.push('TWILIO_AUTH_TOKEN must not be empty');
  const phoneNumber = env.TWILIO_PHONE_NUMBER ?? DEFAULT_PHONE_NUMBER;
  if (!isE164(phoneNumber)) problems.push('TWILIO_PHONE_NUMBER must be an E.164 number');
  const baseUrl = (env.BASE_URL ?? 'http://localhost:8000').replace(/\/+$/, '');
  const inboundWebhookUrl = env.TWILIO_INBOUND_WEBHOOK_URL ?? `${baseUrl}/api/webhooks/twilio/sms`;
  if (!URL.canParse(inboundWebhookUrl)) problems.push('TWILIO_INBOUND_WEBHOOK_URL must be a URL');
  const messagingServiceSid = env.TWILIO_MESSAGING_SERVICE_SID || undefined;
  if (messagingServiceSid !== undefined && !/^MG[0-9a-fA-F]{32}$/.test(messagingServiceSid)) {
    problems.push('TWILIO_MESSAGING_SERVICE_SID must be MG followed by 32 hex digits');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid Twilio emulator configuration:\n- ${problems.join('\n- ')}`);
  }
  return {
    port,
    host: env.TWILIO_EMULATOR_HOST ?? '127.0.0.1',
    accountSid,
    authToken,
    phoneNumber,
    messagingServiceSid,
    inboundWebhookUrl,
    logger: true,
  };
}

async function main(): Promise<void> {
  const emulator = await createTwilioEmulator(readConfig(process.env));
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(JSON.stringify({ level: 'error', msg: 'shutdown failed', error: String(error) }));
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

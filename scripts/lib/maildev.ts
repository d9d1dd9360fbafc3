// MailDev: the local SMTP sink `npm start` runs so that every email the platform sends can be read in a
// browser (web UI and REST API at http://localhost:1080, SMTP on 1025).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { reachable } from './infra.ts';

export interface MailDevPlan {
  /** What the services get as SMTP_URL. */
  smtpUrl: string;
  /** The web UI (also `GET /api/email`: every email as JSON); absent when SMTP_URL is the user's. */
  webUrl?: string;
  /** Node arguments to run MailDev with; absent when an SMTP server already listens on the port. */
  args?: string[];
  source: string;
}

/**
 * How the local stack gets its SMTP server: SMTP_URL when the user set one (no MailDev then); else one
 * already listening on the SMTP port (a MailDev left from another run), else MailDev from node_modules.
 */
export async function planMailDev(
  repoRoot: string,
  ports: { smtp: number; web: number },
): Promise<MailDevPlan> {
  const given = process.env['SMTP_URL'];
  if (given) return { smtpUrl: given, source: 'SMTP_URL' };
  const smtpUrl = `smtp://127.0.0.1:${ports.smtp}`;
  const webUrl = `http://localhost:${ports.web}`;
  if (await reachable(smtpUrl, ports.smtp)) {
    return {
      smtpUrl,
      webUrl,
      source: `the SMTP server already on ${ports.smtp} (web UI assumed on ${ports.web})`,
    };
  }
  const bin = join(repoRoot, 'node_modules', 'maildev', 'dist', 'bin', 'maildev.js');
  if (!existsSync(bin)) {
    throw new Error(
      'MailDev is not installed (a dev dependency): run `npm ci`, or set SMTP_URL to an SMTP server of your own.',
    );
  }
  return {
    smtpUrl,
    webUrl,
    source: `MailDev (SMTP ${ports.smtp}, web ${ports.web})`,
    args: [
      bin,
      '--smtp',
      String(ports.smtp),
      '--ip',
      '127.0.0.1',
      '--web',
      String(ports.web),
      '--web-ip',
      '127.0.0.1',
    ],
  };
}

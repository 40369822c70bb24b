/**
 * Invitations by mail, when LIVEBLOG_SMTP_URL is set. The link is in the admin's answer anyway, so mail
 * is a convenience: short timeouts, and a failure is logged (without the link, which signs a person in)
 * and reported as `mailed: false`, never as a failed invitation.
 */
import nodemailer from 'nodemailer';
import type { Logger } from './logger';
import { redactUrl } from './store/redis/connection';

export interface Mailer {
  /** Whether the invitation was handed to the mail server. Never throws. */
  sendInvitation(to: { email: string; name: string }, inviteUrl: string, invitedBy: string): Promise<boolean>;
}

/** Connecting, greeting and each socket wait, in ms: a stuck mail server must not hold the admin's request long. */
const MAIL_TIMEOUT_MS = 5_000;

export function createMailer(options: { smtpUrl?: string; from?: string; publicUrl?: string; logger: Logger }): Mailer | null {
  const { smtpUrl, logger } = options;
  if (!smtpUrl) return null;
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: MAIL_TIMEOUT_MS,
    greetingTimeout: MAIL_TIMEOUT_MS,
    socketTimeout: MAIL_TIMEOUT_MS,
  });
  const host = options.publicUrl ? new URL(options.publicUrl).hostname : 'localhost';
  const from = options.from ?? `liveblog@${host}`;
  return {
    async sendInvitation(to, inviteUrl, invitedBy) {
      try {
        await transport.sendMail({
          from,
          to: { name: to.name, address: to.email },
          subject: 'You are invited to the live blog desk',
          text:
            `Hello ${to.name},\n\n${invitedBy} invited you to the live blog desk.\n` +
            `Choose your password here (the link works once, for 7 days):\n\n${inviteUrl}\n\n` +
            'If you did not expect this, ignore this message.\n',
        });
        logger.info({ mail: 'invitation', smtp: redactUrl(smtpUrl) }, 'invitation mailed');
        return true;
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string };
        // The error only: never the message, whose link signs a person in.
        logger.warn(
          { mail: 'invitation', smtp: redactUrl(smtpUrl), code, reason: message },
          'could not mail an invitation; the link is in the answer',
        );
        return false;
      }
    },
  };
}

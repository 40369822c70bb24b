/** Entry point: reads the environment, opens the store, listens, and stops cleanly on SIGTERM/SIGINT. */
import { createApp } from './app';
import { loadConfig } from './config';
import { seedDemoIfEmpty } from './demo';
import { SETUP_TTL_MS } from './http/invite-pages';
import { createLogger } from './logger';
import { openMediaStorage } from './media/open';
import { openStores } from './store/open';
import { isAdmin } from './store/people';

/** A shutdown that takes longer than this is cut short. */
const SHUTDOWN_DEADLINE_MS = 4_500;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const stores = await openStores(config, logger);
  const { timeline } = stores;
  const mediaStorage = openMediaStorage(config.media, logger);
  const app = createApp(config, { stores, logger, media: { storage: mediaStorage } });

  if (config.seedDemo) {
    await seedDemoIfEmpty(timeline, app.liveBlogs, logger).catch((error: unknown) =>
      logger.error({ err: error }, 'could not seed the demo blog'),
    );
  }

  await new Promise<void>((resolve, reject) => {
    app.server.once('error', reject);
    app.server.listen(config.port, config.host, resolve);
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base =
    config.publicUrl ?? `http://${config.host && config.host !== '0.0.0.0' && config.host !== '::' ? config.host : 'localhost'}:${port}`;
  if (!config.publicUrl)
    logger.warn(
      { publicUrl: base },
      'LIVEBLOG_PUBLIC_URL is unset: canonical links, feeds, share tags and notifications name this address (with several processes, each its own)',
    );
  const blogs = await timeline.listBlogs().catch(() => []);
  const readerUrl = blogs[0] ? `${base}/blogs/${blogs[0].id}` : `${base}/`;
  logger.info({ port, store: timeline.kind, readerUrl, editorUrl: `${base}/editor` }, 'liveblog is listening');
  // Until an admin account exists (enabled or not), each start offers a one-time link that makes the
  // first one; it replaces the link printed by the start before.
  const setupUrl = await stores.people
    .list()
    .then(async (list) => (list.some(isAdmin) ? null : `${base}/setup/${await stores.people.createSetupLink(new Date(), SETUP_TTL_MS)}`))
    .catch((error: unknown) => {
      logger.warn({ err: error }, 'could not make the first-run link; the admin token still works');
      return null;
    });
  // Said once, for a person at the terminal, on stderr: never through the logger, whose lines are kept.
  process.stderr.write(
    `\n  Live blog:   ${readerUrl}\n  All blogs:   ${base}/\n  Editors:     ${base}/editor\n` +
      (config.adminTokenGenerated
        ? `  Admin token: ${config.adminToken}\n  (generated for this run; set LIVEBLOG_ADMIN_TOKEN to keep one)\n\n`
        : '  Admin token: the one in LIVEBLOG_ADMIN_TOKEN\n\n') +
      (setupUrl ? `  First admin: ${setupUrl}\n  (open it to create the first admin account; it works once, for 24 hours)\n\n` : ''),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.warn('shutdown took too long; exiting anyway');
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app
      .close()
      .then(() => Promise.all([stores.close(), mediaStorage.close()]))
      .then(() => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`liveblog failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

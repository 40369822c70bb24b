/** The media storage the settings name: the local folder, or the S3 bucket. */
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { MediaStorage } from './storage';
import { LocalMediaStorage } from './storage-local';
import { S3MediaStorage } from './storage-s3';

export function openMediaStorage(settings: Config['media'], logger: Logger): MediaStorage {
  if (settings.kind === 's3') quietNodeVersionWarning(logger);
  const storage = settings.kind === 's3' ? new S3MediaStorage(settings) : new LocalMediaStorage(settings.dir);
  // describe() names the folder or the bucket and endpoint, never a credential.
  logger.info({ media: storage.describe() }, 'media storage');
  return storage;
}

/**
 * On Node 20 the AWS SDK prints a multi-line NodeVersionSupportWarning to stderr at its first client
 * (seen here: "versions published after the first week of January 2027 will require node >=22"). It is
 * about SDK releases this service does not install (package.json pins ~3.1175, which runs on Node 20), and
 * it bypasses the JSON logs; so it is switched off with the SDK's own variable and said once, as a log line.
 * An operator who set the variable either way keeps their choice.
 */
function quietNodeVersionWarning(logger: Logger): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22 || process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== undefined) return;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  logger.info(
    { node: process.versions.node },
    'the pinned AWS SDK (~3.1175) runs on this Node; its releases after January 2027 will need Node 22 (upgrade Node before the SDK)',
  );
}

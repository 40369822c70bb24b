/** Opt-in console log for the browser side: set `localStorage.liveblogDebug = '1'` and reload. */
let enabled: boolean | undefined;

export function debug(...args: unknown[]): void {
  if (enabled === undefined) {
    try {
      enabled = globalThis.localStorage?.getItem('liveblogDebug') === '1';
    } catch {
      enabled = false; // storage blocked (sandboxed iframe, privacy settings): stay quiet
    }
  }
  if (enabled) console.debug('[liveblog]', ...args);
}

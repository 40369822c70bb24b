/**
 * Whether the desk can reach the server, shown before it costs a publish. The Socket.IO connection
 * tells first; a request that finds no server is checked with a quick probe (GET /healthz), since one
 * lost answer does not make the server unreachable. Offline, a banner at the top of the desk stays in
 * view while the editor scrolls (it takes its own room: it never covers a field) and says that writing
 * goes on safely; it clears as soon as the server answers again.
 */
import { $ } from '../lib/dom';
import type { ClientSocket } from '../lib/live-feed';

/** How long a probe waits for /healthz, and how often it asks again while the server is unreachable. */
const PROBE_TIMEOUT_MS = 5_000;
const PROBE_EVERY_MS = 5_000;

export class ConnectionState {
  private readonly element = $('#connection');
  private readonly banner = $('#offline-banner');
  private socketUp = false;
  /** A request found no server, and the probe after it found none either. */
  private unreachable = false;
  private probing = false;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Until the socket first connects or fails, the desk does not know yet. */
  private known = false;

  constructor(socket: ClientSocket) {
    socket.on('connect', () => this.socketState(true));
    socket.on('disconnect', () => this.socketState(false));
    socket.on('connect_error', () => this.socketState(false));
    window.addEventListener('offline', () => this.show());
    window.addEventListener('online', () => (this.unreachable ? void this.probe() : this.show()));
    this.socketUp = this.known = socket.connected;
    this.show();
  }

  private socketState(up: boolean): void {
    this.known = true;
    this.socketUp = up;
    if (up) this.reachable();
    else this.show();
  }

  /** A request was answered (true) or could not reach the server (false). */
  request(reachable: boolean): void {
    if (reachable) this.reachable();
    else void this.probe();
  }

  private reachable(): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (!this.unreachable) return this.show();
    this.unreachable = false;
    this.show();
  }

  /** Asks the server whether it is there; while it is not, asks again every few seconds. */
  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    clearTimeout(this.probeTimer);
    let answered = false;
    try {
      answered = (await fetch('/healthz', { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) })).ok;
    } catch (error) {
      console.debug('[liveblog] the server did not answer its probe', error);
    } finally {
      this.probing = false;
    }
    if (answered) return this.reachable();
    this.unreachable = true;
    this.show();
    this.probeTimer = setTimeout(() => void this.probe(), PROBE_EVERY_MS);
  }

  private show(): void {
    this.element.hidden = false;
    const offline = !navigator.onLine || (this.known && !this.socketUp) || this.unreachable;
    this.element.dataset.state = offline ? 'offline' : this.socketUp ? 'online' : 'connecting';
    this.element.textContent = offline ? 'Offline' : this.socketUp ? 'Connected' : 'Connecting…';
    this.banner.hidden = !offline;
    // Focus and scrolling keep fields clear of the banner: what the editor types into is never under it.
    document.documentElement.style.scrollPaddingTop = offline ? `${this.banner.offsetHeight + 8}px` : '';
  }
}

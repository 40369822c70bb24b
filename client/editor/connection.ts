/**
 * Whether the desk can reach the server, shown before it costs a publish: the desk's Socket.IO
 * connection and the answers to its requests both tell. Offline, a banner stays in view wherever the
 * editor is on the page, and says that writing goes on safely.
 */
import { $ } from '../lib/dom';
import type { ClientSocket } from '../lib/live-feed';

export class ConnectionState {
  private readonly element = $('#connection');
  private socketUp = false;
  private requestsFail = false;
  /** Until the socket first connects or fails, the desk does not know yet. */
  private known = false;

  constructor(socket: ClientSocket) {
    socket.on('connect', () => {
      this.known = true;
      this.socketUp = true;
      this.requestsFail = false;
      this.show();
    });
    socket.on('disconnect', () => {
      this.known = true;
      this.socketUp = false;
      this.show();
    });
    socket.on('connect_error', () => {
      this.known = true;
      this.socketUp = false;
      this.show();
    });
    window.addEventListener('offline', () => this.show());
    window.addEventListener('online', () => this.show());
    this.socketUp = this.known = socket.connected;
    this.show();
  }

  /** A request was answered (true) or could not reach the server (false). */
  request(reachable: boolean): void {
    if (this.requestsFail === !reachable) return;
    this.requestsFail = !reachable;
    this.show();
  }

  private show(): void {
    this.element.hidden = false;
    const offline = !navigator.onLine || (this.known && !this.socketUp) || this.requestsFail;
    this.element.dataset.state = offline ? 'offline' : this.socketUp ? 'online' : 'connecting';
    this.element.textContent = offline
      ? 'Offline: the desk cannot reach the server. Keep writing: your text is saved in this browser. Publish when this message clears.'
      : this.socketUp
        ? 'Connected'
        : 'Connecting…';
  }
}

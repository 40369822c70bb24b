// Stands in for engine.io-client's WebTransport transport in the browser bundles: the clients ask for
// WebSocket and long-polling only, so the real one (1 KB) would never run.
export class WT {
  constructor() {
    throw new Error('WebTransport is not bundled');
  }
}

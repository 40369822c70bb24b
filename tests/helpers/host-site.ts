/** Another site: a tiny web server on another origin serving the HTML pages it is given, by path. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostSite {
  /** On "localhost" rather than 127.0.0.1: another origin than the service's, as another site would be. */
  url: string;
  pages: Map<string, string>;
  close(): Promise<void>;
}

export async function startHostSite(): Promise<HostSite> {
  const pages = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const page = pages.get(req.url ?? '');
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    pages,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

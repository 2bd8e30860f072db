import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { text } from "node:stream/consumers";

export interface Received {
  path: string;
  body: string;
}

/** A real webhook receiver on loopback: every viewer's webhook posts to its own path; all answer 200. */
export async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    text(req).then(
      (body) => {
        received.push({ path: req.url ?? "", body });
        res.writeHead(200).end("ok");
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    received,
    urlFor: (name: string) => `${base}/hooks/${name}`,
    /** Bodies posted to `name`'s webhook from index `since` of the log on. */
    bodiesFor: (name: string, since = 0) =>
      received
        .slice(since)
        .filter((r) => r.path === `/hooks/${name}`)
        .map((r) => r.body),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

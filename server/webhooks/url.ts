import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import type { Config } from "../config";

/**
 * Where a webhook may point. Always http or https, no credentials in the URL. Outside tests the
 * host must be public: loopback, private, link-local, CGNAT, multicast and reserved addresses are
 * refused (as literals and as what the name resolves to), so a webhook cannot be aimed at the
 * server itself or the network behind it. NODE_ENV=test, or WEBHOOK_ALLOW_PRIVATE=1 (e.g. a
 * self-hosted install posting to its own intranet), lifts the host rule.
 *
 * The check runs when the URL is saved and again before each send (names can change what they
 * resolve to); a name that flips between the check and fetch's own lookup is not covered.
 */
export function allowPrivateHosts(config: Pick<Config, "env">) {
  return config.env === "test" || process.env.WEBHOOK_ALLOW_PRIVATE === "1";
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const)
  blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  blocked.addSubnet(net, prefix, "ipv6");

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPrivateAddress(mapped[1]!);
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** The URL's shape only (no network): a message for the user, or null when fine. */
export function webhookUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "Enter a full URL, e.g. https://example.com/hooks.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "Use an http or https URL.";
  if (url.username || url.password) return "Leave credentials out of the URL.";
  return null;
}

/** Refuses private targets unless allowed: a message for the user, or null when fine. */
export async function privateHostProblem(raw: string, allowPrivate: boolean): Promise<string | null> {
  if (allowPrivate) return null;
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return "That URL points at this server; use a public address.";
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return "That host name does not resolve.";
    }
  }
  if (addresses.some(isPrivateAddress)) return "That URL points at a private or loopback address; use a public one.";
  return null;
}

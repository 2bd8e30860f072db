import type { Config } from "../config";
import { ServerControl } from "../process/control-socket";
import { describeRunningServer, runningServer } from "../process/data-dir-lock";
import { CliError, EXIT } from "./command";

/**
 * For a command that replaces files the server holds open (`restore --all`, …): refuses with a
 * sentence naming the server (pid, port) while one runs on DATA_DIR, exit 73, nothing changed.
 */
export function refuseWhileServerRuns(config: Pick<Config, "dataDir">, what: string) {
  const server = runningServer(config.dataDir);
  if (!server) return;
  throw new CliError(
    `${what} cannot run while ${describeRunningServer(server)} holds its files open. Stop the server first. Nothing was changed.`,
    EXIT.cantCreate,
  );
}

/**
 * For `restore --org` and `purge`: when a server runs on DATA_DIR, asks it over its control socket
 * to take the organisation out of service (503 "being restored") and close its handle; the
 * returned function puts it back. Without a running server there is nothing to ask (undefined).
 */
export function outOfServiceInRunningServer(config: Pick<Config, "dataDir">, reason = "being restored") {
  const server = runningServer(config.dataDir);
  if (!server) return undefined;
  return async (tenant: { id: string; slug: string }) => {
    const who = describeRunningServer(server);
    if (!server.controlSocket)
      throw new CliError(`${who} does not take operator requests yet (it is starting); try again in a moment. Nothing was changed.`);
    let control: ServerControl;
    try {
      control = await ServerControl.connect(server.controlSocket);
    } catch (error) {
      throw new CliError(
        `cannot reach ${who} on ${server.controlSocket} (${(error as Error).message}) to take ${tenant.slug} out of service; nothing was changed. Stop the server to run this offline.`,
      );
    }
    const reply = await control.request({ op: "out-of-service", tenantId: tenant.id, reason });
    if (!reply.ok) {
      await control.close();
      throw new CliError(`${who} did not take ${tenant.slug} out of service: ${reply.error}. Nothing was changed.`);
    }
    return async () => {
      const back = await control.request({ op: "in-service", tenantId: tenant.id });
      await control.close();
      if (!back.ok) throw new CliError(`${who} did not put ${tenant.slug} back in service: ${back.error}`);
    };
  };
}

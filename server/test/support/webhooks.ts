import type { Instance } from "./instance";

/**
 * Runs the stopped dispatcher until nothing is due at the instance's clock: one turn sends at most a
 * share per organisation (skipped deliveries count like sent ones), so a test that made several
 * events needs a few turns. Fails rather than loop if deliveries stay due.
 */
export async function deliverDueWebhooks(instance: Instance) {
  const d = instance.services.webhooks;
  for (let i = 0; i < 50; i++) {
    await d.runOnce();
    if (![...d.dueTenants().values()].some((at) => at <= instance.clock.now())) return;
  }
  throw new Error("deliveries still due after 50 turns");
}

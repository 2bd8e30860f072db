#!/usr/bin/env node
// `npx opslayer <command>`: the operator CLI (server/cli/main.ts), loaded through the project's tsx.
import { register } from "tsx/esm/api";

register();
await import("../server/cli/main.ts");

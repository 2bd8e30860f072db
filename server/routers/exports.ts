import { router } from "../trpc/init";

export const exportsRouter = router({});

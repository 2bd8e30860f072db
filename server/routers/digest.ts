import { router } from "../trpc/init";

export const digestRouter = router({});

import { router } from "../trpc/init";

export const terminationRouter = router({});

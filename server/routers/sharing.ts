import { z } from "zod";
import { findMember } from "../../db/tenant/access/members";
import { DELETED_MEMBER_ROLE } from "../privacy/delete-account";
import { addShare, listShares, removeShare, setSharedSpace } from "../../db/tenant/access/shares";
import { inTenantTransaction } from "../../db/tenant/context";
import { findProject } from "../../db/tenant/projects";
import { resolveRole, roleKeySchema } from "../access/role-grants";
import { audit } from "../audit/audit";
import { BUILT_IN_ROLE_LABELS, isBuiltInRole } from "../permissions/roles";
import { badRequest, notFound } from "../trpc/errors";
import { router } from "../trpc/init";
import { tenantProcedure } from "../trpc/procedures";
import { idSchema, orgInput } from "./inputs";

const projectId = idSchema("p");
const subject = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("member"), id: idSchema("u") }),
  z.object({ kind: z.literal("role"), id: roleKeySchema }),
  z.object({ kind: z.literal("client"), id: idSchema("c") }),
]);

/** Only projects the caller can see can be shared by them: findProject answers "not found" otherwise. */
async function requireProject(id: string) {
  const project = await findProject(id);
  if (!project) throw notFound("Project");
  return project;
}

async function requireSubject(s: z.infer<typeof subject>, project: { client_id: string }) {
  if (s.kind === "member") {
    const member = await findMember(s.id);
    if (!member) throw badRequest("That person is not a member of this organisation.");
    // The row of a deleted account only keeps a name on past work; a share would go to nobody.
    if (member.role === DELETED_MEMBER_ROLE) throw badRequest("That person deleted their account; there is nobody to share with.");
  }
  if (s.kind === "role") await resolveRole(s.id);
  // A client contact must never see another client's work, so a project goes only to its own client.
  if (s.kind === "client" && s.id !== project.client_id) throw badRequest("A project can be shared only with its own client.");
}

/** Per-project sharing: who besides project-wide readers sees a project. */
export const sharingRouter = router({
  get: tenantProcedure
    .meta({ permission: "project.share" })
    .input(orgInput.extend({ projectId }))
    .query(async ({ input }) => {
      const project = await requireProject(input.projectId);
      const shares = await listShares(input.projectId);
      return {
        projectId: project.id,
        clientId: project.client_id,
        sharedSpace: project.shared_space === 1,
        shares: shares.map((s) => ({
          kind: s.subject_kind,
          id: s.subject_id,
          label:
            s.member_name ??
            s.role_name ??
            s.client_name ??
            (isBuiltInRole(s.subject_id) ? BUILT_IN_ROLE_LABELS[s.subject_id].name : s.subject_id),
          createdAt: s.created_at,
        })),
      };
    }),

  add: tenantProcedure
    .meta({ permission: "project.share" })
    .input(orgInput.extend({ projectId, subject }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const project = await requireProject(input.projectId);
        await requireSubject(input.subject, project);
        if (await addShare(project.id, input.subject.kind, input.subject.id, ctx.actor.id, Date.now())) {
          await audit(ctx.actor, "project.share", { type: "project", id: project.id }, { project_id: project.id, with: input.subject });
        }
        return { ok: true };
      }),
    ),

  remove: tenantProcedure
    .meta({ permission: "project.share" })
    .input(orgInput.extend({ projectId, subject }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const project = await requireProject(input.projectId);
        if (!(await removeShare(project.id, input.subject.kind, input.subject.id))) throw notFound("Share");
        await audit(ctx.actor, "project.unshare", { type: "project", id: project.id }, { project_id: project.id, with: input.subject });
        return { ok: true };
      }),
    ),

  /** The shared space: every member (not client contacts) sees the projects placed in it. */
  setSharedSpace: tenantProcedure
    .meta({ permission: "project.share" })
    .input(orgInput.extend({ projectId, shared: z.boolean() }))
    .mutation(({ ctx, input }) =>
      inTenantTransaction(async () => {
        const project = await requireProject(input.projectId);
        await setSharedSpace(project.id, input.shared, Date.now());
        await audit(
          ctx.actor,
          input.shared ? "project.shared_space_add" : "project.shared_space_remove",
          { type: "project", id: project.id },
          { project_id: project.id },
        );
        return { sharedSpace: input.shared };
      }),
    ),
});

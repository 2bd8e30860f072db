/** Tables of the tasks domain (statuses, labels, tasks, assignees, comments): filled in with its migration. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TaskTables {}

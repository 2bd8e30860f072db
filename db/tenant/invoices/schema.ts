/** Tables of the invoices domain (invoices, lines, payments, numbering): filled in with its migration. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface InvoiceTables {}

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { load } from "~/lib/api.server";
import { InvoiceDocument } from "~/components/invoice-document";

/**
 * The invoice as a document, for the browser's "Print → Save as PDF". The file name ends in `$slug_`
 * and `$id_` so the page leaves the organisation layout and the invoice page (no navigation around
 * it); the print stylesheet hides the site header too and sets an A4 page.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const invoice = await load(request, () => context.api.invoices.get({ org: params.slug!, id: params.id! }));
  return { slug: params.slug!, invoice };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data?.invoice.number ?? "Draft invoice" }];

const PRINT_CSS = `
.invoice-doc { max-width: 780px; margin: 0 auto; background: #fff; color: #111; padding: 40px; border: 1px solid #ddd; font-size: 14px; line-height: 1.45; }
.invoice-doc header { display: flex; justify-content: space-between; gap: 24px; margin-bottom: 32px; }
.invoice-doc h1 { font-size: 28px; margin: 0 0 4px; letter-spacing: 0.02em; }
.invoice-doc dl { display: grid; grid-template-columns: auto auto; gap: 2px 16px; margin: 0; }
.invoice-doc dt { color: #555; }
.invoice-doc dd { margin: 0; text-align: right; }
.invoice-doc table { width: 100%; border: 0; border-collapse: collapse; margin: 24px 0; }
.invoice-doc th, .invoice-doc td { padding: 6px 8px; border-bottom: 1px solid #ddd; text-align: left; }
.invoice-doc th.num, .invoice-doc td.num { text-align: right; white-space: nowrap; }
.invoice-doc tfoot th { border-bottom: 0; }
.invoice-doc tfoot tr.total th { border-top: 2px solid #111; font-size: 16px; }
.invoice-doc .stamp { display: inline-block; border: 2px solid #b00020; color: #b00020; padding: 2px 10px; font-weight: 700; text-transform: uppercase; }
.invoice-doc .notes { white-space: pre-wrap; margin-top: 24px; }
.print-actions { max-width: 780px; margin: 0 auto 16px; display: flex; gap: 12px; }
@media print {
  @page { size: A4; margin: 16mm; }
  .topbar, .banner, .print-actions { display: none !important; }
  body, main { margin: 0 !important; padding: 0 !important; max-width: none !important; background: #fff !important; }
  .invoice-doc { border: 0; padding: 0; max-width: none; }
  .invoice-doc tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}`;

export default function PrintInvoice() {
  const { slug, invoice } = useLoaderData<typeof loader>();
  return (
    <>
      {/* A constant stylesheet, no user data: injected as is so CSS is not HTML-escaped. */}
      <style dangerouslySetInnerHTML={{ __html: PRINT_CSS }} />
      <div className="print-actions">
        <Link to={`/o/${slug}/invoices/${invoice.id}`}>← Back to the invoice</Link>
        <button type="button" onClick={() => window.print()}>
          Print or save as PDF
        </button>
      </div>
      <InvoiceDocument invoice={invoice} />
    </>
  );
}

import { expect, test } from "@playwright/test";

/**
 * Form posts that are not forms. Each action reads its form before anything else, and the parser's
 * TypeError (wrong Content-Type, a broken multipart body) used to surface as a 500 page: a request
 * may be refused, but never as a server fault (issue 27). Signed out on purpose: the form is read
 * before the session is looked at, so anyone with a socket could produce these.
 */

const ROUTES = ["/login", "/signup", "/forgot", "/o/acme/clients/new", "/o/acme/projects/new", "/account"];

const BODIES: { name: string; contentType: string; body: string }[] = [
  { name: "JSON", contentType: "application/json", body: '{"email":"a@b.test"}' },
  { name: "multipart without a boundary", contentType: "multipart/form-data", body: "email=a@b.test" },
  {
    name: "broken multipart",
    contentType: "multipart/form-data; boundary=xx",
    body: '--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\nb',
  },
  { name: "no Content-Type", contentType: "", body: "email=a@b.test" },
];

for (const route of ROUTES) {
  test(`a post to ${route} that is not a form answers 400`, async ({ request, baseURL }) => {
    for (const b of BODIES) {
      const res = await request.post(route, {
        data: b.body,
        headers: { origin: baseURL!, ...(b.contentType ? { "content-type": b.contentType } : {}) },
        maxRedirects: 0,
      });
      expect([b.name, res.status()]).toEqual([b.name, 400]);
    }
    // A real form still goes through to the action (whatever it then answers, it is not a 400 or a 500).
    const form = await request.post(route, { form: { email: "nobody@example.test" }, headers: { origin: baseURL! }, maxRedirects: 0 });
    expect(form.status()).not.toBe(400);
    expect(form.status()).toBeLessThan(500);
  });
}

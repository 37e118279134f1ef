// Visits the portal's pages in Debian's Chromium, headless, driven by playwright-core: for
// each page given on the command line, axe-core's WCAG 2.1 A/AA violations, screenshots at
// 1280 and 375 pixels wide and the HTML as served (into $SCREENSHOTS, for the Nu Html
// Checker). One browser for all of them. Prints one JSON line per page:
// {"name", "status", "title", "phone_width", "live", "violations": [{"id", "impact", "nodes"}]}
// (`phone_width`: how wide the page is drawn in a 375-pixel window).
//
// A page is `name=address` (opened), or `name=address#submit` (opened, then its form's
// button pressed with the fields left empty, to see the page of its errors), or
// `name=address#submit:field=value&…` (the fields, named by their ids, typed in first: where
// the form leads is the page visited), or `name=address#type:field=value&…` (the fields typed
// in, the form not sent: `live` is then what the page's live region says).
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';

const axe = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const screenshots = process.env.SCREENSHOTS;
if (screenshots) mkdirSync(screenshots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  // The pages forbid scripts of their own; axe is the test's, let in past the policy.
  const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
  const page = await context.newPage();
  for (const argument of process.argv.slice(2)) {
    const [name, address] = argument.split(/=(.*)/s);
    const [opened, fields] = address.split(/#submit|#type/);
    const submit = address.includes('#submit');
    let response = await page.goto(opened);
    for (const [field, value] of new URLSearchParams((fields || '').replace(/^:/, ''))) {
      const input = page.locator(`#${field}`);
      if (['checkbox', 'radio'].includes(await input.getAttribute('type'))) await input.check();
      else await input.fill(value);
    }
    if (submit) {
      [response] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    }
    // What a live region says once the fields are typed in (the page's own script at work).
    const live = await page.evaluate(() => document.querySelector('[aria-live]')?.textContent.trim() ?? null);
    await page.addScriptTag({ content: axe });
    const result = await page.evaluate(() => globalThis.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    }));
    if (screenshots && response) writeFileSync(`${screenshots}/${name}.html`, await response.text());
    // On a phone (375 pixels wide), nothing may stick out sideways.
    let phoneWidth = 0;
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      if (screenshots) await page.screenshot({ path: `${screenshots}/${name}-${width}.png`, fullPage: true });
      phoneWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    }
    process.stdout.write(JSON.stringify({
      name,
      status: response ? response.status() : 0,
      title: await page.title(),
      phone_width: phoneWidth,
      live,
      violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
    }) + '\n');
  }
} finally {
  await browser.close();
}

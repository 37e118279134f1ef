// Visits the portal's pages in Debian's Chromium, headless, driven by playwright-core: for
// each page, axe-core's WCAG 2.1 A/AA violations, screenshots at 1280 and 375 pixels wide and
// the HTML as served (into $SCREENSHOTS, for the Nu Html Checker). One browser for all of
// them. Prints one JSON line per page:
// {"name", "url", "status", "title", "phone_width", "live", "sent", "posted", "blocked",
// "violations": [{"id", "impact", "nodes"}]} (`url`: where the page is; `phone_width`: how
// wide it is drawn in a 375-pixel window; `sent`: who sent the form, "browser" or the page's
// "script" that sends files, or null; `posted`: the status that answered the form itself,
// before any redirection; `blocked`: what the page's Content-Security-Policy refused, which
// the browser enforces).
//
// The pages are given on the command line, or with `-` one line at a time on standard input,
// each answered before the next is read (a journey whose next step depends on what the last
// one did: an e-mail's link, the city's answer).
//
// A page is `name=address` (opened), or `name=address#submit` (opened, then its form's
// button pressed with the fields left empty, to see the page of its errors), or
// `name=address#submit:field=value&…` (the fields, named by their ids, typed in first, a
// file field given the path of its file (dropped on its drop zone where the page's script
// made one), a list the value to choose, a field in a closed disclosure opened first; the
// form of the first field is sent by its button, its primary one when it has several: where
// it leads is the page visited), or
// `name=address#press:Label` (the button whose name is `Label` pressed; with `#keypress:Label`,
// reached with the Tab key and pressed with Enter), or
// `name=address#type:field=value&…` (the fields typed in, the form not sent: `live` is then
// what the page's live region nearest the last field says, once a field the page checks as it
// is typed was checked), or `name=address#keyboard:field=value&…` (each field
// reached with the Tab key and typed in, or ticked with the space bar, then the form's button
// reached with Tab and pressed with Enter: a journey by keyboard alone), or
// `name=address#forge` (its first form sent without its anti-forgery token), or
// `name=address#elsewhere` (its first form, token and all, copied to a page of no origin and
// sent from there, as another site would). An empty address stays on the page the previous
// one led to.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';

const axe = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const screenshots = process.env.SCREENSHOTS;
if (screenshots) mkdirSync(screenshots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// The selector of the element whose id is `id` (an id may start with a digit, which `#id`
// cannot).
const byId = (id) => `[id="${id}"]`;

// Presses Tab until the element `selector` names has the focus (a page whose control cannot be
// reached by keyboard fails the visit).
async function tabTo(page, selector) {
  for (let presses = 0; presses < 300; presses++) {
    if (await page.evaluate((s) => document.activeElement === document.querySelector(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} cannot be reached with the Tab key`);
}

// Presses Tab until `locator`'s element has the focus (see `tabTo`).
async function tabToElement(page, locator) {
  await locator.evaluate((e) => e.setAttribute('data-visit-target', ''));
  await tabTo(page, '[data-visit-target]');
  await locator.evaluate((e) => e.removeAttribute('data-visit-target'));
}

// Types a date (`2027-06-01`) in a date field, segment by segment, in the order the browser
// shows them: a first date typed tells whether the day or the month comes first, then
// Shift+Tab goes back to the first segment.
async function typeDate(page, selector, iso) {
  const [year, month, day] = iso.split('-');
  await page.keyboard.type('01022000');
  const probe = await page.$eval(selector, (e) => e.value);
  if (!['2000-02-01', '2000-01-02'].includes(probe)) throw new Error(`${selector}: a date typed reads ${probe}`);
  const dayFirst = probe === '2000-02-01';
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.type(dayFirst ? day + month + year : month + day + year);
}

// Drops the file at `path` on the drop zone `zone`, as a person dragging it there would.
async function dropFile(page, zone, path) {
  const bytes = readFileSync(path).toString('base64');
  const transfer = await page.evaluateHandle(([bytes, name]) => {
    const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
    const type = name.endsWith('.pdf') ? 'application/pdf' : 'application/octet-stream';
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], name, { type }));
    return transfer;
  }, [bytes, basename(path)]);
  await zone.dispatchEvent('dragenter', { dataTransfer: transfer });
  await zone.dispatchEvent('drop', { dataTransfer: transfer });
}

// Presses the form's button with `act`: the page it leads to, whether the browser sends the
// form or the page's script does (it sends files, then shows the page that answers).
async function send(page, button, act) {
  const byScript = await button.evaluate((b) => Boolean(b.form && globalThis.GOVUKFrontend
    && b.form.enctype === 'multipart/form-data'
    && [...b.form.querySelectorAll('input[type=file]')].some((i) => i.files.length)));
  if (!byScript) {
    const [response] = await Promise.all([page.waitForNavigation(), act()]);
    return [response, 'browser', await firstOf(response)];
  }
  // The script's request is followed through its redirections (a form that answers "see
  // the page" after it saved): the page it shows is the last answer.
  const shownAnswer = (r) => {
    if (r.request().resourceType() !== 'xhr' || (r.status() >= 300 && r.status() < 400)) return false;
    let request = r.request();
    while (request.redirectedFrom()) request = request.redirectedFrom();
    return request.method() === 'POST';
  };
  const [response] = await Promise.all([page.waitForResponse(shownAnswer), act()]);
  await response.finished();
  await page.waitForFunction(() => document.readyState === 'complete'
    && !document.querySelector('.simpa-upload-progress'));
  return [response, 'script', await firstOf(response)];
}

// The status that answered the form itself, before the redirections it led to.
async function firstOf(response) {
  let request = response.request();
  while (request.redirectedFrom()) request = request.redirectedFrom();
  return (await request.response()).status();
}

let lastResponse = null;

async function visit(page, argument) {
  const [name, address] = argument.split(/=(.*)/s);
  const [opened, fields] = address.split(/#submit|#type|#keyboard|#keypress:|#press:|#forge|#elsewhere/);
  const forge = address.includes('#forge');
  const elsewhere = address.includes('#elsewhere');
  const submit = address.includes('#submit') || forge;
  const keyboard = address.includes('#keyboard');
  const keypress = address.includes('#keypress:');
  const press = address.includes('#press:') || keypress;
  // An empty address stays on the page the last one led to, to type in its form.
  if (!opened && !(submit || keyboard || press)) throw new Error(`${name}: no address`);
  let response = opened ? await page.goto(opened) : lastResponse;
  if (forge) await page.locator('main form input[name=csrf]').first().evaluate((e) => e.remove());
  if (elsewhere) {
    const copied = await page.locator('main form').first().evaluate((f) => {
      const copy = f.cloneNode(true);
      copy.action = f.action;
      return copy.outerHTML;
    });
    // A document of no origin (a data: address): its form's Origin is `null`.
    await page.goto(`data:text/html;charset=utf-8,${encodeURIComponent(`<main>${copied}</main>`)}`);
  }
  let form = null;
  let sent = null;
  let posted = null;
  let typed = null;
  if (press) {
    // The button a person reads, pressed (by keyboard: reached with Tab, pressed with Enter).
    const button = page.getByRole('button', { name: fields, exact: true });
    // A button in a closed disclosure is reached as a person would: the disclosure opened.
    const hidden = page.getByRole('button', { name: fields, exact: true, includeHidden: true });
    const holder = page.locator('details:not([open])', { has: hidden });
    if (await holder.count()) await holder.first().locator('summary').first().click();
    if (keypress) await tabToElement(page, button);
    const pressed = () => (keypress ? page.keyboard.press('Enter') : button.click());
    [response] = await Promise.all([page.waitForNavigation(), pressed()]);
    sent = 'browser';
  }
  for (const [field, value] of new URLSearchParams(press ? '' : (fields || '').replace(/^:/, ''))) {
    // A file field the page's script made a drop zone of: the zone has the field's id.
    const zone = page.locator(`${byId(field)}.govuk-file-upload-button`);
    const dropped = await zone.count() === 1;
    const input = page.locator(byId(dropped ? `${field}-input` : field));
    if (await input.count() !== 1) throw new Error(`${name}: no field #${field}`);
    form ??= input.locator('xpath=ancestor::form');
    // A field in a closed disclosure ("Déposer ce document") is opened as a person would.
    const closed = page.locator(`details:not([open]):has(${byId(field)}) > summary`);
    if (await closed.count() && keyboard) {
      await tabToElement(page, closed.first());
      await page.keyboard.press('Enter');
    } else if (await closed.count()) await closed.first().click();
    const type = await input.getAttribute('type');
    const ticked = ['checkbox', 'radio'].includes(type);
    if (type === 'file' && dropped && keyboard) {
      // The drop zone's button, reached with Tab and pressed: the file is chosen.
      await tabTo(page, byId(field));
      const chosen = new Promise((resolve) => page.once('filechooser', resolve));
      await page.keyboard.press('Enter');
      await (await chosen).setFiles(value);
    } else if (type === 'file' && dropped) await dropFile(page, zone, value);
    else if (type === 'file') await input.setInputFiles(value);
    else if (keyboard && type === 'radio') {
      // Tab enters a group of radios at its choice; the arrow keys choose.
      const group = await input.getAttribute('name');
      for (let presses = 0; presses < 300; presses++) {
        if (await page.evaluate((g) => document.activeElement?.name === g, group)) break;
        await page.keyboard.press('Tab');
      }
      for (let presses = 0; presses < 20 && !(await input.isChecked()); presses++) {
        // On it, the space bar ticks it; on another of the group, the next one is chosen.
        const onIt = await input.evaluate((e) => e === document.activeElement);
        await page.keyboard.press(onIt ? 'Space' : 'ArrowDown');
      }
    } else if (keyboard) {
      await tabTo(page, byId(field));
      if (ticked && !(await input.isChecked())) await page.keyboard.press('Space');
      else if (type === 'date') await typeDate(page, byId(field), value);
      else { await page.keyboard.press('Control+A'); await page.keyboard.type(value); }
    } else if (ticked) await input.check();
    else if (await input.evaluate((e) => e.tagName === 'SELECT')) await input.selectOption(value);
    else await input.fill(value);
    // What the field holds now is what was meant, or the visit fails.
    const holds = type === 'file' ? await input.evaluate((e) => e.files.length === 1)
      : ticked ? await input.isChecked() : (await input.inputValue()) === value;
    if (!holds) throw new Error(`${name}: #${field} does not hold ${value}`);
    typed = { field, value };
  }
  if (address.includes('#type') && typed) {
    // Leaving the last field: a field the page checks as it is typed is checked now.
    const checked = await page.locator(`${byId(typed.field)}[data-verifier]`).count();
    await page.evaluate(() => document.activeElement?.blur());
    if (checked) {
      await page.waitForFunction(({ field, value }) => document.getElementById(`${field}-verification`)
        ?.dataset.checked === value, typed);
    }
  }
  // A form's button; of a form with several, its primary one (a draft's "save" is secondary).
  const buttons = form?.locator('button[type=submit]');
  const button = !form ? page.locator('main form button[type=submit]').first()
    : await buttons.count() > 1 ? form.locator('button[type=submit]:not(.govuk-button--secondary)').first() : buttons;
  if (submit || elsewhere) [response, sent, posted] = await send(page, button, () => button.click());
  if (keyboard) {
    // The form's button, reached with the Tab key and pressed with Enter.
    await tabToElement(page, button.first());
    [response, sent, posted] = await send(page, page.locator(':focus'), () => page.keyboard.press('Enter'));
  }
  lastResponse = response;
  // What a live region says once the fields are typed in (the page's own script at work).
  const live = await page.evaluate((field) => {
    const near = field && document.getElementById(field)?.closest('.govuk-form-group')?.querySelector('[aria-live]');
    return (near ?? document.querySelector('[aria-live]'))?.textContent.trim() ?? null;
  }, typed?.field ?? null);
  // What the policy refused (recorded by the script every page starts with).
  const blocked = await page.evaluate(() => globalThis.simpaBlocked ?? []);
  // axe is the test's: evaluated by the browser's tools, which no page's policy governs.
  await page.evaluate(axe);
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
    url: page.url(),
    status: response ? response.status() : 0,
    title: await page.title(),
    phone_width: phoneWidth,
    live,
    sent,
    posted,
    blocked,
    violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
  }) + '\n');
}

try {
  // The pages' Content-Security-Policy is enforced: what it refuses is recorded.
  const context = await browser.newContext({ locale: 'fr-FR' });
  await context.addInitScript(() => {
    globalThis.simpaBlocked = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      globalThis.simpaBlocked.push(`${e.effectiveDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  // File choosers are caught from the start (caught only once a step waits for one, the
  // first could open before).
  page.on('filechooser', () => {});
  const pages = process.argv.slice(2);
  if (pages.length === 1 && pages[0] === '-') {
    for await (const line of createInterface({ input: process.stdin })) {
      if (line.trim()) await visit(page, line);
    }
  } else {
    for (const argument of pages) await visit(page, argument);
  }
} finally {
  await browser.close();
}

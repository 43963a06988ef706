// weblist.js PAGE.html -- loads an nprof -weblist page in headless Chromium and checks that the
// instructions under a source line are hidden at first, that a click on the line shows them
// (the same rows the page holds for it) and that a second click hides them again.
// Prints one "ok   ..." or "FAIL ..." line per check.
'use strict';
const path = require('path');
const {chromium} = require('playwright-core');

const exe = process.env.CHROMIUM || '/usr/lib/chromium/chromium';

function report(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  return ok ? 0 : 1;
}

// How many of the first unfoldable line's instruction rows are displayed, and how many it has.
function shown(page) {
  return page.evaluate(() => {
    const body = document.querySelector('tbody.live');
    if (!body) return null;
    const rows = Array.from(body.querySelectorAll('tr.asm:not(.gap):not(.call)'));
    return {visible: rows.filter(r => r.getBoundingClientRect().height > 0).length, rows: rows.length,
            line: body.querySelector('tr.line td.n').textContent};
  });
}

(async () => {
  const file = process.argv[2];
  const browser = await chromium.launch({executablePath: exe, timeout: 180000,
    args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files']});
  const page = await browser.newPage({viewport: {width: 1200, height: 800}});
  page.setDefaultTimeout(60000);
  let failed = 0;
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  await page.goto('file://' + path.resolve(file), {timeout: 60000});
  const before = await shown(page);
  failed += report(before && before.rows > 0 && before.visible === 0,
    `weblist: a line with code shows no instructions at first (line ${before && before.line}, ${before && before.rows} rows)`);
  await page.click('tbody.live tr.line td.s');
  const open = await shown(page);
  failed += report(open && open.visible === open.rows && open.rows > 0,
    `weblist: a click on the line shows its ${open && open.rows} instructions (${open && open.visible} visible)`);
  await page.click('tbody.live tr.line td.s');
  const closed = await shown(page);
  failed += report(closed && closed.visible === 0, 'weblist: a second click hides them');
  failed += report(errors.length === 0, `weblist: no script errors (${errors.join('; ')})`);
  await browser.close();
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log('FAIL chromium: ' + String(e).split('\n')[0]);
  process.exit(1);
});

// toptable.js URL EXACT -- in headless Chromium, clicks each numeric column of the web UI's Top
// table (nprof -http at URL) and checks that the rows come in the order of the functions' exact
// values (EXACT: JSON {name: {flat, cum}}), largest first, then smallest first on a second click,
// even where -top prints the values alike. Prints one "ok   ..." or "FAIL ..." line per check.
'use strict';
const {chromium} = require('playwright-core');

const exe = process.env.CHROMIUM || '/usr/lib/chromium/chromium';
const [base, exactJson] = process.argv.slice(2);
const exact = JSON.parse(exactJson);
let failed = 0;

function report(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  failed += ok ? 0 : 1;
}

const columns = [[0, 'Flat', 'flat'], [1, 'Flat%', 'flat'], [3, 'Cum', 'cum'], [4, 'Cum%', 'cum']];

async function names(page) {
  return page.$$eval('#toptable tbody tr', rows => rows.map(r => r.cells[5].dataset.name));
}

function ordered(list, key, desc) {
  return list.every((n, i) => i === 0 ||
    (desc ? exact[list[i - 1]][key] >= exact[n][key] : exact[list[i - 1]][key] <= exact[n][key]));
}

async function main() {
  const browser = await chromium.launch({executablePath: exe, timeout: 120000});
  try {
    const page = await browser.newPage();
    await page.goto(base + '/ui/top', {timeout: 60000});
    const all = await names(page);
    report(all.length === Object.keys(exact).length && all.every(n => n in exact),
      `Top lists the profile's ${Object.keys(exact).length} functions (${all.join(' ')})`);
    for (const [col, title, key] of columns) {
      const th = page.locator(`#toptable th[data-col="${col}"]`);
      await th.click();
      const down = await names(page);
      report(down.length === all.length && ordered(down, key, true),
        `Top: a click on ${title} orders by exact ${key}, largest first (${down.join(' ')})`);
      await th.click();
      const up = await names(page);
      report(up.length === all.length && ordered(up, key, false),
        `Top: a second click on ${title} orders by exact ${key}, smallest first (${up.join(' ')})`);
    }
  } finally {
    await browser.close();
  }
}

main().catch(e => { report(false, 'toptable.js: ' + e.message); }).then(() => process.exit(failed ? 1 : 0));
